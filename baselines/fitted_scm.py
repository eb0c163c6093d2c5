"""A fitted structural causal model over a world's observed variables, given a DAG.

Shared machinery of the "neuro-symbolic" baselines (PC + SCM, DAGMA + SCM) and the fixed-graph
ablations (true, empty, full, random graph). A subclass of :class:`FittedSCMAgent` only says where
its graph comes from (:meth:`FittedSCMAgent.learn_graph`); everything else is here:

1. **Pooled data per world.** Every factual row of the world's meta-training tasks: support
   examples (all variables), prediction queries (properties + the answered target), counterfactual
   queries' factual samples (all variables) and intervention queries' pre-intervention properties.
   Unknown entries are NaN. Nodes are ``obs_names + outcome_names`` (properties first).
2. **One regressor per node on its parents** (:class:`FittedSCM`), fitted on the rows where the
   node and all its parents are known: a small MLP by default (smooth and nonlinear, which is what
   abduction needs: a counterfactual is ``x_j + f_j(pa') - f_j(pa)``), or gradient-boosted trees,
   cubic ridge, linear ridge. A node without parents is its pooled mean. A binary node is
   regressed on 0/1 and thresholded at 0.5; a categorical one is rounded. Fitting and prediction
   run single-threaded (see :func:`one_thread`).
3. **Per-task adaptation.** Mechanism constants (friction, gravity, ...) vary across tasks, so each
   node gets an offset from the task's support set: the mean residual of the node on the support
   examples, shrunk toward 0 (``sum(residuals) / (k + shrink)``).
4. **Answering** (:meth:`FittedSCM.answer`): every known value of a query has its additive noise
   abducted (``u_j = x_j - f_j(pa_j)``); ``do(X = v)`` cuts X's parents and clamps it (graph
   surgery); then, in topological order, every node that is unknown or a descendant of X is
   recomputed as ``f_j(pa_j) + u_j``, with the task's offset standing in for the noise of an
   unknown node. That is prediction (outcomes unknown, nothing clamped), intervention (properties
   known, so property descendants of X keep their abducted noise; outcomes unknown) and
   counterfactual (everything known: abduction, action, prediction) in one rule.

Trained state is saved as JSON (graphs, settings) plus ``.npz`` pooled data (no pickle): loading
refits the regressors, which is deterministic and takes seconds.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge, RidgeCV
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler
from threadpoolctl import ThreadpoolController

from baselines.graph_utils import shd, topological_order, true_observed_graph
from causalworld_bench.tasks import Task

REGRESSORS = ("gbm", "mlp", "poly", "linear")
MIN_ROWS = 8  # fewer known rows than this: the node is its pooled mean
_THREADS: ThreadpoolController | None = None


def one_thread():
    """Context limiting OpenMP and BLAS to one thread: these models are small (a few thousand rows,
    a few dozen per prediction) and run many times faster single-threaded than with threads
    contending for the 2 cores the benchmark budgets."""
    global _THREADS
    if _THREADS is None:
        _THREADS = ThreadpoolController()
    return _THREADS.limit(limits=1)


def make_regressor(kind: str, seed: int = 0):
    """A fresh scikit-learn regressor of the given kind (deterministic given ``seed``)."""
    if kind == "gbm":
        return HistGradientBoostingRegressor(
            max_iter=200, learning_rate=0.1, max_leaf_nodes=15, min_samples_leaf=20,
            l2_regularization=1.0, early_stopping=False, random_state=seed,
        )
    if kind == "mlp":
        mlp = MLPRegressor(hidden_layer_sizes=(64, 64), alpha=1e-4, batch_size=128, learning_rate_init=2e-3,
                           max_iter=100, n_iter_no_change=10, tol=1e-5, random_state=seed)
        return make_pipeline(StandardScaler(), TransformedTargetRegressor(mlp, transformer=StandardScaler()))
    if kind == "poly":
        return make_pipeline(StandardScaler(), PolynomialFeatures(3), StandardScaler(),
                             RidgeCV(alphas=np.logspace(-3, 3, 13)))
    if kind == "linear":
        return make_pipeline(StandardScaler(), Ridge(alpha=1.0))
    raise ValueError(f"unknown regressor {kind!r}; choose one of {', '.join(REGRESSORS)}")


class FittedSCM:
    """Additive-noise SCM ``x_j = f_j(pa_j) + u_j`` over ``names`` with DAG ``adj`` (``adj[i, j]``: i -> j)."""

    def __init__(self, names: Sequence[str], adj: np.ndarray, regressor: str = "mlp", seed: int = 0) -> None:
        self.names = tuple(names)
        self.adj = np.asarray(adj, dtype=bool)
        if self.adj.shape != (len(self.names), len(self.names)):
            raise ValueError(f"adjacency {self.adj.shape} does not match {len(self.names)} nodes")
        self.order = topological_order(self.adj)  # raises on a cycle
        self.parents = [np.flatnonzero(self.adj[:, j]) for j in range(len(self.names))]
        self.regressor, self.seed = regressor, seed
        self.models: list = [None] * len(self.names)
        self.mean = np.zeros(len(self.names))
        self.lo = np.zeros(len(self.names))
        self.hi = np.zeros(len(self.names))
        self.discrete = np.zeros(len(self.names), dtype=bool)
        self.binary = np.zeros(len(self.names), dtype=bool)

    def fit(self, data: np.ndarray) -> FittedSCM:
        """Fit every node on its parents from ``data`` (rows x nodes, NaN = unknown)."""
        data = np.asarray(data, dtype=np.float64)
        for j in range(len(self.names)):
            col = data[:, j][np.isfinite(data[:, j])]
            self.mean[j] = col.mean() if col.size else 0.0
            self.lo[j], self.hi[j] = (col.min(), col.max()) if col.size else (0.0, 0.0)
            values = np.unique(col)
            self.discrete[j] = col.size > 0 and values.size <= 10 and bool(np.all(values == np.rint(values)))
            self.binary[j] = self.discrete[j] and set(values.tolist()) <= {0.0, 1.0}
            pa = self.parents[j]
            if pa.size == 0:
                continue
            rows = np.isfinite(data[:, j]) & np.all(np.isfinite(data[:, pa]), axis=1)
            if rows.sum() < MIN_ROWS:
                continue
            y = data[rows, j]
            if np.ptp(y) == 0:
                self.mean[j] = y[0]
                continue
            with warnings.catch_warnings():  # the MLP's epoch cap is deliberate (time budget)
                warnings.simplefilter("ignore", ConvergenceWarning)
                self.models[j] = make_regressor(self.regressor, self.seed).fit(data[rows][:, pa], y)
        return self

    def f(self, j: int, values: np.ndarray) -> np.ndarray:
        """The node's mechanism without noise, ``f_j(pa_j)``, for rows of ``values`` (n, nodes)."""
        if self.models[j] is None:
            return np.full(values.shape[0], self.mean[j])
        return self.models[j].predict(values[:, self.parents[j]])

    def _finish(self, j: int, v: np.ndarray) -> np.ndarray:
        if self.binary[j]:
            return (v >= 0.5).astype(np.float64)
        if self.discrete[j]:
            return np.clip(np.rint(v), self.lo[j], self.hi[j])
        return v

    def residuals(self, values: np.ndarray, nodes: np.ndarray | None = None) -> np.ndarray:
        """Abducted additive noise ``x_j - f_j(pa_j)`` where the node and its parents are known, else
        NaN; only for the ``nodes`` mask if given (each node costs one regressor call)."""
        out = np.full(values.shape, np.nan)
        for j in range(len(self.names)) if nodes is None else np.flatnonzero(nodes):
            known = np.isfinite(values[:, j]) & np.all(np.isfinite(values[:, self.parents[j]]), axis=1)
            if known.any():
                out[known, j] = values[known, j] - self.f(j, values[known])
        return out

    def task_offsets(self, support: np.ndarray, nodes: np.ndarray | None = None, shrink: float = 2.0) -> np.ndarray:
        """Per-task noise offset of each node (of the ``nodes`` mask): its mean residual on the
        task's support examples, shrunk toward 0 with a prior weight of ``shrink`` examples."""
        if len(support) == 0:
            return np.zeros(len(self.names))
        res = self.residuals(support, nodes)
        return np.nansum(res, axis=0) / (np.isfinite(res).sum(axis=0) + shrink)

    def answer(
        self,
        known: np.ndarray,
        do_index: int | None = None,
        do_values: np.ndarray | None = None,
        offsets: np.ndarray | None = None,
    ) -> np.ndarray:
        """Values of every node for each row of ``known`` (n, nodes; NaN = unknown) under ``do``.

        Abduction (noise of known nodes), action (cut and clamp ``do_index``), prediction
        (recompute unknown nodes and descendants of the intervened node in topological order).
        """
        values = np.array(known, dtype=np.float64, copy=True)
        offsets = np.zeros(len(self.names)) if offsets is None else offsets
        affected = np.zeros(len(self.names), dtype=bool)
        if do_index is not None:
            reach = self.adj.copy()
            for k in range(len(self.names)):
                reach |= np.outer(reach[:, k], reach[k])
            affected = reach[do_index].copy()
        # abduction: only a known node that will be recomputed needs its noise
        noise = self.residuals(values, affected & np.isfinite(values).any(axis=0))
        if do_index is not None:
            values[:, do_index] = do_values
        for j in self.order:
            if j == do_index:
                continue
            redo = ~np.isfinite(values[:, j]) | affected[j]
            if not redo.any():
                continue
            u = np.where(np.isfinite(noise[redo, j]), noise[redo, j], offsets[j])
            values[redo, j] = self._finish(j, self.f(j, values[redo]) + u)
        return values


def require_symbols(task: Task) -> None:
    if task.obs_mode != "symbols" or not task.obs_names:
        raise ValueError(f"fitted-SCM agents read named symbols; task {task.task_id} is in {task.obs_mode!r} mode")


def task_rows(task: Task, answered: bool = True) -> np.ndarray:
    """The factual rows a task shows (nodes = ``obs_names + outcome_names``; NaN = unknown)."""
    d, o = len(task.obs_names), len(task.outcome_names)
    rows = [np.hstack([task.support_x, task.support_outcomes])]
    q = np.full((task.n_queries, d + o), np.nan)
    q[:, :d] = task.query_x
    if task.family == "prediction" and answered and task.answers is not None:
        q[:, d + task.target_index] = task.answers
    elif task.family == "counterfactual":
        q[:, d:] = task.query_factual
    rows.append(q)
    return np.vstack(rows).astype(np.float64)


class FittedSCMAgent:
    """Base agent: a DAG per world (from :meth:`learn_graph`) plus a fitted SCM per world.

    ``regressor``: ``mlp`` | ``gbm`` | ``poly`` | ``linear``; ``shrink``: prior weight (in examples) of the
    per-task offset toward 0; ``seed``: regressors' and graph learners' randomness.
    """

    name = "fitted-scm"
    version = "1"

    def __init__(self, regressor: str = "mlp", shrink: float = 2.0, seed: int = 0, progress: bool = False) -> None:
        if regressor not in REGRESSORS:
            raise ValueError(f"unknown regressor {regressor!r}; choose one of {', '.join(REGRESSORS)}")
        self.regressor, self.shrink, self.seed, self.progress = regressor, float(shrink), int(seed), progress
        self.names: dict[str, tuple[str, ...]] = {}
        self.n_props: dict[str, int] = {}
        self.graphs: dict[str, np.ndarray] = {}
        self.data: dict[str, np.ndarray] = {}
        self.scms: dict[str, FittedSCM] = {}

    # -- where the graph comes from ----------------------------------------------------------------
    def learn_graph(self, world: str, data: np.ndarray, names: tuple[str, ...], n_props: int) -> np.ndarray:
        """A DAG over ``names`` (properties first) from the world's pooled rows (NaN = unknown)."""
        raise NotImplementedError

    def learner_info(self, world: str) -> dict:
        """Extra per-world facts for the training history (e.g. the raw learned graph)."""
        return {}

    # -- meta-training -----------------------------------------------------------------------------
    def meta_train(self, train_tasks: Sequence[Task], **_: object) -> dict:
        start = time.perf_counter()
        by_world: dict[str, list[Task]] = {}
        for t in train_tasks:
            require_symbols(t)
            by_world.setdefault(t.world, []).append(t)
        history: dict = {"worlds": {}}
        for world in sorted(by_world):
            tasks = by_world[world]
            self.names[world] = tuple(tasks[0].obs_names + tasks[0].outcome_names)
            self.n_props[world] = len(tasks[0].obs_names)
            self.data[world] = np.vstack([task_rows(t) for t in tasks])
            t0 = time.perf_counter()
            adj = np.asarray(self.learn_graph(world, self.data[world], self.names[world], self.n_props[world]), dtype=bool)
            t1 = time.perf_counter()
            self._fit(world, adj)
            t2 = time.perf_counter()
            history["worlds"][world] = {
                "nodes": list(self.names[world]), "n_edges": int(adj.sum()), "shd": self._shd(world),
                "rows": int(len(self.data[world])), "graph_s": round(t1 - t0, 3), "fit_s": round(t2 - t1, 3),
                **self.learner_info(world),
            }
        history["seconds"] = round(time.perf_counter() - start, 3)
        return history

    def _fit(self, world: str, adj: np.ndarray) -> None:
        self.graphs[world] = adj
        with one_thread():
            self.scms[world] = FittedSCM(self.names[world], adj, self.regressor, self.seed).fit(self.data[world])

    def _shd(self, world: str) -> int | None:
        try:
            return shd(self.graphs[world], true_observed_graph(world, self.names[world]))
        except (ValueError, KeyError):  # a world this package does not know: nothing to compare with
            return None

    # -- answering ---------------------------------------------------------------------------------
    def causal_graph(self, world: str) -> np.ndarray | None:
        return self.graphs[world].copy() if world in self.graphs else None

    def predict(self, task: Task) -> np.ndarray:
        require_symbols(task)
        scm = self.scms.get(task.world)
        names = tuple(task.obs_names + task.outcome_names)
        if scm is None or scm.names != names:
            raise ValueError(f"{self.name}: world {task.world!r} was not meta-trained (or its variables changed)")
        d, t = len(task.obs_names), len(task.obs_names) + task.target_index
        support = np.hstack([task.support_x, task.support_outcomes]).astype(np.float64)
        known = task_rows(task, answered=False)[len(support):]
        do = None
        if task.family != "prediction" and task.do_variable is not None:
            do = names.index(task.do_variable)
        if task.family != "counterfactual":
            known[:, d:] = np.nan  # outcomes of prediction / intervention queries are unknown
        with one_thread():
            offsets = scm.task_offsets(support, np.arange(len(names)) >= d, self.shrink)
            return scm.answer(known, do, task.query_do if do is not None else None, offsets)[:, t]

    # -- persistence: JSON + npz, no pickle --------------------------------------------------------
    def save(self, path: str | Path) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        meta = {
            "agent": type(self).__name__, "regressor": self.regressor, "shrink": self.shrink, "seed": self.seed,
            "worlds": {w: {"names": list(self.names[w]), "n_props": self.n_props[w],
                           "adjacency": self.graphs[w].astype(int).tolist()} for w in self.graphs},
        }
        (path / "fitted_scm.json").write_text(json.dumps(meta, indent=1))
        np.savez(path / "pooled_data.npz", **{w: self.data[w] for w in self.graphs})

    def load(self, path: str | Path) -> None:
        path = Path(path)
        meta = json.loads((path / "fitted_scm.json").read_text())
        self.regressor, self.shrink, self.seed = meta["regressor"], float(meta["shrink"]), int(meta["seed"])
        with np.load(path / "pooled_data.npz", allow_pickle=False) as z:
            for w, info in meta["worlds"].items():
                self.names[w], self.n_props[w], self.data[w] = tuple(info["names"]), int(info["n_props"]), z[w]
                self._fit(w, np.array(info["adjacency"], dtype=bool))
