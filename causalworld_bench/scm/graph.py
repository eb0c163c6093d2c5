"""A causal DAG over named variables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class CausalGraph:
    """Node names plus a boolean adjacency matrix; ``adj[i, j]`` means ``nodes[i] -> nodes[j]``."""

    nodes: tuple[str, ...]
    adj: np.ndarray

    @classmethod
    def from_parents(cls, nodes: Sequence[str], parents: Mapping[str, Sequence[str]]) -> CausalGraph:
        index = {n: i for i, n in enumerate(nodes)}
        adj = np.zeros((len(nodes), len(nodes)), dtype=bool)
        for child, pars in parents.items():
            for par in pars:
                if par not in index:
                    raise ValueError(f"{child}: unknown parent {par!r}")
                adj[index[par], index[child]] = True
        adj.setflags(write=False)
        return cls(tuple(nodes), adj)

    def index(self, name: str) -> int:
        try:
            return self.nodes.index(name)
        except ValueError:
            raise ValueError(f"unknown variable {name!r}") from None

    def parents(self, name: str) -> tuple[str, ...]:
        col = self.adj[:, self.index(name)]
        return tuple(n for n, on in zip(self.nodes, col) if on)

    def children(self, name: str) -> tuple[str, ...]:
        row = self.adj[self.index(name)]
        return tuple(n for n, on in zip(self.nodes, row) if on)

    @cached_property
    def _reach(self) -> np.ndarray:
        """Transitive closure: ``reach[i, j]`` iff there is a directed path i -> ... -> j."""
        reach = self.adj.astype(bool).copy()
        for k in range(len(self.nodes)):
            reach |= np.outer(reach[:, k], reach[k])
        return reach

    def descendants(self, name: str) -> frozenset[str]:
        row = self._reach[self.index(name)]
        return frozenset(n for n, on in zip(self.nodes, row) if on)

    def ancestors(self, name: str) -> frozenset[str]:
        col = self._reach[:, self.index(name)]
        return frozenset(n for n, on in zip(self.nodes, col) if on)

    def is_dag(self) -> bool:
        return not bool(np.any(np.diag(self._reach)))

    def topological_order(self) -> tuple[str, ...]:
        """Kahn's algorithm with ties broken by declaration order (so the order is reproducible)."""
        indeg = self.adj.sum(axis=0).astype(int)
        order: list[int] = []
        ready = [i for i in range(len(self.nodes)) if indeg[i] == 0]
        while ready:
            i = ready.pop(0)
            order.append(i)
            for j in np.flatnonzero(self.adj[i]):
                indeg[j] -= 1
                if indeg[j] == 0:
                    ready.append(int(j))
            ready.sort()
        if len(order) != len(self.nodes):
            raise ValueError("graph has a cycle")
        return tuple(self.nodes[i] for i in order)

    def subgraph(self, names: Sequence[str]) -> CausalGraph:
        """The induced subgraph on ``names`` (edges through removed nodes are dropped, not marginalised)."""
        idx = [self.index(n) for n in names]
        adj = self.adj[np.ix_(idx, idx)].copy()
        adj.setflags(write=False)
        return CausalGraph(tuple(names), adj)
