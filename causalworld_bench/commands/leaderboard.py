"""``causalworld-bench leaderboard``: submit a results file as an entry, or re-render the tables."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from causalworld_bench.leaderboard.store import DEFAULT_DIR
from causalworld_bench.tasks import FAMILIES


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("leaderboard", help="submit results to a leaderboard, or render the leaderboards")
    lsub = p.add_subparsers(dest="action", required=True)
    s = lsub.add_parser("submit", help="validate a results file, recompute its scores and write the entry")
    s.add_argument("results", help="results JSON written by `causalworld-bench evaluate`")
    s.add_argument("--suite", required=True, help="the suite .h5 file with answers")
    s.add_argument("--root", default=str(DEFAULT_DIR), help="leaderboard directory (default: %(default)s)")
    s.set_defaults(func=run_submit)
    r = lsub.add_parser("render", help="regenerate README.md, index.html and charts from the entries")
    r.add_argument("--root", default=str(DEFAULT_DIR), help="leaderboard directory (default: %(default)s)")
    r.set_defaults(func=run_render)


def run_submit(args: argparse.Namespace) -> int:
    """Write the entry; any problem with the submission is reported and nothing is written."""
    from causalworld_bench.leaderboard.store import submit

    try:
        path = submit(args.results, args.suite, args.root)
    except (ValueError, OverflowError, RecursionError) as exc:  # SubmissionError is a ValueError
        print(f"causalworld-bench leaderboard submit: rejected {args.results}: {exc}", file=sys.stderr)
        return 2
    entry = json.loads(Path(path).read_text(encoding="utf-8"))
    print(f"{entry['agent']} {entry.get('agent_version', '')} on track {entry['track']}:")
    for family in FAMILIES:
        if family in entry["headline"]:
            print(f"  {family:<15} {100 * entry['headline'][family]:5.1f}%  (test_a, headline shots)")
    print(f"wrote {path}")
    return 0


def run_render(args: argparse.Namespace) -> int:
    """Re-render every track under ``--root``."""
    from causalworld_bench.leaderboard.render import render

    for path in render(args.root):
        print(f"wrote {path}")
    return 0
