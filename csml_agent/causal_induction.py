"""Differentiable causal induction: a weighted adjacency over the K symbols, made a DAG.

Objective (NOTEARS, Zheng et al. 2018)::

    min_W  fit(W) + lambda * |W|_1     subject to   h(W) = 0

solved by the augmented Lagrangian ``fit + lambda |W|_1 + alpha h(W) + rho/2 h(W)^2`` with the
usual dual ascent (``alpha += rho h``; ``rho *= 10`` while ``h`` does not shrink by a quarter).

Two acyclicity functions, both zero exactly on DAGs:

* :func:`h_expm` (NOTEARS): ``tr(exp(W o W)) - K``. Computed in float64: ``exp`` of a 10x10 matrix
  with entries of a few units already overflows the float32 range of intermediate products.
* :func:`h_logdet` (DAGMA, Bello et al. 2022): ``-log det(s I - W o W) + K log s``, defined only
  where ``s I - W o W`` is an M-matrix, i.e. ``s`` exceeds the spectral radius of ``W o W``
  (a non-negative matrix). :func:`in_logdet_domain` checks that; the solvers shrink their step
  (or rescale ``W`` back in) when an update leaves the domain.

In CSML the adjacency is read off the mechanisms of the reasoning module (NOTEARS-MLP, Zheng et
al. 2020): ``W[i, j] = || first-layer weights of node j's mechanism that read symbol i ||_2``
(:func:`group_norm_adjacency`), so a zero entry means "j's mechanism does not read i", and
acyclicity and sparsity act on what the mechanisms actually use.

:func:`to_dag` thresholds a weighted adjacency and breaks any remaining cycle by dropping its
weakest edge. :func:`notears_linear` / :func:`dagma_linear` are the plain linear solvers on a data
matrix (used by the tests and as a standalone tool).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla
import scipy.optimize as sopt
import torch
from threadpoolctl import threadpool_limits

# -- acyclicity ------------------------------------------------------------------------------------


def h_expm(w: torch.Tensor) -> torch.Tensor:
    """NOTEARS acyclicity ``tr(exp(W o W)) - K`` (float64; differentiable)."""
    w = w.to(torch.float64)
    k = w.shape[-1]
    return torch.linalg.matrix_exp(w * w).diagonal(dim1=-2, dim2=-1).sum(-1) - k


def h_expm_sq(ww: torch.Tensor) -> torch.Tensor:
    """``h_expm`` given the already squared, non-negative ``W o W`` (avoids a square root)."""
    ww = ww.to(torch.float64)
    return torch.linalg.matrix_exp(ww).diagonal(dim1=-2, dim2=-1).sum(-1) - ww.shape[-1]


def spectral_radius(ww: np.ndarray | torch.Tensor) -> float:
    a = ww.detach().cpu().numpy() if isinstance(ww, torch.Tensor) else np.asarray(ww)
    return float(np.max(np.abs(np.linalg.eigvals(a.astype(np.float64))))) if a.size else 0.0


def in_logdet_domain(w: torch.Tensor | np.ndarray, s: float = 1.0, squared: bool = False) -> bool:
    """Is ``s I - W o W`` an M-matrix (``s`` > spectral radius of the non-negative ``W o W``)?"""
    ww = w if squared else (w * w)
    return spectral_radius(ww) < s


def h_logdet(w: torch.Tensor, s: float = 1.0, squared: bool = False) -> torch.Tensor:
    """DAGMA acyclicity ``-log det(s I - W o W) + K log s`` (float64). Raises ``ValueError`` outside
    the M-matrix domain, where the value would be meaningless (callers shrink their step)."""
    ww = (w if squared else w * w).to(torch.float64)
    k = ww.shape[-1]
    if not in_logdet_domain(ww, s, squared=True):
        raise ValueError(f"s I - W o W is not an M-matrix (spectral radius {spectral_radius(ww):.4g} >= s = {s})")
    eye = torch.eye(k, dtype=torch.float64, device=ww.device)
    sign, logabsdet = torch.linalg.slogdet(s * eye - ww)
    if sign.item() <= 0:
        raise ValueError("s I - W o W has a non-positive determinant")
    return -logabsdet + k * np.log(s)


def acyclicity(ww: torch.Tensor, kind: str = "expm", s: float = 1.0) -> torch.Tensor:
    """``h`` of a squared adjacency ``W o W`` by name (``expm`` or ``logdet``)."""
    if kind == "expm":
        return h_expm_sq(ww)
    if kind == "logdet":
        return h_logdet(ww, s, squared=True)
    raise ValueError(f"unknown acyclicity {kind!r}; choose 'expm' or 'logdet'")


def group_norm_adjacency(first_layer: torch.Tensor, squared: bool = False, eps: float = 0.0) -> torch.Tensor:
    """``W[i, j] = ||first_layer[j, i]||_2`` for first-layer weights of shape (K_out, K_in, ...).

    With ``squared`` returns ``W o W`` (the sum of squares, what ``h`` needs, smooth at 0)."""
    sq = first_layer.pow(2).flatten(2).sum(-1).transpose(0, 1)
    return sq if squared else torch.sqrt(sq + eps)


# -- augmented Lagrangian -------------------------------------------------------------------------


@dataclass
class AugmentedLagrangian:
    """State of the dual ascent for ``h(W) = 0``: ``penalty(h) = alpha h + rho/2 h^2``."""

    rho: float = 1.0
    alpha: float = 0.0
    rho_max: float = 1e16
    h_prev: float = float("inf")
    progress: float = 0.25  # rho grows tenfold unless h shrank below progress * h_prev

    def penalty(self, h: torch.Tensor) -> torch.Tensor:
        return self.alpha * h + 0.5 * self.rho * h * h

    def update(self, h: float) -> None:
        """One dual step after an (approximate) primal minimisation."""
        if h > self.progress * self.h_prev and self.rho < self.rho_max:
            self.rho = min(self.rho * 10.0, self.rho_max)
        self.alpha += self.rho * h
        self.h_prev = h

    def state_dict(self) -> dict:
        return {"rho": self.rho, "alpha": self.alpha, "h_prev": self.h_prev}

    def load_state_dict(self, d: dict) -> None:
        self.rho, self.alpha, self.h_prev = float(d["rho"]), float(d["alpha"]), float(d["h_prev"])


# -- from weights to a DAG ---------------------------------------------------------------------------


def find_cycle(adj: np.ndarray) -> list[int] | None:
    """Nodes of one directed cycle of ``adj`` (in order), or None if it is a DAG."""
    adj = np.asarray(adj, dtype=bool)
    n = adj.shape[0]
    color = np.zeros(n, dtype=int)  # 0 new, 1 on stack, 2 done
    parent = -np.ones(n, dtype=int)
    for root in range(n):
        if color[root]:
            continue
        stack = [(root, iter(np.flatnonzero(adj[root])))]
        color[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                color[node] = 2
                stack.pop()
                continue
            nxt = int(nxt)
            if color[nxt] == 0:
                color[nxt], parent[nxt] = 1, node
                stack.append((nxt, iter(np.flatnonzero(adj[nxt]))))
            elif color[nxt] == 1:
                cycle, cur = [nxt], node
                while cur != nxt:
                    cycle.append(int(cur))
                    cur = parent[cur]
                return cycle[::-1]
    return None


def to_dag(weights: np.ndarray, threshold: float, allowed: np.ndarray | None = None) -> np.ndarray:
    """Boolean DAG: keep ``|weights| > threshold`` (and ``allowed``), then while a cycle remains drop
    its weakest edge."""
    w = np.abs(np.asarray(weights, dtype=np.float64))
    adj = w > threshold
    np.fill_diagonal(adj, False)
    if allowed is not None:
        adj &= np.asarray(allowed, dtype=bool)
    while (cycle := find_cycle(adj)) is not None:
        edges = [(cycle[i], cycle[(i + 1) % len(cycle)]) for i in range(len(cycle))]
        i, j = min(edges, key=lambda e: w[e])
        adj[i, j] = False
    return adj


def longest_path(adj: np.ndarray) -> int:
    """Number of edges on the longest directed path of a DAG."""
    adj = np.asarray(adj, dtype=bool)
    n = adj.shape[0]
    depth = np.zeros(n, dtype=int)
    for _ in range(n):
        new = np.maximum(depth, np.max(np.where(adj, depth[:, None] + 1, 0), axis=0, initial=0))
        if np.array_equal(new, depth):
            break
        depth = new
    return int(depth.max(initial=0))


# -- plain linear solvers (tests, standalone use) ---------------------------------------------------


def notears_linear(
    x: np.ndarray,
    lambda1: float = 0.1,
    w_threshold: float = 0.3,
    max_iter: int = 100,
    h_tol: float = 1e-8,
    rho_max: float = 1e16,
    allowed: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Linear NOTEARS on data ``x`` (n, d), least-squares score, L-BFGS-B on ``W = W+ - W-``.

    Returns ``(weights, dag)``: the estimated weighted adjacency (entries at or below the
    threshold zeroed) and the boolean DAG of :func:`to_dag`. Data are only centred, not scaled:
    see the tests for what standardising does to the recovered orientation.
    """
    x = np.asarray(x, dtype=np.float64)
    x = x - x.mean(axis=0, keepdims=True)
    n, d = x.shape
    mask = np.ones((d, d)) if allowed is None else np.asarray(allowed, dtype=np.float64)
    np.fill_diagonal(mask, 0.0)
    bounds = [(0, 0) if mask[i, j] == 0 else (0, None) for _ in range(2) for i in range(d) for j in range(d)]
    al = AugmentedLagrangian(rho_max=rho_max)

    def objective(wv: np.ndarray) -> tuple[float, np.ndarray]:
        w = (wv[: d * d] - wv[d * d :]).reshape(d, d)
        resid = x - x @ w
        loss = 0.5 / n * (resid**2).sum()
        e = sla.expm(w * w)  # float64 throughout
        h = np.trace(e) - d
        g_loss = -1.0 / n * x.T @ resid
        g_h = e.T * w * 2.0
        g = g_loss + (al.rho * h + al.alpha) * g_h
        obj = loss + 0.5 * al.rho * h * h + al.alpha * h + lambda1 * wv.sum()
        g = g.ravel()
        return obj, np.concatenate([g + lambda1, -g + lambda1])

    def h_of(wv: np.ndarray) -> float:
        w = (wv[: d * d] - wv[d * d :]).reshape(d, d)
        return float(np.trace(sla.expm(w * w)) - d)

    wv = np.zeros(2 * d * d)
    with threadpool_limits(1):  # tiny matrices: BLAS threads only add overhead (100x under load)
        wv = _notears_loop(objective, h_of, wv, bounds, al, max_iter, h_tol, rho_max)
    w_est = (wv[: d * d] - wv[d * d :]).reshape(d, d)
    w_est = np.where(np.abs(w_est) > w_threshold, w_est, 0.0)
    return w_est, to_dag(w_est, w_threshold, allowed)


def _notears_loop(objective, h_of, wv, bounds, al, max_iter, h_tol, rho_max):
    for _ in range(max_iter):
        while True:
            sol = sopt.minimize(objective, wv, method="L-BFGS-B", jac=True, bounds=bounds)
            h_new = h_of(sol.x)
            if h_new > 0.25 * al.h_prev and al.rho < rho_max:
                al.rho *= 10.0
            else:
                break
        wv = sol.x
        al.alpha += al.rho * h_new
        al.h_prev = h_new
        if h_new <= h_tol or al.rho >= rho_max:
            break
    return wv


def dagma_linear(
    x: np.ndarray,
    lambda1: float = 0.03,
    w_threshold: float = 0.3,
    s: float = 1.0,
    mus: tuple[float, ...] = (1.0, 0.1, 0.01, 0.001),
    iters: tuple[int, ...] = (2000, 2000, 2000, 4000),
    lr: float = 3e-4,
    allowed: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Linear DAGMA: the central path ``mu * (score + lambda |W|_1) + h_logdet(W)`` for decreasing
    ``mu``, each solved by Adam (numpy, closed-form gradients, float64). ``h_logdet`` is only defined
    while ``s I - W o W`` is an M-matrix; a step that leaves that domain (detected as the inverse
    losing entrywise non-negativity, which characterises non-singular M-matrices among Z-matrices)
    is undone and the learning rate halved.
    """
    x = np.asarray(x, dtype=np.float64)
    x = x - x.mean(axis=0, keepdims=True)
    n, d = x.shape
    mask = np.ones((d, d)) if allowed is None else np.asarray(allowed, dtype=np.float64)
    np.fill_diagonal(mask, 0.0)
    cov = x.T @ x / n
    eye = np.eye(d)
    w = np.zeros((d, d))
    b1, b2, eps = 0.99, 0.999, 1e-8
    with threadpool_limits(1):
        for mu, n_iter in zip(mus, iters):
            m1, m2 = np.zeros((d, d)), np.zeros((d, d))
            step_lr = lr
            for it in range(1, n_iter + 1):
                inv = np.linalg.inv(s * eye - w * w)
                g_score = cov @ w - cov  # d/dW of 0.5/n ||X - XW||^2
                grad = mu * (g_score + lambda1 * np.sign(w)) + 2.0 * w * inv.T
                grad *= mask
                m1 = b1 * m1 + (1 - b1) * grad
                m2 = b2 * m2 + (1 - b2) * grad * grad
                upd = step_lr * (m1 / (1 - b1**it)) / (np.sqrt(m2 / (1 - b2**it)) + eps)
                w_new = w - upd
                try:
                    ok = bool(np.all(np.linalg.inv(s * eye - w_new * w_new) >= -1e-12))
                except np.linalg.LinAlgError:
                    ok = False
                if ok:
                    w = w_new
                else:  # left the log-det domain: undo, shrink the step
                    step_lr *= 0.5
    w_est = np.where(np.abs(w) > w_threshold, w, 0.0)
    return w_est, to_dag(w_est, w_threshold, None if allowed is None else np.asarray(allowed, dtype=bool))
