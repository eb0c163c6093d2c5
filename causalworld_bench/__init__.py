"""causalworld-bench: physical worlds with exact structural causal models, few-shot causal tasks,
and leaderboards."""

from causalworld_bench.worlds import list_worlds, make_world
from causalworld_bench.envs import ENV_IDS  # registers the gymnasium environments

__version__ = "0.1.0"

__all__ = ["ENV_IDS", "__version__", "list_worlds", "make_world"]
