"""Bi-level meta-learning of CSML: the shared world model in the outer loop, the task in the inner.

Per world one :class:`WorldModel` (worlds have different variables): perception (standardiser +
symbol embedding, or a ViT in ``pixels`` mode), the causal graph (the first layers of the
mechanisms, see :mod:`csml_agent.reasoning`) and the mechanisms.

Inner loop (per task, ``torch.func.functional_call`` + ``torch.autograd.grad``)
    Only the task context ``tau`` (``reasoner.tau0``, d_task numbers that FiLM every mechanism's
    hidden layer) is adapted, by a few gradient steps on the task's support set (the
    teacher-forced fit of every mechanism on the k observational samples), starting from its
    meta-learned initialisation, with meta-learned per-step, per-dimension learning rates. This is
    where hidden task parameters (floor friction, the counterweight's stiffness, ...) are absorbed.
    With ``first_order=False`` the outer gradient flows through the inner steps (second order).

Outer loop (over batches of training tasks of one world)
    The graph, the confounding context, the mechanisms, the embeddings and the initialisations are
    updated on the loss, after adaptation, of

    * the support sets (observational fit: the NOTEARS score; the first ``k`` shots adapt, all of
      them score) and the fully observed factual samples that counterfactual tasks show;
    * every query with its answer (a random ``q_train`` of them per task, ``n_samples`` noise draws
      propagated): prediction queries by propagation, intervention queries by graph surgery,
      counterfactual queries by abduction-action-prediction, weighted ``int_weight`` for the two
      interventional families. Intervention and counterfactual answers are interventional data:
      they are what separates a cause's own effect from the latent material it stands in for
      (observationally a high release goes with a *short* roll), which observational data cannot. A query answer shapes the graph (first-layer weights) only at the
      mechanism of the variable it reports and, with ``do_source_grad``, at every outcome's reading
      of the intervened variable; elsewhere the graph weights are behind a stop-gradient, so a
      downstream loss cannot buy shortcut edges upstream (see ``GraphReasoner.mechanisms``);
    * ``lambda * sum_ij pen_ij W_ij`` (group lasso on the edges) + ``lambda * ctx_mult * sum B_ij``
      (the confounding context costs more than an edge: a dependence is taken as causal unless the
      interventional data refute it), see :meth:`MetaTrainer.regulariser`, + the
      augmented-Lagrangian acyclicity term on ``W o W``.

    Background knowledge used, and nothing else about a world: properties are set before the
    physics runs and outcomes are read after it, so outcome -> property edges are masked; and
    property -> property edges cost ``prop_edge_mult`` times more than others (a prior that
    properties of a scene are set by its construction or by a hidden common factor; the data of
    this benchmark never show post-intervention properties, so they cannot tell a property
    -> property edge from a shared latent anyway).

    Phases: ``outer_steps`` steps learn the graph (dual ascent every ``dual_every`` steps), then the
    weighted adjacency is thresholded to a DAG (:func:`csml_agent.causal_induction.to_dag`), the
    pruned edges are masked for good, and ``refit_steps`` steps refit the mechanisms on that graph.

Pixels mode supervision (honest account)
    Images come without symbols. The ViT's K heads are named: the first heads take the names of
    the variables that training tasks intervene on (the only property names a pixels agent is
    told), the rest are free latent slots. No head is ever regressed on a true property value.
    What ties a named head to its variable is the interventional loss: ``do(X = v)`` writes ``v``
    (in X's units) into X's slot, so the mechanisms downstream learn X's effect in X's units, and
    the perception head must put observed scenes on the same scale for the observational and
    counterfactual losses to agree. Slot statistics are taken from the intervention values of the
    training tasks. Property nodes get no reconstruction loss in pixels mode.

Training writes a history (list of dicts: step, world, phase, loss, support/query accuracy, h,
edges), shows tqdm progress, checkpoints (``torch.save`` of state dicts + a JSON sidecar) and
resumes from a checkpoint (``torch.load(weights_only=True)``).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call
from tqdm.auto import tqdm

from causalworld_bench.tasks import Task
from csml_agent.causal_induction import (
    AugmentedLagrangian,
    acyclicity,
    in_logdet_domain,
    longest_path,
    to_dag,
)
from csml_agent.perception import PixelEncoder, Standardizer, SymbolEmbedding
from csml_agent.reasoning import GraphReasoner

FAMILY_CODE = {"prediction": 0, "intervention": 1, "counterfactual": 2}


@dataclass
class CSMLConfig:
    obs_mode: str = "symbols"
    K: int | None = None  # pixels: number of property symbols (ViT heads); symbols: the world's
    d_z: int = 8
    hidden: int = 48
    d_task: int = 4
    lam: float = 0.01
    ctx_mult: float = 1.5
    prop_edge_mult: float = 10.0
    l2: float = 1e-4
    acyclicity: str = "expm"
    logdet_s: float = 1.0
    inner_steps: int = 3
    inner_lr: float = 0.5
    first_order: bool = False
    outer_steps: int = 1500
    refit_steps: int = 400
    batch_tasks: int = 12
    lr: float = 3e-3
    threshold: float = 0.15
    init_edge: float = 0.1  # group norm of every candidate edge at initialisation
    init_ctx: float = 0.1  # group norm of every context entry at initialisation
    dual_every: int = 100
    h_tol: float = 1e-8  # no dual step once the graph is acyclic to this tolerance
    rho_max: float = 1e6
    log_every: int = 50
    ckpt_every: int = 500
    seed: int = 0
    time_budget_s: float | None = None
    n_samples: int = 4  # noise draws propagated per query in training
    eval_samples: int = 8  # ... when answering
    q_train: int = 12  # queries per task scored per training step (a random subset)
    int_weight: float = 4.0  # weight of intervention and counterfactual query losses
    do_source_grad: bool = True  # interventional answers also teach every outcome how it reads do(X)
    vit_dim: int = 64
    vit_depth: int = 3
    graph: str = "learned"  # or a fixed ablation graph: "true", "empty", "full", "random" (symbols mode)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class WorldSpec:
    """What the agent knows of a world: names and which outcomes are binary (from the tasks)."""

    name: str
    prop_names: tuple[str, ...]  # symbols: obs_names; pixels: named slots then free ones
    outcome_names: tuple[str, ...]
    binary_outcomes: tuple[bool, ...]
    obs_names: tuple[str, ...] = ()  # what tasks call obs_names (empty in pixels mode)

    @property
    def n_props(self) -> int:
        return len(self.prop_names)

    @property
    def k(self) -> int:
        return len(self.prop_names) + len(self.outcome_names)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> WorldSpec:
        return cls(d["name"], tuple(d["prop_names"]), tuple(d["outcome_names"]), tuple(d["binary_outcomes"]),
                   tuple(d.get("obs_names", ())))


class WorldModel(nn.Module):
    """Perception + causal graph + mechanisms of one world."""

    def __init__(self, spec: WorldSpec, cfg: CSMLConfig, seed: int) -> None:
        super().__init__()
        self.spec, self.cfg = spec, cfg
        p, k = spec.n_props, spec.k
        self.std = Standardizer(k)
        self.embed = SymbolEmbedding(k, cfg.d_z, seed=seed)
        self.encoder = PixelEncoder(p, dim=cfg.vit_dim, depth=cfg.vit_depth) if cfg.obs_mode == "pixels" else None
        allowed = torch.ones(k, k, dtype=torch.bool)
        allowed[p:, :p] = False  # no outcome -> property edge (public background knowledge)
        binary = [False] * p + list(spec.binary_outcomes)
        self.reasoner = GraphReasoner(p, k - p, binary, cfg.d_z, cfg.hidden, cfg.d_task, seed=seed, allowed=allowed)
        with torch.no_grad():  # edges start weak (group norm init_edge) so h(W) starts small
            r = self.reasoner
            r.U.mul_(cfg.init_edge / r.U.flatten(2).norm(dim=-1).clamp_min(1e-8)[:, :, None, None])
            r.C.mul_(cfg.init_ctx / r.C.flatten(2).norm(dim=-1).clamp_min(1e-8)[:, :, None, None])
        self.log_inner_lr = nn.Parameter(torch.full((cfg.inner_steps, cfg.d_task), math.log(cfg.inner_lr)))
        pen = torch.ones(k, k)
        pen[:p, :p] = cfg.prop_edge_mult
        self.register_buffer("edge_penalty", pen)
        self.register_buffer("rounds", torch.tensor(k - p + 1))  # message-passing rounds
        nw = torch.ones(k)
        if cfg.obs_mode == "pixels":
            nw[:p] = 0.0
        self.register_buffer("node_weight", nw)
        self.register_buffer("graph_fixed", torch.tensor(False))

    # -- perception --------------------------------------------------------------------------------
    def properties(self, x: torch.Tensor) -> torch.Tensor:
        """Observations (..., P) raw symbols or (..., 64, 64, 3) images -> standardised property
        symbols (..., P)."""
        p = self.spec.n_props
        if self.encoder is None:
            return self.std(x.float(), slice(0, p))
        lead = x.shape[:-3]
        out = self.encoder(x.reshape(-1, *x.shape[-3:]))
        return out.reshape(*lead, p)

    def outcomes(self, o: torch.Tensor) -> torch.Tensor:
        return self.std(o.float(), slice(self.spec.n_props, self.spec.k))

    # -- the inner loop's objective (called through functional_call) -----------------------------
    def forward(self, v_sup: torch.Tensor, sup_w: torch.Tensor) -> torch.Tensor:
        r = self.reasoner
        return r.observational_loss(self.embed, self.std.mean, self.std.std, v_sup, r.tau0, self.node_weight, sup_w)

    def adapt(self, v_sup: torch.Tensor, sup_w: torch.Tensor, create_graph: bool) -> torch.Tensor:
        """Inner loop: the task contexts (T, d_task) after gradient steps on the support sets."""
        t = v_sup.shape[0]
        tau = self.reasoner.tau0.expand(t, -1)
        if not tau.requires_grad:
            tau = tau.detach().requires_grad_(True)
        if v_sup.shape[1] == 0 or float(sup_w.sum()) == 0.0:
            return tau
        lrs = self.log_inner_lr.exp()
        for s in range(self.cfg.inner_steps):
            loss = functional_call(self, {"reasoner.tau0": tau}, (v_sup, sup_w))
            (g,) = torch.autograd.grad(loss.sum(), tau, create_graph=create_graph)
            tau = tau - lrs[s] * g
        return tau

    def answer(self, v_pre: torch.Tensor, tau: torch.Tensor, do_idx: torch.Tensor, do_val: torch.Tensor,
               factual: torch.Tensor, rounds: int | None = None, n_samples: int | None = None,
               eps: torch.Tensor | None = None, own: torch.Tensor | None = None,
               own_source: torch.Tensor | None = None) -> torch.Tensor:
        return self.reasoner.answer(self.embed, self.std.mean, self.std.std, v_pre, tau, do_idx, do_val, factual,
                                    int(self.rounds) if rounds is None else rounds,
                                    self.cfg.eval_samples if n_samples is None else n_samples, eps, own, own_source)

    def graph(self) -> np.ndarray:
        """The boolean DAG over ``prop_names + outcome_names`` (thresholded now if not fixed yet)."""
        r = self.reasoner
        if bool(self.graph_fixed):
            return (r.hard_mask & r.allowed).cpu().numpy()
        w = r.adjacency().detach().double().cpu().numpy()
        return to_dag(w, self.cfg.threshold, r.allowed.cpu().numpy())

    def fix_graph(self, dag: np.ndarray | None = None) -> np.ndarray:
        """Fix the graph for good: the thresholded learned one, or ``dag`` (a graph ablation)."""
        dag = self.graph() if dag is None else np.asarray(dag, dtype=bool)
        self.reasoner.set_graph(torch.as_tensor(dag))
        self.rounds.fill_(max(1, longest_path(dag)))
        self.graph_fixed.fill_(True)
        return dag


# -- data -----------------------------------------------------------------------------------------------


@dataclass
class WorldData:
    """Training tasks of one world as padded tensors."""

    sup_x: torch.Tensor  # (T, S, P) or (T, S, 64, 64, 3)
    sup_o: torch.Tensor  # (T, S, O)
    sup_n: torch.Tensor  # (T,) support examples present
    q_x: torch.Tensor
    q_n: torch.Tensor  # (T,) queries present
    q_do_idx: torch.Tensor  # (T,) property column or -1
    q_do: torch.Tensor  # (T, Q) raw do values (0 where none)
    q_fact: torch.Tensor  # (T, Q, O) raw factual outcomes (0 where none)
    answers: torch.Tensor  # (T, Q)
    target: torch.Tensor  # (T,) outcome index
    family: torch.Tensor  # (T,)
    tol: torch.Tensor  # (T,) tolerance (nan for discrete targets)
    by_family: dict[int, torch.Tensor] = field(default_factory=dict)


def do_column(spec: WorldSpec, task: Task) -> int:
    if task.family == "prediction" or task.do_variable is None:
        return -1
    names = spec.prop_names
    return names.index(task.do_variable) if task.do_variable in names else -1


def _pad(arrays: list[np.ndarray], n: int, dtype) -> np.ndarray:
    out = np.zeros((len(arrays), n, *arrays[0].shape[1:]), dtype=dtype)
    for i, a in enumerate(arrays):
        out[i, : a.shape[0]] = np.nan_to_num(np.asarray(a, dtype=dtype)) if np.issubdtype(np.dtype(dtype), np.floating) else a
    return out


def build_world_data(spec: WorldSpec, tasks: Sequence[Task], pixels: bool) -> WorldData:
    xdtype = np.uint8 if pixels else np.float32
    s_max = max(t.shots for t in tasks)
    q_max = max(t.n_queries for t in tasks)
    o = len(spec.outcome_names)
    empty_x = (0, 64, 64, 3) if pixels else (0, spec.n_props)
    sup_x = [t.support_x if t.shots else np.zeros(empty_x, xdtype) for t in tasks]
    sup_o = [t.support_outcomes if t.shots else np.zeros((0, o)) for t in tasks]
    d = WorldData(
        sup_x=torch.as_tensor(_pad(sup_x, max(s_max, 1), xdtype)),
        sup_o=torch.as_tensor(_pad(sup_o, max(s_max, 1), np.float32)),
        sup_n=torch.as_tensor([t.shots for t in tasks]),
        q_x=torch.as_tensor(_pad([t.query_x for t in tasks], q_max, xdtype)),
        q_n=torch.as_tensor([t.n_queries for t in tasks]),
        q_do_idx=torch.as_tensor([do_column(spec, t) for t in tasks]),
        q_do=torch.as_tensor(_pad([np.asarray(t.query_do)[:, None] for t in tasks], q_max, np.float32)[..., 0]),
        q_fact=torch.as_tensor(_pad([t.query_factual for t in tasks], q_max, np.float32)),
        answers=torch.as_tensor(_pad([np.asarray(t.answers)[:, None] for t in tasks], q_max, np.float32)[..., 0]),
        target=torch.as_tensor([spec.outcome_names.index(t.target) for t in tasks]),
        family=torch.as_tensor([FAMILY_CODE[t.family] for t in tasks]),
        tol=torch.as_tensor([np.nan if t.tolerance is None else t.tolerance for t in tasks], dtype=torch.float32),
    )
    d.by_family = {f: torch.nonzero(d.family == f).flatten() for f in range(3) if bool((d.family == f).any())}
    return d


def world_spec_from_tasks(name: str, tasks: Sequence[Task], cfg: CSMLConfig) -> WorldSpec:
    t0 = tasks[0]
    outcomes = t0.outcome_names
    binary = []
    for j, o in enumerate(outcomes):
        types = {t.target_type for t in tasks if t.target == o}
        if types:
            binary.append(types == {"binary"})
        else:
            vals = np.concatenate([t.support_outcomes[:, j] for t in tasks])
            vals = vals[np.isfinite(vals)]
            binary.append(bool(vals.size) and bool(np.all((vals == 0) | (vals == 1))))
    if cfg.obs_mode == "pixels":
        named = sorted({t.do_variable for t in tasks if t.do_variable})
        k = cfg.K if cfg.K is not None else len(named) + 2
        if k < len(named):
            raise ValueError(f"K={k} is smaller than the {len(named)} intervened variables of world {name}")
        props = tuple(named) + tuple(f"latent_{i}" for i in range(k - len(named)))
        return WorldSpec(name, props, outcomes, tuple(binary), ())
    return WorldSpec(name, tuple(t0.obs_names), outcomes, tuple(binary), tuple(t0.obs_names))


def fit_statistics(model: WorldModel, tasks: Sequence[Task]) -> None:
    """Standardisation statistics of every node from the training tasks."""
    spec = model.spec
    p = spec.n_props
    outs = np.concatenate([t.support_outcomes for t in tasks if t.shots] or [np.zeros((0, spec.k - p))])
    if model.encoder is None:
        props = np.concatenate([t.support_x for t in tasks if t.shots] + [t.query_x for t in tasks])
        pm = Standardizer(p)
        pm.fit(props)
        om = Standardizer(spec.k - p)
        om.fit(outs)
    else:  # named slots: statistics of the intervention values; free slots: identity
        pm = Standardizer(p)
        cols = []
        for j, name in enumerate(spec.prop_names):
            v = np.concatenate([t.query_do for t in tasks if t.do_variable == name] or [np.zeros(0)])
            v = v[np.isfinite(v)]
            cols.append((j, v))
        rows = max([len(v) for _, v in cols] + [1])
        vals = np.full((rows, p), np.nan)
        for j, v in cols:
            vals[: len(v), j] = v
        pm.fit(vals)
        om = Standardizer(spec.k - p)
        om.fit(outs)
    model.std.mean.copy_(torch.cat([pm.mean, om.mean]))
    model.std.std.copy_(torch.cat([pm.std, om.std]))
    # binary nodes keep 0/1 scale as mechanism targets; inputs use the same standardisation


# -- the trainer ----------------------------------------------------------------------------------------


class MetaTrainer:
    """Runs the bi-level loop over every world's model; keeps history, checkpoints, resumes."""

    def __init__(self, models: dict[str, WorldModel], data: dict[str, WorldData], cfg: CSMLConfig) -> None:
        self.models, self.data, self.cfg = models, data, cfg
        self.gen = torch.Generator().manual_seed(cfg.seed)
        self.opts = {w: torch.optim.Adam(m.parameters(), lr=cfg.lr) for w, m in models.items()}
        self.als = {w: AugmentedLagrangian(rho_max=cfg.rho_max) for w in models}
        self.steps = {w: 0 for w in models}
        self.history: list[dict] = []
        self.elapsed = 0.0

    @property
    def steps_per_world(self) -> int:
        return self.cfg.outer_steps + self.cfg.refit_steps

    # -- one batch -------------------------------------------------------------------------------------
    def sample(self, world: str) -> torch.Tensor:
        d = self.data[world]
        per = max(1, self.cfg.batch_tasks // max(1, len(d.by_family)))
        idx = []
        for ids in d.by_family.values():
            pick = torch.randint(len(ids), (per,), generator=self.gen)
            idx.append(ids[pick])
        return torch.cat(idx)

    def batch_loss(self, world: str, idx: torch.Tensor, train: bool = True) -> tuple[torch.Tensor, dict]:
        m, d, cfg = self.models[world], self.data[world], self.cfg
        p, o = m.spec.n_props, len(m.spec.outcome_names)
        t = len(idx)
        s = d.sup_x.shape[1]
        sup_props = m.properties(d.sup_x[idx])
        v_sup = torch.cat([sup_props, m.outcomes(d.sup_o[idx])], dim=-1)
        present = (torch.arange(s)[None, :] < d.sup_n[idx][:, None]).float()
        if train:  # a random number of shots (0..all) adapts; all present support examples score
            k = (torch.rand(t, generator=self.gen) * (d.sup_n[idx].float() + 1)).floor()
        else:
            k = d.sup_n[idx].float()
        adapt_w = present * (torch.arange(s)[None, :] < k[:, None]).float()
        tau = m.adapt(v_sup, adapt_w, create_graph=train and not cfg.first_order)

        # observational score after adaptation: support sets + factual samples of counterfactual tasks
        sup_loss = m.reasoner.observational_loss(m.embed, m.std.mean, m.std.std, v_sup, tau, m.node_weight, present)
        fam = d.family[idx]
        qsel = torch.arange(d.q_x.shape[1])
        if train and cfg.q_train and cfg.q_train < len(qsel):
            qsel = torch.randperm(len(qsel), generator=self.gen)[: cfg.q_train].sort().values
        qn = len(qsel)
        q_present = (qsel[None, :] < d.q_n[idx][:, None]).float()
        q_props = m.properties(d.q_x[idx][:, qsel])
        fact = m.outcomes(d.q_fact[idx][:, qsel])
        v_pre = torch.cat([q_props, fact], dim=-1)
        is_cf = fam == 2
        fact_w = q_present * is_cf[:, None].float()
        fact_loss = m.reasoner.observational_loss(m.embed, m.std.mean, m.std.std, v_pre, tau, m.node_weight, fact_w)

        # queries
        do_idx = torch.where(fam == 0, torch.full_like(fam, -1), d.q_do_idx[idx])
        di = do_idx.clamp_min(0)
        do_val = (d.q_do[idx][:, qsel] - m.std.mean[di][:, None]) / m.std.std[di][:, None]
        col = p + d.target[idx]
        own = torch.arange(m.spec.k)[None, :] == col[:, None]
        own_src = None
        if cfg.do_source_grad:
            own_src = (torch.arange(m.spec.k)[None, :] == do_idx[:, None]) & (do_idx[:, None] >= 0)
        if train:
            eps = torch.randn(cfg.n_samples, m.spec.k, generator=self.gen)
            pred = m.answer(v_pre, tau, do_idx, do_val, is_cf, n_samples=cfg.n_samples, eps=eps, own=own,
                            own_source=own_src)
        else:
            pred = m.answer(v_pre, tau, do_idx, do_val, is_cf)
        pt = pred.gather(2, col[:, None, None].expand(t, qn, 1))[..., 0]
        ans = d.answers[idx][:, qsel]
        is_bin = m.reasoner.binary[col]
        mean_t, std_t = m.std.mean[col][:, None], m.std.std[col][:, None]
        ans_std = (ans - mean_t) / std_t
        cont_l = (pt - ans_std) ** 2
        bin_l = F.binary_cross_entropy(pt.clamp(1e-5, 1 - 1e-5), ans.clamp(0, 1), reduction="none")
        ql = torch.where(is_bin[:, None], bin_l, cont_l)
        q_loss = (ql * q_present).sum(1) / q_present.sum(1).clamp_min(1)

        fam_w = torch.where(fam == 0, 1.0, cfg.int_weight)
        loss = (q_loss * fam_w).sum() / fam_w.sum() + sup_loss.mean() + (fact_loss * is_cf.float()).sum() / max(1, int(is_cf.sum()))
        with torch.no_grad():
            val = pt * std_t + mean_t
            hit = torch.where(is_bin[:, None], (pt > 0.5).float() == ans, (val - ans).abs() <= d.tol[idx][:, None])
            q_acc = float((hit.float() * q_present).sum() / q_present.sum().clamp_min(1))
        info = {"query_loss": float(q_loss.mean().detach()), "support_loss": float(sup_loss.mean().detach()),
                "query_acc": q_acc}
        return loss, info

    def regulariser(self, world: str) -> tuple[torch.Tensor, float]:
        """Sparsity + acyclicity: ``lam * sum_ij pen_ij W_ij`` (group lasso on the edges; property ->
        property edges cost ``prop_edge_mult`` times more), ``lam * ctx_mult * sum_ij B_ij`` (a
        confounding context costs more than a causal edge: observational data cannot tell the two
        apart, so a dependence is taken as causal unless interventional answers refute it; for
        property nodes the context costs ``lam``), and the augmented-Lagrangian term on ``h(W o W)``."""
        m, cfg = self.models[world], self.cfg
        r = m.reasoner
        p = m.spec.n_props
        reg = cfg.l2 * (r.V.pow(2).sum() + r.out_w.pow(2).sum())
        b = r.context_adjacency()
        reg = reg + cfg.lam * (b[:, :p].sum() + cfg.ctx_mult * b[:, p:].sum())
        if bool(m.graph_fixed):
            return reg, 0.0
        reg = reg + cfg.lam * (r.adjacency() * m.edge_penalty).sum()
        h = acyclicity(r.adjacency(squared=True), cfg.acyclicity, cfg.logdet_s)
        reg = reg + self.als[world].penalty(h).to(reg.dtype)
        return reg, float(h.detach())

    @torch.no_grad()
    def support_accuracy(self, world: str, idx: torch.Tensor) -> float:
        """Target accuracy on the support examples themselves (propagated from their properties)."""
        m, d = self.models[world], self.data[world]
        p = m.spec.n_props
        s = d.sup_x.shape[1]
        with torch.enable_grad():
            v_sup = torch.cat([m.properties(d.sup_x[idx]), m.outcomes(d.sup_o[idx])], dim=-1)
            present = (torch.arange(s)[None, :] < d.sup_n[idx][:, None]).float()
            tau = m.adapt(v_sup.detach(), present, create_graph=False).detach()
        t = len(idx)
        pred = m.answer(v_sup, tau, torch.full((t,), -1), torch.zeros(t, s), torch.zeros(t, dtype=torch.bool))
        col = p + d.target[idx]
        pt = pred.gather(2, col[:, None, None].expand(t, s, 1))[..., 0]
        ans = d.sup_o[idx].gather(2, d.target[idx][:, None, None].expand(t, s, 1))[..., 0]
        is_bin = m.reasoner.binary[col]
        val = pt * m.std.std[col][:, None] + m.std.mean[col][:, None]
        hit = torch.where(is_bin[:, None], (pt > 0.5).float() == ans, (val - ans).abs() <= d.tol[idx][:, None])
        return float((hit.float() * present).sum() / present.sum().clamp_min(1))

    # -- the loop -------------------------------------------------------------------------------------
    def train(self, progress: bool = True, checkpoint_dir: str | Path | None = None) -> list[dict]:
        cfg = self.cfg
        total = self.steps_per_world * len(self.models)
        done = sum(self.steps.values())
        budget = cfg.time_budget_s
        start = time.perf_counter() - self.elapsed
        with tqdm(total=total, initial=done, desc="CSML meta-train", unit="step", disable=not progress) as bar:
            for wi, world in enumerate(sorted(self.models)):
                m, opt, al = self.models[world], self.opts[world], self.als[world]
                m.train()
                world_deadline = None
                if budget is not None:
                    left_worlds = len(self.models) - wi
                    world_deadline = time.perf_counter() + max(0.0, budget - (time.perf_counter() - start)) / left_worlds
                while self.steps[world] < self.steps_per_world:
                    step = self.steps[world]
                    if step == cfg.outer_steps and not bool(m.graph_fixed):
                        dag = m.fix_graph()
                        self.history.append({"step": step, "world": world, "event": "graph_fixed",
                                             "edges": int(dag.sum()), "rounds": int(m.rounds)})
                    if world_deadline is not None and time.perf_counter() > world_deadline:
                        if not bool(m.graph_fixed):  # out of time: fix the graph and stop this world
                            m.fix_graph()
                        self.history.append({"step": step, "world": world, "event": "time_budget"})
                        bar.update(self.steps_per_world - step)
                        self.steps[world] = self.steps_per_world
                        break
                    idx = self.sample(world)
                    loss, info = self.batch_loss(world, idx)
                    reg, h = self.regulariser(world)
                    total_loss = loss + reg
                    opt.zero_grad(set_to_none=True)
                    total_loss.backward()
                    torch.nn.utils.clip_grad_norm_(m.parameters(), 10.0)
                    u_before = m.reasoner.U.detach().clone() if cfg.acyclicity == "logdet" else None
                    opt.step()
                    if u_before is not None and not in_logdet_domain(m.reasoner.adjacency(squared=True).detach(),
                                                                     cfg.logdet_s, squared=True):
                        with torch.no_grad():  # left the log-det domain: undo and shrink the step
                            m.reasoner.U.copy_(u_before)
                        for g in opt.param_groups:
                            g["lr"] *= 0.5
                    self.steps[world] = step + 1
                    if not bool(m.graph_fixed) and (step + 1) % cfg.dual_every == 0 and h > cfg.h_tol:
                        al.update(h)
                    if step % cfg.log_every == 0 or step + 1 == self.steps_per_world:
                        rec = {"step": step, "world": world, "phase": "refit" if bool(m.graph_fixed) else "graph",
                               "loss": float(loss.detach()), **info, "support_acc": self.support_accuracy(world, idx),
                               "h": h, "edges": int(m.graph().sum()), "rho": al.rho, "alpha": al.alpha,
                               "time_s": round(time.perf_counter() - start, 2)}
                        self.history.append(rec)
                        bar.set_postfix(world=world, loss=f"{rec['loss']:.3f}", q_acc=f"{rec['query_acc']:.2f}")
                    bar.update()
                    if checkpoint_dir is not None and (step + 1) % cfg.ckpt_every == 0:
                        self.elapsed = time.perf_counter() - start
                        self.save_checkpoint(checkpoint_dir)
                m.eval()
        self.elapsed = time.perf_counter() - start
        if checkpoint_dir is not None:
            self.save_checkpoint(checkpoint_dir)
        return self.history

    # -- checkpoints ----------------------------------------------------------------------------------
    def save_checkpoint(self, directory: str | Path) -> None:
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        state = {
            "models": {w: m.state_dict() for w, m in self.models.items()},
            "opts": {w: o.state_dict() for w, o in self.opts.items()},
            "gen": self.gen.get_state(),
        }
        tmp = directory / "trainer.pt.tmp"
        torch.save(state, tmp)
        tmp.replace(directory / "trainer.pt")
        meta = {"config": self.cfg.to_dict(), "specs": {w: m.spec.to_dict() for w, m in self.models.items()},
                "steps": self.steps, "als": {w: a.state_dict() for w, a in self.als.items()},
                "history": self.history, "elapsed": self.elapsed}
        (directory / "trainer.json").write_text(json.dumps(meta, default=float))

    def load_checkpoint(self, directory: str | Path) -> bool:
        directory = Path(directory)
        if not (directory / "trainer.pt").is_file() or not (directory / "trainer.json").is_file():
            return False
        meta = json.loads((directory / "trainer.json").read_text())
        if meta["config"] != self.cfg.to_dict() or set(meta["specs"]) != set(self.models):
            raise ValueError(f"checkpoint in {directory} was made with another configuration or other worlds")
        state = torch.load(directory / "trainer.pt", weights_only=True)
        for w, m in self.models.items():
            m.load_state_dict(state["models"][w])
            self.opts[w].load_state_dict(state["opts"][w])
            self.als[w].load_state_dict(meta["als"][w])
        self.gen.set_state(state["gen"])
        self.steps = {w: int(v) for w, v in meta["steps"].items()}
        self.history = list(meta["history"])
        self.elapsed = float(meta["elapsed"])
        return True
