"""Every world declares a well-formed SCM: a DAG, typed ranged variables, a latent confounder."""

from __future__ import annotations

import numpy as np

from causalworld_bench import list_worlds


def test_at_least_four_worlds():
    assert len(list_worlds()) >= 4


def test_graph_is_dag_and_sizes(world):
    assert world.graph.is_dag()
    assert 6 <= len(world.variables) <= 15
    assert world.graph.nodes == world.names


def test_variables_have_type_and_disjoint_spaces(world):
    for v in world.variables:
        assert v.vtype in ("continuous", "binary", "categorical")
        assert v.kind in ("property", "outcome")
        lo, hi = v.space_a
        assert lo <= hi
        if v.kind == "property":
            assert v.space_b is not None, v.name
        if v.space_b is not None:
            blo, bhi = v.space_b
            assert bhi < lo or blo > hi, v.name


def test_binary_and_continuous_targets(world):
    kinds = {world.variable(t).vtype for t in world.targets}
    assert "binary" in kinds and "continuous" in kinds
    for t in world.targets:
        v = world.variable(t)
        assert v.kind == "outcome" and v.observed
        if v.vtype == "continuous":
            assert v.tolerance and v.tolerance > 0


def test_has_latent_confounder_of_an_observed_variable_and_a_target(world):
    """Some latent variable is an ancestor of an observed, intervenable variable and of a target,
    while that observed variable is not itself an ancestor of the target through the latent."""
    g = world.graph
    found = False
    for v in world.variables:
        if v.observed:
            continue
        kids = g.descendants(v.name)
        proxies = [x for x in kids if world.variable(x).observed and world.variable(x).kind == "property"]
        if any(t in kids for t in world.targets) and proxies:
            found = True
    assert found


def test_task_params_vary_and_are_validated(world):
    rng = np.random.default_rng(0)
    draws = [world.sample_task_params(rng) for _ in range(5)]
    assert world.task_params
    for p in world.task_params:
        values = {d[p.name] for d in draws}
        assert len(values) == 5 and all(p.low <= x <= p.high for x in values)
