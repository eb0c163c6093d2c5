"""The scoring rule per target: exact match for discrete targets, a declared tolerance for continuous."""

from __future__ import annotations

import numpy as np


def correct(pred: np.ndarray, answer: np.ndarray, target_type: str, tolerance: float | None) -> np.ndarray:
    """Boolean array: is each prediction right? Discrete predictions are rounded to the nearest
    category; continuous ones must lie within ``tolerance`` of the answer. NaN is always wrong."""
    pred = np.asarray(pred, dtype=np.float64)
    answer = np.asarray(answer, dtype=np.float64)
    if target_type == "continuous":
        if tolerance is None:
            raise ValueError("a continuous target needs a tolerance")
        return np.abs(pred - answer) <= tolerance
    return np.rint(pred) == answer


def nrmse(pred: np.ndarray, answer: np.ndarray) -> float:
    """Root-mean-square error divided by the standard deviation of the answers (1.0 = predicting
    the mean). NaN predictions count as the worst error of the batch."""
    pred = np.asarray(pred, dtype=np.float64)
    answer = np.asarray(answer, dtype=np.float64)
    err = np.where(np.isfinite(pred), pred - answer, np.nan)
    worst = np.nanmax(np.abs(err)) if np.any(np.isfinite(err)) else np.ptp(answer) + 1.0
    err = np.where(np.isfinite(err), err, worst)
    scale = answer.std() or 1.0
    return float(np.sqrt(np.mean(err**2)) / scale)
