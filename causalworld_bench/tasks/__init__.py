"""Few-shot task episodes of three families, observation modes, suites and the scoring rule."""

from causalworld_bench.tasks.observe import check_obs_mode, observed_properties, outcome_names
from causalworld_bench.tasks.sampler import TaskSpec, intervention_value, make_task
from causalworld_bench.tasks.scoring import correct, nrmse
from causalworld_bench.tasks.suites import (
    SPLITS,
    SUITES,
    TEST_A,
    TEST_B,
    TEST_HELDOUT,
    TEST_SPLITS,
    TRAIN,
    SuiteSpec,
    get_suite_spec,
)
from causalworld_bench.tasks.types import FAMILIES, OBS_MODES, Family, ObsMode, Task

__all__ = [
    "FAMILIES", "OBS_MODES", "SPLITS", "SUITES", "TEST_A", "TEST_B", "TEST_HELDOUT", "TEST_SPLITS",
    "TRAIN", "Family", "ObsMode", "SuiteSpec", "Task", "TaskSpec", "check_obs_mode", "correct",
    "get_suite_spec", "intervention_value", "make_task", "nrmse", "observed_properties", "outcome_names",
]
