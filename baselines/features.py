"""Shared featurisation for the learned baselines (``symbols`` mode only).

A correlational learner answers a query from the observed properties with the intervened
variable's value *plugged in* (``x[do_variable] = do value``), the naive thing a model without a
causal graph can do, plus, for counterfactual queries, the factual outcomes it is shown.

Three levels:

* per-task helpers (:func:`plugin_x`, :func:`require_symbols`) for agents that fit one task at a time;
* :class:`FeatureSpace`, fitted on meta-training tasks, for agents that learn across tasks and
  worlds. Worlds have different numbers of variables, so every vector is padded to the largest
  world and carries a one-hot of its world, target and family. Layout of one input row::

      [ x (D) | do one-hot (D) | factual outcomes (O) | has factual (1) | world (W) | target (O) | family (3) ]

  ``x`` and outcomes are standardised with per-world statistics from the training tasks.
  Support examples are observational samples, encoded like prediction queries.

* :func:`encode_task` / :func:`collate`: whole tasks (support rows with their outcomes and target,
  query rows) stacked into padded tensors for agents that read a support set in one pass.

All learned baselines share one output head of size ``1 + C``: column 0 is a continuous target
(standardised; for counterfactual queries it is a *change* from the factual value), columns
``1..C`` are class logits of a binary/categorical target. :func:`head_loss` and
:meth:`FeatureSpace.decode` read that head.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from causalworld_bench.tasks import FAMILIES, Task

DISCRETE = ("binary", "categorical")


def require_symbols(task: Task, agent: str) -> None:
    """Every learned baseline reads the symbolic observation vector."""
    if task.obs_mode != "symbols":
        raise ValueError(
            f"{agent} works in 'symbols' mode only; task {task.task_id} is in {task.obs_mode!r} mode "
            "(use a 'symbols' suite, e.g. generate_suite(spec, 'symbols', path))"
        )


def do_index(task: Task) -> int | None:
    """Column of the intervened variable in ``task.obs_names`` (None without an intervention)."""
    if task.do_variable is None or task.family == "prediction":
        return None
    if task.do_variable not in task.obs_names:
        raise ValueError(f"task {task.task_id}: do variable {task.do_variable!r} is not observed")
    return task.obs_names.index(task.do_variable)


def plugin_x(task: Task) -> np.ndarray:
    """Query properties with the do value plugged into the intervened column, shape (q, D)."""
    x = np.array(task.query_x, dtype=np.float64, copy=True)
    j = do_index(task)
    if j is not None:
        has_do = np.isfinite(task.query_do)
        x[has_do, j] = task.query_do[has_do]
    return x


class FeatureSpace:
    """Padded, standardised inputs for every world seen in meta-training (see module docstring)."""

    def __init__(self, worlds: dict[str, dict]) -> None:
        # worlds[name] = {obs_names, outcome_names, obs_mean, obs_std, out_mean, out_std, n_classes}
        self.worlds = {w: worlds[w] for w in sorted(worlds)}
        self.world_names = list(self.worlds)
        self.D = max(len(v["obs_names"]) for v in self.worlds.values())
        self.O = max(len(v["outcome_names"]) for v in self.worlds.values())
        self.W = len(self.worlds)
        self.C = max(max(v["n_classes"]) for v in self.worlds.values())
        self.n_features = 2 * self.D + 2 * self.O + 1 + self.W + len(FAMILIES)
        self.n_out = 1 + self.C

    # -- fitting and (de)serialising ---------------------------------------------------------------
    @classmethod
    def fit(cls, tasks: Sequence[Task]) -> FeatureSpace:
        """Per-world statistics of properties and outcomes over the training tasks."""
        if not tasks:
            raise ValueError("meta_train needs at least one training task")
        xs: dict[str, list[np.ndarray]] = {}
        outs: dict[str, list[np.ndarray]] = {}
        first: dict[str, Task] = {}
        discrete: dict[str, set[int]] = {}
        for t in tasks:
            require_symbols(t, "FeatureSpace")
            first.setdefault(t.world, t)
            xs.setdefault(t.world, []).extend([t.support_x, t.query_x])
            outs.setdefault(t.world, []).append(t.support_outcomes)
            if t.target_type in DISCRETE:
                discrete.setdefault(t.world, set()).add(t.target_index)
        worlds = {}
        for w, t in first.items():
            x, o = np.concatenate(xs[w]), np.concatenate(outs[w])
            x = x if len(x) else np.zeros((1, len(t.obs_names)))  # (only 0-shot training tasks)
            o = o if len(o) else np.zeros((1, len(t.outcome_names)))
            n_classes = []
            for j in range(len(t.outcome_names)):
                col = o[:, j][np.isfinite(o[:, j])]
                is_discrete = j in discrete.get(w, set())
                n_classes.append(int(max(2, col.max() + 1)) if is_discrete and col.size else 2)
            worlds[w] = {
                "obs_names": list(t.obs_names), "outcome_names": list(t.outcome_names),
                "obs_mean": np.nanmean(x, 0).tolist(), "obs_std": _std(x).tolist(),
                "out_mean": np.nanmean(o, 0).tolist(), "out_std": _std(o).tolist(),
                "n_classes": n_classes,
            }
        return cls(worlds)

    def to_dict(self) -> dict:
        return {"worlds": self.worlds}

    @classmethod
    def from_dict(cls, d: dict) -> FeatureSpace:
        return cls(d["worlds"])

    # -- encoding ----------------------------------------------------------------------------------
    def _world(self, task: Task) -> dict:
        require_symbols(task, "this agent")
        if task.world not in self.worlds:
            raise ValueError(f"world {task.world!r} was not seen in meta_train (known: {self.world_names})")
        w = self.worlds[task.world]
        if tuple(w["obs_names"]) != tuple(task.obs_names) or tuple(w["outcome_names"]) != tuple(task.outcome_names):
            raise ValueError(f"task {task.task_id}: variables differ from the ones seen in meta_train")
        return w

    def _rows(self, task: Task, x: np.ndarray, family: str, do_j: int | None, factual: np.ndarray | None) -> np.ndarray:
        w = self._world(task)
        n, d, o = x.shape[0], len(w["obs_names"]), len(w["outcome_names"])
        D, O = self.D, self.O
        rows = np.zeros((n, self.n_features), dtype=np.float32)
        rows[:, :d] = np.nan_to_num((x - np.asarray(w["obs_mean"])) / np.asarray(w["obs_std"]))
        if do_j is not None:
            rows[:, D + do_j] = 1.0
        if factual is not None:
            f = (factual - np.asarray(w["out_mean"])) / np.asarray(w["out_std"])
            rows[:, 2 * D : 2 * D + o] = np.nan_to_num(f)
            rows[:, 2 * D + O] = 1.0
        base = 2 * D + O + 1
        rows[:, base + self.world_names.index(task.world)] = 1.0
        rows[:, base + self.W + task.target_index] = 1.0
        rows[:, base + self.W + O + FAMILIES.index(family)] = 1.0
        return rows

    def query_features(self, task: Task) -> np.ndarray:
        """(q, F): plugged-in properties, which variable was set, factual outcomes (counterfactual)."""
        factual = task.query_factual if task.family == "counterfactual" else None
        return self._rows(task, plugin_x(task), task.family, do_index(task), factual)

    def support_features(self, task: Task) -> np.ndarray:
        """(k, F): support examples encoded as observational (prediction) samples."""
        return self._rows(task, task.support_x, "prediction", None, None)

    def support_outcomes(self, task: Task) -> np.ndarray:
        """(k, O): every outcome of each support example, standardised and padded."""
        w = self._world(task)
        out = np.zeros((task.shots, self.O), dtype=np.float32)
        o = len(w["outcome_names"])
        out[:, :o] = (task.support_outcomes - np.asarray(w["out_mean"])) / np.asarray(w["out_std"])
        return np.nan_to_num(out)

    # -- targets -----------------------------------------------------------------------------------
    def is_continuous(self, task: Task) -> bool:
        return task.target_type not in DISCRETE

    def n_classes(self, task: Task) -> int:
        return int(self._world(task)["n_classes"][task.target_index])

    def _target_stats(self, task: Task) -> tuple[float, float]:
        w = self._world(task)
        return float(w["out_mean"][task.target_index]), float(w["out_std"][task.target_index])

    def query_base(self, task: Task) -> np.ndarray:
        """(q,) standardised factual target of continuous counterfactual queries, else 0: the head
        predicts the change from it (a residual connection every counterfactual model can use)."""
        if task.family != "counterfactual" or not self.is_continuous(task):
            return np.zeros(task.n_queries, dtype=np.float32)
        mean, std = self._target_stats(task)
        return np.nan_to_num((task.query_factual_y - mean) / std).astype(np.float32)

    def encode_y(self, task: Task, y: np.ndarray) -> np.ndarray:
        """Continuous: standardised float32; discrete: int64 class labels."""
        y = np.asarray(y, dtype=np.float64)
        if self.is_continuous(task):
            mean, std = self._target_stats(task)
            return ((y - mean) / std).astype(np.float32)
        return np.clip(np.rint(y), 0, self.n_classes(task) - 1).astype(np.int64)

    def decode(self, task: Task, head: np.ndarray, base: np.ndarray | None = None) -> np.ndarray:
        """Answers from head outputs (q, 1 + C): a value, or the most likely valid class."""
        head = np.asarray(head, dtype=np.float64)
        if self.is_continuous(task):
            mean, std = self._target_stats(task)
            z = head[:, 0] + (0.0 if base is None else base)
            return z * std + mean
        return np.argmax(head[:, 1 : 1 + self.n_classes(task)], axis=1).astype(np.float64)


def head_loss(out: torch.Tensor, y: torch.Tensor, continuous: bool, base: torch.Tensor | None = None) -> torch.Tensor:
    """Mean loss of head outputs (n, 1 + C) against standardised values or class labels."""
    if continuous:
        pred = out[:, 0] + (0.0 if base is None else base)
        return F.mse_loss(pred, y)
    return F.cross_entropy(out[:, 1:], y)


def mixed_head_loss(out: torch.Tensor, y_cont: torch.Tensor, y_cls: torch.Tensor, base: torch.Tensor) -> torch.Tensor:
    """Loss over a batch mixing continuous rows (``y_cls == -1``) and discrete rows."""
    is_cls = y_cls >= 0
    loss = out.new_zeros(())
    if (~is_cls).any():
        loss = loss + F.mse_loss(out[~is_cls, 0] + base[~is_cls], y_cont[~is_cls])
    if is_cls.any():
        loss = loss + F.cross_entropy(out[is_cls, 1:], y_cls[is_cls])
    return loss


def pooled_examples(space: FeatureSpace, tasks: Sequence[Task], with_support: bool = True) -> dict[str, np.ndarray]:
    """Every answered query (and, optionally, every support example as an observational sample of
    the task's target) of ``tasks`` as flat arrays: x, y_cont, y_cls (-1 = continuous), base."""
    xs, yc, yk, bs = [], [], [], []
    for t in tasks:
        if t.answers is None:
            raise ValueError(f"training task {t.task_id} has no answers")
        parts = [(space.query_features(t), t.answers, space.query_base(t))]
        if with_support and t.shots:
            parts.append((space.support_features(t), t.support_y, np.zeros(t.shots, dtype=np.float32)))
        for x, y, b in parts:
            enc = space.encode_y(t, y)
            xs.append(x)
            bs.append(b)
            if space.is_continuous(t):
                yc.append(enc)
                yk.append(np.full(len(y), -1, dtype=np.int64))
            else:
                yc.append(np.zeros(len(y), dtype=np.float32))
                yk.append(enc)
    return {"x": np.concatenate(xs), "y_cont": np.concatenate(yc), "y_cls": np.concatenate(yk), "base": np.concatenate(bs)}


def _std(a: np.ndarray) -> np.ndarray:
    s = np.nanstd(a, 0)
    return np.where(np.isfinite(s) & (s > 1e-8), s, 1.0)


def seed_everything(seed: int) -> torch.Generator:
    """Seed numpy's and torch's global generators; return a torch generator for local use."""
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run with ``n`` intra-op threads (restored afterwards). The baselines' networks are tiny:
    one thread is fastest, and on a busy 2-core machine more threads spin-wait (100x slower steps)."""
    if n is None:
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


# -- whole tasks as padded tensors (for agents that read a support set) ---------------------------
def encode_task(space: FeatureSpace, task: Task) -> dict:
    """One task as numpy arrays: support rows ``sx`` (k, F), all support outcomes ``so`` (k, O),
    the support target ``sy`` as ``[standardised value | class one-hot]`` (k, 1 + C) plus
    ``sy_cont``/``sy_cls`` (class -1 = continuous), query rows ``qx`` (q, F), residual base
    ``qbase`` (q,) and, for training tasks, ``qy_cont``/``qy_cls``."""
    continuous = space.is_continuous(task)
    k, q = task.shots, task.n_queries

    def targets(y: np.ndarray | None, n: int) -> tuple[np.ndarray, np.ndarray]:
        if y is None:
            return np.zeros(n, np.float32), np.full(n, -1, np.int64)
        enc = space.encode_y(task, y)
        if continuous:
            return np.nan_to_num(enc), np.full(n, -1, np.int64)
        return np.zeros(n, np.float32), enc

    sy_cont, sy_cls = targets(task.support_y, k)
    sy = np.zeros((k, space.n_out), np.float32)
    if continuous:
        sy[:, 0] = sy_cont
    else:
        sy[np.arange(k), 1 + sy_cls] = 1.0
    qy_cont, qy_cls = targets(task.answers, q)
    return {
        "sx": space.support_features(task), "so": space.support_outcomes(task), "sy": sy,
        "sy_cont": sy_cont, "sy_cls": sy_cls, "qx": space.query_features(task), "qbase": space.query_base(task),
        "qy_cont": qy_cont, "qy_cls": qy_cls, "continuous": continuous, "n_classes": space.n_classes(task),
        "world": space.world_names.index(task.world), "target": task.target_index,
    }


def collate(encoded: Sequence[dict], k: int, rng: np.random.Generator | None = None) -> dict[str, torch.Tensor]:
    """Stack tasks with ``k`` support examples each (a random subset when ``rng`` is given, else the
    first ``k``: support sets are nested) and queries padded to the longest (``qmask`` marks real ones)."""
    Q = max(e["qx"].shape[0] for e in encoded)
    out: dict[str, list] = {name: [] for name in ("sx", "so", "sy", "sy_cls", "qx", "qbase", "qy_cont", "qy_cls", "qmask")}
    for e in encoded:
        idx = rng.permutation(e["sx"].shape[0])[:k] if rng is not None else np.arange(k)
        for name in ("sx", "so", "sy", "sy_cls"):
            out[name].append(e[name][idx])
        q = e["qx"].shape[0]
        pad = Q - q
        out["qx"].append(np.pad(e["qx"], ((0, pad), (0, 0))))
        out["qbase"].append(np.pad(e["qbase"], (0, pad)))
        out["qy_cont"].append(np.pad(e["qy_cont"], (0, pad)))
        out["qy_cls"].append(np.pad(e["qy_cls"], (0, pad), constant_values=-1))
        out["qmask"].append(np.arange(Q) < q)
    batch = {name: torch.from_numpy(np.stack(v)) for name, v in out.items()}
    batch["world"] = torch.tensor([e["world"] for e in encoded])
    batch["target"] = torch.tensor([e["target"] for e in encoded])
    batch["continuous"] = torch.tensor([e["continuous"] for e in encoded])
    return batch


def batched_loss(head: torch.Tensor, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """:func:`mixed_head_loss` over the real query rows of a collated batch, head (B, Q, 1 + C)."""
    m = batch["qmask"]  # qy_cls is -1 on continuous tasks' rows
    return mixed_head_loss(head[m], batch["qy_cont"][m], batch["qy_cls"][m], batch["qbase"][m])
