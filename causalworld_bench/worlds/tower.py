"""Tower: the top brick of a three-brick tower is flicked sideways; does the tower hold?

Three equal bricks (15 x 10 x 5 cm) are stacked on the floor, each shifted along +x from the one
below by ``mid_offset`` and ``top_offset``. At t = 0 the top brick is flicked along +x with speed
``push_speed``; it slides on the middle brick until friction stops it (after roughly
``push_speed**2 / (2 g mu)``) or it runs over the edge. Whether the tower ends up standing
depends on how far the top brick slid, the offsets, and the top brick's weight: a heavy top brick
far out drags the middle brick over the bottom brick's edge, a light one does not.

The two lower bricks are concrete. The top brick's latent ``material`` (wood, granite or steel;
cork out of distribution) sets its weight (``top_mass``), its grip (``top_friction``), its sheen
(``top_gloss``, rendered as brightness) and its paint colour (``top_hue``), all hidden from
``symbols``. **Confounded cause:** the operator who collected the observational data flicks each
material in its own speed band, heavy steel gently and light wood hard, so ``push_speed`` is
both a cause of the slide and the only symbolic trace of the material; observationally the
hardest flicks meet the lightest bricks. The offsets are unconfounded causes.

Targets: ``top_displacement`` (continuous: how far the top brick's centre moved, smooth in speed
and grip while the tower stands) and ``toppled`` (binary: the top brick ended below two brick
heights). The hidden task parameter is the friction coefficient of the concrete bricks, which
scales every sliding distance. Space B: a light, grippy cork top brick on a tower leaning back
(negative offsets), flicked hard.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from causalworld_bench.scm import Equation, TaskParam, Variable
from causalworld_bench.sim import Sim
from causalworld_bench.worlds.base import Camera, World
from causalworld_bench.worlds.common import banded, hue_rgba, jittered, proxy, root

MATERIALS = ("wood", "granite", "steel", "cork")  # cork only in space B
HALF = (0.075, 0.05, 0.025)  # half extents of every brick (m): bricks laid along the push
VOLUME = 8.0 * HALF[0] * HALF[1] * HALF[2]
BASE_MASS = 2300.0 * VOLUME  # the two lower bricks are concrete
DENSITY = (600.0, 2700.0, 7850.0, 240.0)
MASS = tuple(rho * VOLUME for rho in DENSITY)
FRICTION = (0.5, 0.8, 0.25, 0.95)
HUE = (0.08, 0.58, 0.33, 0.93)
GLOSS = (0.2, 0.5, 0.8, 0.05)
MASS_SPREAD, FRICTION_SPREAD = 0.1, 0.1  # relative jitter: +-5% and +-5%
PARKED = tuple((0.0, 3.0 * (i + 1), 1.0) for i in range(3))  # creation poses: apart, in the air
TOPPLED_BELOW = 4.0 * HALF[2]  # two brick heights: the top brick is no longer on a standing tower

VARIABLES = (
    Variable("material", "property", "categorical", "", (0, 2), (3, 3), observed=False,
             categories=MATERIALS, description="what the top brick is made of (latent confounder)"),
    Variable("top_hue", "property", "continuous", "hue", (0.05, 0.61), (0.9, 0.96), observed=False,
             description="paint colour of the top brick; set by the material (latent: seen in pixels only)"),
    Variable("top_gloss", "property", "continuous", "", (0.15, 0.85), (0.0, 0.1), observed=False,
             description="surface sheen of the top brick's varnish; set by the material, re-varnishable"),
    Variable("top_mass", "property", "continuous", "kg", (0.4, 6.5), (0.15, 0.2), observed=False,
             description="weight of the top brick; set by the material, changeable by hollowing"),
    Variable("top_friction", "property", "continuous", "", (0.23, 0.85), (0.9, 1.0), observed=False,
             description="friction coefficient of the top brick's underside (latent)"),
    Variable("mid_offset", "property", "continuous", "m", (0.0, 0.06), (-0.04, -0.015), intervenable=True,
             description="sideways shift of the middle brick relative to the bottom brick, along the push"),
    Variable("top_offset", "property", "continuous", "m", (0.0, 0.05), (-0.04, -0.015), intervenable=True,
             description="sideways shift of the top brick relative to the middle brick, along the push"),
    Variable("push_speed", "property", "continuous", "m/s", (0.2, 0.65), (1.0, 1.4), intervenable=True,
             description="speed with which the top brick is flicked along +x at t = 0; the operator "
                         "picks it by the brick's material (steel gently, wood hard)"),
    Variable("top_displacement", "outcome", "continuous", "m", (0.0, 0.6), tolerance=0.01, is_target=True,
             description="horizontal distance the top brick's centre moved by the time all is at rest"),
    Variable("top_height", "outcome", "continuous", "m", (0.0, 0.2),
             description="final height of the top brick's centre above the floor"),
    Variable("toppled", "outcome", "binary", "", (0, 1), is_target=True, categories=("no", "yes"),
             description=f"whether the top brick ends below {TOPPLED_BELOW} m (it fell off or the tower fell)"),
)
_V = {v.name: v for v in VARIABLES}


#: everything :meth:`Tower.setup` feeds to the physics (hue and gloss only paint the brick)
_CAUSES = ("top_mass", "top_friction", "mid_offset", "top_offset", "push_speed")


class Tower(World):
    """Three stacked bricks; the top one is flicked along +x (see the module docstring)."""

    name = "tower"
    description = (
        "The top brick of a three-brick tower is flicked sideways; it slides, stops or runs over "
        "the edge, and the tower stands or topples."
    )
    variables = VARIABLES
    equations = {
        "material": Equation((), root(_V["material"])),
        "top_hue": Equation(("material",), proxy(HUE, 0.06)),
        "top_gloss": Equation(("material",), proxy(GLOSS, 0.08)),
        "top_mass": Equation(("material",), jittered(MASS, MASS_SPREAD)),
        "top_friction": Equation(("material",), jittered(FRICTION, FRICTION_SPREAD)),
        "mid_offset": Equation((), root(_V["mid_offset"])),
        "top_offset": Equation((), root(_V["top_offset"])),
        "push_speed": Equation(("material",), banded(_V["push_speed"], (2, 1, 0))),
        "toppled": Equation(
            ("top_height",), lambda p, _u, _s: int(p["top_height"] < TOPPLED_BELOW), noise_dim=0
        ),
    }
    simulated = {"top_displacement": _CAUSES, "top_height": _CAUSES}
    task_params = (
        TaskParam("concrete_friction", 0.6, 1.0, "", "friction coefficient of the two concrete bricks"),
    )
    camera = Camera(target=(0.07, 0.0, 0.06), distance=0.42, yaw=0.0, pitch=-20.0)
    state_bodies = ("bottom", "middle", "top")
    max_steps = 960
    min_steps = 60

    def build_scene(self, sim: Sim) -> None:
        # The bricks are created apart, touching nothing, and placed by ``setup``.
        sim.add_floor(half_size=1.5)
        for name, pose in zip(self.state_bodies, PARKED):
            sim.add_box(name, HALF, BASE_MASS, pose, rgba=(0.45, 0.45, 0.48, 1))

    def setup(self, sim: Sim, props: Mapping[str, float], params: Mapping[str, float]) -> None:
        x_mid = props["mid_offset"]
        x_top = x_mid + props["top_offset"]
        for name, x, level in (("bottom", 0.0, 0), ("middle", x_mid, 1), ("top", x_top, 2)):
            sim.set_pose(name, (x, 0.0, HALF[2] * (2 * level + 1)))
            sim.set_velocity(name, (0, 0, 0))
        sim.set_velocity("top", (props["push_speed"], 0.0, 0.0))
        base = params["concrete_friction"]
        for name in ("bottom", "middle"):
            sim.set_dynamics(name, mass=BASE_MASS, lateralFriction=base, restitution=0.0, frictionAnchor=1)
        sim.set_dynamics("top", mass=props["top_mass"], lateralFriction=props["top_friction"],
                         restitution=0.0, frictionAnchor=1)
        sim.set_dynamics("floor", lateralFriction=1.0, restitution=0.0)
        sim.set_color("top", hue_rgba(props["top_hue"], sat=0.8, val=0.45 + 0.5 * props["top_gloss"]))

    def measure(self, sim: Sim, props: Mapping[str, float], params: Mapping[str, float]) -> dict[str, float]:
        pos = sim.pose("top")[0]
        x0 = props["mid_offset"] + props["top_offset"]
        return {"top_displacement": float(np.hypot(pos[0] - x0, pos[1])), "top_height": float(pos[2])}
