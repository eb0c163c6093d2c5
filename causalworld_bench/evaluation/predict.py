"""Run an agent over a suite's test tasks, serially, on a local process pool, or on Ray.

An agent that raises, or returns the wrong shape or non-finite values, on one task is recorded as
wrong on that task (NaN predictions plus the error) and the run goes on. Results do not depend on
the backend: each task's prediction is a pure function of the agent state and the task.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from causalworld_bench.agents import Agent
from causalworld_bench.data import load_suite
from causalworld_bench.tasks import TEST_SPLITS, Task


@dataclass
class Predictions:
    """Predictions per task id and shot count, errors per (task id, shots), and timing."""

    values: dict[str, dict[int, list[float]]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def merge(self, other: Predictions) -> None:
        for tid, by_shots in other.values.items():
            self.values.setdefault(tid, {}).update(by_shots)
        self.errors.update(other.errors)
        self.seconds += other.seconds


def predict_task(agent: Agent, task: Task) -> tuple[list[float], str | None]:
    """The agent's answers for one task, or NaNs and the reason when it fails."""
    nan = [float("nan")] * task.n_queries
    try:
        out = np.asarray(agent.predict(task.without_answers()), dtype=np.float64)
    except Exception as exc:  # an agent bug on one task must not end the evaluation
        return nan, f"{type(exc).__name__}: {exc}"
    if out.shape != (task.n_queries,):
        return nan, f"wrong shape {out.shape}, expected ({task.n_queries},)"
    if not np.all(np.isfinite(out)):
        return nan, "non-finite prediction"
    return out.tolist(), None


def _chunk(agent: Agent, suite_path: str, task_ids: Sequence[str], shots: Sequence[int]) -> Predictions:
    wanted = set(task_ids)
    preds = Predictions()
    start = time.perf_counter()
    with load_suite(suite_path, verify=False) as suite:
        for task in _test_tasks(suite):
            if task.task_id not in wanted:
                continue
            for k in shots:
                values, err = predict_task(agent, task.with_shots(k))
                preds.values.setdefault(task.task_id, {})[k] = values
                if err:
                    preds.errors[f"{task.task_id}@{k}"] = err
    preds.seconds = time.perf_counter() - start
    return preds


def _test_tasks(suite) -> Iterator[Task]:
    for split in TEST_SPLITS:
        yield from suite.tasks(split=split)


def run_predictions(
    agent: Agent,
    suite_path: str | Path,
    shots: Sequence[int],
    workers: int = 1,
    backend: str = "local",
    progress: bool = True,
) -> Predictions:
    """Predict every test task of the suite at every shot count in ``shots``."""
    with load_suite(suite_path, verify=False) as suite:
        ids = [t.task_id for t in _test_tasks(suite)]
    size = max(1, len(ids) // (8 * max(workers, 1)))
    chunks = [ids[i : i + size] for i in range(0, len(ids), size)]
    preds = Predictions()
    bar = tqdm(total=len(ids), desc=f"predict {getattr(agent, 'name', type(agent).__name__)}", unit="task",
               disable=not progress)
    if workers <= 1 and backend == "local":
        for chunk in chunks:
            preds.merge(_chunk(agent, str(suite_path), chunk, shots))
            bar.update(len(chunk))
    elif backend == "local":
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(_chunk, agent, str(suite_path), c, shots) for c in chunks]
            for fut, chunk in zip(futures, chunks):
                preds.merge(fut.result())
                bar.update(len(chunk))
    elif backend == "ray":
        try:
            import ray
        except ImportError:
            raise RuntimeError("the ray backend needs Ray: pip install 'causalworld-bench[ray]'") from None
        started = not ray.is_initialized()
        if started:
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
        try:
            remote = ray.remote(_chunk)
            agent_ref = ray.put(agent)
            refs = [remote.remote(agent_ref, str(suite_path), c, shots) for c in chunks]
            for ref, chunk in zip(refs, chunks):
                preds.merge(ray.get(ref))
                bar.update(len(chunk))
        finally:
            if started:
                ray.shutdown()
    else:
        raise ValueError(f"unknown backend {backend!r}; choose local or ray")
    bar.close()
    return preds
