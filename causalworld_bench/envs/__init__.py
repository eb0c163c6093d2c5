"""Gymnasium environments (intervention per world, few-shot tasks, active experiments), registered
under ``CausalWorldBench/`` when :mod:`causalworld_bench` is imported."""

from causalworld_bench.envs.experiment import ExperimentEnv, observed_graph, shd
from causalworld_bench.envs.fewshot import FewShotEnv
from causalworld_bench.envs.intervention import InterventionEnv
from causalworld_bench.envs.registration import ENV_IDS, intervention_id

__all__ = ["ENV_IDS", "ExperimentEnv", "FewShotEnv", "InterventionEnv", "intervention_id", "observed_graph", "shd"]
