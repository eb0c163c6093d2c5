"""Scores recomputed from predictions and the suite's answers: accuracy with Wilson 95% intervals
per (world, family, split, shots), NRMSE for continuous targets, and family summaries."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from causalworld_bench.data import Suite
from causalworld_bench.tasks import FAMILIES, TEST_SPLITS, correct, nrmse

Z95 = 1.959963984540054


def wilson(k: int, n: int) -> tuple[float, float]:
    """Wilson score 95% interval for k successes out of n."""
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    denom = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / denom
    return (max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half)))


def _row(hits: Sequence[bool], continuous: Mapping[str, tuple[list, list]]) -> dict:
    k, n = int(np.sum(hits)), len(hits)
    lo, hi = wilson(k, n)
    errs = [nrmse(np.array(p), np.array(a)) for p, a in continuous.values() if len(a) > 1]
    return {"n": n, "correct": k, "accuracy": k / n if n else math.nan, "ci_low": lo, "ci_high": hi,
            "nrmse": float(np.mean(errs)) if errs else None}


def score_predictions(
    predictions: Mapping[str, Mapping[int, Sequence[float]]], suite: Suite, shots: Sequence[int]
) -> dict:
    """Score every test query at every shot count; a missing prediction counts as wrong."""
    cells: dict[tuple, list[bool]] = {}
    cont: dict[tuple, dict[str, tuple[list, list]]] = {}
    for split in TEST_SPLITS:
        for task in suite.tasks(split=split):
            if task.answers is None:
                raise ValueError(f"{suite.path} has no answers for {task.task_id}: cannot score")
            by_shots = {int(k): v for k, v in predictions.get(task.task_id, {}).items()}
            for k in shots:
                pred = np.array(by_shots.get(k, [None] * task.n_queries), dtype=np.float64)  # None -> NaN
                hits = correct(pred, task.answers, task.target_type, task.tolerance)
                key = (task.world, task.family, task.split, k)
                cells.setdefault(key, []).extend(bool(h) for h in hits)
                if task.target_type == "continuous":
                    p, a = cont.setdefault(key, {}).setdefault(task.target, ([], []))
                    p.extend(pred.tolist())
                    a.extend(task.answers.tolist())
    rows = [
        {"world": w, "family": f, "split": s, "shots": k, **_row(hits, cont.get((w, f, s, k), {}))}
        for (w, f, s, k), hits in sorted(cells.items(), key=lambda kv: (kv[0][0], FAMILIES.index(kv[0][1]), kv[0][2], kv[0][3]))
    ]
    return {"rows": rows, "summary": summarise(cells)}


def summarise(cells: Mapping[tuple, list[bool]]) -> dict:
    """Accuracy per family -> split -> shots pooled over worlds (and per world at every level)."""
    pooled: dict[tuple, list[bool]] = {}
    for (w, f, s, k), hits in cells.items():
        pooled.setdefault((f, s, k), []).extend(hits)
    out: dict = {}
    for (f, s, k), hits in sorted(pooled.items()):
        n, c = len(hits), int(np.sum(hits))
        lo, hi = wilson(c, n)
        out.setdefault(f, {}).setdefault(s, {})[str(k)] = {"accuracy": c / n, "ci_low": lo, "ci_high": hi, "n": n}
    return out


def headline(summary: Mapping, shots: int, split: str = "test_a") -> dict[str, float]:
    """Accuracy per family at the headline shot count on one split."""
    return {f: summary[f][split][str(shots)]["accuracy"] for f in FAMILIES if split in summary.get(f, {})}
