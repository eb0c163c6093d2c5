"""Errors raised by the simulator layer."""


class PhysicsBlowUpError(RuntimeError):
    """The physics state became non-finite or absurd; the episode is not returned as data."""
