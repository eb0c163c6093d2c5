"""Pooled k-nearest neighbours: the plainest correlational learner.

Meta-training pools the support sets (observational samples) of every training task of a world and
remembers them per target. A query is answered by the distance-weighted mean target of its nearest
pooled samples, shifted by the mean residual on the task's own support set (which absorbs the
task's hidden parameters), after the naive "plug-in" of an intervention: the intervened variable's
value is overwritten and nothing else changes. It never uses interventional answers, so it learns
associations only; the benchmark's intervention and counterfactual families are built to expose that.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.neighbors import KNeighborsRegressor

from causalworld_bench.tasks import Task


class PooledKNNAgent:
    """k-NN over all training support examples of the task's world, with plug-in interventions."""

    name = "pooled-knn"

    def __init__(self, k: int = 5) -> None:  # k chosen by prediction accuracy on held-back training tasks
        self.k = k
        self._models: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, KNeighborsRegressor]] = {}

    def meta_train(self, train_tasks: Sequence[Task], progress: bool = True) -> dict:
        pools: dict[tuple[str, str], tuple[list, list]] = {}
        for task in train_tasks:
            if task.obs_mode != "symbols":
                raise ValueError(f"{self.name} reads symbols, got {task.obs_mode}")
            xs, ys = pools.setdefault((task.world, task.target), ([], []))
            xs.extend(task.support_x)
            ys.extend(task.support_y)
        for key, (xs, ys) in pools.items():
            x = np.asarray(xs, dtype=np.float64)
            mu, sd = x.mean(0), x.std(0) + 1e-9
            model = KNeighborsRegressor(min(self.k, len(x)), weights="distance").fit((x - mu) / sd, ys)
            self._models[key] = (mu, sd, model)
        return {"pooled_examples": {f"{w}/{t}": len(p[0]) for (w, t), p in pools.items()}}

    def predict(self, task: Task) -> np.ndarray:
        if (task.world, task.target) not in self._models:
            raise ValueError(f"{self.name} was not meta-trained on {task.world}/{task.target}")
        mu, sd, model = self._models[(task.world, task.target)]
        x = np.array(task.query_x, dtype=np.float64)
        if task.do_variable is not None:
            x[:, task.obs_names.index(task.do_variable)] = task.query_do
        y = model.predict((x - mu) / sd)
        if task.target_type == "continuous":
            if task.shots:
                y = y + np.mean(task.support_y - model.predict((task.support_x - mu) / sd))
            return y
        return np.rint(y)
