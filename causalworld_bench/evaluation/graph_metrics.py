"""Graph metrics against the true DAG over a world's observed variables."""

from __future__ import annotations

import numpy as np

from causalworld_bench.scm import CausalGraph
from causalworld_bench.tasks import observed_properties, outcome_names
from causalworld_bench.worlds import make_world


def observed_graph(graph: CausalGraph, observed: tuple[str, ...]) -> np.ndarray:
    """True adjacency over ``observed``: X -> Y iff a directed path X -> ... -> Y runs through latent
    nodes only (a direct edge included). A pair joined only by a latent confounder is a non-edge."""
    hidden = [n for n in graph.nodes if n not in observed]
    adj = graph.adj.astype(bool)
    idx = {n: i for i, n in enumerate(graph.nodes)}
    out = np.zeros((len(observed), len(observed)), dtype=bool)
    for a, x in enumerate(observed):
        frontier, seen = [idx[x]], set()
        while frontier:  # walk forward, continuing only through latent nodes
            i = frontier.pop()
            for j in np.flatnonzero(adj[i]):
                name = graph.nodes[j]
                if name in observed:
                    out[a, observed.index(name)] = True
                elif j not in seen and name in hidden:
                    seen.add(j)
                    frontier.append(j)
    return out


def shd(estimate: np.ndarray, truth: np.ndarray) -> int:
    """Structural Hamming distance: missing + extra edges, a reversed edge counting once."""
    a, b = np.asarray(estimate, dtype=bool), np.asarray(truth, dtype=bool)
    if a.shape != b.shape:
        raise ValueError(f"graph shapes differ: {a.shape} vs {b.shape}")
    diff = a != b
    reversed_pairs = np.triu((a & ~b) & (b.T & ~a.T) | ((a.T & ~b.T) & (b & ~a)), 1)
    return int(diff.sum() - reversed_pairs.sum())


def sid(estimate: np.ndarray, truth: np.ndarray) -> int | None:
    """Structural intervention distance via gadjid (None if gadjid is not installed)."""
    try:
        import gadjid
    except ImportError:
        return None
    a, b = np.asarray(estimate, dtype=np.int8), np.asarray(truth, dtype=np.int8)
    return int(gadjid.sid(b, a, edge_direction="from row to column")[1])


def score_graph(world_name: str, adjacency: list) -> dict:
    """Check an agent's adjacency over the world's observed variables (properties then outcomes)
    and score it against the truth: SHD always, SID when gadjid is installed."""
    world = make_world(world_name)
    nodes = observed_properties(world) + outcome_names(world)
    truth = observed_graph(world.graph, nodes)
    est = np.asarray(adjacency)
    if est.shape != truth.shape or not np.isin(est, (0, 1)).all():
        raise ValueError(f"{world_name}: a graph must be a {len(nodes)}x{len(nodes)} 0/1 matrix over {list(nodes)}")
    est = est.astype(bool)
    return {"nodes": list(nodes), "adjacency": est.astype(int).tolist(), "shd": shd(est, truth), "sid": sid(est, truth)}
