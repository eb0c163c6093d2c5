"""Plain data of a few-shot task: what an agent sees and what it must answer."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

Family = Literal["prediction", "intervention", "counterfactual"]
ObsMode = Literal["symbols", "state", "pixels"]
FAMILIES: tuple[Family, ...] = ("prediction", "intervention", "counterfactual")
OBS_MODES: tuple[ObsMode, ...] = ("symbols", "state", "pixels")


@dataclass(frozen=True)
class Task:
    """One few-shot task of one world with hidden mechanism parameters.

    ``*_x`` are observations of the scene at t = 0 in the task's observation mode (``symbols``: the
    observed properties named ``obs_names``; ``state``: raw poses and velocities; ``pixels``: RGB
    images). Outcomes are always symbolic and named ``outcome_names``; the target is one of them.
    Support examples are complete observational samples. An intervention query asks for the target
    under ``do(do_variable = query_do[i])`` of the sample whose pre-intervention scene is
    ``query_x[i]``; a counterfactual query additionally shows that sample's factual outcomes.
    ``answers`` is ``None`` in the copy an agent sees.
    """

    task_id: str
    world: str
    family: Family
    split: str
    obs_mode: ObsMode
    target: str
    target_type: str  # "continuous" | "binary" | "categorical"
    tolerance: float | None  # absolute tolerance of a continuous target
    obs_names: tuple[str, ...]
    outcome_names: tuple[str, ...]
    do_variable: str | None
    support_x: np.ndarray
    support_outcomes: np.ndarray  # (k, n_outcomes)
    query_x: np.ndarray
    query_do: np.ndarray  # (q,), NaN where there is no intervention
    query_factual: np.ndarray  # (q, n_outcomes), NaN unless counterfactual
    answers: np.ndarray | None = None
    meta: dict = field(default_factory=dict, compare=False)

    @property
    def shots(self) -> int:
        return int(self.support_x.shape[0])

    @property
    def n_queries(self) -> int:
        return int(self.query_x.shape[0])

    @property
    def target_index(self) -> int:
        return self.outcome_names.index(self.target)

    @property
    def support_y(self) -> np.ndarray:
        """The target's value in each support example."""
        return self.support_outcomes[:, self.target_index]

    @property
    def query_factual_y(self) -> np.ndarray:
        """The target's factual value per query (NaN unless counterfactual)."""
        return self.query_factual[:, self.target_index]

    def with_shots(self, k: int) -> Task:
        """The same task with only the first ``k`` support examples (support sets are nested)."""
        if not 0 <= k <= self.shots:
            raise ValueError(f"task {self.task_id} has {self.shots} support examples, asked for {k}")
        return replace(self, support_x=self.support_x[:k], support_outcomes=self.support_outcomes[:k])

    def without_answers(self) -> Task:
        """The copy an agent sees."""
        return replace(self, answers=None, meta={})
