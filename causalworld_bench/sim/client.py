"""One headless PyBullet client per instance, with a name -> body registry.

Modelled on panda-gym's wrapper: every world owns its own ``BulletClient`` (no global client ids),
bodies are addressed by name, and every episode empties the client and builds its scene afresh.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pybullet as pb
from pybullet_utils.bullet_client import BulletClient

from causalworld_bench.sim.errors import PhysicsBlowUpError

#: Above this speed (m/s) or distance from the origin (m) a body is considered to have blown up.
MAX_SPEED = 100.0
MAX_EXTENT = 100.0


class Sim:
    """A headless PyBullet simulation: body registry, primitives, scene reset, stepping, rendering."""

    def __init__(self, timestep: float = 1.0 / 240.0, gravity: float = -9.81) -> None:
        self.client = BulletClient(connection_mode=pb.DIRECT)
        self.timestep, self.gravity = timestep, gravity
        self.bodies: dict[str, int] = {}
        self._dynamic: list[int] = []
        self.visuals = True  # whether bodies get visual shapes (only renders need them)
        self._configure()
        # Hot-path functions bound once (BulletClient builds a partial on every attribute access).
        self._step = self.client.stepSimulation
        self._get_vel = self.client.getBaseVelocity
        self._get_pose = self.client.getBasePositionAndOrientation

    # -- lifecycle -------------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self.client._client >= 0

    def close(self) -> None:
        """Disconnect the client; safe to call twice."""
        if self.connected:
            self.client.disconnect()

    def __enter__(self) -> Sim:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _configure(self) -> None:
        self.client.setTimeStep(self.timestep)
        self.client.setPhysicsEngineParameter(deterministicOverlappingPairs=1)
        self.set_gravity(self.gravity)

    def reset(self, visuals: bool = True) -> None:
        """Remove every body and start again from an empty world with this client's settings.

        Rebuilding the scene is the one way to make an episode independent of the ones before it:
        ``restoreState`` restores bodies but not Bullet's broadphase and contact caches, whose
        history changed rare outcomes in the fifth significant digit. Bodies added after a reset
        with ``visuals=False`` get no visual shape (the costly part of building a scene); physics
        is the same either way, since visual shapes never touch it."""
        self.client.resetSimulation()
        self.bodies.clear()
        self._dynamic.clear()
        self.visuals = visuals
        self._configure()

    # -- scene construction ----------------------------------------------------------------------
    def visual_shape(self, geom: int, **kwargs: object) -> int:
        """A visual shape, or -1 (none) when this scene is built without visuals."""
        return self.client.createVisualShape(geom, **kwargs) if self.visuals else -1

    def set_gravity(self, gz: float) -> None:
        self.client.setGravity(0.0, 0.0, gz)

    def _register(self, name: str, body: int, mass: float) -> int:
        if name in self.bodies:
            raise ValueError(f"body {name!r} already exists")
        self.bodies[name] = body
        if mass > 0:
            self._dynamic.append(body)
            # a sleeping flag is not part of a saved state: never let bodies fall asleep
            self.client.changeDynamics(body, -1, activationState=pb.ACTIVATION_STATE_DISABLE_SLEEPING)
        return body

    def add_floor(
        self, name: str = "floor", half_size: float = 3.0, rgba: Sequence[float] = (0.85, 0.85, 0.85, 1)
    ) -> int:
        """A static floor whose top face is z = 0 (a finite box, so bodies can fall off its edge)."""
        return self.add_box(name, (half_size, half_size, 0.05), 0.0, (0.0, 0.0, -0.05), rgba=rgba)

    def add_box(
        self,
        name: str,
        half_extents: Sequence[float],
        mass: float,
        position: Sequence[float] = (0, 0, 0),
        orientation: Sequence[float] = (0, 0, 0, 1),
        rgba: Sequence[float] = (0.6, 0.6, 0.6, 1),
    ) -> int:
        shape = self.client.createCollisionShape(pb.GEOM_BOX, halfExtents=list(half_extents))
        visual = self.visual_shape(pb.GEOM_BOX, halfExtents=list(half_extents), rgbaColor=rgba)
        body = self.client.createMultiBody(mass, shape, visual, list(position), list(orientation))
        return self._register(name, body, mass)

    def add_marker(
        self,
        name: str,
        half_extents: Sequence[float],
        position: Sequence[float] = (0, 0, 0),
        rgba: Sequence[float] = (0.1, 0.1, 0.1, 1),
    ) -> int:
        """A visual-only box (no collision shape): a line or label that cannot touch the physics."""
        visual = self.visual_shape(pb.GEOM_BOX, halfExtents=list(half_extents), rgbaColor=rgba)
        body = self.client.createMultiBody(0, -1, visual, list(position))
        return self._register(name, body, 0.0)

    def add_sphere(
        self,
        name: str,
        radius: float,
        mass: float,
        position: Sequence[float] = (0, 0, 0),
        rgba: Sequence[float] = (0.6, 0.6, 0.6, 1),
    ) -> int:
        shape = self.client.createCollisionShape(pb.GEOM_SPHERE, radius=radius)
        visual = self.visual_shape(pb.GEOM_SPHERE, radius=radius, rgbaColor=rgba)
        body = self.client.createMultiBody(mass, shape, visual, list(position))
        return self._register(name, body, mass)

    def add_cylinder(
        self,
        name: str,
        radius: float,
        height: float,
        mass: float,
        position: Sequence[float] = (0, 0, 0),
        orientation: Sequence[float] = (0, 0, 0, 1),
        rgba: Sequence[float] = (0.6, 0.6, 0.6, 1),
    ) -> int:
        shape = self.client.createCollisionShape(pb.GEOM_CYLINDER, radius=radius, height=height)
        visual = self.visual_shape(pb.GEOM_CYLINDER, radius=radius, length=height, rgbaColor=rgba)
        body = self.client.createMultiBody(mass, shape, visual, list(position), list(orientation))
        return self._register(name, body, mass)

    # -- per-episode state -----------------------------------------------------------------------
    def set_engine(self, **kwargs: float) -> None:
        """Physics engine parameters (``pybullet.setPhysicsEngineParameter`` keywords)."""
        self.client.setPhysicsEngineParameter(**kwargs)

    def set_dynamics(self, name: str, **kwargs: float) -> None:
        """Change mass, friction, restitution, ... of a body (``pybullet.changeDynamics`` keywords)."""
        self.client.changeDynamics(self.bodies[name], -1, **kwargs)

    def set_pose(
        self, name: str, position: Sequence[float], orientation: Sequence[float] = (0, 0, 0, 1)
    ) -> None:
        self.client.resetBasePositionAndOrientation(self.bodies[name], list(position), list(orientation))

    def set_velocity(
        self, name: str, linear: Sequence[float], angular: Sequence[float] = (0, 0, 0)
    ) -> None:
        self.client.resetBaseVelocity(self.bodies[name], list(linear), list(angular))

    def set_color(self, name: str, rgba: Sequence[float]) -> None:
        if self.visuals:
            self.client.changeVisualShape(self.bodies[name], -1, rgbaColor=list(rgba))

    def pose(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        pos, orn = self._get_pose(self.bodies[name])
        return np.array(pos), np.array(orn)

    def velocity(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        lin, ang = self._get_vel(self.bodies[name])
        return np.array(lin), np.array(ang)

    def state_vector(self, names: Iterable[str]) -> np.ndarray:
        """Poses and velocities of the named bodies, flattened: 13 numbers per body."""
        rows = []
        for name in names:
            body = self.bodies[name]
            pos, orn = self._get_pose(body)
            lin, ang = self._get_vel(body)
            rows.append((*pos, *orn, *lin, *ang))
        return np.asarray(rows, dtype=np.float64).ravel()

    # -- stepping --------------------------------------------------------------------------------
    def step(self, n: int) -> None:
        """Step exactly ``n`` times, then check that the state is still physical."""
        step = self._step
        for _ in range(n):
            step()
        self.check_finite()

    def step_until_rest(
        self,
        max_steps: int,
        check_every: int = 10,
        lin_tol: float = 2e-3,
        ang_tol: float = 2e-2,
        min_steps: int = 0,
    ) -> int:
        """Step until every dynamic body is at rest (checked every ``check_every`` steps) or
        ``max_steps`` is reached; returns the number of steps taken. Deterministic: the stopping
        rule only reads the simulated state."""
        step, get_vel, dynamic = self._step, self._get_vel, self._dynamic
        taken = 0
        while taken < max_steps:
            for _ in range(check_every):
                step()
            taken += check_every
            if taken < min_steps:
                continue
            at_rest = True
            for body in dynamic:
                lin, ang = get_vel(body)
                if (
                    lin[0] * lin[0] + lin[1] * lin[1] + lin[2] * lin[2] > lin_tol * lin_tol
                    or ang[0] * ang[0] + ang[1] * ang[1] + ang[2] * ang[2] > ang_tol * ang_tol
                ):
                    at_rest = False
                    break
            if at_rest:
                break
        self.check_finite()
        return taken

    def check_finite(self) -> None:
        """Raise :class:`PhysicsBlowUpError` if any dynamic body has a NaN/inf or absurd state."""
        for name, body in self.bodies.items():
            if body not in self._dynamic:
                continue
            pos, orn = self._get_pose(body)
            lin, ang = self._get_vel(body)
            state = np.array((*pos, *orn, *lin, *ang))
            if not np.all(np.isfinite(state)):
                raise PhysicsBlowUpError(f"body {name!r} has a non-finite state: {state.tolist()}")
            if np.abs(pos).max() > MAX_EXTENT or np.abs(lin).max() > MAX_SPEED:
                raise PhysicsBlowUpError(
                    f"body {name!r} left the physical envelope: position {pos}, velocity {lin}"
                )

    # -- rendering -------------------------------------------------------------------------------
    def render(
        self,
        width: int = 64,
        height: int = 64,
        target: Sequence[float] = (0, 0, 0),
        distance: float = 1.5,
        yaw: float = 0.0,
        pitch: float = -30.0,
        fov: float = 50.0,
    ) -> np.ndarray:
        """RGB image (H, W, 3) uint8 from the headless TinyRenderer; deterministic."""
        view = self.client.computeViewMatrixFromYawPitchRoll(list(target), distance, yaw, pitch, 0.0, 2)
        proj = self.client.computeProjectionMatrixFOV(fov, width / height, 0.02, 20.0)
        _, _, rgba, _, _ = self.client.getCameraImage(
            width, height, view, proj, renderer=pb.ER_TINY_RENDERER, shadow=0,
            lightDirection=[0.4, -0.6, 1.0],
        )
        return np.asarray(rgba, dtype=np.uint8).reshape(height, width, 4)[:, :, :3].copy()
