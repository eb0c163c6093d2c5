"""World families: each declares its variables, graph, equations and PyBullet scene."""

from __future__ import annotations

from causalworld_bench.worlds.base import Camera, World
from causalworld_bench.worlds.collision_chain import CollisionChain
from causalworld_bench.worlds.ramp import Ramp
from causalworld_bench.worlds.seesaw import Seesaw
from causalworld_bench.worlds.tower import Tower

_WORLDS: dict[str, type[World]] = {cls.name: cls for cls in (Ramp, Tower, Seesaw, CollisionChain)}


def list_worlds() -> list[str]:
    """Names of every world family, sorted."""
    return sorted(_WORLDS)


def make_world(name: str) -> World:
    """A new world instance (with its own simulator client) by name."""
    try:
        return _WORLDS[name]()
    except KeyError:
        raise ValueError(f"unknown world {name!r}; known worlds: {', '.join(list_worlds())}") from None


def describe(world: World | str) -> dict:
    """A plain-data description of one world: variables, edges, task parameters."""
    if isinstance(world, str):
        world = make_world(world)
    return {
        "name": world.name,
        "description": world.description,
        "variables": [
            {
                "name": v.name, "kind": v.kind, "type": v.vtype, "unit": v.unit,
                "space_a": list(v.space_a), "space_b": list(v.space_b) if v.space_b else None,
                "observed": v.observed, "intervenable": v.intervenable, "target": v.is_target,
                "tolerance": v.tolerance, "categories": list(v.categories), "description": v.description,
            }
            for v in world.variables
        ],
        "edges": [[a, b] for a in world.names for b in world.graph.children(a)],
        "task_params": [
            {"name": p.name, "low": p.low, "high": p.high, "unit": p.unit, "description": p.description}
            for p in world.task_params
        ],
    }


__all__ = ["Camera", "World", "describe", "list_worlds", "make_world"]
