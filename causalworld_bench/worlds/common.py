"""Building blocks shared by the world declarations: noise transforms and the latent material."""

from __future__ import annotations

import colorsys
from collections.abc import Sequence

import numpy as np

from causalworld_bench.scm import Space, Variable


def uniform(u: float, lo: float, hi: float) -> float:
    """Map a Uniform(0, 1) draw onto [lo, hi]."""
    return lo + (hi - lo) * float(u)


def category(u: float, lo: int, hi: int) -> int:
    """Map a Uniform(0, 1) draw onto the integers lo..hi uniformly."""
    return min(hi, lo + int(float(u) * (hi - lo + 1)))


def root(var: Variable):
    """Equation of a root property: uniform over its space A or B (categories uniformly)."""

    def fn(_parents, u: np.ndarray, space: Space) -> float:
        lo, hi = var.space(space)
        if var.discrete:
            return category(u[0], int(lo), int(hi))
        return uniform(u[0], lo, hi)

    return fn


def hue_rgba(hue: float, sat: float = 0.75, val: float = 0.9) -> tuple[float, float, float, float]:
    """RGBA of a hue in [0, 1] (HSV), for painting a body."""
    return (*colorsys.hsv_to_rgb(float(hue), sat, val), 1.0)


def proxy(table: Sequence[float], spread: float):
    """Equation of an observed proxy of a latent category: ``table[category] +- spread/2``.

    The per-category intervals are disjoint, so the proxy identifies the category exactly, and the
    proxy is spuriously predictive of everything else the category causes."""

    def fn(parents, u: np.ndarray, _space: Space) -> float:
        (cat,) = parents.values()
        return float(table[int(cat)]) + spread * (float(u[0]) - 0.5)

    return fn


def jittered(table: Sequence[float], spread: float, parent: str = "material"):
    """Equation ``table[parent] * (1 +- spread/2)``: a per-category value with a little unobserved noise."""

    def fn(parents, u: np.ndarray, _space: Space) -> float:
        return float(table[int(parents[parent])]) * (1.0 + spread * (float(u[0]) - 0.5))

    return fn


def banded(var: Variable, order: Sequence[int], parent: str = "material"):
    """Equation of a cause the data-collecting operator sets by the latent category: category
    ``order[k]`` gets the k-th of ``len(order)`` equal sub-bands of space A, and the categories
    outside ``order`` (the out-of-distribution ones) get space B. The bands are disjoint, so the
    value identifies the category whichever space is asked for (as :func:`proxy` does)."""

    def fn(parents, u: np.ndarray, _space: Space) -> float:
        cat = int(parents[parent])
        if cat not in order:
            return uniform(u[0], *var.space_b)
        lo, hi = var.space_a
        width = (hi - lo) / len(order)
        return lo + width * (order.index(cat) + float(u[0]))

    return fn
