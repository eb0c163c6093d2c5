"""Structural causal models: variables, the causal graph, exogenous noise, do() and counterfactuals."""

from causalworld_bench.scm.graph import CausalGraph
from causalworld_bench.scm.model import SCM, Equation, InterventionError, TaskParam
from causalworld_bench.scm.noise import check_seed, exogenous_noise
from causalworld_bench.scm.variables import Space, Variable

__all__ = [
    "SCM",
    "CausalGraph",
    "Equation",
    "InterventionError",
    "Space",
    "TaskParam",
    "Variable",
    "check_seed",
    "exogenous_noise",
]
