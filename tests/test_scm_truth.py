"""The ground truth holds: determinism, counterfactual identities and graph faithfulness."""

from __future__ import annotations

import multiprocessing as mp

import numpy as np
import pytest

from causalworld_bench import make_world

SEEDS = range(6)


def _values(world, var, rng):
    """A few legal intervention values for ``var``: both spaces' ends and a random interior point."""
    if var.discrete:
        lo, hi = var.bounds
        return list(range(int(lo), int(hi) + 1))
    vals = [*var.space_a]
    if var.space_b:
        vals += [*var.space_b]
    vals.append(float(rng.uniform(*var.space_a)))
    return vals


def _sample_in_child(name, params, cases):
    world = make_world(name)
    return [world.sample(params, seed, do) for seed, do in cases]


def test_same_inputs_same_bytes_in_process(world, params):
    a = [world.sample(params, s) for s in SEEDS]
    var = world.variable(world.intervenable[0])
    world.sample(params, 99, {var.name: var.space_a[0]})  # other history in between
    b = [world.sample(params, s) for s in SEEDS]
    assert a == b
    batch = world.sample_batch(params, SEEDS)
    for name in world.names:
        assert batch[name].tolist() == [row[name] for row in a]


def test_same_inputs_same_bytes_across_processes(world, params):
    var = world.variable(world.intervenable[-1])
    cases = [(s, None) for s in SEEDS] + [(s, {var.name: var.space_a[1]}) for s in SEEDS]
    here = [world.sample(params, s, d) for s, d in cases]
    with mp.get_context("spawn").Pool(1) as pool:
        there = pool.apply(_sample_in_child, (world.name, params, cases))
    assert [repr(r) for r in here] == [repr(r) for r in there]


def test_empty_intervention_reproduces_factual(world, params):
    for s in SEEDS:
        assert world.sample(params, s, do={}) == world.sample(params, s)
        assert world.counterfactual(params, s, {}) == world.sample(params, s)


def test_intervention_changes_only_descendants(world, params):
    rng = np.random.default_rng(7)
    for name in world.intervenable:
        var = world.variable(name)
        allowed = world.graph.descendants(name) | {name}
        for s in SEEDS:
            factual = world.sample(params, s)
            for v in _values(world, var, rng):
                cf = world.sample(params, s, {name: v})
                changed = {k for k in world.names if cf[k] != factual[k]}
                assert changed <= allowed, f"do({name}={v}) changed non-descendants {changed - allowed}"
                assert cf[name] == v


def test_every_declared_edge_matters(world, params):
    """For X -> Y: with Y's other parents held, some value of X changes Y."""
    rng = np.random.default_rng(3)
    for y in world.names:
        parents = world.graph.parents(y)
        for x in parents:
            var = world.variable(x)
            seen: set[float] = set()
            for s in SEEDS:
                factual = world.sample(params, s)
                held = {p: factual[p] for p in parents if p != x}
                for v in _values(world, var, rng):
                    seen.add(world.evaluate(params, s, {**held, x: v})[y])
                if len(seen) > 1:
                    break
            assert len(seen) > 1, f"declared edge {x} -> {y} has no effect"


def test_nothing_but_the_parents_matters(world, params):
    """With all of Y's declared parents held, intervening on any other variable leaves Y unchanged."""
    rng = np.random.default_rng(5)
    props = [v for v in world.variables if v.kind == "property"]
    for y in world.names:
        parents = set(world.graph.parents(y))
        others = [v for v in props if v.name != y and v.name not in parents]
        for s in SEEDS[:3]:
            factual = world.sample(params, s)
            held = {p: factual[p] for p in parents}
            for z in others:
                for v in _values(world, z, rng):
                    got = world.evaluate(params, s, {**held, z.name: v})[y]
                    assert got == factual[y], f"{z.name} changed {y} although it is not a declared parent"


def test_render_is_deterministic_rgb(world, params):
    img = world.render(params, 0)
    assert img.shape == (64, 64, 3) and img.dtype == np.uint8
    assert img.std() > 5  # not a blank frame
    assert np.array_equal(img, world.render(params, 0))
    big = world.render(params, 1, width=96, height=48)
    assert big.shape == (48, 96, 3)


def test_space_b_draws_roots_from_space_b(world, params):
    for s in SEEDS[:3]:
        values = world.properties(s, space="B")
        for v in world.variables:
            if v.kind == "property" and not world.graph.parents(v.name):
                lo, hi = v.space_b
                assert lo <= values[v.name] <= hi


def test_initial_state_vector(world, params):
    state = world.initial_state(params, 0)
    assert state.shape == (13 * len(world.state_bodies),)
    assert np.all(np.isfinite(state))
    assert np.array_equal(state, world.initial_state(params, 0))


@pytest.mark.parametrize("seeds", [range(3)])
def test_sample_batch_dtypes(world, params, seeds):
    batch = world.sample_batch(params, seeds)
    for v in world.variables:
        assert batch[v.name].dtype == (np.int64 if v.discrete else np.float64)


def test_episodes_do_not_depend_on_history(world, params):
    """An episode after any other episodes equals the same episode in a brand-new world."""
    fresh = make_world(world.name)
    rng = np.random.default_rng(11)
    for s in range(20):
        other = world.variable(world.intervenable[int(rng.integers(len(world.intervenable)))])
        world.sample(params, int(rng.integers(1000, 2000)), {other.name: float(rng.uniform(*other.space_a))})
        assert world.sample(params, s) == fresh.sample(params, s)
        fresh.close()
