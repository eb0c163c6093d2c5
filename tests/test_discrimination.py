"""The benchmark separates causal from correlational answers (5 shots, space A).

The SCM oracle must score alike on the three families (checked on `quick`), while a purely
correlational learner (pooled k-NN with plug-in interventions) must fall by at least 25 points on
intervention and on counterfactual queries (checked on the leaderboard suite itself: `quick` has
too few training tasks and queries to measure a 25-point drop to a few points).
"""

from __future__ import annotations

import pytest

from causalworld_bench.agents import load_agent
from causalworld_bench.data import generate_suite
from causalworld_bench.evaluation import OracleAgent, evaluate
from causalworld_bench.tasks import get_suite_spec

#: the issue's requirement; measured on `standard-v2`: 29.5 and 28.4 points (README)
MIN_DROP = 0.25


def _suite(tmp_path_factory, name: str):
    path = tmp_path_factory.mktemp(name) / f"{name}.h5"
    generate_suite(get_suite_spec(name), "symbols", path, workers=2, progress=False)
    return path


@pytest.mark.slow
def test_oracle_scores_alike_on_the_three_families(tmp_path_factory):
    head = evaluate(OracleAgent(), _suite(tmp_path_factory, "quick"), shots=[5], workers=2, progress=False)["headline"]
    assert min(head.values()) >= 0.9
    assert max(head.values()) - min(head.values()) <= 0.05, head


@pytest.mark.slow
def test_correlational_learner_falls_under_intervention(tmp_path_factory):
    suite = _suite(tmp_path_factory, "standard-v2")
    head = evaluate(load_agent("baselines.pooled_knn:PooledKNNAgent"), suite, shots=[5], progress=False)["headline"]
    assert head["prediction"] - head["intervention"] >= MIN_DROP, head
    assert head["prediction"] - head["counterfactual"] >= MIN_DROP, head
