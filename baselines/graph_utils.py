"""Small DAG helpers shared by the causal-discovery baselines and the fixed-graph ablations.

Every adjacency here is a boolean ``(n, n)`` matrix over a world's *observed* variables in the
order ``Task.obs_names + Task.outcome_names``; ``adj[i, j]`` means ``i -> j``.

:func:`true_observed_graph` is the one privileged helper: it reads the world's declared DAG (for
the true-graph ablation and for scoring learned graphs) and must never be used to answer queries
by a non-privileged agent.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def observed_names(world: str) -> tuple[str, ...]:
    """``obs_names + outcome_names`` of a world, as tasks in ``symbols`` mode name them."""
    from causalworld_bench.tasks import observed_properties, outcome_names
    from causalworld_bench.worlds import make_world

    w = make_world(world)
    try:
        return observed_properties(w) + outcome_names(w)
    finally:
        w.close()


def true_observed_graph(world: str, names: Sequence[str] | None = None) -> np.ndarray:
    """The world's true DAG projected onto its observed variables (privileged information).

    ``X -> Y`` is an edge iff the declared DAG has a directed path ``X -> ... -> Y`` whose inner
    nodes are all latent; a pair joined only through a latent common cause is a non-edge
    (:func:`causalworld_bench.evaluation.graph_metrics.observed_graph`, the one the evaluator scores with).
    """
    from causalworld_bench.evaluation.graph_metrics import observed_graph
    from causalworld_bench.worlds import make_world

    w = make_world(world)
    try:
        names = tuple(names) if names is not None else observed_names(world)
        return observed_graph(w.graph, names)
    finally:
        w.close()


def shd(a: np.ndarray, b: np.ndarray) -> int:
    """Structural Hamming distance (missing + extra edges, a reversal counting once), as the evaluator scores it."""
    from causalworld_bench.evaluation.graph_metrics import shd as _shd

    return _shd(a, b)


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


def tiers_allowed(n_props: int, n_out: int) -> np.ndarray:
    """Edges allowed by the public variable-kind ordering: no outcome -> property edge
    (properties are set before the physics runs, outcomes are read after it)."""
    n = n_props + n_out
    allowed = ~np.eye(n, dtype=bool)
    allowed[n_props:, :n_props] = False
    return allowed


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
