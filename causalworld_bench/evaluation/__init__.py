"""Scoring agents on suites: evaluate(), metrics, graph metrics, and the oracle and chance agents."""

from causalworld_bench.evaluation.chance import ChanceAgent
from causalworld_bench.evaluation.evaluate import evaluate
from causalworld_bench.evaluation.graph_metrics import observed_graph, shd, sid
from causalworld_bench.evaluation.metrics import headline, score_predictions, wilson
from causalworld_bench.evaluation.oracle import OracleAgent

__all__ = ["ChanceAgent", "OracleAgent", "evaluate", "headline", "observed_graph", "score_predictions",
           "shd", "sid", "wilson"]
