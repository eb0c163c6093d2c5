"""``causalworld-bench evaluate``: meta-train and score an agent on a suite; write results JSON."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from causalworld_bench.agents import load_agent
from causalworld_bench.data import BACKENDS
from causalworld_bench.evaluation import evaluate
from causalworld_bench.leaderboard.store import write_json_atomic


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="evaluate an agent (module:Class) on a suite")
    p.add_argument("--agent", required=True, help="agent reference, e.g. baselines.ridge:RidgeAgent")
    p.add_argument("--agent-kwargs", default="{}", help="JSON object of constructor keyword arguments")
    p.add_argument("--suite", required=True, help="suite .h5 file (with answers)")
    p.add_argument("--out", required=True, help="results JSON (a valid leaderboard submission)")
    p.add_argument("--shots", type=int, nargs="*", help="shot counts (default: all of the suite's)")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--backend", default="local", choices=BACKENDS)
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        kwargs = json.loads(args.agent_kwargs)
    except json.JSONDecodeError as exc:
        raise ValueError(f"--agent-kwargs is not JSON: {exc}") from None
    if not isinstance(kwargs, dict):
        raise ValueError("--agent-kwargs must be a JSON object")
    agent = load_agent(args.agent, **kwargs)
    results = evaluate(agent, args.suite, args.shots, args.workers, args.backend, progress=not args.quiet)
    results["agent_ref"], results["agent_kwargs"] = args.agent, kwargs
    write_json_atomic(Path(args.out), results)
    print(f"{results['agent']} on {results['suite']}/{results['obs_mode']}:")
    for family, acc in results["headline"].items():
        print(f"  {family:<15} {100 * acc:5.1f}%")
    print(f"wrote {args.out}")
    return 0
