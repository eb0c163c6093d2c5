"""``causalworld-bench docs``: regenerate the per-world Markdown pages and their pictures."""

from __future__ import annotations

import argparse

from causalworld_bench.viz.worldpages import write_docs


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("docs", help="generate a Markdown page per world (with graph and scene pictures)")
    p.add_argument("--out", default="docs/worlds", help="output directory (default: docs/worlds)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    for path in write_docs(args.out):
        print(path)
    return 0
