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
    g = lsub.add_parser("plot-shd", help="plot accuracy against graph SHD for chosen entries of one track")
    g.add_argument("--track", required=True, help="track name, e.g. standard-v2-symbols")
    g.add_argument("--agents", nargs="*", help="agent names (default: every entry that gives a graph)")
    g.add_argument("--out", required=True, help="PNG to write")
    g.add_argument("--root", default=str(DEFAULT_DIR), help="leaderboard directory (default: %(default)s)")
    g.set_defaults(func=run_plot_shd)


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


def run_plot_shd(args: argparse.Namespace) -> int:
    """One point per (agent, world) and family: the SHD of the agent's graph against its accuracy."""
    from causalworld_bench.leaderboard.render import accuracy_shd_points, make_row
    from causalworld_bench.leaderboard.store import load_entries
    from causalworld_bench.viz.plots import plot_accuracy_vs_shd

    entries = load_entries(args.root).get(args.track)
    if not entries:
        raise ValueError(f"no entries for track {args.track!r} under {args.root}")
    rows = [make_row(e) for e in entries]
    if args.agents:
        unknown = sorted(set(args.agents) - {r.agent for r in rows})
        if unknown:
            raise ValueError(f"no entries named {unknown} in track {args.track!r}")
        rows = sorted((r for r in rows if r.agent in args.agents), key=lambda r: args.agents.index(r.agent))
    points = accuracy_shd_points(rows)
    if not points:
        raise ValueError("none of these entries gives a causal graph: nothing to plot")
    print(f"wrote {plot_accuracy_vs_shd(points, args.out, title=f'{args.track}: accuracy against SHD')}")
    return 0
