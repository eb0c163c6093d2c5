"""Seesaw: a balance beam with a mystery block on one arm and a known weight on the other.

A plank is hinged at its middle on a fixed stand. Under the hinge hangs a hidden counterweight
(a keel), so the beam behaves like a balance scale: it settles at a tilt that grows smoothly with
the net torque of the two blocks instead of slamming to one side. The mystery block sits on the
left arm, the calibrated weight (whose mass is written on it) on the right arm; both positions are
measured from the hinge. The outcomes are the beam's settled tilt as read against the stand
(positive when the mystery block's end dips) and whether the mystery block's end is down.

Confounding: the mystery block's latent ``material`` sets its mass, its surface gloss (rendered as
brightness) and its paint colour, all hidden from ``symbols``. The operator who collected the
observational data places each material at its own distance from the hinge, heavy steel closest
and light wood farthest, so ``mystery_position`` is both a cause of the tilt and the only symbolic
trace of the material; observationally blocks far out tip the beam *less*. The true causes are the
two positions, the known weight's mass and the latent mass. Hidden task parameters: the
counterweight's mass (the scale's stiffness) and how far off level the stand is mounted (the
reading's zero).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pybullet as pb

from causalworld_bench.scm import Equation, TaskParam, Variable
from causalworld_bench.sim import Sim
from causalworld_bench.worlds.base import Camera, World
from causalworld_bench.worlds.common import banded, hue_rgba, jittered, proxy, root

MATERIALS = ("wood", "granite", "steel", "lead")  # lead only in space B
HUE = (0.07, 0.32, 0.6, 0.85)
GLOSS = (0.2, 0.5, 0.85, 0.05)
BLOCK_HALF = (0.03, 0.03, 0.02)  # 6 x 6 x 4 cm blocks (flat, so they neither tip nor slide below ~45 deg)
DENSITY = (700.0, 2700.0, 7850.0, 11340.0)  # kg/m^3
MASS = tuple(rho * 8.0 * BLOCK_HALF[0] * BLOCK_HALF[1] * BLOCK_HALF[2] for rho in DENSITY)
MASS_JITTER = 0.06  # +-3 % unobserved spread of the mystery block's mass around its material's

PIVOT_HEIGHT = 0.3  # hinge height above the floor (m): the plank ends touch the floor at 48.6 deg
PLANK_HALF = (0.4, 0.07, 0.012)  # half extents of the plank, centred on the hinge
KEEL_DEPTH = 0.05  # the beam's centre of mass hangs this far below the hinge (m)
BEAM_INERTIA = (0.01, 0.03, 0.03)  # principal moments of the beam about its centre of mass (kg m^2)
HINGE_DAMPING = 2.5  # viscous damping of the hinge (N m s/rad): about critical, so the beam settles fast
FRICTION = 1.0
WEIGHT_RGBA = (0.55, 0.55, 0.6, 1.0)

VARIABLES = (
    Variable("material", "property", "categorical", "", (0, 2), (3, 3), observed=False,
             categories=MATERIALS, description="what the mystery block is made of (latent confounder)"),
    Variable("mystery_hue", "property", "continuous", "hue", (0.0, 0.7), (0.78, 0.92), observed=False,
             description="paint colour of the mystery block; set by its material (latent: seen in pixels only)"),
    Variable("mystery_gloss", "property", "continuous", "", (0.15, 0.9), (0.0, 0.1), observed=False,
             description="surface gloss of the mystery block (0 matt, 1 mirror; rendered as brightness); "
                         "set by its material, changeable by varnish"),
    Variable("mystery_mass", "property", "continuous", "kg", (0.09, 1.17), (1.55, 1.7), observed=False,
             description="mass of the mystery block (latent): its material's density times its volume"),
    Variable("mystery_position", "property", "continuous", "m", (0.08, 0.32), (0.34, 0.37), intervenable=True,
             description="distance of the mystery block from the hinge, on the left arm; the "
                         "operator picks it by the block's material (steel close, wood far)"),
    Variable("weight_mass", "property", "continuous", "kg", (0.05, 1.0), (1.2, 2.0), intervenable=True,
             description="mass of the calibrated weight (written on it)"),
    Variable("weight_position", "property", "continuous", "m", (0.08, 0.32), (0.34, 0.37), intervenable=True,
             description="distance of the calibrated weight from the hinge, on the right arm"),
    Variable("tilt_angle", "outcome", "continuous", "deg", (-60.0, 60.0), tolerance=2.0, is_target=True,
             description="settled tilt of the beam read against the stand; positive when the left "
                         "(mystery) end is down"),
    Variable("mystery_side_down", "outcome", "binary", "", (0, 1), is_target=True, categories=("no", "yes"),
             description="whether the beam settles with the mystery block's end down"),
)
_V = {v.name: v for v in VARIABLES}


def _rotate_y(beta: float, x: float, z: float) -> tuple[float, float, float]:
    """The point (x, 0, z) of the stand's frame, turned by ``beta`` rad about the hinge's y axis."""
    c, s = math.cos(beta), math.sin(beta)
    return (c * x + s * z, 0.0, PIVOT_HEIGHT - s * x + c * z)


class Seesaw(World):
    name = "seesaw"
    description = (
        "A balance beam with a hidden counterweight tilts under a mystery block on its left arm "
        "and a known weight on its right arm, and settles at an angle."
    )
    variables = VARIABLES
    equations = {
        "material": Equation((), root(_V["material"])),
        "mystery_hue": Equation(("material",), proxy(HUE, 0.1)),
        "mystery_gloss": Equation(("material",), proxy(GLOSS, 0.1)),
        "mystery_mass": Equation(("material",), jittered(MASS, MASS_JITTER)),
        "mystery_position": Equation(("material",), banded(_V["mystery_position"], (2, 1, 0))),
        "weight_mass": Equation((), root(_V["weight_mass"])),
        "weight_position": Equation((), root(_V["weight_position"])),
        "mystery_side_down": Equation(
            ("tilt_angle",), lambda p, _u, _s: int(p["tilt_angle"] > 0.0), noise_dim=0
        ),
    }
    simulated = {"tilt_angle": ("mystery_mass", "mystery_position", "weight_mass", "weight_position")}
    task_params = (
        TaskParam("counterweight_mass", 13.0, 19.0, "kg",
                  f"mass of the beam with its keel, whose centre hangs {KEEL_DEPTH} m below the hinge"),
        TaskParam("mount_tilt", -2.0, 2.0, "deg", "how far the stand is mounted off level (turns the reading's zero)"),
    )
    camera = Camera(target=(0.0, 0.0, 0.22), distance=0.95, yaw=0.0, pitch=-14.0)
    state_bodies = ("mystery", "weight")
    max_steps = 960
    min_steps = 120  # the scene starts at rest: let a small torque get the beam moving first

    def build_scene(self, sim: Sim) -> None:
        sim.add_floor()
        c = sim.client
        stand = sim.visual_shape(pb.GEOM_BOX, halfExtents=[0.03, 0.05, PIVOT_HEIGHT / 2],
                                 rgbaColor=[0.25, 0.25, 0.28, 1], visualFramePosition=[0, 0, -PIVOT_HEIGHT / 2])
        plank_col = c.createCollisionShape(pb.GEOM_BOX, halfExtents=list(PLANK_HALF))
        plank_vis = sim.visual_shape(pb.GEOM_BOX, halfExtents=list(PLANK_HALF), rgbaColor=[0.62, 0.47, 0.3, 1])
        # A fixed (massless) stand whose frame is the hinge, and one revolute link: the beam.
        beam = c.createMultiBody(
            0.0, -1, stand, [0, 0, PIVOT_HEIGHT], [0, 0, 0, 1],
            linkMasses=[20.0], linkCollisionShapeIndices=[plank_col], linkVisualShapeIndices=[plank_vis],
            linkPositions=[[0, 0, 0]], linkOrientations=[[0, 0, 0, 1]],
            linkInertialFramePositions=[[0, 0, -KEEL_DEPTH]], linkInertialFrameOrientations=[[0, 0, 0, 1]],
            linkParentIndices=[0], linkJointTypes=[pb.JOINT_REVOLUTE], linkJointAxis=[[0, 1, 0]],
        )
        sim._register("beam", beam, 0.0)  # static base; the blocks riding on the beam reveal its motion
        sim.add_box("mystery", BLOCK_HALF, MASS[0])
        sim.add_box("weight", BLOCK_HALF, 0.5, rgba=WEIGHT_RGBA)

    def setup(self, sim: Sim, props: Mapping[str, float], params: Mapping[str, float]) -> None:
        c, beam = sim.client, sim.bodies["beam"]
        beta = math.radians(params["mount_tilt"])
        quat = (0.0, math.sin(beta / 2), 0.0, math.cos(beta / 2))  # the stand, turned about the hinge axis
        c.resetBasePositionAndOrientation(beam, [0, 0, PIVOT_HEIGHT], quat)
        c.resetJointState(beam, 0, 0.0, 0.0)
        c.setJointMotorControl2(beam, 0, pb.VELOCITY_CONTROL, targetVelocity=0.0, force=0.0)  # a free hinge
        c.changeDynamics(beam, 0, mass=params["counterweight_mass"], localInertiaDiagonal=list(BEAM_INERTIA),
                         jointDamping=HINGE_DAMPING, lateralFriction=FRICTION, restitution=0.0,
                         linearDamping=0.0, angularDamping=0.0)
        top = PLANK_HALF[2] + BLOCK_HALF[2]
        for name, mass, x in (("mystery", props["mystery_mass"], -props["mystery_position"]),
                              ("weight", props["weight_mass"], props["weight_position"])):
            sim.set_pose(name, _rotate_y(beta, x, top), quat)
            sim.set_velocity(name, (0, 0, 0))
            sim.set_dynamics(name, mass=mass, lateralFriction=FRICTION, restitution=0.0,
                             linearDamping=0.04, angularDamping=0.04)
        sim.set_dynamics("floor", lateralFriction=FRICTION, restitution=0.0)
        # TinyRenderer draws no highlights, so the gloss shows as the paint's brightness.
        sim.set_color("mystery", hue_rgba(props["mystery_hue"], val=0.45 + 0.55 * props["mystery_gloss"]))

    def measure(self, sim: Sim, props: Mapping[str, float], params: Mapping[str, float]) -> dict[str, float]:
        angle = sim.client.getJointState(sim.bodies["beam"], 0)[0]  # + turns the right end down
        return {"tilt_angle": -math.degrees(angle)}
