"""Exogenous noise: one independent stream per variable, derived from the episode seed."""

from __future__ import annotations

import zlib
from numbers import Integral

import numpy as np

MAX_SEED = 2**63 - 1


def check_seed(seed: object) -> int:
    """Return ``seed`` as an int if it is a non-negative integer below 2**63, else raise ValueError."""
    if isinstance(seed, bool) or not isinstance(seed, Integral):
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not 0 <= int(seed) <= MAX_SEED:
        raise ValueError(f"seed must lie in [0, 2**63 - 1], got {seed}")
    return int(seed)


def variable_key(name: str) -> int:
    """A stable 32-bit key per variable name, so adding a variable never changes another's noise."""
    return zlib.crc32(name.encode())


def exogenous_noise(seed: int, world: str, dims: dict[str, int]) -> dict[str, np.ndarray]:
    """Uniform(0, 1) noise per variable: ``dims[name]`` draws from the stream keyed by
    (seed, world, name). The same seed always yields the same values, whatever is intervened on."""
    wkey = variable_key(world)
    out = {}
    for name, dim in dims.items():
        ss = np.random.SeedSequence(entropy=seed, spawn_key=(wkey, variable_key(name)))
        out[name] = np.random.Generator(np.random.PCG64(ss)).random(dim)
    return out
