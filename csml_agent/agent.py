"""``CSMLAgent``: the causal-symbolic meta-learner behind the one Agent interface.

    agent = load_agent("csml_agent.agent:CSMLAgent", outer_steps=1500)
    agent.meta_train(suite.tasks(split="train"))          # history: list of dicts
    agent.predict(task)                                    # (n_queries,)
    agent.causal_graph("ramp")                             # bool adjacency over obs_names + outcome_names
    agent.save("csml.pt"); CSMLAgent().load("csml.pt")     # state dicts + JSON, weights_only load

The agent reads only what a task shows (names, support samples, queries); it never touches a
world's internals or a suite's declarations. A world it was not meta-trained on is answered with
the support set's mean (continuous) or majority (discrete) target.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from causalworld_bench.evaluation.ablation_graphs import ABLATION_GRAPHS, ablation_graph
from causalworld_bench.tasks import Task
from csml_agent.meta import (
    CSMLConfig,
    FAMILY_CODE,
    MetaTrainer,
    WorldModel,
    WorldSpec,
    build_world_data,
    do_column,
    fit_statistics,
    world_spec_from_tasks,
)


@contextlib.contextmanager
def _torch_threads(n: int) -> Iterator[None]:
    """The models are tiny: one thread is faster than many (and far faster on a loaded machine)."""
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


class CSMLAgent:
    """Causal-Symbolic Meta-Learning: perception -> K symbols -> learned DAG -> graph reasoning."""

    def __init__(
        self,
        K: int | None = None,
        d_z: int = 8,
        hidden: int = 48,
        d_task: int = 4,
        lam: float = 0.01,
        inner_steps: int = 3,
        inner_lr: float = 0.5,
        outer_steps: int = 1500,
        refit_steps: int = 400,
        obs_mode: str = "symbols",
        seed: int = 0,
        acyclicity: str = "expm",
        threshold: float = 0.15,
        batch_tasks: int = 12,
        lr: float = 3e-3,
        ctx_mult: float = 1.5,
        prop_edge_mult: float = 10.0,
        first_order: bool = False,
        time_budget_s: float | None = None,
        threads: int = 1,
        graph: str = "learned",
        **config: Any,
    ) -> None:
        """Main knobs as keyword arguments; any other field of :class:`~csml_agent.meta.CSMLConfig`
        (``log_every``, ``ckpt_every``, ``eval_samples``, ``acyclicity``, ...) may be passed too.
        ``K`` is the number of property symbols in pixels mode (ViT heads); in symbols mode the
        symbols are the world's observed variables and ``K`` must be left ``None``. ``graph`` other
        than ``"learned"`` replaces causal induction by a fixed ablation graph (``"true"``,
        ``"empty"``, ``"full"`` or ``"random"``, from
        :mod:`causalworld_bench.evaluation.ablation_graphs`; symbols mode only): the same training
        budget then goes to the mechanisms alone."""
        if obs_mode not in ("symbols", "pixels"):
            raise ValueError(f"CSML supports obs_mode 'symbols' or 'pixels', got {obs_mode!r}")
        if obs_mode == "symbols" and K is not None:
            raise ValueError("in symbols mode the K symbols are the world's observed variables: leave K=None")
        if graph != "learned" and graph not in ABLATION_GRAPHS:
            raise ValueError(f"graph must be 'learned' or one of {ABLATION_GRAPHS}, got {graph!r}")
        if graph != "learned" and obs_mode != "symbols":
            raise ValueError("graph ablations name the world's observed variables: symbols mode only")
        fields = set(CSMLConfig.__dataclass_fields__)
        unknown = sorted(set(config) - fields)
        if unknown:
            raise TypeError(f"unknown CSML options {unknown}")
        self.cfg = CSMLConfig(
            obs_mode=obs_mode, K=K, d_z=d_z, hidden=hidden, d_task=d_task, lam=lam, inner_steps=inner_steps,
            inner_lr=inner_lr, outer_steps=outer_steps, refit_steps=refit_steps, seed=seed, acyclicity=acyclicity,
            threshold=threshold, batch_tasks=batch_tasks, lr=lr, ctx_mult=ctx_mult, prop_edge_mult=prop_edge_mult,
            first_order=first_order, time_budget_s=time_budget_s, graph=graph, **config,
        )
        self.threads = threads
        self.models: dict[str, WorldModel] = {}
        self.history: list[dict] = []
        self.train_seconds: float | None = None

    @property
    def name(self) -> str:
        """``csml``, or ``csml-<graph>-graph`` for a graph ablation (its own leaderboard row)."""
        return "csml" if self.cfg.graph == "learned" else f"csml-{self.cfg.graph}-graph"

    # -- training -------------------------------------------------------------------------------------
    def _build(self, specs: dict[str, WorldSpec]) -> None:
        torch.manual_seed(self.cfg.seed)
        self.models = {w: WorldModel(spec, self.cfg, seed=self.cfg.seed + i) for i, (w, spec) in enumerate(sorted(specs.items()))}

    def meta_train(
        self,
        train_tasks: Sequence[Task],
        progress: bool = True,
        checkpoint_dir: str | Path | None = None,
        resume: bool = True,
        **_: object,
    ) -> list[dict]:
        """Meta-train on tasks with answers; returns the learning-curve history (list of dicts)."""
        tasks = [t for t in train_tasks if t.answers is not None]
        if not tasks:
            raise ValueError("meta_train needs training tasks with answers")
        bad = {t.obs_mode for t in tasks} - {self.cfg.obs_mode}
        if bad:
            raise ValueError(f"agent is configured for obs_mode {self.cfg.obs_mode!r}, tasks are in {sorted(bad)}")
        by_world: dict[str, list[Task]] = {}
        for t in tasks:
            by_world.setdefault(t.world, []).append(t)
        specs = {w: world_spec_from_tasks(w, ts, self.cfg) for w, ts in by_world.items()}
        self._build(specs)
        for w, ts in by_world.items():
            fit_statistics(self.models[w], ts)
            if self.cfg.graph != "learned":
                spec = specs[w]
                self.models[w].fix_graph(
                    ablation_graph(self.cfg.graph, w, spec.prop_names + spec.outcome_names, spec.n_props, self.cfg.seed)
                )
        pixels = self.cfg.obs_mode == "pixels"
        data = {w: build_world_data(specs[w], ts, pixels) for w, ts in by_world.items()}
        trainer = MetaTrainer(self.models, data, self.cfg)
        if checkpoint_dir is not None and resume:
            trainer.load_checkpoint(checkpoint_dir)
        with _torch_threads(self.threads):
            self.history = trainer.train(progress=progress, checkpoint_dir=checkpoint_dir)
        self.train_seconds = trainer.elapsed
        for m in self.models.values():
            m.eval()
        return self.history

    # -- answering ------------------------------------------------------------------------------------
    def predict(self, task: Task) -> np.ndarray:
        model = self.models.get(task.world)
        if model is None or (self.cfg.obs_mode == "symbols" and tuple(task.obs_names) != model.spec.obs_names):
            return _support_baseline(task)
        with _torch_threads(self.threads):
            return self._predict(model, task)

    def _predict(self, model: WorldModel, task: Task) -> np.ndarray:
        spec = model.spec
        p = spec.n_props
        with torch.no_grad():
            q_props = model.properties(torch.as_tensor(np.asarray(task.query_x))[None])
            fact = np.nan_to_num(np.asarray(task.query_factual, dtype=np.float32))
            v_pre = torch.cat([q_props, model.outcomes(torch.as_tensor(fact)[None])], dim=-1)
            if task.shots:
                sup_props = model.properties(torch.as_tensor(np.asarray(task.support_x))[None])
                v_sup = torch.cat([sup_props, model.outcomes(torch.as_tensor(task.support_outcomes, dtype=torch.float32)[None])], -1)
        if task.shots:
            with torch.enable_grad():
                tau = model.adapt(v_sup, torch.ones(1, task.shots), create_graph=False).detach()
        else:
            tau = model.reasoner.tau0.detach()
        fam = FAMILY_CODE[task.family]
        col = do_column(spec, task)
        with torch.no_grad():
            do_idx = torch.tensor([col])
            dc = max(col, 0)
            do_val = (torch.as_tensor(np.nan_to_num(np.asarray(task.query_do, dtype=np.float32)))[None] - model.std.mean[dc]) / model.std.std[dc]
            pred = model.answer(v_pre, tau, do_idx, do_val, torch.tensor([fam == 2]))
            j = p + spec.outcome_names.index(task.target)
            out = pred[0, :, j].double()
            if bool(model.reasoner.binary[j]):
                return (out > 0.5).double().numpy()
            return (out * model.std.std[j].double() + model.std.mean[j].double()).numpy()

    def causal_graph(self, world: str) -> np.ndarray | None:
        """Boolean adjacency over ``obs_names + outcome_names`` (``adj[i, j]``: i -> j).

        ``None`` for a world the agent was not trained on, and in pixels mode, where the agent is
        never told the full list of a world's observed properties (see :meth:`slot_graph`)."""
        model = self.models.get(world)
        if model is None or self.cfg.obs_mode != "symbols":
            return None
        return model.graph().astype(bool)

    def slot_graph(self, world: str) -> tuple[tuple[str, ...], np.ndarray] | None:
        """Pixels mode: (names, adjacency) over the named property slots and the outcomes; free
        latent slots are projected out (i -> j iff a directed path through latent slots only)."""
        model = self.models.get(world)
        if model is None:
            return None
        spec = model.spec
        keep = [i for i, n in enumerate(spec.prop_names) if not n.startswith("latent_")]
        keep += list(range(spec.n_props, spec.k))
        names = tuple((spec.prop_names + spec.outcome_names)[i] for i in keep)
        return names, _project(model.graph(), keep)

    # -- persistence -----------------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """``path`` (a .pt file of state dicts) plus ``path.json`` (config, world specs, history)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save({w: m.state_dict() for w, m in self.models.items()}, path)
        meta = {"config": self.cfg.to_dict(), "specs": {w: m.spec.to_dict() for w, m in self.models.items()},
                "history": self.history, "train_seconds": self.train_seconds, "threads": self.threads}
        Path(str(path) + ".json").write_text(json.dumps(meta, default=float))

    def load(self, path: str | Path) -> CSMLAgent:
        path = Path(path)
        meta = json.loads(Path(str(path) + ".json").read_text())
        self.cfg = CSMLConfig(**meta["config"])
        self.threads = int(meta.get("threads", 1))
        specs = {w: WorldSpec.from_dict(d) for w, d in meta["specs"].items()}
        self._build(specs)
        state = torch.load(path, weights_only=True)
        for w, m in self.models.items():
            m.load_state_dict(state[w])
            m.eval()
        self.history = list(meta.get("history", []))
        self.train_seconds = meta.get("train_seconds")
        return self


def _support_baseline(task: Task) -> np.ndarray:
    y = np.asarray(task.support_y, dtype=np.float64)
    y = y[np.isfinite(y)]
    if task.target_type == "continuous":
        value = float(y.mean()) if y.size else 0.0
    else:
        vals, counts = np.unique(np.rint(y), return_counts=True) if y.size else (np.array([0.0]), np.array([1]))
        value = float(vals[np.argmax(counts)])
    return np.full(task.n_queries, value)


def _project(dag: np.ndarray, keep: list[int]) -> np.ndarray:
    """Latent projection: i -> j among ``keep`` iff a directed path whose inner nodes are dropped."""
    n = dag.shape[0]
    drop = set(range(n)) - set(keep)
    out = np.zeros((len(keep), len(keep)), dtype=bool)
    pos = {k: a for a, k in enumerate(keep)}
    for src in keep:
        stack, seen = list(np.flatnonzero(dag[src])), set()
        while stack:
            node = int(stack.pop())
            if node in seen:
                continue
            seen.add(node)
            if node in drop:
                stack.extend(np.flatnonzero(dag[node]))
            else:
                out[pos[src], pos[node]] = True
    return out
