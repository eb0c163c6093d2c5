"""The fixed graphs of the graph ablations: true, empty, full and random DAGs over a world's observed
variables (``obs_names + outcome_names``, properties first; ``adj[i, j]`` means ``i -> j``).

The fitted-SCM baselines and CSML ablate against the very same graphs. The true graph (and the
random graph's edge count) is **privileged**: it reads the world's declaration, so an agent using it
is an ablation, not a legal entry.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

from causalworld_bench.evaluation.graph_metrics import observed_graph
from causalworld_bench.tasks import observed_properties, outcome_names
from causalworld_bench.worlds import make_world

ABLATION_GRAPHS = ("true", "empty", "full", "random")


def observed_names(world: str) -> tuple[str, ...]:
    """``obs_names + outcome_names`` of a world, as tasks in ``symbols`` mode name them."""
    w = make_world(world)
    try:
        return observed_properties(w) + outcome_names(w)
    finally:
        w.close()


def tiers_allowed(n_props: int, n_out: int) -> np.ndarray:
    """Edges allowed by the public variable-kind ordering: no outcome -> property edge
    (properties are set before the physics runs, outcomes are read after it)."""
    n = n_props + n_out
    allowed = ~np.eye(n, dtype=bool)
    allowed[n_props:, :n_props] = False
    return allowed


def observed_dag(world: str) -> tuple[tuple[str, ...], np.ndarray]:
    """``obs_names + outcome_names`` of a world and its true DAG over them (privileged)."""
    w = make_world(world)
    try:
        names = observed_properties(w) + outcome_names(w)
        return names, observed_graph(w.graph, names)
    finally:
        w.close()


def true_observed_graph(world: str, names: Sequence[str] | None = None) -> np.ndarray:
    """The world's true DAG projected onto its observed variables (privileged): ``X -> Y`` iff a
    directed path whose inner nodes are all latent; a pair joined only by a latent confounder is a
    non-edge, exactly as :func:`~causalworld_bench.evaluation.graph_metrics.observed_graph` scores."""
    if names is None:
        return observed_dag(world)[1]
    w = make_world(world)
    try:
        return observed_graph(w.graph, tuple(names))
    finally:
        w.close()


def full_dag(n_props: int, n_out: int) -> np.ndarray:
    """Every edge ``i -> j`` with ``i < j`` (properties come first, so no outcome -> property edge)."""
    return np.triu(np.ones((n_props + n_out,) * 2, dtype=bool), k=1)


def random_dag(world: str, names: Sequence[str], n_props: int, seed: int = 0) -> np.ndarray:
    """A random DAG with as many edges as the true one, properties before outcomes, seeded per world."""
    n = len(names)
    n_edges = int(true_observed_graph(world, names).sum())
    rng = np.random.default_rng([seed, zlib.crc32(world.encode())])
    # a random order that keeps properties before outcomes, then n_edges forward pairs of it
    order = np.concatenate([rng.permutation(n_props), n_props + rng.permutation(n - n_props)])
    rank = np.empty(n, dtype=int)
    rank[order] = np.arange(n)
    forward = np.argwhere(tiers_allowed(n_props, n - n_props) & (rank[:, None] < rank[None, :]))
    pick = forward[rng.choice(len(forward), size=min(n_edges, len(forward)), replace=False)]
    adj = np.zeros((n, n), dtype=bool)
    adj[pick[:, 0], pick[:, 1]] = True
    return adj


def ablation_graph(kind: str, world: str, names: Sequence[str], n_props: int, seed: int = 0) -> np.ndarray:
    """The ``kind`` ablation graph (one of :data:`ABLATION_GRAPHS`) of ``world`` over ``names``."""
    n = len(names)
    if kind == "true":
        return true_observed_graph(world, names)
    if kind == "empty":
        return np.zeros((n, n), dtype=bool)
    if kind == "full":
        return full_dag(n_props, n - n_props)
    if kind == "random":
        return random_dag(world, names, n_props, seed)
    raise ValueError(f"unknown ablation graph {kind!r}; choose from {', '.join(ABLATION_GRAPHS)}")
