"""Graph-based reasoning: one mechanism per symbol, messages only along edges of the learned graph.

Node ``j`` (a property or an outcome) has a mechanism ::

    x_j = F_j( z_pa(j)  [post-intervention values of its parents, read through U_j],
               c_j      [pre-intervention values of the properties, read through C_j],
               tau      [the task's adapted context, by FiLM on the hidden layer] )  (+ u_j)

a small MLP evaluated for all nodes at once (dense tensors, adjacency-masked first layers).

* ``U`` (K x K x d_z x H) is the **directed graph**: ``W[i, j] = ||U[j, i]||`` (NOTEARS-MLP, see
  :func:`csml_agent.causal_induction.group_norm_adjacency`). Messages flow only where
  ``U[j, i] != 0``; after thresholding a hard mask zeroes every pruned edge.
* ``C`` (K x P x d_z x H) is the **confounding context**: it reads the *pre-intervention* values
  of properties (always observed in a query) and stands for latent common causes (a hidden
  material behind both the release point and the roll distance). ``B[i, j] = ||C[j, i]||`` is a
  learned bidirected adjacency. Because it reads pre-intervention values, ``do(release = v)`` moves
  the roll only through the release's own edge in ``U``; the material the pre-intervention release
  revealed stays as it was. This is the abduction of a unit's latent confounders from what the query
  shows of it before the intervention.
* ``tau`` (d_task) carries the hidden task parameters (friction, ...): the inner loop adapts it.

Queries (:meth:`GraphReasoner.answer`):

* prediction: clamp nothing, propagate outcomes from the observed properties;
* ``do(X = v)``: graph surgery -- X is clamped to v (its mechanism is cut), every other property
  keeps its value plus whatever its own mechanism's change passes down (exact abduction, since
  the pre-intervention properties are observed), outcomes are re-propagated;
* counterfactual: abduction of each outcome's residual ``u_j = x_j - F_j(factual)`` (continuous
  nodes; binary nodes by the closed form of a logistic-noise threshold model, see
  :func:`binary_counterfactual`), then action and prediction with the residuals held.

Where an outcome's noise is unknown (prediction, intervention) it is sampled from the mechanism's
heteroscedastic spread (a second, stop-gradient head) and the draws are propagated and averaged,
so a binary child of an uncertain continuous parent (``toppled`` of ``top_height``) gets a
probability rather than the verdict at the parent's mean.

Propagation runs ``rounds`` synchronous message-passing rounds; on a DAG ``rounds`` = its longest
path gives the exact topological-order result.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from csml_agent.causal_induction import group_norm_adjacency
from csml_agent.perception import SymbolEmbedding


def binary_counterfactual(logit_f: torch.Tensor, logit_cf: torch.Tensor, y_f: torch.Tensor) -> torch.Tensor:
    """P(Y_cf = 1 | factual Y = y_f) for ``Y = 1[logit + eps > 0]``, eps ~ Logistic(0, 1), the same
    eps in both worlds (abduction: the posterior of eps given ``y_f``, then prediction)::

        y_f = 1:  P(eps > -l_cf | eps > -l_f) = sigma(min(l_cf, l_f)) / sigma(l_f)
        y_f = 0:  P(eps > -l_cf | eps < -l_f) = max(0, sigma(l_cf) - sigma(l_f)) / (1 - sigma(l_f))
    """
    s_f, s_cf = torch.sigmoid(logit_f), torch.sigmoid(logit_cf)
    one = torch.sigmoid(torch.minimum(logit_cf, logit_f)) / s_f.clamp_min(1e-6)
    zero = (s_cf - s_f).clamp_min(0.0) / (1.0 - s_f).clamp_min(1e-6)
    return torch.where(y_f > 0.5, one, zero).clamp(0.0, 1.0)


class GraphReasoner(nn.Module):
    """Mechanisms of ``n_props`` property nodes followed by ``n_outcomes`` outcome nodes."""

    def __init__(
        self,
        n_props: int,
        n_outcomes: int,
        binary: Sequence[bool],
        d_z: int = 8,
        hidden: int = 48,
        d_task: int = 4,
        seed: int = 0,
        allowed: torch.Tensor | None = None,
    ) -> None:
        super().__init__()
        k = n_props + n_outcomes
        if len(binary) != k:
            raise ValueError(f"binary flags for {len(binary)} nodes, expected {k}")
        self.n_props, self.n_outcomes, self.k, self.d_z, self.hidden, self.d_task = n_props, n_outcomes, k, d_z, hidden, d_task
        g = torch.Generator().manual_seed(seed)

        def init(*shape: int, fan_in: int) -> nn.Parameter:
            return nn.Parameter(torch.randn(*shape, generator=g) / math.sqrt(fan_in))

        self.register_buffer("binary", torch.as_tensor(list(binary), dtype=torch.bool))
        # edge masks: allowed[i, j] means i -> j may exist (no self loops)
        allowed = torch.ones(k, k, dtype=torch.bool) if allowed is None else allowed.to(torch.bool).clone()
        allowed.fill_diagonal_(False)
        self.register_buffer("allowed", allowed)
        self.register_buffer("hard_mask", allowed.clone())  # replaced by the thresholded DAG
        ctx = torch.ones(k, n_props, dtype=torch.bool)  # node j may read pre-intervention property i
        ctx[torch.arange(n_props), torch.arange(n_props)] = False
        self.register_buffer("ctx_allowed", ctx)
        self.register_buffer("ctx_mask", ctx.clone())
        fan = max(1, (k + n_props) * d_z // 4)
        self.U = init(k, k, d_z, hidden, fan_in=fan)  # U[j, i]: how node j reads symbol i
        self.C = init(k, n_props, d_z, hidden, fan_in=fan)  # C[j, i]: how j reads pre-intervention i
        self.b1 = nn.Parameter(torch.zeros(k, hidden))
        self.V = init(k, hidden, hidden, fan_in=hidden)
        self.b2 = nn.Parameter(torch.zeros(k, hidden))
        self.out_w = init(k, hidden, 2, fan_in=hidden)  # [..., 0]: value (or logit), [..., 1]: log sigma
        self.out_w.data[..., 1] *= 0.1
        self.out_b = nn.Parameter(torch.zeros(k, 2))
        self.register_buffer("eps", torch.randn(64, k, generator=torch.Generator().manual_seed(1234 + k)))
        self.film = nn.Linear(d_task, 2 * k * hidden)
        # small but non-zero: with tau starting at 0, a zero FiLM weight would get no gradient (it is
        # proportional to tau) and tau none either (proportional to the weight): no adaptation ever
        nn.init.normal_(self.film.weight, std=0.1 / math.sqrt(d_task))
        nn.init.zeros_(self.film.bias)
        self.tau0 = nn.Parameter(torch.zeros(1, d_task))  # the task context's shared initialisation

    # -- the graph -----------------------------------------------------------------------------------
    def edge_mask(self) -> torch.Tensor:
        return self.allowed & self.hard_mask

    def masked_U(self) -> torch.Tensor:
        return self.U * self.edge_mask().T[:, :, None, None]  # U is indexed [target j, source i]

    def masked_C(self) -> torch.Tensor:
        return self.C * self.ctx_mask[:, :, None, None]

    def adjacency(self, squared: bool = False) -> torch.Tensor:
        """Weighted directed adjacency ``W[i, j] = ||U[j, i]||`` (``W o W`` if ``squared``)."""
        return group_norm_adjacency(self.masked_U(), squared=squared, eps=1e-12)

    def context_adjacency(self) -> torch.Tensor:
        """``B[i, j] = ||C[j, i]||``: how much node j's mechanism reads pre-intervention property i (P, K)."""
        return group_norm_adjacency(self.masked_C(), squared=False, eps=1e-12)

    def set_graph(self, dag: torch.Tensor) -> None:
        """Fix the directed graph to a boolean DAG (pruned edges are zeroed for good)."""
        dag = dag.to(torch.bool) & self.allowed
        self.hard_mask.copy_(dag)
        with torch.no_grad():
            self.U.mul_(dag.T[:, :, None, None].to(self.U.dtype))

    # -- mechanisms ----------------------------------------------------------------------------------
    def mechanisms(self, z: torch.Tensor, zc: torch.Tensor, tau: torch.Tensor,
                   own: torch.Tensor | None = None,
                   own_source: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Every node's mechanism: (value, log sigma), each (T, N, K). The value is the standardised
        mean of a continuous node or the logit of a binary one; sigma is the spread of a continuous
        node's noise (heteroscedastic, used to sample unknown noise when propagating).

        z: (T, N, K, d_z) embedded current values; zc: (T, N, P, d_z) embedded pre-intervention
        properties; tau: (T, d_task) or (1, d_task).

        ``own`` (T, K) bool, if given, marks per task the nodes whose graph weights (``U``, ``C``) may
        learn from this computation; the others see theirs through a stop-gradient. Query answers
        teach the graph only at the mechanism of the variable they report: otherwise a downstream
        loss buys shortcut edges upstream (``target_distance -> roll_distance`` to move a predicted
        distance across the line that a binary child thresholds).
        ``own_source`` (T, K) bool, if given, additionally lets every outcome node learn how it reads
        the marked source (the intervened variable): an interventional answer about a binary child
        (``toppled`` under ``do(push_speed)``) must be able to teach the continuous parent it
        thresholds (``push_speed -> top_height``), not only the child itself.
        The spread head reads the hidden layer through a stop-gradient, so fitting the spread never
        shapes the graph either: edges are chosen by the fit of the means (the NOTEARS score)."""
        u, c = self.masked_U(), self.masked_C()
        h = torch.einsum("tnid,jidh->tnjh", z, u)
        if self.n_props:
            h = h + torch.einsum("tnid,jidh->tnjh", zc, c)
        if own is not None:
            h_det = torch.einsum("tnid,jidh->tnjh", z, u.detach())
            if self.n_props:
                h_det = h_det + torch.einsum("tnid,jidh->tnjh", zc, c.detach())
            if own_source is not None:  # outcome nodes may learn how they read the intervened variable
                o = own_source[:, None, :, None].to(z.dtype)
                du = u - u.detach()  # zero-valued, carries the gradient of u
                extra = torch.einsum("tnid,jidh->tnjh", z * o, du)
                if self.n_props:
                    extra = extra + torch.einsum("tnid,jidh->tnjh", zc * o[:, :, : self.n_props], c - c.detach())
                outcome = torch.arange(self.k, device=z.device) >= self.n_props
                h_det = h_det + torch.where(outcome[None, None, :, None], extra, torch.zeros_like(extra))
            h = torch.where(own[:, None, :, None], h, h_det)
        h = h + self.b1
        gb = self.film(tau).view(tau.shape[0], 1, self.k, 2 * self.hidden)
        h = h * (1.0 + gb[..., : self.hidden]) + gb[..., self.hidden :]
        h = F.silu(h)
        h = F.silu(torch.einsum("tnjh,jhg->tnjg", h, self.V) + self.b2)
        value = torch.einsum("tnjg,jg->tnj", h, self.out_w[..., 0]) + self.out_b[:, 0]
        log_sig = torch.einsum("tnjg,jg->tnj", h.detach(), self.out_w[..., 1]) + self.out_b[:, 1]
        return value, log_sig.clamp(-7.0, 3.0)

    # -- queries -------------------------------------------------------------------------------------
    def answer(
        self,
        embed: SymbolEmbedding,
        mean: torch.Tensor,
        std: torch.Tensor,
        v_pre: torch.Tensor,
        tau: torch.Tensor,
        do_idx: torch.Tensor | None = None,
        do_val: torch.Tensor | None = None,
        factual: torch.Tensor | None = None,
        rounds: int = 2,
        n_samples: int = 1,
        eps: torch.Tensor | None = None,
        own: torch.Tensor | None = None,
        own_source: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Answer queries by propagation; returns (T, N, K): standardised expected values of
        continuous nodes and probabilities of binary nodes.

        v_pre: (T, N, K) standardised pre-intervention values; property columns observed, outcome
        columns are the factual outcomes where ``factual`` (T,) is True (counterfactual queries) and
        ignored elsewhere. do_idx: (T,) column of the intervened node or -1; do_val: (T, N) its
        standardised value. ``mean``/``std`` (K,) map binary probabilities to standardised units.

        Where an outcome's noise is unknown (prediction, intervention) it is sampled: ``n_samples``
        draws (``eps`` (S, K) standard normal, default a fixed set, so answers are deterministic)
        are propagated and averaged, so a binary child of an uncertain continuous parent gets a
        calibrated probability instead of the verdict at the parent's mean. Where it is known
        (counterfactual) the abducted residual is used instead.
        """
        t, n, k = v_pre.shape
        p, s_n = self.n_props, max(1, n_samples)
        binary = self.binary
        dev = v_pre.device
        known = torch.arange(k, device=dev) < p  # properties are always observed
        cf = torch.zeros(t, dtype=torch.bool, device=dev) if factual is None else factual
        cf3 = cf[:, None, None]
        v0 = torch.where(cf3 | known, v_pre, torch.zeros_like(v_pre))  # unknown outcomes start at their mean
        zc = embed(v_pre)[:, :, :p]
        f_pre, _ = self.mechanisms(embed(v0), zc, tau, own, own_source)
        # abduction: residuals of properties (always observed) and of factual continuous outcomes
        resid = torch.where(known | (cf3 & ~binary), v0 - f_pre, torch.zeros_like(v0))
        y_f = v0 * std + mean  # raw factual values (binary 0/1 where counterfactual)
        if do_idx is not None:
            clamp = (torch.arange(k, device=dev)[None, :] == do_idx[:, None])[:, None, :]  # (T, 1, K)
            dv = do_val[..., None].expand(t, n, k) if do_val is not None else v0
            clamp_val = torch.where(clamp, dv, v0)
        else:
            clamp = torch.zeros(t, 1, k, dtype=torch.bool, device=dev)
            clamp_val = v0

        def rep(x: torch.Tensor) -> torch.Tensor:  # (T, N, ...) -> (T, N * S, ...), sample-minor
            return x.unsqueeze(2).expand(t, n, s_n, *x.shape[2:]).reshape(t, n * s_n, *x.shape[2:])

        v0s, zcs, f_pres, resids, y_fs, clamp_vals = map(rep, (v0, zc, f_pre, resid, y_f, clamp_val))
        e = (self.eps[:s_n] if eps is None else eps[:s_n]).to(v_pre.dtype)
        if s_n == 1 and eps is None:
            e = torch.zeros_like(e)
        noise = e.repeat(n, 1)[None]  # (1, N * S, K)
        noise_on = ~cf3 & ~known & ~binary
        v = torch.where(clamp, clamp_vals, v0s)
        f, prob = f_pres, torch.sigmoid(f_pres)
        for _ in range(max(1, rounds)):
            f, log_sig = self.mechanisms(embed(v), zcs, tau, own, own_source)
            sample = f + resids + torch.where(noise_on, log_sig.exp() * noise, torch.zeros_like(f))
            prob = torch.sigmoid(f)
            prob = torch.where(cf3 & binary, binary_counterfactual(f_pres, f, y_fs), prob)
            new = torch.where(binary, (prob - mean) / std, sample)
            new = torch.where(known, v0s + (f - f_pres), new)  # properties: exact abduction
            v = torch.where(clamp, clamp_vals, new)
        out = torch.where(binary, prob, torch.where(known | clamp, v, f + resids))
        return out.view(t, n, s_n, k).mean(2)

    def observational_loss(self, embed: SymbolEmbedding, mean: torch.Tensor, std: torch.Tensor, v: torch.Tensor,
                           tau: torch.Tensor, node_weight: torch.Tensor, sample_weight: torch.Tensor | None = None
                           ) -> torch.Tensor:
        """Teacher-forced fit of every mechanism on fully observed samples v (T, N, K), standardised.
        Returns the per-task weighted mean loss (T,)."""
        z = embed(v)
        f, log_sig = self.mechanisms(z, z[:, :, : self.n_props], tau)
        raw = v * std + mean
        sq = (f - v) ** 2
        nll = 0.5 * (sq.detach() * torch.exp(-2.0 * log_sig)) + log_sig  # the spread, mean kept out
        outcome = torch.arange(self.k, device=v.device) >= self.n_props  # properties are never sampled
        per = torch.where(self.binary, F.binary_cross_entropy_with_logits(f, raw.clamp(0, 1), reduction="none"),
                          sq + torch.where(outcome, nll, torch.zeros_like(nll)))
        per = per * node_weight
        if sample_weight is None:
            return per.sum(-1).mean(-1)
        return (per.sum(-1) * sample_weight).sum(-1) / sample_weight.sum(-1).clamp_min(1.0)
