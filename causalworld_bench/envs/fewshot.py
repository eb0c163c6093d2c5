"""The few-shot task environment: one task per episode, one query per step, the action is the answer.

``reset`` builds one task with :func:`~causalworld_bench.tasks.make_task` (``symbols`` mode, space
A, interventions on any intervenable variable), its world, family and number of shots fixed by the
keywords or drawn from ``self.np_random`` when ``None``. The episode then walks through the task's
``queries`` queries: each step answers the current one and shows the next; the episode terminates
after the last. The reward is 1 when :func:`~causalworld_bench.tasks.correct` accepts the answer,
else 0; ``info`` carries the answer, the prediction and the error.

Worlds differ in their numbers of variables, so every array is padded to the maximum over
:func:`~causalworld_bench.worlds.list_worlds` (padding is zero; ``support_mask`` marks real support
rows, ``world`` says which world's slot layout applies). Values are scaled onto [-1, 1] over each
variable's space A. Observation keys:

- ``support_x`` (max_shots, D): observed properties of each support example;
  ``support_outcomes`` (max_shots, O): their observed outcomes; ``support_y`` (max_shots,): the target's value;
- ``query_x`` (D,): the query's observed properties; ``query_factual`` (O,): its factual outcomes
  (counterfactual family only, else zeros);
- ``do_variable`` (I,): one-hot over ``world.intervenable`` (zeros for prediction); ``do_value`` (1,);
- ``target`` (O,): one-hot of the asked outcome; ``family``: index in ``FAMILIES``; ``world``: index in ``list_worlds()``.

The action is ``Box([-1, 1], (1,))``, the answer on the target's space-A scale (a discrete target's
answer is rounded by the scoring rule). A NaN, infinite or out-of-range action raises ``ValueError``.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.error import ResetNeeded

from causalworld_bench.envs.spaces import check_box, linear_from_unit, one_hot, to_unit, unit_bounds, unit_box
from causalworld_bench.tasks import FAMILIES, TRAIN, Task, TaskSpec, correct, make_task
from causalworld_bench.tasks.observe import observed_properties, outcome_names
from causalworld_bench.worlds import list_worlds, make_world

MAX_SHOTS = 10  # the largest support set of the published suites


class FewShotEnv(gym.Env[dict, np.ndarray]):
    """Answer the queries of one few-shot task per episode (see module doc)."""

    metadata = {"render_modes": []}

    def __init__(
        self,
        world: str | None = None,
        family: str | None = None,
        shots: int | None = None,
        queries: int = 5,
        max_shots: int = MAX_SHOTS,
    ) -> None:
        self._names = list_worlds()
        if world is not None and world not in self._names:
            raise ValueError(f"unknown world {world!r}; known worlds: {', '.join(self._names)}")
        if family is not None and family not in FAMILIES:
            raise ValueError(f"family must be one of {FAMILIES} or None, got {family!r}")
        if not (isinstance(max_shots, int) and max_shots >= 1):
            raise ValueError(f"max_shots must be a positive integer, got {max_shots!r}")
        if shots is not None and not (isinstance(shots, int) and 0 <= shots <= max_shots):
            raise ValueError(f"shots must be an integer in [0, {max_shots}] or None, got {shots!r}")
        if not (isinstance(queries, int) and queries >= 1):
            raise ValueError(f"queries must be a positive integer, got {queries!r}")
        self.world_name, self.family, self.shots, self.queries, self.max_shots = world, family, shots, queries, max_shots
        self._worlds = {n: make_world(n) for n in self._names}  # each builds its simulator on first use
        layouts = [(observed_properties(w), outcome_names(w), w.intervenable) for w in self._worlds.values()]
        d, o, i = (max(len(layout[k]) for layout in layouts) for k in range(3))
        self.observation_space = spaces.Dict({
            "support_x": unit_box(max_shots, d),
            "support_outcomes": unit_box(max_shots, o),
            "support_y": unit_box(max_shots),
            "support_mask": spaces.MultiBinary(max_shots),
            "query_x": unit_box(d),
            "query_factual": unit_box(o),
            "do_variable": spaces.MultiBinary(i),
            "do_value": unit_box(1),
            "target": spaces.MultiBinary(o),
            "family": spaces.Discrete(len(FAMILIES)),
            "world": spaces.Discrete(len(self._names)),
        })
        self.action_space = unit_box(1)
        self._task: Task | None = None
        self._query = 0

    # -- the gymnasium API -----------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[dict, dict]:
        super().reset(seed=seed)
        rng = self.np_random
        name = self.world_name or self._names[int(rng.integers(len(self._names)))]
        family = self.family or FAMILIES[int(rng.integers(len(FAMILIES)))]
        shots = self.shots if self.shots is not None else int(rng.integers(0, self.max_shots + 1))
        world = self._worlds[name]
        spec = TaskSpec(
            world=name, family=family, split=TRAIN, index=int(rng.integers(0, 2**31)),
            suite_seed=int(rng.integers(0, 2**63 - 1)), n_support=shots, n_queries=self.queries,
            do_variables=() if family == "prediction" else world.intervenable,
        )
        self._task, self._query = make_task(world, spec, "symbols"), 0
        return self._observation(), {"task_id": spec.task_id, "world": name, "family": family,
                                     "shots": shots, "target": self._task.target}

    def step(self, action: np.ndarray) -> tuple[dict, float, bool, bool, dict]:
        task = self._task
        if task is None or self._query >= task.n_queries:
            raise ResetNeeded("call reset() before step() (the task's queries are all answered)")
        a = check_box(action, self.action_space)
        world = self._worlds[task.world]
        prediction = linear_from_unit(a[0], *world.variable(task.target).space_a)
        assert task.answers is not None
        answer = float(task.answers[self._query])
        ok = bool(correct(np.array([prediction]), np.array([answer]), task.target_type, task.tolerance)[0])
        info = {"task_id": task.task_id, "query": self._query, "target": task.target,
                "prediction": prediction, "answer": answer, "error": prediction - answer, "correct": ok}
        self._query += 1
        done = self._query == task.n_queries
        return self._observation(), float(ok), done, False, info

    # -- internals -------------------------------------------------------------------------------
    def _observation(self) -> dict[str, Any]:
        task = self._task
        assert task is not None
        world = self._worlds[task.world]
        space = self.observation_space
        q = min(self._query, task.n_queries - 1)  # after the last answer the last query stays in view
        x_bounds = unit_bounds(world, task.obs_names)
        o_bounds = unit_bounds(world, task.outcome_names)
        y_bounds = unit_bounds(world, (task.target,))
        k, d, o = task.shots, len(task.obs_names), len(task.outcome_names)

        support_x = np.zeros(space["support_x"].shape, np.float32)
        support_out = np.zeros(space["support_outcomes"].shape, np.float32)
        support_y = np.zeros(space["support_y"].shape, np.float32)
        if k:
            support_x[:k, :d] = to_unit(task.support_x, *x_bounds)
            support_out[:k, :o] = to_unit(task.support_outcomes, *o_bounds)
            support_y[:k] = to_unit(task.support_y, *y_bounds)
        query_x = np.zeros(space["query_x"].shape, np.float32)
        query_x[:d] = to_unit(task.query_x[q], *x_bounds)
        factual = np.zeros(space["query_factual"].shape, np.float32)
        do_index, do_value = None, np.zeros(1, np.float32)
        if task.family == "counterfactual":
            factual[:o] = to_unit(task.query_factual[q], *o_bounds)
        if task.do_variable is not None:
            do_index = world.intervenable.index(task.do_variable)
            do_value = to_unit([task.query_do[q]], *unit_bounds(world, (task.do_variable,)))
        mask = np.zeros(self.max_shots, np.int8)
        mask[:k] = 1
        return {
            "support_x": support_x,
            "support_outcomes": support_out,
            "support_y": support_y,
            "support_mask": mask,
            "query_x": query_x,
            "query_factual": factual,
            "do_variable": one_hot(do_index, space["do_variable"].n),
            "do_value": do_value,
            "target": one_hot(task.target_index, space["target"].n),
            "family": int(FAMILIES.index(task.family)),
            "world": int(self._names.index(task.world)),
        }

    def close(self) -> None:
        for world in self._worlds.values():
            world.close()
