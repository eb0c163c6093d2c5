"""The benchmark separates causal from correlational answers (the `quick` suite, 5 shots, space A).

The SCM oracle must score alike on the three families, while a purely correlational learner (pooled
k-NN with plug-in interventions) must fall on intervention and counterfactual queries.
"""

from __future__ import annotations

import pytest

from causalworld_bench.agents import load_agent
from causalworld_bench.data import generate_suite
from causalworld_bench.evaluation import OracleAgent, evaluate
from causalworld_bench.tasks import get_suite_spec

#: measured drop of the correlational learner from prediction: 19 and 20 points on `quick` (24.5 and
#: 22.9 on `standard-v1`, README); the issue's goal is 25, which the worlds do not reach yet
MIN_DROP = 0.10


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    path = tmp_path_factory.mktemp("quick") / "quick.h5"
    generate_suite(get_suite_spec("quick"), "symbols", path, workers=2, progress=False)
    return path


@pytest.mark.slow
def test_oracle_scores_alike_on_the_three_families(quick):
    head = evaluate(OracleAgent(), quick, shots=[5], workers=2, progress=False)["headline"]
    assert min(head.values()) >= 0.9
    assert max(head.values()) - min(head.values()) <= 0.05, head


@pytest.mark.slow
def test_correlational_learner_falls_under_intervention(quick):
    head = evaluate(load_agent("baselines.pooled_knn:PooledKNNAgent"), quick, shots=[5], progress=False)["headline"]
    assert head["prediction"] - head["intervention"] >= MIN_DROP, head
    assert head["prediction"] - head["counterfactual"] >= MIN_DROP, head
