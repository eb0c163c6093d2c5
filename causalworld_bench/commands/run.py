"""``causalworld-bench run``: the main job. Generate (or reuse) a suite, meta-train and evaluate every
available agent, print a ranked table, and write a report folder."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from pathlib import Path

import numpy as np

from causalworld_bench.agents import AgentLoadError, load_agent
from causalworld_bench.data import SuiteFileError, generate_suite, load_suite
from causalworld_bench.evaluation import evaluate, observed_graph
from causalworld_bench.leaderboard import render, submit
from causalworld_bench.leaderboard.store import write_json_atomic
from causalworld_bench.tasks import OBS_MODES, SUITES, get_suite_spec
from causalworld_bench.viz.plots import plot_graph_comparison, plot_learning_curves
from causalworld_bench.worlds import make_world

#: agents the main job runs when they can be imported (optional extras may be missing)
DEFAULT_AGENTS = (
    "causalworld_bench.evaluation:ChanceAgent",
    "causalworld_bench.evaluation:OracleAgent",
    "baselines.ridge:RidgeAgent",
    "baselines.pooled_mlp:PooledMLPAgent",
    "baselines.fixed_graph:TrueGraphSCMAgent",
)  # CSML (csml_agent.agent:CSMLAgent) meta-trains for about 8 minutes on one core, which would more
#   than double the main job: add it with --agents


def cache_dir() -> Path:
    """Where generated suites are kept: $CAUSALWORLD_BENCH_CACHE or ~/.cache/causalworld-bench."""
    return Path(os.environ.get("CAUSALWORLD_BENCH_CACHE", Path.home() / ".cache" / "causalworld-bench"))


def cached_suite(name: str, obs: str, workers: int, progress: bool) -> Path:
    """Path of the suite in the cache, generating it first if it is absent or damaged."""
    spec = get_suite_spec(name)
    key = hashlib.sha256(json.dumps([spec.to_dict(), obs], sort_keys=True).encode()).hexdigest()[:12]
    path = cache_dir() / f"{name}-{obs}-{key}.h5"
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        try:  # a cached suite is reused only if it is intact
            load_suite(path).close()
            return path
        except SuiteFileError as exc:
            print(f"regenerating damaged cached suite: {exc}")
    generate_suite(spec, obs, path, workers=workers, progress=progress)
    return path


def plot_agent(results: dict, folder: Path) -> None:
    """Learning curves of a trainable agent and its learned graphs beside the true ones."""
    name = results["agent"]
    if results.get("history"):
        try:
            plot_learning_curves(results["history"], folder / f"{name}-learning.png", f"{name}: meta-training")
        except (ValueError, TypeError) as exc:  # a history without numeric series
            print(f"no learning curves for {name}: {exc}")
    for world, graph in results.get("graphs", {}).items():
        truth = observed_graph(make_world(world).graph, tuple(graph["nodes"]))
        plot_graph_comparison(graph["nodes"], truth, np.asarray(graph["adjacency"], dtype=bool),
                              folder / f"{name}-{world}-graph.png", f"{name} on {world}: learned vs true")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help="the main job: generate, train and evaluate the agents, report")
    p.add_argument("--suite", default="quick", choices=sorted(SUITES))
    p.add_argument("--obs", default="symbols", choices=OBS_MODES)
    p.add_argument("--agents", nargs="*", default=list(DEFAULT_AGENTS), help="module:Class references")
    p.add_argument("--shots", type=int, nargs="*", default=[5], help="shot counts to score (default 5)")
    p.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    p.add_argument("--out", default="causalworld-bench-report", help="report folder")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    progress = not args.quiet
    suite = cached_suite(args.suite, args.obs, args.workers, progress)
    out = Path(args.out)
    board = out / "leaderboards"
    for ref in args.agents:
        try:
            agent = load_agent(ref)
        except AgentLoadError as exc:
            print(f"skipping {ref}: {exc}")
            continue
        print(f"== {ref}")
        try:
            results = evaluate(agent, suite, args.shots, args.workers, progress=progress)
        except ValueError as exc:  # e.g. an agent that does not support this observation mode
            print(f"skipping {ref}: {exc}")
            continue
        results["agent_ref"], results["agent_kwargs"] = ref, {}
        path = out / "results" / f"{results['agent']}.json"
        write_json_atomic(path, results)
        submit(path, suite, board)
        plot_agent(results, out / "plots")
    written = render(board)
    readme = board / "README.md"
    ranked = readme.read_text(encoding="utf-8").split("\n## ", 1)[-1].split("\n### ")[0]
    print("\n" + "\n".join(line for line in ranked.splitlines() if not line.startswith("![")))
    print(f"report: {out} ({len(written)} rendered files)")
    return 0
