"""Collision chain: a struck cue ball hits a white middle ball, which hits a target ball.

Three balls of equal size sit in a row on a felt floor. The cue ball is struck at centre height
along +x (a black plunger behind it is pulled back in proportion to the push); it slides, then
rolls, across a gap, hits the middle ball, which hits the target ball; the target ball rolls off
toward a white line. The outcomes are how far the target ball travels (``final_distance``) and
whether it stops at or beyond the line (``crossed_line``).

Two latent confounders: the *materials* of the cue ball and of the target ball (rubber, wood or
resin; marble out of distribution). A material sets a ball's bounciness, grip, rolling resistance,
weight and paint colour (all hidden from ``symbols``; the colours show in ``pixels``). The operator
who collected the observational data sets up each shot by the materials: the push speed by the
cue ball's (resin gently, wood hard) and the gap by the target ball's (rubber close, wood far).
So ``push_speed`` and ``gap`` (the cue ball loses speed while it slides) are causes of the
distance *and* the only symbolic traces of the two materials; ``line_distance`` only decides the
crossing. The bounciness of the middle ball is the hidden task parameter.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from causalworld_bench.scm import Equation, TaskParam, Variable
from causalworld_bench.sim import Sim
from causalworld_bench.worlds.base import Camera, World
from causalworld_bench.worlds.common import banded, hue_rgba, jittered, proxy, root

BALLS = ("cue", "middle", "target")
MATERIALS = ("rubber", "wood", "resin", "marble")  # marble only in space B
HUE = (0.05, 0.2, 0.55, 0.87)
RADIUS = 0.05
MASS = tuple(rho * 4.0 / 3.0 * math.pi * RADIUS**3 for rho in (1100.0, 700.0, 1750.0, 2700.0))
BOUNCE = (0.8, 0.6, 0.9, 0.85)  # restitution (Bullet multiplies the two bodies' values)
GRIP = (0.7, 0.45, 0.3, 0.4)  # lateral friction against the floor (floor friction is 1)
ROLLING = (0.005, 0.003, 0.0015, 0.0008)  # rolling-friction coefficient of the ball surface
MIDDLE_MASS, MIDDLE_GRIP, MIDDLE_ROLLING = 0.45, 0.25, 0.003
FLOOR_HALF_SIZE = 15.0  # m: room for the longest rolls the interventions allow
FLOOR_ROLLING = 0.004  # rolling-friction coefficient of the felt (Bullet adds ball grip x this)
SPACING = 0.1  # fixed surface-to-surface gap between the middle and the target ball (m)
PLUNGER_SCALE = 0.05  # plunger pull-back (m) per m/s of push speed: the push is visible in pixels

VARIABLES = (
    Variable("cue_material", "property", "categorical", "", (0, 2), (3, 3), observed=False,
             categories=MATERIALS, description="what the cue ball is made of (latent confounder)"),
    Variable("cue_hue", "property", "continuous", "hue", (0.0, 0.6), (0.82, 0.92), observed=False,
             description="paint colour of the cue ball; set by its material (latent: seen in pixels only)"),
    Variable("cue_mass", "property", "continuous", "kg", (0.3, 1.1), (1.2, 1.6), observed=False,
             description="weight of the cue ball; set by its material, changeable by hollowing"),
    Variable("target_material", "property", "categorical", "", (0, 2), (3, 3), observed=False,
             categories=MATERIALS, description="what the target ball is made of (latent confounder)"),
    Variable("target_hue", "property", "continuous", "hue", (0.0, 0.6), (0.82, 0.92), observed=False,
             description="paint colour of the target ball; set by its material (latent: seen in pixels only)"),
    Variable("target_mass", "property", "continuous", "kg", (0.3, 1.1), (1.2, 1.6), observed=False,
             description="weight of the target ball; set by its material, changeable by hollowing"),
    Variable("target_rolling", "property", "continuous", "m", (0.0014, 0.0055), (0.0007, 0.0009),
             observed=False, description="rolling-friction coefficient of the target ball (latent)"),
    Variable("push_speed", "property", "continuous", "m/s", (1.8, 3.2), (1.3, 1.75), intervenable=True,
             description="speed the cue ball is struck to along +x (it starts sliding, then rolls); "
                         "the operator picks it by the cue ball's material"),
    Variable("gap", "property", "continuous", "m", (0.05, 0.35), (0.4, 0.5), intervenable=True,
             description="free distance the cue ball travels before it meets the middle ball; the "
                         "operator picks it by the target ball's material"),
    Variable("line_distance", "property", "continuous", "m", (0.2, 0.9), (0.1, 0.19), intervenable=True,
             description="distance of the line from the target ball's starting point"),
    Variable("final_distance", "outcome", "continuous", "m", (0.0, 4.0), tolerance=0.1, is_target=True,
             description="how far the target ball ends up from where it started"),
    Variable("crossed_line", "outcome", "binary", "", (0, 1), is_target=True, categories=("no", "yes"),
             description="whether the target ball comes to rest at or beyond the line"),
)
_V = {v.name: v for v in VARIABLES}


def _crossed(p: Mapping[str, float], _u: np.ndarray, _s: str) -> int:
    return int(p["final_distance"] >= p["line_distance"])


class CollisionChain(World):
    name = "collision_chain"
    description = (
        "A struck cue ball hits a middle ball, which hits a target ball; the target ball "
        "rolls off and stops short of or beyond a line."
    )
    variables = VARIABLES
    equations = {
        "cue_material": Equation((), root(_V["cue_material"])),
        "cue_hue": Equation(("cue_material",), proxy(HUE, 0.08)),
        "cue_mass": Equation(("cue_material",), jittered(MASS, 0.05, "cue_material")),
        "target_material": Equation((), root(_V["target_material"])),
        "target_hue": Equation(("target_material",), proxy(HUE, 0.08)),
        "target_mass": Equation(("target_material",), jittered(MASS, 0.05, "target_material")),
        "target_rolling": Equation(("target_material",), jittered(ROLLING, 0.04, "target_material")),
        "push_speed": Equation(("cue_material",), banded(_V["push_speed"], (2, 0, 1), "cue_material")),
        "gap": Equation(("target_material",), banded(_V["gap"], (0, 2, 1), "target_material")),
        "line_distance": Equation((), root(_V["line_distance"])),
        "crossed_line": Equation(("final_distance", "line_distance"), _crossed, noise_dim=0),
    }
    simulated = {
        "final_distance": ("cue_material", "cue_mass", "target_material", "target_mass",
                           "target_rolling", "push_speed", "gap"),
    }
    task_params = (
        TaskParam("middle_bounce", 0.55, 0.95, "", "restitution of the white middle ball"),
    )
    camera = Camera(target=(0.5, 0.0, 0.0), distance=1.65, yaw=-45.0, pitch=-40.0)
    state_bodies = ("cue", "middle", "target", "line")
    max_steps = 1440

    def build_scene(self, sim: Sim) -> None:
        # No positional (Baumgarte) correction at contacts: with it, the impulse of a ball-ball hit
        # depends on how deep the balls overlap at the step the hit is found, a saw-tooth in the
        # gap and the speed; without it, hits are smooth functions of the properties.
        sim.set_engine(contactERP=0.0)
        sim.add_floor(half_size=FLOOR_HALF_SIZE, rgba=(0.18, 0.42, 0.25, 1))
        for name in BALLS:
            sim.add_sphere(name, RADIUS, MIDDLE_MASS, rgba=(0.95, 0.95, 0.95, 1))
            sim.set_dynamics(name, linearDamping=0.0, angularDamping=0.0)  # constant: rolling friction decelerates
        sim.add_marker("plunger", (0.05, 0.025, 0.025), rgba=(0.05, 0.05, 0.05, 1))
        sim.add_marker("line", (0.03, 0.3, 0.002), rgba=(0.95, 0.95, 0.95, 1))

    @staticmethod
    def _starts(props: Mapping[str, float]) -> tuple[float, float, float]:
        """x of the cue, middle and target ball centres."""
        middle = 2 * RADIUS + props["gap"]
        return 0.0, middle, middle + 2 * RADIUS + SPACING

    def setup(self, sim: Sim, props: Mapping[str, float], params: Mapping[str, float]) -> None:
        cue_m, tgt_m = int(props["cue_material"]), int(props["target_material"])
        v = props["push_speed"]
        for name, x in zip(BALLS, self._starts(props)):
            sim.set_pose(name, (x, 0.0, RADIUS))
            sim.set_velocity(name, (0.0, 0.0, 0.0))
        sim.set_velocity("cue", (v, 0.0, 0.0))  # struck at centre height: it starts sliding, without spin
        sim.set_dynamics("cue", mass=props["cue_mass"], restitution=BOUNCE[cue_m],
                         lateralFriction=GRIP[cue_m], rollingFriction=ROLLING[cue_m])
        sim.set_dynamics("middle", mass=MIDDLE_MASS, restitution=params["middle_bounce"],
                         lateralFriction=MIDDLE_GRIP, rollingFriction=MIDDLE_ROLLING)
        sim.set_dynamics("target", mass=props["target_mass"], restitution=BOUNCE[tgt_m],
                         lateralFriction=GRIP[tgt_m], rollingFriction=props["target_rolling"])
        sim.set_dynamics("floor", lateralFriction=1.0, rollingFriction=FLOOR_ROLLING,
                         restitution=0.5)
        sim.set_color("cue", hue_rgba(props["cue_hue"]))
        sim.set_color("target", hue_rgba(props["target_hue"]))
        sim.set_pose("plunger", (-RADIUS - 0.045 - PLUNGER_SCALE * v, 0.0, RADIUS))
        sim.set_pose("line", (self._starts(props)[2] + props["line_distance"], 0.0, 0.001))

    def measure(self, sim: Sim, props: Mapping[str, float], params: Mapping[str, float]) -> dict[str, float]:
        return {"final_distance": float(sim.pose("target")[0][0] - self._starts(props)[2])}
