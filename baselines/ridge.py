"""Ridge / logistic regression fit on each task's support set: the purely correlational learner.

For every task, independently:

1. standardise the support properties ``support_x`` (k, D) with the support's own statistics;
2. fit ``y ~ x`` on the k support examples: ridge regression (regularisation strength picked by
   leave-one-out cross-validation) for a continuous target, L2 logistic regression for a
   binary/categorical one;
3. answer each query at its properties with the intervened variable's value *plugged in*
   (``x[do] = v``). This is exactly the mistake a correlational learner makes: a latent confounder
   makes e.g. colour predictive of mass in observational data, and setting the colour does not
   change the mass;
4. a counterfactual query of a continuous target keeps its factual residual (abduction under an
   additive-noise linear model): ``y_cf = y_factual + f(x_do) - f(x)``; one of a discrete target
   keeps its factual class unless the classifier's answer flips between ``x`` and ``x_do``.

With fewer than two support examples there is nothing to regress on: the agent answers the
support mean / majority class, or with no support at all the pooled prior (mean / majority of the
target over the meta-training tasks) learned by :meth:`RidgeAgent.meta_train`. A counterfactual
query with nothing to regress on answers its factual value (the model predicts no change).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, RidgeCV
from threadpoolctl import threadpool_limits
from tqdm.auto import tqdm

from baselines.features import DISCRETE, plugin_x, require_symbols
from causalworld_bench.tasks import Task


class RidgeAgent:
    name = "ridge"

    def __init__(self, alphas: Sequence[float] = (0.01, 0.1, 1.0, 10.0, 100.0), C: float = 1.0, progress: bool = True) -> None:
        self.alphas = tuple(float(a) for a in alphas)  # ridge strengths tried by leave-one-out CV
        self.C = float(C)  # inverse L2 strength of the logistic regression
        self.progress = progress
        self.prior: dict[str, float] = {}  # "world/target" -> mean or majority class over training tasks

    # -- meta-training: only the pooled prior for zero-shot tasks ----------------------------------
    def meta_train(self, train_tasks: Sequence[Task], progress: bool | None = None, **_: object) -> dict:
        if progress is not None:
            self.progress = progress
        values: dict[str, list[np.ndarray]] = {}
        types: dict[str, str] = {}
        for t in tqdm(train_tasks, desc="ridge prior", disable=not self.progress):
            require_symbols(t, self.name)
            key = f"{t.world}/{t.target}"
            values.setdefault(key, []).append(t.support_y)
            types[key] = t.target_type
        for key, vs in values.items():
            v = np.concatenate(vs)
            v = v[np.isfinite(v)]
            if v.size == 0:
                continue
            if types[key] in DISCRETE:
                labels, counts = np.unique(np.rint(v), return_counts=True)
                self.prior[key] = float(labels[np.argmax(counts)])
            else:
                self.prior[key] = float(v.mean())
        return {"n_tasks": len(train_tasks), "priors": dict(self.prior)}

    # -- answering ---------------------------------------------------------------------------------
    def predict(self, task: Task) -> np.ndarray:
        require_symbols(task, self.name)
        with threadpool_limits(limits=1):  # tiny problems: BLAS threads only spin-wait
            return self._predict(task)

    def _predict(self, task: Task) -> np.ndarray:
        q = task.n_queries
        y = np.asarray(task.support_y, dtype=np.float64)
        keep = np.isfinite(y)
        xs, y = np.asarray(task.support_x, dtype=np.float64)[keep], y[keep]
        discrete = task.target_type in DISCRETE
        counterfactual = task.family == "counterfactual"

        if len(y) < 2:  # nothing to regress on
            if len(y) == 1:
                const = float(np.rint(y[0])) if discrete else float(y[0])
            else:
                const = self.prior.get(f"{task.world}/{task.target}", 0.0)
            if counterfactual:
                factual = task.query_factual_y
                return np.where(np.isfinite(factual), factual, const).astype(np.float64)
            return np.full(q, const)

        mean, std = xs.mean(0), xs.std(0)
        std = np.where(std > 1e-8, std, 1.0)
        z = (xs - mean) / std
        z_do = (plugin_x(task) - mean) / std  # the plug-in: query properties with x[do] = v
        z_factual = (np.asarray(task.query_x, dtype=np.float64) - mean) / std
        factual = task.query_factual_y if counterfactual else np.full(q, np.nan)
        known = np.isfinite(factual)

        if discrete:
            labels = np.rint(y)
            if np.unique(labels).size == 1:  # a constant classifier: never flips
                return np.where(known, factual, labels[0])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                clf = LogisticRegression(C=self.C, max_iter=500).fit(z, labels)
            pred = clf.predict(z_do).astype(np.float64)
            flips = pred != clf.predict(z_factual)
            return np.where(known & ~flips, factual, pred)  # counterfactual: factual class unless it flips

        reg = RidgeCV(alphas=self.alphas).fit(z, y)
        pred = reg.predict(z_do)
        residual = np.where(known, factual, 0.0) - reg.predict(z_factual)
        return np.where(known, pred + residual, pred).astype(np.float64)  # counterfactual: keep the residual

    # -- persistence: the prior is the whole trained state -----------------------------------------
    def save(self, path: str) -> None:
        torch.save({"config": {"alphas": list(self.alphas), "C": self.C}, "prior": dict(self.prior)}, path)

    def load(self, path: str) -> None:
        state = torch.load(path, weights_only=True)
        self.alphas = tuple(state["config"]["alphas"])
        self.C = float(state["config"]["C"])
        self.prior = {str(k): float(v) for k, v in state["prior"].items()}
