"""Bad input gets a clear ValueError naming the culprit; physics blow-ups are raised, not returned."""

from __future__ import annotations

import math

import numpy as np
import pytest

from causalworld_bench import make_world
from causalworld_bench.scm import InterventionError
from causalworld_bench.sim import PhysicsBlowUpError, Sim


def test_unknown_world():
    with pytest.raises(ValueError, match="unknown world 'nope'"):
        make_world("nope")


def test_unknown_variable(world, params):
    with pytest.raises(InterventionError, match="no_such_var"):
        world.sample(params, 0, {"no_such_var": 1.0})


def test_non_intervenable_variable(world, params):
    latent = next(v.name for v in world.variables if not v.intervenable)
    with pytest.raises(InterventionError, match=f"{latent}.*not intervenable"):
        world.sample(params, 0, {latent: 0})


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, "x", None, 1e9, -1e9])
def test_bad_intervention_values(world, params, bad):
    name = world.intervenable[0]
    with pytest.raises(ValueError, match=name):
        world.sample(params, 0, {name: bad})


def test_value_in_neither_space_hull_is_rejected(world, params):
    name = world.intervenable[0]
    lo, hi = world.variable(name).bounds
    with pytest.raises(ValueError, match="outside its range"):
        world.sample(params, 0, {name: hi + (hi - lo + 1.0)})


@pytest.mark.parametrize("seed", [-1, 1.5, "3", True, 2**64, None, np.float64(2.0)])
def test_bad_seeds(world, params, seed):
    with pytest.raises(ValueError, match="seed"):
        world.sample(params, seed)


def test_numpy_integer_seed_is_fine(world, params):
    assert world.sample(params, np.int64(4)) == world.sample(params, 4)


def test_bad_task_params(world, params):
    with pytest.raises(ValueError, match="missing"):
        world.sample({}, 0)
    with pytest.raises(ValueError, match="unknown"):
        world.sample({**params, "bogus": 1.0}, 0)
    name = world.task_params[0].name
    with pytest.raises(ValueError, match=name):
        world.sample({**params, name: math.nan}, 0)
    with pytest.raises(ValueError, match=name):
        world.sample({**params, name: world.task_params[0].high * 10 + 1}, 0)


def test_bad_space(world, params):
    with pytest.raises(ValueError, match="space"):
        world.sample(params, 0, space="C")


def test_sim_detects_nan_state():
    with Sim() as sim:
        sim.add_floor()
        sim.add_sphere("ball", 0.05, 1.0, position=(0, 0, 0.05))
        sim.set_velocity("ball", (math.nan, 0, 0))
        with pytest.raises(PhysicsBlowUpError, match="ball"):
            sim.step(2)


def test_world_raises_blow_up_instead_of_returning_data(world, params, monkeypatch):
    setup = type(world).setup

    def exploding(self, sim, props, p):
        setup(self, sim, props, p)
        sim.set_velocity(world.state_bodies[0], (math.nan, 0, 0))

    before = world.sample(params, 0)
    monkeypatch.setattr(type(world), "setup", exploding)
    with pytest.raises(PhysicsBlowUpError):
        world.sample(params, 0)
    monkeypatch.undo()
    assert world.sample(params, 0) == before  # the broken scene was rebuilt, not reused
