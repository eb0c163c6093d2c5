"""Registration of every environment under the ``CausalWorldBench/`` gymnasium namespace."""

from __future__ import annotations

import gymnasium as gym

from causalworld_bench.worlds import list_worlds

NAMESPACE = "CausalWorldBench"
#: Steps before an intervention episode is truncated.
INTERVENTION_STEPS = 20


def camel(name: str) -> str:
    """``collision_chain`` -> ``CollisionChain``."""
    return "".join(part.capitalize() for part in name.split("_"))


def intervention_id(world: str) -> str:
    """The id of a world's intervention environment, e.g. ``CausalWorldBench/Ramp-v0``."""
    return f"{NAMESPACE}/{camel(world)}-v0"


def register_envs() -> list[str]:
    """Register every environment (idempotent) and return their ids."""
    entries = [
        (intervention_id(w), "intervention:InterventionEnv", {"world": w}, INTERVENTION_STEPS)
        for w in list_worlds()
    ]
    entries += [
        (f"{NAMESPACE}/FewShot-v0", "fewshot:FewShotEnv", {}, None),
        (f"{NAMESPACE}/Experiment-v0", "experiment:ExperimentEnv", {}, None),
    ]
    for env_id, entry_point, kwargs, steps in entries:
        if env_id not in gym.registry:
            gym.register(env_id, entry_point=f"causalworld_bench.envs.{entry_point}", kwargs=kwargs,
                         max_episode_steps=steps)
    return [env_id for env_id, *_ in entries]


#: Every registered environment id.
ENV_IDS: list[str] = register_envs()
