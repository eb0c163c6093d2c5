"""Small DAG helpers shared by the causal-discovery baselines and the fixed-graph ablations.

Every adjacency here is a boolean ``(n, n)`` matrix over a world's *observed* variables in the
order ``Task.obs_names + Task.outcome_names``; ``adj[i, j]`` means ``i -> j``.

:func:`true_observed_graph` (re-exported from :mod:`causalworld_bench.evaluation.ablation_graphs`)
is the one privileged helper: it reads the world's declared DAG (for the true-graph ablation and
for scoring learned graphs) and must never be used to answer queries by a non-privileged agent.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from causalworld_bench.evaluation.ablation_graphs import observed_names, tiers_allowed, true_observed_graph
from causalworld_bench.evaluation.graph_metrics import shd

__all__ = ["is_dag", "observed_names", "orient_to_dag", "shd", "tiers_allowed", "topological_order",
           "true_observed_graph"]


def is_dag(adj: np.ndarray) -> bool:
    try:
        topological_order(adj)
    except ValueError:
        return False
    return True


def topological_order(adj: np.ndarray, priority: Sequence[int] | None = None) -> list[int]:
    """Kahn's algorithm; ties go to the node earliest in ``priority`` (default: index order)."""
    adj = np.asarray(adj, dtype=bool)
    n = adj.shape[0]
    rank = np.empty(n, dtype=int)
    rank[list(priority) if priority is not None else list(range(n))] = np.arange(n)
    indeg = adj.sum(axis=0).astype(int)
    ready = sorted((i for i in range(n) if indeg[i] == 0), key=lambda i: rank[i])
    order: list[int] = []
    while ready:
        i = ready.pop(0)
        order.append(i)
        for j in np.flatnonzero(adj[i]):
            indeg[j] -= 1
            if indeg[j] == 0:
                ready.append(int(j))
        ready.sort(key=lambda i: rank[i])
    if len(order) != n:
        raise ValueError("graph has a cycle")
    return order


def orient_to_dag(
    directed: np.ndarray, undirected: np.ndarray, n_props: int, weights: np.ndarray | None = None
) -> np.ndarray:
    """A DAG from a partially directed graph (e.g. PC's CPDAG).

    Directed edges are kept greedily, strongest first (``weights``; default index order), unless
    one would close a cycle or contradict the properties-before-outcomes tiers, in which case it is
    reversed if that is allowed and acyclic, else dropped. Undirected edges are then oriented along
    a topological order of the result that puts properties first and otherwise follows index order.
    """
    directed = np.asarray(directed, dtype=bool)
    undirected = np.asarray(undirected, dtype=bool)
    n = directed.shape[0]
    allowed = tiers_allowed(n_props, n - n_props)
    w = np.zeros((n, n)) if weights is None else np.abs(np.asarray(weights, dtype=float))
    edges = sorted(zip(*np.nonzero(directed)), key=lambda e: (-w[e], e))
    dag = np.zeros((n, n), dtype=bool)
    for i, j in edges:
        for a, b in ((i, j), (j, i)):
            if allowed[a, b] and not dag[b, a]:
                dag[a, b] = True
                if is_dag(dag):
                    break
                dag[a, b] = False
    order = topological_order(dag)
    rank = np.empty(n, dtype=int)
    rank[order] = np.arange(n)
    und = undirected | undirected.T
    for i, j in zip(*np.nonzero(np.triu(und, k=1))):
        if dag[i, j] or dag[j, i]:
            continue
        a, b = (i, j) if rank[i] < rank[j] else (j, i)
        if not allowed[a, b]:
            a, b = b, a
        dag[a, b] = True
        if not is_dag(dag):  # cannot happen for edges along a topological order; be safe anyway
            dag[a, b] = False
    return dag
