"""Observation modes: the same scene at t = 0 as named symbols, raw state, or pixels."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from causalworld_bench.scm import Space
from causalworld_bench.tasks.types import OBS_MODES, ObsMode
from causalworld_bench.worlds import World

PIXELS = 64  # default image side


def check_obs_mode(mode: str) -> ObsMode:
    if mode not in OBS_MODES:
        raise ValueError(f"unknown observation mode {mode!r}; choose one of {', '.join(OBS_MODES)}")
    return mode  # type: ignore[return-value]


def observed_properties(world: World) -> tuple[str, ...]:
    """Names of the observed properties: the ``symbols`` vector, in declaration order."""
    return tuple(v.name for v in world.variables if v.observed and v.kind == "property")


def outcome_names(world: World) -> tuple[str, ...]:
    return tuple(v.name for v in world.variables if v.observed and v.kind == "outcome")


def observe(
    world: World,
    mode: ObsMode,
    params: Mapping[str, float],
    seed: int,
    values: Mapping[str, float],
    space: Space = "A",
) -> np.ndarray:
    """The t = 0 observation of episode ``seed`` whose property values are ``values``."""
    if mode == "symbols":
        return np.array([values[n] for n in observed_properties(world)], dtype=np.float64)
    if mode == "state":
        return world.initial_state(params, seed, space=space).astype(np.float32)
    return world.render(params, seed, width=PIXELS, height=PIXELS, space=space)


def empty_observations(world: World, mode: ObsMode, n: int) -> np.ndarray:
    """An (n, ...) array of the mode's shape and dtype, for zero-shot support sets."""
    if mode == "symbols":
        return np.zeros((n, len(observed_properties(world))), dtype=np.float64)
    if mode == "state":
        return np.zeros((n, 13 * len(world.state_bodies)), dtype=np.float32)
    return np.zeros((n, PIXELS, PIXELS, 3), dtype=np.uint8)
