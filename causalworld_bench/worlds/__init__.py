"""World families: each declares its variables, graph, equations and PyBullet scene."""

from __future__ import annotations

from causalworld_bench.worlds.base import Camera, World
from causalworld_bench.worlds.ramp import Ramp

_WORLDS: dict[str, type[World]] = {cls.name: cls for cls in (Ramp,)}


def list_worlds() -> list[str]:
    """Names of every world family, sorted."""
    return sorted(_WORLDS)


def make_world(name: str) -> World:
    """A new world instance (with its own simulator client) by name."""
    try:
        return _WORLDS[name]()
    except KeyError:
        raise ValueError(f"unknown world {name!r}; known worlds: {', '.join(list_worlds())}") from None


__all__ = ["Camera", "World", "list_worlds", "make_world"]
