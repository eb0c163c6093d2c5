"""The ``causalworld-bench`` command: one subcommand per module in :mod:`causalworld_bench.commands`."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: subcommand name -> module in causalworld_bench.commands defining ``add_parser(subparsers)``
#: (which registers the subparser and sets ``func`` to a handler taking the parsed args).
COMMANDS = ("run", "worlds", "generate", "evaluate", "show", "docs", "leaderboard")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="causalworld-bench",
        description="Physical worlds with exact SCMs, few-shot causal tasks and leaderboards.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        importlib.import_module(f"causalworld_bench.commands.{name}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        print(f"causalworld-bench {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
