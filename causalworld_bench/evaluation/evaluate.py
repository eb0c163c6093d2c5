"""evaluate(agent, suite) -> results: meta-train on the suite's training tasks, predict every test
task at every shot count, recompute every score from the answers, and add graph metrics."""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from causalworld_bench import __version__
from causalworld_bench.agents import Agent, agent_name
from causalworld_bench.data import load_suite
from causalworld_bench.evaluation.graph_metrics import score_graph
from causalworld_bench.evaluation.metrics import headline, score_predictions
from causalworld_bench.evaluation.predict import run_predictions
from causalworld_bench.tasks import TRAIN

SUBMISSION_FORMAT = "causalworld-bench-submission"
SUBMISSION_VERSION = 1


def meta_train(agent: Agent, suite_path: str | Path, progress: bool = True) -> tuple[float, object]:
    """Call ``agent.meta_train`` on the suite's training tasks if it has one; (seconds, history)."""
    fit = getattr(agent, "meta_train", None)
    if not callable(fit):
        return 0.0, None
    with load_suite(suite_path, verify=False) as suite:
        tasks = list(suite.tasks(split=TRAIN))
    start = time.perf_counter()
    history = fit(tasks, progress=progress)
    return time.perf_counter() - start, history


def graph_metrics(agent: Agent, worlds: Sequence[str]) -> dict:
    """SHD (and SID with gadjid) of ``agent.causal_graph(world)`` against the true observed DAG."""
    get = getattr(agent, "causal_graph", None)
    if not callable(get):
        return {}
    out = {}
    for name in worlds:
        est = get(name)
        if est is not None:
            out[name] = score_graph(name, np.asarray(est, dtype=bool).astype(int).tolist())
    return out


def evaluate(
    agent: Agent,
    suite_path: str | Path,
    shots: Sequence[int] | None = None,
    workers: int = 1,
    backend: str = "local",
    progress: bool = True,
    train: bool = True,
) -> dict:
    """Full evaluation of ``agent`` on the suite at ``suite_path``; a JSON-ready results dict."""
    with load_suite(suite_path) as suite:  # verifies the checksum once
        shots = tuple(shots) if shots is not None else suite.shots
        bad = [k for k in shots if k not in suite.shots]
        if bad:
            raise ValueError(f"shot counts {bad} are not in suite {suite.name} (has {suite.shots})")
        info = {"suite": suite.name, "suite_checksum": suite.public_checksum, "obs_mode": suite.obs_mode,
                "headline_shots": suite.headline_shots, "worlds": list(suite.worlds)}
    train_s, history = meta_train(agent, suite_path, progress) if train else (0.0, None)
    preds = run_predictions(agent, suite_path, shots, workers, backend, progress)
    with load_suite(suite_path, verify=False) as suite:
        scores = score_predictions(preds.values, suite, shots)
    n_calls = sum(len(v) for v in preds.values.values())
    return {
        "format": SUBMISSION_FORMAT,
        "format_version": SUBMISSION_VERSION,
        "agent": agent_name(agent),
        "agent_version": str(getattr(agent, "version", "0")),
        **info,
        "shots": list(shots),
        "package_version": __version__,
        "command": " ".join(sys.argv),
        "seeds": getattr(agent, "seed", None),
        "predictions": {
            tid: {str(k): [x if np.isfinite(x) else None for x in v] for k, v in by.items()}
            for tid, by in preds.values.items()
        },
        "errors": preds.errors,
        "scores": scores["rows"],
        "summary": scores["summary"],
        "headline": headline(scores["summary"], info["headline_shots"]) if info["headline_shots"] in shots else {},
        "graphs": graph_metrics(agent, info["worlds"]),
        "compute": {"meta_train_s": train_s, "predict_s": preds.seconds,
                    "predict_ms_per_task": 1000 * preds.seconds / max(n_calls, 1),
                    "workers": workers, "backend": backend, "cpu": platform.processor() or platform.machine(),
                    "cpu_count": os.cpu_count()},
        "history": history if isinstance(history, (list, dict)) else None,
    }
