"""The scripted oracle: the true SCM, task parameters fitted to the support set, answers by simulation.

It tests the scorer from the top: if the oracle does not score near 100%, either the tolerance, the
task generation or the scorer is wrong. It reads the world's declaration (privileged), infers latent
properties from their observed children, fits the hidden task parameters by grid search on the
support set, and simulates every query exactly (interventions by the SCM's own ``do``).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import numpy as np

from causalworld_bench.tasks import Task
from causalworld_bench.worlds import World, make_world


class OracleAgent:
    """Knows the true SCM; fits hidden task parameters; answers by simulation. ``symbols`` mode only."""

    name = "oracle"

    def __init__(self, grid: int = 7, refine: int = 3) -> None:
        self.grid, self.refine = grid, refine
        self._worlds: dict[str, World] = {}
        self._cache: dict[tuple, dict[str, float]] = {}
        self._cache_task = ""

    def __getstate__(self) -> dict:
        return {"grid": self.grid, "refine": self.refine}

    def __setstate__(self, state: dict) -> None:
        self.__init__(**state)

    def _world(self, name: str) -> World:
        if name not in self._worlds:
            self._worlds[name] = make_world(name)
        return self._worlds[name]

    # -- abduction of latent properties ----------------------------------------------------------
    def abduct(self, world: World, observed: Mapping[str, float]) -> dict[str, float]:
        """Every property value: observed ones as given, latent ones inferred from their observed
        children (categories by which child intervals contain the observed value; continuous at
        median noise)."""
        values: dict[str, float] = {}
        for name in world.graph.topological_order():
            var = world.variable(name)
            if var.kind != "property":
                continue
            if var.observed:
                values[name] = float(observed[name])
            elif var.discrete:
                values[name] = self._best_category(world, name, values, observed)
            else:
                eq = world.equations[name]
                values[name] = float(eq.fn({p: values[p] for p in eq.parents}, np.full(eq.noise_dim, 0.5), "A"))
        return values

    def _best_category(self, world: World, name: str, known: dict, observed: Mapping[str, float]) -> float:
        lo, hi = world.variable(name).bounds
        eq = world.equations[name]
        cands = range(int(lo), int(hi) + 1)
        scores = []
        for c in cands:
            ok = 0
            for child in world.graph.children(name):
                ceq = world.equations.get(child)
                if ceq is None or child not in observed or not set(ceq.parents) <= set(known) | {name}:
                    continue
                parents = {p: (c if p == name else known[p]) for p in ceq.parents}
                ends = [ceq.fn(parents, np.full(ceq.noise_dim, u), "A") for u in (0.0, 1.0)]
                ok += min(ends) - 1e-9 <= observed[child] <= max(ends) + 1e-9
            scores.append(ok)
        return float(list(cands)[int(np.argmax(scores))])

    def intervene(self, world: World, props: dict[str, float], var: str, value: float) -> dict[str, float]:
        """``do(var = value)`` on inferred properties: descendants recomputed with abducted noise."""
        new = dict(props)
        new[var] = float(value)
        for name in world.graph.topological_order():
            if name == var or name not in world.graph.descendants(var) or world.variable(name).kind != "property":
                continue
            eq = world.equations[name]
            u = self._abduct_noise(eq, {p: props[p] for p in eq.parents}, props[name])
            new[name] = float(eq.fn({p: new[p] for p in eq.parents}, u, "A"))
        return new

    @staticmethod
    def _abduct_noise(eq, parents: dict, value: float) -> np.ndarray:
        """The noise that reproduces ``value`` (bisection; equations are monotone in their noise)."""
        if eq.noise_dim != 1:
            return np.full(eq.noise_dim, 0.5)
        f = lambda u: eq.fn(parents, np.array([u]), "A") - value  # noqa: E731
        lo, hi = 0.0, 1.0
        if f(lo) > f(hi):
            lo, hi = hi, lo
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if f(mid) < 0 else (lo, mid)
        return np.array([0.5 * (lo + hi)])

    # -- task parameters -------------------------------------------------------------------------
    def _simulate(self, world: World, params: dict, props: dict) -> dict[str, float]:
        key = (tuple(sorted(params.items())), tuple(sorted(props.items())))
        if key not in self._cache:
            self._cache[key] = world.evaluate(params, 0, props)
        return self._cache[key]

    def _support_loss(self, world: World, task: Task, params: dict, support: list[dict]) -> float:
        loss = 0.0
        scale = np.nanstd(task.support_outcomes, axis=0) + 1e-6
        for props, row in zip(support, task.support_outcomes):
            sim = self._simulate(world, params, props)
            loss += float(np.sum(((np.array([sim[o] for o in task.outcome_names]) - row) / scale) ** 2))
        return loss

    def fit_params(self, world: World, task: Task, support: list[dict]) -> dict[str, float]:
        """Grid search over the hidden parameters, then a finer grid around the best point."""
        specs = world.task_params
        mid = {p.name: 0.5 * (p.low + p.high) for p in specs}
        if not support:
            return mid
        axes = [np.linspace(p.low, p.high, self.grid) for p in specs]
        best = min(
            (dict(zip(mid, point)) for point in itertools.product(*axes)),
            key=lambda prm: self._support_loss(world, task, prm, support),
        )
        steps = [(p.high - p.low) / (self.grid - 1) for p in specs]
        fine = [
            np.clip(np.linspace(best[p.name] - s / 2, best[p.name] + s / 2, self.refine), p.low, p.high)
            for p, s in zip(specs, steps)
        ]
        return min(
            (dict(zip(mid, point)) for point in itertools.product(*fine)),
            key=lambda prm: self._support_loss(world, task, prm, support),
        )

    # -- answers ---------------------------------------------------------------------------------
    def predict(self, task: Task) -> np.ndarray:
        if task.obs_mode != "symbols":
            raise ValueError(f"the oracle reads symbols; task {task.task_id} is in {task.obs_mode} mode")
        world = self._world(task.world)
        if task.task_id != self._cache_task:  # simulations are reused across shot counts of one task
            self._cache, self._cache_task = {}, task.task_id
        support = [self.abduct(world, dict(zip(task.obs_names, x))) for x in task.support_x]
        params = self.fit_params(world, task, support)
        out = np.empty(task.n_queries)
        for i, x in enumerate(task.query_x):
            props = self.abduct(world, dict(zip(task.obs_names, x)))
            if task.do_variable is not None:
                props = self.intervene(world, props, task.do_variable, task.query_do[i])
            out[i] = self._simulate(world, params, props)[task.target]
        return out
