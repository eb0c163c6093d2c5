"""causalworld-bench: physical worlds with exact structural causal models, few-shot causal tasks,
and leaderboards."""

from causalworld_bench.worlds import list_worlds, make_world

__version__ = "0.1.0"

__all__ = ["__version__", "list_worlds", "make_world"]
