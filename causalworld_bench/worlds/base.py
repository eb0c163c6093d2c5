"""A world: an SCM whose outcome mechanism is a PyBullet scene, plus the scene's camera."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from causalworld_bench.scm import SCM, Space
from causalworld_bench.sim import PhysicsBlowUpError, Sim


@dataclass(frozen=True)
class Camera:
    """Where the renderer looks from (PyBullet yaw/pitch/distance around a target point)."""

    target: tuple[float, float, float] = (0.0, 0.0, 0.0)
    distance: float = 1.5
    yaw: float = 0.0
    pitch: float = -30.0


class World(SCM):
    """An SCM simulated in its own PyBullet client.

    Each instance owns one PyBullet client. Every episode empties it and builds the scene afresh
    (:meth:`build_scene`), so no episode can depend on the ones before it, applies the episode's
    properties and task parameters with :meth:`setup`, runs the physics until rest, and reads the
    outcomes with :meth:`measure`.
    """

    camera: Camera = Camera()
    #: dynamic bodies, in order, whose poses and velocities form the ``state`` observation
    state_bodies: tuple[str, ...] = ()
    max_steps: int = 960
    min_steps: int = 0

    def __init__(self) -> None:
        super().__init__()
        self._sim: Sim | None = None
        self.last_steps = 0  # physics steps taken by the latest episode (for benchmarks)

    # -- the scene -------------------------------------------------------------------------------
    @property
    def sim(self) -> Sim:
        """The world's own simulator client, connected on first use."""
        if self._sim is None or not self._sim.connected:
            self._sim = Sim()
        return self._sim

    def close(self) -> None:
        """Disconnect the world's client (it is rebuilt if the world is used again)."""
        if self._sim is not None:
            self._sim.close()
            self._sim = None

    def __del__(self) -> None:
        self.close()

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_sim"] = None  # a client cannot cross processes
        return state

    @abc.abstractmethod
    def build_scene(self, sim: Sim) -> None:
        """Create every body of an empty scene (positions and dynamics are set by :meth:`setup`)."""

    @abc.abstractmethod
    def setup(self, sim: Sim, props: Mapping[str, float], params: Mapping[str, float]) -> None:
        """Place and configure the bodies for one episode."""

    @abc.abstractmethod
    def measure(self, sim: Sim, props: Mapping[str, float], params: Mapping[str, float]) -> dict[str, float]:
        """Read the simulated outcomes from the settled scene."""

    def _reset_episode(self, props: Mapping[str, float], params: Mapping[str, float], visuals: bool = False) -> Sim:
        sim = self.sim
        sim.reset(visuals)
        self.build_scene(sim)
        self.setup(sim, props, params)
        return sim

    def _simulate(self, props: Mapping[str, float], params: Mapping[str, float]) -> dict[str, float]:
        sim = self._reset_episode(props, params)
        try:
            self.last_steps = sim.step_until_rest(self.max_steps, min_steps=self.min_steps)
        except PhysicsBlowUpError:
            self.close()  # a fresh client next time, whatever state the blow-up left behind
            raise
        return self.measure(sim, props, params)

    # -- observations ----------------------------------------------------------------------------
    def _initial_scene(
        self, params: Mapping[str, float], seed: int, do: Mapping[str, float] | None, space: Space,
        visuals: bool = True,
    ) -> Sim:
        return self._reset_episode(self.properties(seed, do, space), self.check_params(params), visuals)

    def render(
        self,
        params: Mapping[str, float],
        seed: int,
        do: Mapping[str, float] | None = None,
        width: int = 64,
        height: int = 64,
        space: Space = "A",
    ) -> np.ndarray:
        """RGB image (height, width, 3) uint8 of the episode's initial scene (TinyRenderer)."""
        if not (isinstance(width, int) and isinstance(height, int) and 8 <= width <= 1024 and 8 <= height <= 1024):
            raise ValueError(f"render size must be integers in [8, 1024], got {width}x{height}")
        sim = self._initial_scene(params, seed, do, space)
        return self._camera_image(sim, width, height)

    def _camera_image(self, sim: Sim, width: int, height: int) -> np.ndarray:
        cam = self.camera
        return sim.render(width, height, cam.target, cam.distance, cam.yaw, cam.pitch)

    def initial_state(
        self,
        params: Mapping[str, float],
        seed: int,
        do: Mapping[str, float] | None = None,
        space: Space = "A",
    ) -> np.ndarray:
        """Raw poses and velocities (13 numbers per body of ``state_bodies``) at t = 0: the ``state`` view."""
        return self._initial_scene(params, seed, do, space, visuals=False).state_vector(self.state_bodies)

    def frames(
        self,
        params: Mapping[str, float],
        seed: int,
        do: Mapping[str, float] | None = None,
        every: int = 8,
        width: int = 160,
        height: int = 120,
        space: Space = "A",
    ) -> list[np.ndarray]:
        """Rendered frames of the whole episode, one every ``every`` physics steps (for clips).

        The episode is stepped exactly as in :meth:`sample`, so the last frame shows the measured outcome."""
        self.sample(params, seed, do, space)  # validates and records the episode length
        total = self.last_steps
        sim = self._initial_scene(params, seed, do, space)
        images = [self._camera_image(sim, width, height)]
        for start in range(0, total, every):
            sim.step(min(every, total - start))
            images.append(self._camera_image(sim, width, height))
        return images
