"""Ramp: a ball rolls down an inclined ramp and across the floor toward a target line.

The ball's latent material sets its rolling resistance, grip, bounce, weight and paint colour (all
hidden from ``symbols``; the colour shows in ``pixels``). Confounding comes from how the
observational data were collected: the operator releases each ball from a material's own stretch of
the ramp, free-rolling steel lowest and sluggish rubber highest, so ``release_distance`` is both a
cause of the roll and the only symbolic trace of the material. Observationally a high release
goes with a *short* roll; under ``do(release_distance)`` a higher release rolls farther. The
floor's rolling resistance is the hidden task parameter.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from causalworld_bench.scm import Equation, TaskParam, Variable
from causalworld_bench.sim import Sim
from causalworld_bench.worlds.base import Camera, World
from causalworld_bench.worlds.common import banded, hue_rgba, jittered, proxy, root

MATERIALS = ("rubber", "wood", "steel", "cork")  # cork only in space B
HUE = (0.05, 0.2, 0.55, 0.87)
ROLLING = (0.0025, 0.0012, 0.0004, 0.004)
GRIP = (0.9, 0.6, 0.4, 0.7)
BOUNCE = (0.8, 0.5, 0.6, 0.4)
RADIUS = 0.03
MASS = tuple(rho * 4.0 / 3.0 * math.pi * RADIUS**3 for rho in (1100.0, 650.0, 7800.0, 240.0))
RAMP_LENGTH, RAMP_HALF_THICKNESS = 1.0, 0.01

VARIABLES = (
    Variable("material", "property", "categorical", "", (0, 2), (3, 3), observed=False,
             categories=MATERIALS, description="what the ball is made of (latent confounder)"),
    Variable("ball_hue", "property", "continuous", "hue", (0.0, 0.6), (0.82, 0.92), observed=False,
             description="paint colour of the ball; set by the material (latent: seen in pixels only)"),
    Variable("ball_mass", "property", "continuous", "kg", (0.06, 1.0), (0.02, 0.035), observed=False,
             description="weight of the ball; set by the material, changeable by hollowing"),
    Variable("rolling_resistance", "property", "continuous", "m", (0.0003, 0.0028), (0.0035, 0.0045),
             observed=False, description="rolling-friction coefficient of the ball surface (latent)"),
    Variable("ramp_angle", "property", "continuous", "deg", (15.0, 30.0), (33.0, 40.0), intervenable=True,
             description="inclination of the ramp"),
    Variable("release_distance", "property", "continuous", "m", (0.15, 0.45), (0.5, 0.6), intervenable=True,
             description="where on the ramp the ball is released, measured from its foot; "
                         "the operator picks it by the ball's material (steel low, rubber high)"),
    Variable("target_distance", "property", "continuous", "m", (0.55, 1.0), (1.6, 2.0), intervenable=True,
             description="distance of the target line from the ramp's foot"),
    Variable("roll_distance", "outcome", "continuous", "m", (-0.5, 6.0), tolerance=0.12, is_target=True,
             description="where the ball comes to rest, measured from the ramp's foot"),
    Variable("reached_target", "outcome", "binary", "", (0, 1), is_target=True, categories=("no", "yes"),
             description="whether the ball stops at or beyond the target line"),
)
_V = {v.name: v for v in VARIABLES}


class Ramp(World):
    name = "ramp"
    description = (
        "A ball is released on an inclined ramp, rolls down and across the floor, and stops "
        "somewhere short of or beyond a target line."
    )
    variables = VARIABLES
    equations = {
        "material": Equation((), root(_V["material"])),
        "ball_hue": Equation(("material",), proxy(HUE, 0.08)),
        "ball_mass": Equation(("material",), jittered(MASS, 0.05)),
        "rolling_resistance": Equation(("material",), jittered(ROLLING, 0.1)),
        "ramp_angle": Equation((), root(_V["ramp_angle"])),
        "release_distance": Equation(("material",), banded(_V["release_distance"], (2, 1, 0))),
        "target_distance": Equation((), root(_V["target_distance"])),
        "reached_target": Equation(
            ("roll_distance", "target_distance"),
            lambda p, _u, _s: int(p["roll_distance"] >= p["target_distance"]),
            noise_dim=0,
        ),
    }
    simulated = {
        "roll_distance": ("material", "ball_mass", "rolling_resistance", "ramp_angle", "release_distance")
    }
    task_params = (
        TaskParam("floor_rolling", 0.0003, 0.0015, "m", "rolling-friction coefficient of the floor"),
    )
    camera = Camera(target=(0.35, 0.0, 0.1), distance=1.7, yaw=0.0, pitch=-25.0)
    state_bodies = ("ball", "ramp")
    max_steps = 1200

    def build_scene(self, sim: Sim) -> None:
        sim.add_floor()
        sim.add_box("ramp", (RAMP_LENGTH / 2, 0.1, RAMP_HALF_THICKNESS), 0.0, rgba=(0.55, 0.45, 0.35, 1))
        sim.add_sphere("ball", RADIUS, MASS[0])
        sim.add_marker("target", (0.005, 0.12, 0.001))

    def setup(self, sim: Sim, props: Mapping[str, float], params: Mapping[str, float]) -> None:
        theta = math.radians(props["ramp_angle"])
        up = np.array([-math.cos(theta), 0.0, math.sin(theta)])  # up the slope
        normal = np.array([math.sin(theta), 0.0, math.cos(theta)])
        sim.set_pose("ramp", up * RAMP_LENGTH / 2 - normal * RAMP_HALF_THICKNESS,
                     (0.0, math.sin(theta / 2), 0.0, math.cos(theta / 2)))
        sim.set_pose("ball", up * props["release_distance"] + normal * (RADIUS + 1e-4))
        sim.set_velocity("ball", (0, 0, 0))
        sim.set_pose("target", (props["target_distance"], 0.0, 0.001))
        m = int(props["material"])
        sim.set_dynamics("ball", mass=props["ball_mass"], rollingFriction=props["rolling_resistance"],
                         lateralFriction=GRIP[m], restitution=BOUNCE[m])
        sim.set_dynamics("floor", rollingFriction=params["floor_rolling"], lateralFriction=1.0, restitution=0.5)
        sim.set_dynamics("ramp", lateralFriction=1.0, restitution=0.5)
        sim.set_color("ball", hue_rgba(props["ball_hue"]))

    def measure(self, sim: Sim, props: Mapping[str, float], params: Mapping[str, float]) -> dict[str, float]:
        return {"roll_distance": float(sim.pose("ball")[0][0])}
