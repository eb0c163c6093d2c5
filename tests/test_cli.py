"""The command line: generate/evaluate/submit round trip, the main job, and clear errors."""

from __future__ import annotations

import json
import shutil

import pytest

from causalworld_bench.cli import main
from causalworld_bench.commands import run as run_cmd


def test_worlds_json(capsys):
    assert main(["worlds", "--json", "ramp"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info[0]["name"] == "ramp"


def test_evaluate_then_submit(mini_suite, tmp_path, capsys):
    out = tmp_path / "r.json"
    args = ["evaluate", "--agent", "causalworld_bench.evaluation:ChanceAgent", "--agent-kwargs", '{"seed": 2}',
            "--suite", str(mini_suite), "--out", str(out), "--shots", "0", "5", "--quiet"]
    assert main(args) == 0
    results = json.loads(out.read_text())
    assert results["agent"] == "chance" and results["agent_kwargs"] == {"seed": 2}
    assert main(["leaderboard", "submit", str(out), "--suite", str(mini_suite), "--root", str(tmp_path / "lb")]) == 0
    assert (tmp_path / "lb" / "mini-symbols" / "chance.json").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["evaluate", "--agent", "nope:Agent"], "cannot import agent module"),
        (["evaluate", "--agent", "causalworld_bench.evaluation:ChanceAgent", "--agent-kwargs", "[1]"], "JSON object"),
    ],
)
def test_evaluate_errors(mini_suite, tmp_path, capsys, args, message):
    code = main([*args, "--suite", str(mini_suite), "--out", str(tmp_path / "x.json"), "--quiet"])
    assert code == 2 and message in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()


def test_generate_rejects_unknown_suite(capsys):
    with pytest.raises(SystemExit):
        main(["generate", "--suite", "huge", "--out", "x.h5"])


def test_main_job_runs_and_writes_a_report(mini_suite, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("CAUSALWORLD_BENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(run_cmd, "generate_suite", lambda spec, obs, path, **kw: shutil.copy(mini_suite, path))
    report = tmp_path / "report"
    code = main(["run", "--suite", "mini", "--agents", "causalworld_bench.evaluation:ChanceAgent",
                 "baselines.pooled_knn:PooledKNNAgent", "baselines.pooled_mlp:PooledMLPAgent",
                 "baselines.fixed_graph:EmptyGraphSCMAgent", "missing.module:Agent", "--out", str(report), "--quiet"])
    captured = capsys.readouterr()
    out = captured.out
    assert code == 0, captured.err
    assert "skipping missing.module:Agent" in out and "pooled-knn" in out and "chance" in out
    assert (report / "results" / "chance.json").exists()
    assert (report / "leaderboards" / "README.md").exists() and (report / "leaderboards" / "index.html").exists()
    assert (report / "leaderboards" / "mini-symbols" / "accuracy.png").stat().st_size > 1000
    assert (report / "plots" / "pooled-mlp-learning.png").stat().st_size > 1000  # a trainable agent's curves
    assert (report / "plots" / "empty-graph-scm-ramp-graph.png").stat().st_size > 1000  # learned vs true graph
