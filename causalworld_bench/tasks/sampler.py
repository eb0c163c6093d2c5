"""The three task families, sampled exactly from a world's SCM.

Every answer is ``world.sample(...)`` of the task's hidden parameters: no model is involved.
Intervention values are drawn uniformly over the variable's range, independently of its parents,
so interventions break the confounding that observational samples carry.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from causalworld_bench.scm import Space
from causalworld_bench.tasks.observe import empty_observations, observe, observed_properties, outcome_names
from causalworld_bench.tasks.types import FAMILIES, Family, ObsMode, Task
from causalworld_bench.worlds import World

MAX_EPISODE_SEED = 2**63 - 1


@dataclass(frozen=True)
class TaskSpec:
    """Everything that decides one task: generation is a pure function of this."""

    world: str
    family: Family
    split: str
    index: int
    suite_seed: int
    n_support: int
    n_queries: int
    do_variables: tuple[str, ...]  # candidate intervened variables (empty for prediction)
    query_space: Space = "A"  # where query samples and intervention values are drawn

    @property
    def task_id(self) -> str:
        return f"{self.world}/{self.family}/{self.split}/{self.index:05d}"

    def rng(self) -> np.random.Generator:
        key = (zlib.crc32(self.world.encode()), FAMILIES.index(self.family), zlib.crc32(self.split.encode()), self.index)
        return np.random.Generator(np.random.PCG64(np.random.SeedSequence(self.suite_seed, spawn_key=key)))


def intervention_value(world: World, name: str, space: Space, rng: np.random.Generator) -> float:
    """A value for ``do(name = .)`` drawn uniformly over ``space``, independent of everything else."""
    var = world.variable(name)
    lo, hi = var.space(space)
    if var.discrete:
        return float(rng.integers(int(lo), int(hi) + 1))
    return float(rng.uniform(lo, hi))


#: how often an intervention task targets a variable confounded with its target (when it has one).
#: The confounded variables are causes too (the operator's material-dependent choices), so neither
#: plugging the value into an observational fit nor copying the factual outcome answers them.
CONFOUNDED_SHARE = 0.9


def choose_intervention(world: World, target: str, candidates: Sequence[str], rng: np.random.Generator) -> str:
    """Pick the intervened variable: a variable confounded with the target (sharing a latent cause)
    with probability ``CONFOUNDED_SHARE``, otherwise one of the others; uniform within each group."""
    confounded = [v for v in candidates if v in world.confounded_with(target)]
    others = [v for v in candidates if v not in confounded]
    pick_confounded = bool(confounded) and (not others or rng.random() < CONFOUNDED_SHARE)
    group = confounded if pick_confounded else others
    return str(group[int(rng.integers(len(group)))])


def make_task(world: World, spec: TaskSpec, obs_mode: ObsMode) -> Task:
    """Generate one task (with answers) of ``world`` as ``spec`` describes."""
    if world.name != spec.world:
        raise ValueError(f"spec is for world {spec.world!r}, got {world.name!r}")
    rng = spec.rng()
    params = world.sample_task_params(rng)
    target = str(rng.choice(world.targets))
    do_var = choose_intervention(world, target, spec.do_variables, rng) if spec.family != "prediction" else None
    seeds = rng.integers(0, MAX_EPISODE_SEED, size=spec.n_support + spec.n_queries)
    outcomes = outcome_names(world)

    support = [world.sample(params, int(s)) for s in seeds[: spec.n_support]]
    support_x = [observe(world, obs_mode, params, int(s), v) for s, v in zip(seeds, support)]
    support_out = np.array([[v[o] for o in outcomes] for v in support], dtype=np.float64)

    q = spec.n_queries
    query_x, answers = [], np.empty(q, dtype=np.float64)
    query_do = np.full(q, np.nan)
    factual = np.full((q, len(outcomes)), np.nan)
    for i, s in enumerate(int(x) for x in seeds[spec.n_support :]):
        space = spec.query_space
        if spec.family == "prediction":
            values = world.sample(params, s, space=space)
            answers[i] = values[target]
        else:
            query_do[i] = intervention_value(world, do_var, space, rng)
            do = {do_var: query_do[i]}
            if spec.family == "counterfactual":
                values = world.sample(params, s, space=space)
                factual[i] = [values[o] for o in outcomes]
            else:
                values = world.properties(s, space=space)
            answers[i] = world.sample(params, s, do, space)[target]
        query_x.append(observe(world, obs_mode, params, s, values, space))

    var = world.variable(target)
    return Task(
        task_id=spec.task_id,
        world=world.name,
        family=spec.family,
        split=spec.split,
        obs_mode=obs_mode,
        target=target,
        target_type=var.vtype,
        tolerance=var.tolerance,
        obs_names=observed_properties(world) if obs_mode == "symbols" else (),
        outcome_names=outcomes,
        do_variable=do_var,
        support_x=np.stack(support_x) if support_x else empty_observations(world, obs_mode, 0),
        support_outcomes=support_out.reshape(spec.n_support, len(outcomes)),
        query_x=np.stack(query_x),
        query_do=query_do,
        query_factual=factual,
        answers=answers,
        meta={"params": params, "seeds": seeds.astype(np.uint64)},
    )
