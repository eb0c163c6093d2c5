"""DAGMA + fitted SCM: continuous (log-det acyclicity) DAG learning, then a fitted structural model.

Per world, from the pooled observational rows of the meta-training tasks (complete samples:
support examples and counterfactual queries' factual samples), standardised per variable:

1. learn a weighted DAG with the ``dagma`` package: ``DagmaLinear`` (least squares + L1, the
   default) or ``DagmaNonlinear`` over a ``DagmaMLP`` (``model="mlp"``, on a seeded subsample and
   a reduced iteration budget so meta-training stays within minutes on 2 cores). Outcome ->
   property edges are excluded (the public variable-kind order; ``tiers=False`` drops it);
2. threshold the weights at ``w_threshold``; should the result still hold a cycle, keep edges
   greedily by weight (:func:`baselines.graph_utils.orient_to_dag`);
3. fit the SCM of :mod:`baselines.fitted_scm` on that DAG and answer by propagation, graph surgery
   and abduction.

This is the NOTEARS family the CSML paper's causal-induction module belongs to, run here as a
separate, non-meta-learned step. The SHD of each learned graph is in the ``meta_train`` history.
"""

from __future__ import annotations

import contextlib
import functools
import os

import numpy as np

from baselines.fitted_scm import FittedSCMAgent
from baselines.graph_utils import orient_to_dag, tiers_allowed


@contextlib.contextmanager
def _quiet_dagma(*modules):
    """DAGMA draws a tqdm bar with no switch to turn it off: silence it while fitting."""
    from tqdm.auto import tqdm

    saved = [m.tqdm for m in modules]
    for m in modules:
        m.tqdm = functools.partial(tqdm, disable=True)
    try:
        with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
            yield
    finally:
        for m, t in zip(modules, saved):
            m.tqdm = t


class DagmaSCMAgent(FittedSCMAgent):
    name = "dagma-scm"

    def __init__(
        self,
        model: str = "linear",
        lambda1: float = 0.02,
        w_threshold: float = 0.3,
        max_rows: int | None = None,
        iterations: int | None = None,
        tiers: bool = True,
        regressor: str = "mlp",
        shrink: float = 2.0,
        seed: int = 0,
        progress: bool = False,
    ) -> None:
        super().__init__(regressor=regressor, shrink=shrink, seed=seed, progress=progress)
        if model not in ("linear", "mlp"):
            raise ValueError(f"model must be 'linear' or 'mlp', got {model!r}")
        self.model, self.lambda1, self.w_threshold, self.tiers = model, float(lambda1), float(w_threshold), bool(tiers)
        self.max_rows = max_rows if max_rows is not None else (None if model == "linear" else 1000)
        # final-stage iterations; warm-up stages run half as many (DAGMA's defaults: 6e4 / 8e4)
        self.iterations = int(iterations) if iterations is not None else (20000 if model == "linear" else 3000)
        self.weights: dict[str, np.ndarray] = {}

    def learn_graph(self, world, data, names, n_props):
        n = len(names)
        rows = data[np.all(np.isfinite(data), axis=1)]
        if self.max_rows is not None and len(rows) > self.max_rows:
            rng = np.random.default_rng(self.seed)
            rows = rows[np.sort(rng.choice(len(rows), self.max_rows, replace=False))]
        varying = np.flatnonzero(rows.std(axis=0) > 0)
        x = rows[:, varying]
        x = (x - x.mean(axis=0)) / x.std(axis=0)
        allowed = tiers_allowed(n_props, n - n_props)[np.ix_(varying, varying)] if self.tiers else None
        w_sub = self._fit_linear(x, allowed) if self.model == "linear" else self._fit_mlp(x, allowed)
        w = np.zeros((n, n))
        w[np.ix_(varying, varying)] = w_sub
        self.weights[world] = w
        return orient_to_dag(w != 0, np.zeros((n, n), dtype=bool), n_props if self.tiers else n, weights=w)

    def _fit_linear(self, x: np.ndarray, allowed: np.ndarray | None) -> np.ndarray:
        import dagma.linear
        from dagma.linear import DagmaLinear

        exclude = None
        if allowed is not None:
            off = [(int(i), int(j)) for i, j in np.argwhere(~allowed) if i != j]
            exclude = tuple(off) if off else None
        with _quiet_dagma(dagma.linear):
            return DagmaLinear(loss_type="l2").fit(
                x.copy(), lambda1=self.lambda1, w_threshold=self.w_threshold, T=4,
                warm_iter=self.iterations // 2, max_iter=self.iterations, exclude_edges=exclude,
            )

    def _fit_mlp(self, x: np.ndarray, allowed: np.ndarray | None) -> np.ndarray:
        import dagma.nonlinear
        import torch
        from dagma.nonlinear import DagmaMLP, DagmaNonlinear

        torch.manual_seed(self.seed)
        d = x.shape[1]
        dtype, threads = torch.get_default_dtype(), torch.get_num_threads()
        torch.set_num_threads(1)  # a 10-unit MLP on 1000 rows: threads only add overhead
        try:
            mlp = DagmaMLP(dims=[d, 10, 1], bias=True, dtype=torch.double)
            with _quiet_dagma(dagma.nonlinear):
                w = DagmaNonlinear(mlp, dtype=torch.double).fit(
                    x, lambda1=self.lambda1, lambda2=0.005, T=3,
                    warm_iter=self.iterations // 2, max_iter=self.iterations, w_threshold=self.w_threshold,
                )
        finally:
            torch.set_default_dtype(dtype)  # DagmaNonlinear.fit changes the global default dtype
            torch.set_num_threads(threads)
        if allowed is not None:
            w = np.where(allowed, w, 0.0)  # the MLP has no edge mask: drop forbidden edges afterwards
        return w

    def learner_info(self, world):
        w = self.weights.get(world)
        return {} if w is None else {"dagma_edges": int((w != 0).sum())}
