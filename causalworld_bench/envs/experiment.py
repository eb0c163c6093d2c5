"""The active-experiment environment: spend a budget of experiments on a world, then submit its graph.

``reset`` picks a world (the ``world`` keyword, or one drawn from ``self.np_random``) and draws a
task's hidden parameters. The episode has ``budget + 1`` steps:

- steps 1..budget are **experiments**: ``action["variable"]`` is 0 to observe, or ``k`` to
  intervene on observed-variable slot ``k - 1`` with ``do(slot = action["value"])`` (value on the
  variable's space-A scale [-1, 1]; discrete variables take equal-width bins). Choosing a slot that
  is not intervenable in this world (or padding) observes instead; ``info["do"]`` says what ran.
  Each experiment runs a *fresh* episode (its seed from ``self.np_random``) and appends its full
  observed sample to the history in the observation. Reward 0; ``action["graph"]`` is ignored.
- step budget + 1 is the **answer**: only ``action["graph"]`` is read, an adjacency matrix over
  the observed-variable slots (``graph[i, j] = 1`` means slot i -> slot j; padding and the diagonal
  are ignored). Reward ``-SHD`` against :func:`observed_graph`; the episode terminates and
  ``info`` holds the SHD and the true graph (padded like the action).

Slots are the world's observed variables in declaration order, padded to the maximum over
:func:`~causalworld_bench.worlds.list_worlds`. Observation keys: ``world`` (index in
``list_worlds()``), ``variables`` and ``intervenable`` (slot masks), ``samples`` (budget, V) on
[-1, 1], ``intervened`` (budget, V) one-hot of the experiment's intervened slot (zeros when it
observed), ``done`` (budget,) marking the rows already run. A malformed action (NaN or
out-of-range value, a graph entry other than 0/1, a variable index outside the space) raises
``ValueError``.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.error import ResetNeeded

from causalworld_bench.envs.spaces import check_box, from_unit, to_unit, unit_bounds, unit_box
from causalworld_bench.tasks.sampler import MAX_EPISODE_SEED
from causalworld_bench.worlds import World, list_worlds, make_world


def observed_graph(world: World) -> np.ndarray:
    """The true graph over ``world.observed``: X -> Y iff the world's graph has a directed path from X
    to Y whose intermediate nodes are all latent. A pair joined only through a latent common cause
    is a non-edge (SHD cannot express confounding)."""
    graph, observed = world.graph, world.observed
    latent = {n for n in world.names if n not in observed}
    adj = np.zeros((len(observed), len(observed)), dtype=bool)
    for i, name in enumerate(observed):
        frontier, seen = list(graph.children(name)), set()
        while frontier:
            node = frontier.pop()
            if node in seen:
                continue
            seen.add(node)
            if node in latent:
                frontier.extend(graph.children(node))
            else:
                adj[i, observed.index(node)] = True
    return adj


def shd(pred: np.ndarray, true: np.ndarray) -> int:
    """Structural Hamming distance: node pairs whose edge (absent, i -> j, j -> i, both) differs."""
    pred, true = np.asarray(pred, bool).copy(), np.asarray(true, bool)
    np.fill_diagonal(pred, False)
    diff = pred != true
    return int(np.triu(diff | diff.T, 1).sum())


class ExperimentEnv(gym.Env[dict, dict]):
    """Active causal discovery on one world: a budget of experiments, then a graph (see module doc)."""

    metadata = {"render_modes": []}

    def __init__(self, world: str | None = None, budget: int = 10) -> None:
        self._names = list_worlds()
        if world is not None and world not in self._names:
            raise ValueError(f"unknown world {world!r}; known worlds: {', '.join(self._names)}")
        if not (isinstance(budget, int) and budget >= 1):
            raise ValueError(f"budget must be a positive integer, got {budget!r}")
        self.world_name, self.budget = world, budget
        self._worlds = {n: make_world(n) for n in self._names}  # each builds its simulator on first use
        slots = max(len(w.observed) for w in self._worlds.values())
        self.observation_space = spaces.Dict({
            "world": spaces.Discrete(len(self._names)),
            "variables": spaces.MultiBinary(slots),
            "intervenable": spaces.MultiBinary(slots),
            "samples": unit_box(budget, slots),
            "intervened": spaces.MultiBinary((budget, slots)),
            "done": spaces.MultiBinary(budget),
        })
        self.action_space = spaces.Dict({
            "variable": spaces.Discrete(slots + 1),
            "value": unit_box(1),
            "graph": spaces.MultiBinary((slots, slots)),
        })
        self._world: World | None = None
        self._params: dict[str, float] = {}
        self._samples = np.zeros((budget, slots), np.float32)
        self._intervened = np.zeros((budget, slots), np.int8)
        self._step = 0

    # -- the gymnasium API -----------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[dict, dict]:
        super().reset(seed=seed)
        name = self.world_name or self._names[int(self.np_random.integers(len(self._names)))]
        self._world = self._worlds[name]
        self._params = self._world.sample_task_params(self.np_random)
        self._samples[:] = 0.0
        self._intervened[:] = 0
        self._step = 0
        return self._observation(), {"world": name}

    def step(self, action: dict) -> tuple[dict, float, bool, bool, dict]:
        world = self._world
        if world is None or self._step > self.budget:
            raise ResetNeeded("call reset() before step() (the graph has been submitted)")
        variable, value, graph = self._check(action)
        if self._step == self.budget:
            n = len(world.observed)
            true = np.zeros(graph.shape, np.int8)
            true[:n, :n] = observed_graph(world)
            distance = shd(graph[:n, :n], true[:n, :n])
            self._step += 1
            return self._observation(), float(-distance), True, False, {"shd": distance, "true_graph": true}
        do = self._intervention(world, variable, value)
        values = world.sample(self._params, int(self.np_random.integers(0, MAX_EPISODE_SEED)), do)
        row = self._samples[self._step]
        row[: len(world.observed)] = to_unit([values[n] for n in world.observed], *unit_bounds(world, world.observed))
        if do:
            self._intervened[self._step, world.observed.index(next(iter(do)))] = 1
        self._step += 1
        return self._observation(), 0.0, False, False, {"do": do}

    def close(self) -> None:
        for world in self._worlds.values():
            world.close()

    # -- internals -------------------------------------------------------------------------------
    def _check(self, action: dict) -> tuple[int, float, np.ndarray]:
        if not isinstance(action, dict) or set(action) != set(self.action_space.spaces):
            raise ValueError(f"action must be a dict with keys {sorted(self.action_space.spaces)}, got {action!r}")
        variable, n = np.asarray(action["variable"]), self.action_space["variable"].n
        if variable.shape != () or not np.issubdtype(variable.dtype, np.integer) or not 0 <= variable < n:
            raise ValueError(f"action['variable'] must be an integer in [0, {n}), got {action['variable']!r}")
        value = check_box(action["value"], self.action_space["value"], "action['value']")[0]
        graph = np.asarray(action["graph"])
        if graph.shape != self.action_space["graph"].shape or not np.all((graph == 0) | (graph == 1)):
            raise ValueError(f"action['graph'] must be a 0/1 array of shape {self.action_space['graph'].shape}")
        return int(variable), float(value), graph.astype(bool)

    @staticmethod
    def _intervention(world: World, variable: int, value: float) -> dict[str, float]:
        if variable == 0 or variable > len(world.observed):
            return {}
        name = world.observed[variable - 1]
        return {name: from_unit(value, world.variable(name))} if name in world.intervenable else {}

    def _observation(self) -> dict[str, Any]:
        world = self._world
        assert world is not None
        slots = self.action_space["variable"].n - 1
        variables = np.zeros(slots, np.int8)
        variables[: len(world.observed)] = 1
        intervenable = np.array([n in world.intervenable for n in world.observed] + [False] * (slots - len(world.observed)),
                                dtype=np.int8)
        done = np.zeros(self.budget, np.int8)
        done[: self._step] = 1
        return {
            "world": int(self._names.index(world.name)),
            "variables": variables,
            "intervenable": intervenable,
            "samples": self._samples.copy(),
            "intervened": self._intervened.copy(),
            "done": done,
        }
