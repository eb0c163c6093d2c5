"""PyBullet wrapper: one client per instance, a body registry, per-episode scene reset and rendering."""

from causalworld_bench.sim.client import Sim
from causalworld_bench.sim.errors import PhysicsBlowUpError

__all__ = ["PhysicsBlowUpError", "Sim"]
