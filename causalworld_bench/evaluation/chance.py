"""The chance agent: marginal guesses, to test the scorer from the bottom."""

from __future__ import annotations

import zlib

import numpy as np

from causalworld_bench.tasks import Task


class ChanceAgent:
    """Guesses each answer by drawing from the support set's target values (uniform over {0, 1}
    for a discrete target without support, 0.0 for a continuous one). Seeded per task."""

    name = "chance"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def predict(self, task: Task) -> np.ndarray:
        rng = np.random.default_rng([self.seed, zlib.crc32(task.task_id.encode()), task.shots])
        if task.shots:
            return rng.choice(task.support_y, size=task.n_queries).astype(np.float64)
        if task.target_type == "continuous":
            return np.zeros(task.n_queries)
        return rng.integers(0, 2, size=task.n_queries).astype(np.float64)
