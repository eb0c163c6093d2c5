"""``causalworld-bench worlds``: list every world with its variables and causal graph."""

from __future__ import annotations

import argparse
import json

from causalworld_bench.worlds import describe, list_worlds


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("worlds", help="list worlds, their variables and graphs")
    p.add_argument("names", nargs="*", help="worlds to show (default: all)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    names = args.names or list_worlds()
    infos = [describe(n) for n in names]
    if args.json:
        print(json.dumps(infos, indent=2))
        return 0
    for info in infos:
        print(f"{info['name']}: {info['description']}")
        for v in info["variables"]:
            flags = ",".join(
                f for f, on in (("latent", not v["observed"]), ("intervenable", v["intervenable"]),
                                ("target", v["target"])) if on
            )
            b = f" B={v['space_b']}" if v["space_b"] else ""
            print(f"  {v['name']:<22} {v['kind']:<8} {v['type']:<11} A={v['space_a']}{b} {v['unit']} {flags}")
        print("  edges: " + ", ".join(f"{a}->{b}" for a, b in info["edges"]))
        print("  task parameters: " + ", ".join(p["name"] for p in info["task_params"]))
        print()
    return 0
