"""Helpers shared by the environments: the [-1, 1] scaling of variables and strict action checks.

Every variable is shown to an agent, and set by it, on the scale [-1, 1] that maps linearly onto the
variable's space-A range (``-1`` = low end, ``+1`` = high end). Observations are clipped to [-1, 1],
so a value outside space A (rare for outcomes) reads as the nearest end. A discrete variable set
through [-1, 1] takes one of equal-width bins, one per category.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from gymnasium import spaces

from causalworld_bench.scm import Variable
from causalworld_bench.worlds import World
from causalworld_bench.worlds.common import category


def unit_bounds(world: World, names: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Space-A low and high ends of the variables ``names`` of ``world``."""
    lo = np.array([world.variable(n).space_a[0] for n in names], dtype=np.float64)
    hi = np.array([world.variable(n).space_a[1] for n in names], dtype=np.float64)
    return lo, hi


def to_unit(values: Sequence[float] | np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Values scaled from [lo, hi] onto [-1, 1] (clipped; a degenerate range reads 0), as float32."""
    v = np.asarray(values, dtype=np.float64)
    width = hi - lo
    scaled = np.divide(2.0 * (v - lo), width, out=np.ones_like(v), where=width > 0) - 1.0
    return np.clip(scaled, -1.0, 1.0).astype(np.float32)


def linear_from_unit(a: float, lo: float, hi: float) -> float:
    """The point of [lo, hi] that the scaled value ``a`` in [-1, 1] stands for."""
    return float(min(hi, max(lo, lo + (float(a) + 1.0) / 2.0 * (hi - lo))))


def from_unit(a: float, var: Variable) -> float:
    """The value of ``var`` that the scaled value ``a`` in [-1, 1] sets (discrete: equal-width bins)."""
    lo, hi = var.space_a
    if var.discrete:
        return float(category((float(a) + 1.0) / 2.0, int(lo), int(hi)))
    return linear_from_unit(a, lo, hi)


def unit_box(*shape: int) -> spaces.Box:
    """A float32 Box on [-1, 1] of ``shape``."""
    return spaces.Box(-1.0, 1.0, shape=shape, dtype=np.float32)


def check_box(action: object, space: spaces.Box, what: str = "action") -> np.ndarray:
    """``action`` as a float64 array if it lies in ``space``; otherwise a ValueError saying why."""
    try:
        a = np.asarray(action, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be numeric, got {action!r}") from None
    if a.shape != space.shape:
        raise ValueError(f"{what} must have shape {space.shape}, got {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{what} must be finite, got {a.tolist()}")
    if np.any(a < space.low) or np.any(a > space.high):
        raise ValueError(f"{what} {a.tolist()} lies outside [{space.low.min()}, {space.high.max()}]")
    return a


def one_hot(index: int | None, size: int) -> np.ndarray:
    """An int8 one-hot vector of ``size`` (all zeros when ``index`` is None)."""
    out = np.zeros(size, dtype=np.int8)
    if index is not None:
        out[index] = 1
    return out
