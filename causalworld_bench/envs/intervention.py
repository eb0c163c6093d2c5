"""The interactive intervention environment: set a world's intervenable variables, reach a goal outcome.

One episode is one *unit* of one task: ``reset`` draws the task's hidden mechanism parameters, an
episode seed (the unit's exogenous noise, so the same latent material, the same un-intervened
properties) and a goal. Every step re-runs **that same unit** under the agent's intervention, so
the outcome differs from the previous step's only because the action did: the agent sees the
effect of what it did, exactly as a counterfactual would.

- **Action**: ``Box([-1, 1]^n)``, one entry per intervenable variable (``world.intervenable``
  order), mapped linearly onto the variable's space-A range; a discrete variable takes one of
  equal-width bins, one per category. Every step sets *all* intervenable variables. A NaN,
  infinite, wrongly shaped or out-of-range action raises ``ValueError`` (never clipped silently).
- **Goal**: a value of one of the world's observed target outcomes (continuous ones when it has
  any), drawn by simulating a random action on the episode's unit, so it is exactly reachable.
- **Observation** (``Dict``): ``symbols`` (``obs_mode="symbols"``: the observed properties of the
  latest run, which at reset is the un-intervened unit) or ``pixels`` (``obs_mode="pixels"``: a
  64x64x3 uint8 render of that run's initial scene); ``outcomes``, the latest run's observed
  outcomes; ``goal``, the goal value followed by a one-hot of the goal variable when the world has
  more than one. All numbers are scaled onto [-1, 1] over space A.
- **Reward**: ``-|outcome - goal| / width``, with ``width`` the goal variable's space-A range;
  ``terminated`` when the distance is within the variable's tolerance (discrete goals: exact).
  ``truncated`` comes from the registered ``max_episode_steps``.
- ``render_mode="rgb_array"``: a 160x120 frame of the latest run's scene at rest.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.error import ResetNeeded

from causalworld_bench.envs.spaces import check_box, from_unit, one_hot, to_unit, unit_bounds, unit_box
from causalworld_bench.tasks.observe import PIXELS, observed_properties, outcome_names
from causalworld_bench.tasks.sampler import MAX_EPISODE_SEED
from causalworld_bench.worlds import World, make_world

OBS_MODES = ("symbols", "pixels")
RENDER_SIZE = (160, 120)


def goal_variables(world: World) -> tuple[str, ...]:
    """The outcomes a goal may name: observed continuous targets, else any observed target."""
    targets = [n for n in world.targets if world.variable(n).observed and world.variable(n).kind == "outcome"]
    continuous = tuple(n for n in targets if not world.variable(n).discrete)
    if not targets:
        raise ValueError(f"world {world.name!r} has no observed target outcome to set a goal on")
    return continuous or tuple(targets)


class InterventionEnv(gym.Env[dict, np.ndarray]):
    """Reach a goal value of a target outcome by intervening on one unit of a world (see module doc)."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 4}

    def __init__(self, world: str = "ramp", obs_mode: str = "symbols", render_mode: str | None = None) -> None:
        if obs_mode not in OBS_MODES:
            raise ValueError(f"obs_mode must be one of {OBS_MODES}, got {obs_mode!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be None or 'rgb_array', got {render_mode!r}")
        self.world = make_world(world)
        self.obs_mode = obs_mode
        self.render_mode = render_mode
        self._actuated = tuple(self.world.variable(n) for n in self.world.intervenable)
        self._symbols = observed_properties(self.world)
        self._outcomes = outcome_names(self.world)
        self._goals = goal_variables(self.world)
        self._sym_bounds = unit_bounds(self.world, self._symbols)
        self._out_bounds = unit_bounds(self.world, self._outcomes)
        self.action_space = unit_box(len(self._actuated))
        view = (
            spaces.Box(0, 255, (PIXELS, PIXELS, 3), np.uint8) if obs_mode == "pixels" else unit_box(len(self._symbols))
        )
        goal_size = 1 + (len(self._goals) if len(self._goals) > 1 else 0)
        self.observation_space = spaces.Dict(
            {obs_mode: view, "outcomes": unit_box(len(self._outcomes)), "goal": unit_box(goal_size)}
        )
        self._params: dict[str, float] | None = None
        self._seed = 0
        self._goal_var = self._goals[0]
        self._goal = 0.0
        self._do: dict[str, float] = {}
        self._values: dict[str, float] = {}

    # -- the gymnasium API -----------------------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[dict, dict]:
        super().reset(seed=seed)
        rng = self.np_random
        self._params = self.world.sample_task_params(rng)
        self._seed = int(rng.integers(0, MAX_EPISODE_SEED))
        self._goal_var = self._goals[int(rng.integers(len(self._goals)))]
        reach = self._intervention(rng.uniform(-1.0, 1.0, len(self._actuated)))
        self._goal = float(self.world.sample(self._params, self._seed, reach)[self._goal_var])
        self._do = {}
        self._values = self.world.sample(self._params, self._seed)
        return self._observation(), self._info()

    def step(self, action: np.ndarray) -> tuple[dict, float, bool, bool, dict]:
        if self._params is None:
            raise ResetNeeded("call reset() before step()")
        self._do = self._intervention(check_box(action, self.action_space))
        self._values = self.world.sample(self._params, self._seed, self._do)
        var = self.world.variable(self._goal_var)
        distance = self._distance()
        reward = -distance / ((var.space_a[1] - var.space_a[0]) or 1.0)
        return self._observation(), float(reward), bool(distance <= self._tolerance()), False, self._info()

    def render(self) -> np.ndarray | None:
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; make the env with render_mode='rgb_array'")
            return None
        if self._params is None:
            raise ResetNeeded("call reset() before render()")
        width, height = RENDER_SIZE
        return self.world.frames(self._params, self._seed, self._do, every=self.world.max_steps,
                                 width=width, height=height)[-1]

    def close(self) -> None:
        self.world.close()

    # -- internals -------------------------------------------------------------------------------
    def _intervention(self, action: np.ndarray) -> dict[str, float]:
        return {var.name: from_unit(a, var) for var, a in zip(self._actuated, action)}

    def _distance(self) -> float:
        return abs(float(self._values[self._goal_var]) - self._goal)

    def _tolerance(self) -> float:
        var = self.world.variable(self._goal_var)
        return 0.0 if var.discrete else float(var.tolerance or 0.0)

    def _observation(self) -> dict[str, np.ndarray]:
        assert self._params is not None
        if self.obs_mode == "pixels":
            view = self.world.render(self._params, self._seed, self._do, width=PIXELS, height=PIXELS)
        else:
            view = to_unit([self._values[n] for n in self._symbols], *self._sym_bounds)
        goal_lo, goal_hi = unit_bounds(self.world, (self._goal_var,))
        goal = to_unit([self._goal], goal_lo, goal_hi)
        if len(self._goals) > 1:
            goal = np.concatenate([goal, one_hot(self._goals.index(self._goal_var), len(self._goals))]).astype(np.float32)
        return {
            self.obs_mode: view,
            "outcomes": to_unit([self._values[n] for n in self._outcomes], *self._out_bounds),
            "goal": goal,
        }

    def _info(self) -> dict[str, Any]:
        distance = self._distance()
        return {
            "goal_variable": self._goal_var,
            "goal": self._goal,
            "distance": distance,
            "is_success": distance <= self._tolerance(),
            "do": dict(self._do),
        }
