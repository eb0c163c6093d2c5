"""Steps per second of each intervention environment versus the bare ``world.sample`` it wraps.

Run with ``pytest benchmarks/test_env_speed.py -s``: each world prints the ratio
(env time / world.sample time for the same interventions on the same unit; target < 1.2).
Both are timed in process CPU time, so other work on the machine does not skew the ratio.
"""

from __future__ import annotations

import time

import gymnasium as gym
import numpy as np
import pytest

from causalworld_bench import list_worlds
from causalworld_bench.envs import intervention_id
from causalworld_bench.envs.spaces import from_unit

STEPS, ROUNDS = 20, 15
MAX_OVERHEAD = 1.2


@pytest.mark.benchmark(timer=time.process_time)
@pytest.mark.parametrize("world_name", list_worlds())
def test_intervention_env_speed(benchmark, world_name: str) -> None:
    env = gym.make(intervention_id(world_name))  # the full wrapper stack a user gets
    env.action_space.seed(0)
    actions = [env.action_space.sample() for _ in range(STEPS)]
    env.reset(seed=0)
    base = env.unwrapped
    world, params, seed = base.world, base._params, base._seed
    interventions = [{n: from_unit(a, world.variable(n)) for n, a in zip(world.intervenable, act)} for act in actions]

    bare_times: list[float] = []

    def bare_then_reset() -> None:
        """Untimed by the benchmark: time the bare samples (interleaved with the env's rounds, so
        both see the same machine load), then reset to the same unit and goal."""
        start = time.process_time()
        for do in interventions:
            world.sample(params, seed, do)
        bare_times.append(time.process_time() - start)
        env.reset(seed=0)

    def stepped() -> None:
        for action in actions:
            env.step(action)

    benchmark.pedantic(stepped, setup=bare_then_reset, rounds=ROUNDS, iterations=1)
    bare_best = min(bare_times)
    ratio = benchmark.stats.stats.min / bare_best
    benchmark.extra_info.update(bare_steps_per_s=STEPS / bare_best, env_overhead_ratio=ratio)
    print(f"\n{world_name}: env {STEPS / benchmark.stats.stats.min:.0f} steps/s, "
          f"world.sample {STEPS / bare_best:.0f}/s, ratio {ratio:.3f}")
    env.close()
    assert np.isfinite(ratio) and ratio < MAX_OVERHEAD
