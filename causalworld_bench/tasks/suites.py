"""Suite definitions: which tasks a named, versioned suite holds, and how they are split."""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass

import numpy as np

from causalworld_bench.tasks.sampler import TaskSpec
from causalworld_bench.tasks.types import FAMILIES, Family
from causalworld_bench.worlds import World

#: Meta-training tasks: space A, interventions on every intervenable variable but the held-out one.
TRAIN = "train"
#: In-distribution test tasks (space A).
TEST_A = "test_a"
#: Out-of-distribution test tasks: support from space A, queries and intervention values from space B.
TEST_B = "test_b"
#: Interventions on the one variable per world that no meta-training task intervenes on (space A);
#: it is a plain cause (confounded with no target), see :meth:`SuiteSpec.heldout_variable`.
TEST_HELDOUT = "test_heldout"
TEST_SPLITS = (TEST_A, TEST_B, TEST_HELDOUT)
SPLITS = (TRAIN, *TEST_SPLITS)


@dataclass(frozen=True)
class SuiteSpec:
    """A named, versioned, seeded set of tasks. Every test task stores ``max(shots)`` nested support
    examples, so each shot count is scored on the very same queries."""

    name: str
    version: str
    seed: int
    worlds: tuple[str, ...]
    n_queries: int
    train_tasks: int  # per world x family
    test_tasks: int  # per world x family x split
    shots: tuple[int, ...] = (0, 1, 5, 10)
    headline_shots: int = 5

    @property
    def max_shots(self) -> int:
        return max(self.shots)

    def to_dict(self) -> dict:
        return asdict(self)

    def heldout_variable(self, world: World) -> str:
        """The intervenable variable of ``world`` reserved for the held-out-interventions split: one
        confounded with no target (a plain cause), so the confounded ones stay in training and test_a."""
        confounded = {v for t in world.targets for v in world.confounded_with(t)}
        candidates = [v for v in world.intervenable if v not in confounded]
        rng = np.random.default_rng([self.seed, zlib.crc32(world.name.encode())])
        return str(candidates[int(rng.integers(len(candidates)))])

    def task_specs(self, world: World) -> list[TaskSpec]:
        """Every task of ``world`` in this suite, in storage order."""
        held = self.heldout_variable(world)
        seen = tuple(v for v in world.intervenable if v != held)
        specs = []
        for family in FAMILIES:
            for split in SPLITS:
                if split == TEST_HELDOUT and family == "prediction":
                    continue
                n = self.train_tasks if split == TRAIN else self.test_tasks
                do_vars = () if family == "prediction" else ((held,) if split == TEST_HELDOUT else seen)
                specs += [
                    TaskSpec(world.name, family, split, i, self.seed, self.max_shots, self.n_queries,
                             do_vars, "B" if split == TEST_B else "A")
                    for i in range(n)
                ]
        return specs

    def cells(self) -> list[tuple[str, Family, str]]:
        """The (world, family, split) test cells that results are reported on."""
        return [
            (w, f, s) for w in self.worlds for f in FAMILIES for s in TEST_SPLITS
            if not (s == TEST_HELDOUT and f == "prediction")
        ]


WORLDS = ("collision_chain", "ramp", "seesaw", "tower")

SUITES: dict[str, SuiteSpec] = {
    "mini": SuiteSpec("mini", "2", seed=7, worlds=WORLDS, n_queries=6, train_tasks=4, test_tasks=2),
    # the main job's default: small enough to generate, train and score in a few minutes
    "quick": SuiteSpec("quick", "2", seed=11, worlds=WORLDS, n_queries=10, train_tasks=24, test_tasks=6),
    # 45 tasks x 24 queries = 1080 queries per cell: a 95% CI of at most +-3 points on any accuracy.
    "standard-v2": SuiteSpec(
        "standard-v2", "2", seed=2026, worlds=WORLDS, n_queries=24, train_tasks=60, test_tasks=45
    ),
}


def get_suite_spec(name: str) -> SuiteSpec:
    try:
        return SUITES[name]
    except KeyError:
        raise ValueError(f"unknown suite {name!r}; known suites: {', '.join(SUITES)}") from None
