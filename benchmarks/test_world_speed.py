"""Episodes per second of each world versus a bare PyBullet loop stepping the same bodies.

For every world, in the same run and on the same scene: ``world`` samples a batch of episodes
(equations, setup, physics until rest, measurement); ``bare_same_steps`` restores the same
initial poses and velocities with raw pybullet calls and steps exactly as many times as the world
did; ``bare_full_horizon`` does the same for the world's full ``max_steps`` (what a loop without the
at-rest rule costs). pytest-benchmark prints the three side by side per world group.
"""

from __future__ import annotations

import numpy as np
import pybullet as pb
import pytest

from causalworld_bench import list_worlds, make_world

EPISODES = 40


@pytest.fixture(scope="module", params=list_worlds())
def setting(request):
    world = make_world(request.param)
    params = world.sample_task_params(np.random.default_rng(0))
    seeds = list(range(EPISODES))
    steps, states = [], []
    for s in seeds:
        world.sample(params, s)
        steps.append(world.last_steps)
        states.append(world.initial_state(params, s).reshape(-1, 13))
    yield world, params, seeds, steps, states
    world.close()


def _bare(world, states, steps):
    sim = world.sim
    cid = sim.client._client
    bodies = [sim.bodies[n] for n in world.state_bodies]
    for state, n in zip(states, steps):
        for body, row in zip(bodies, state):
            pb.resetBasePositionAndOrientation(body, row[0:3], row[3:7], physicsClientId=cid)
            pb.resetBaseVelocity(body, row[7:10], row[10:13], physicsClientId=cid)
        for _ in range(n):
            pb.stepSimulation(physicsClientId=cid)


def test_world(benchmark, setting):
    world, params, seeds, _, _ = setting
    benchmark.group = f"episodes-{world.name}"
    benchmark.extra_info["episodes"] = EPISODES
    benchmark.pedantic(world.sample_batch, args=(params, seeds), rounds=5, warmup_rounds=1)


def test_bare_same_steps(benchmark, setting):
    world, _, _, steps, states = setting
    benchmark.group = f"episodes-{world.name}"
    benchmark.extra_info["mean_steps"] = float(np.mean(steps))
    benchmark.pedantic(_bare, args=(world, states, steps), rounds=5, warmup_rounds=1)


def test_bare_full_horizon(benchmark, setting):
    world, _, _, steps, states = setting
    benchmark.group = f"episodes-{world.name}"
    benchmark.extra_info["steps"] = world.max_steps
    benchmark.pedantic(_bare, args=(world, states, [world.max_steps] * len(steps)), rounds=5, warmup_rounds=1)
