"""``causalworld-bench show``: a world's scene, episode clips and causal graph as files."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from causalworld_bench.viz.clips import default_params, show
from causalworld_bench.worlds import World, make_world


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "show",
        help="draw a world: scene.png, episode.gif, graph.png (and the counterfactual under --do)",
        description="Render one episode of a world. With --do, also render the same episode "
        "(same seed, same exogenous noise) under the intervention, alone and side by side.",
    )
    p.add_argument("world", help="world name (see `causalworld-bench worlds`)")
    p.add_argument("--seed", type=int, default=0, help="episode seed (default: 0)")
    p.add_argument("--do", nargs="+", action="extend", default=[], metavar="VAR=VALUE",
                   help="intervene: set an intervenable variable (a number, or a category name)")
    p.add_argument("--params", nargs="+", action="extend", default=[], metavar="NAME=VALUE",
                   help="task parameters (default: the midpoint of each declared range)")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--every", type=int, default=8, help="physics steps per clip frame (default: 8)")
    p.add_argument("--width", type=int, default=320, help="frame width in pixels (default: 320)")
    p.add_argument("--height", type=int, default=240, help="frame height in pixels (default: 240)")
    p.set_defaults(func=run)


def parse_assignments(items: Sequence[str], option: str) -> dict[str, str]:
    """``["a=1", "b=x"]`` -> ``{"a": "1", "b": "x"}``; a malformed item raises ValueError."""
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise ValueError(f"{option} expects NAME=VALUE, got {item!r}")
        out[name.strip()] = value.strip()
    return out


def parse_do(world: World, items: Sequence[str]) -> dict[str, float]:
    """An intervention from ``VAR=VALUE`` strings, validated by the world (category names allowed)."""
    raw: dict[str, object] = dict(parse_assignments(items, "--do"))
    for name, value in raw.items():
        if name in world.names and value in world.variable(name).categories:
            raw[name] = world.variable(name).categories.index(value)
    return world.check_do(raw)


def parse_params(world: World, items: Sequence[str]) -> dict[str, float]:
    """Task parameters: the midpoints, overridden by ``NAME=VALUE`` strings, validated by the world."""
    return world.check_params({**default_params(world), **parse_assignments(items, "--params")})


def run(args: argparse.Namespace) -> int:
    if args.every < 1:
        raise ValueError(f"--every must be at least 1, got {args.every}")
    world = make_world(args.world)
    try:
        paths = show(world, args.out, parse_params(world, args.params), args.seed, parse_do(world, args.do),
                     args.every, args.width, args.height)
    finally:
        world.close()
    for path in paths:
        print(path)
    return 0
