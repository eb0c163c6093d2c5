"""Leaderboard: submissions are validated, scores recomputed, bad submissions rejected without side
effects, and the rendered tables are deterministic and safe."""

from __future__ import annotations

import copy
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from causalworld_bench.cli import main
from causalworld_bench.data import generate_suite, load_suite
from causalworld_bench.evaluation import ChanceAgent, OracleAgent, evaluate
from causalworld_bench.evaluation.graph_metrics import observed_graph
from causalworld_bench.leaderboard import SubmissionError, load_entries, render, submit, track_name
from causalworld_bench.leaderboard import submission as submission_mod
from causalworld_bench.leaderboard.render import make_row
from causalworld_bench.tasks import FAMILIES, TEST_A, SuiteSpec, correct, observed_properties, outcome_names
from causalworld_bench.worlds import make_world

SPEC = SuiteSpec("lb-test", "1", seed=3, worlds=("ramp",), n_queries=3, train_tasks=1, test_tasks=1)
TRACK = track_name("lb-test", "symbols")


@pytest.fixture(scope="module")
def suite_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("suite") / "lb-test.h5"
    generate_suite(SPEC, "symbols", path, progress=False)
    return path


@pytest.fixture(scope="module")
def chance(suite_path: Path) -> dict:
    return evaluate(ChanceAgent(), suite_path, shots=[5], progress=False)


@pytest.fixture(scope="module")
def oracle(suite_path: Path) -> dict:
    return evaluate(OracleAgent(), suite_path, shots=[5], progress=False)


def write(tmp_path: Path, data: dict, name: str = "results.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def submit_dict(tmp_path: Path, data: dict, suite_path: Path, root: Path | None = None) -> dict:
    """Submit ``data`` and return the written entry."""
    entry = submit(write(tmp_path, data), suite_path, root or tmp_path / "lb")
    return json.loads(entry.read_text(encoding="utf-8"))


def cell(entry: dict, world: str, family: str, split: str, shots: int) -> dict:
    (row,) = [r for r in entry["scores"] if (r["world"], r["family"], r["split"], r["shots"]) == (world, family, split, shots)]
    return row


def test_entry_written_with_recomputed_scores(tmp_path: Path, oracle: dict, suite_path: Path) -> None:
    entry = submit_dict(tmp_path, oracle, suite_path)
    assert (tmp_path / "lb" / TRACK / "oracle.json").is_file()
    assert entry["track"] == TRACK
    assert entry["scores"] == oracle["scores"] and entry["headline"] == oracle["headline"]


def test_oracle_beats_chance(tmp_path: Path, oracle: dict, chance: dict, suite_path: Path) -> None:
    root = tmp_path / "lb"
    submit_dict(tmp_path, oracle, suite_path, root)
    submit_dict(tmp_path, chance, suite_path, root)
    entries = {e["agent"]: e for e in load_entries(root)[TRACK]}
    mean = {a: np.mean([e["headline"][f] for f in FAMILIES]) for a, e in entries.items()}
    assert mean["oracle"] > mean["chance"]
    assert "predictions" not in entries["oracle"]  # load_entries drops them


def test_planted_wrong_answer_costs_exactly_one(tmp_path: Path, oracle: dict, suite_path: Path) -> None:
    with load_suite(suite_path) as suite:
        tasks = [t for t in suite.tasks(split=TEST_A) if t.family == "counterfactual"] + list(suite.tasks(split=TEST_A))
    for task in tasks:  # the first query the oracle got right
        pred = np.array(oracle["predictions"][task.task_id]["5"], dtype=float)
        ok = correct(pred, task.answers, task.target_type, task.tolerance)
        if ok.any():
            q = int(np.flatnonzero(ok)[0])
            break
    else:
        pytest.fail("the oracle got nothing right")
    bad = copy.deepcopy(oracle)
    answer = float(task.answers[q])
    if task.target_type == "continuous":
        bad["predictions"][task.task_id]["5"][q] = answer + 10 * task.tolerance + 1.0
    else:
        bad["predictions"][task.task_id]["5"][q] = 1.0 - answer if task.target_type == "binary" else answer + 1.0
    honest = submit_dict(tmp_path, oracle, suite_path, tmp_path / "a")
    planted = submit_dict(tmp_path, bad, suite_path, tmp_path / "b")
    key = (task.world, task.family, task.split, 5)
    for before, after in zip(honest["scores"], planted["scores"]):
        if (before["world"], before["family"], before["split"], before["shots"]) == key:
            assert after["correct"] == before["correct"] - 1
            assert after["n"] == before["n"]
            assert math.isclose(after["accuracy"], before["accuracy"] - 1 / before["n"])
        else:
            assert after == before


def _first_task(data: dict) -> str:
    return sorted(data["predictions"])[0]


def _set(path: tuple, value: object):
    def mutate(d: dict) -> None:
        target = d
        for key in path[:-1]:
            target = target[_first_task(d) if key is None else key]
        target[path[-1]] = value
    return mutate


def _missing_task(d: dict) -> None:
    del d["predictions"][_first_task(d)]


def _extra_task(d: dict) -> None:
    d["predictions"]["ramp/prediction/test_a/99999"] = copy.deepcopy(d["predictions"][_first_task(d)])


def _short_list(d: dict) -> None:
    d["predictions"][_first_task(d)]["5"].pop()


TAMPERS = {
    "checksum": (_set(("suite_checksum",), "0" * 64), "checksum mismatch"),
    "missing task": (_missing_task, "have no predictions"),
    "extra task": (_extra_task, "unknown task ids"),
    "extra key": (_set(("bonus",), 1), "unknown keys"),
    "short list": (_short_list, "expected a list of 3 numbers"),
    "string value": (_set(("predictions", None, "5", 0), "1.0"), "is not a finite number"),
    "null without error": (_set(("predictions", None, "5", 0), None), "null prediction without a recorded error"),
    "wrong shots": (_set(("shots",), [10]), "shots"),
    "wrong suite": (_set(("suite",), "standard-v1"), "submission is for standard-v1"),
}


@pytest.mark.parametrize("name", sorted(TAMPERS))
def test_tampered_submission_rejected(name: str, tmp_path: Path, chance: dict, suite_path: Path) -> None:
    mutate, message = TAMPERS[name]
    data = copy.deepcopy(chance)
    mutate(data)
    with pytest.raises(SubmissionError, match=message):
        submit(write(tmp_path, data), suite_path, tmp_path / "lb")
    assert not (tmp_path / "lb").exists()


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_json_rejected(constant: str, tmp_path: Path, chance: dict, suite_path: Path) -> None:
    data = copy.deepcopy(chance)
    data["predictions"][_first_task(data)]["5"][0] = "@@"
    path = tmp_path / "results.json"
    path.write_text(json.dumps(data).replace('"@@"', constant), encoding="utf-8")
    with pytest.raises(SubmissionError, match=f"non-finite number {constant}"):
        submit(path, suite_path, tmp_path / "lb")


def test_non_json_and_oversized_rejected(tmp_path: Path, chance: dict, suite_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "results.json"
    path.write_bytes(b"\x89PNG not json at all {")
    with pytest.raises(SubmissionError, match="not valid JSON"):
        submit(path, suite_path, tmp_path / "lb")
    path.write_text("[1, 2, 3]", encoding="utf-8")
    with pytest.raises(SubmissionError, match="top level must be a JSON object"):
        submit(path, suite_path, tmp_path / "lb")
    with pytest.raises(SubmissionError, match="no such file"):
        submit(tmp_path / "absent.json", suite_path, tmp_path / "lb")
    monkeypatch.setattr(submission_mod, "MAX_BYTES", 1000)
    with pytest.raises(SubmissionError, match="over the 1000 byte limit"):
        submit(write(tmp_path, chance), suite_path, tmp_path / "lb")
    assert not (tmp_path / "lb").exists()


def test_submitted_scores_are_ignored(tmp_path: Path, chance: dict, suite_path: Path) -> None:
    honest = submit_dict(tmp_path, chance, suite_path, tmp_path / "a")
    fake = copy.deepcopy(chance)
    fake["headline"] = {f: 1.0 for f in FAMILIES}
    for row in fake["scores"]:
        row.update(correct=row["n"], accuracy=1.0, ci_low=1.0, ci_high=1.0)
    for by_split in fake["summary"].values():
        for by_shots in by_split.values():
            for s in by_shots.values():
                s.update(accuracy=1.0, ci_low=1.0, ci_high=1.0)
    assert fake["headline"] != honest["headline"]
    entry = submit_dict(tmp_path, fake, suite_path, tmp_path / "b")
    assert entry["headline"] == honest["headline"]
    assert entry["scores"] == honest["scores"]
    assert entry["summary"] == honest["summary"]


def test_rejected_submission_leaves_entry_untouched(tmp_path: Path, oracle: dict, suite_path: Path) -> None:
    root = tmp_path / "lb"
    path = submit(write(tmp_path, oracle), suite_path, root)
    before = path.read_bytes()
    listing = sorted(p.name for p in path.parent.iterdir())
    for mutate, _ in TAMPERS.values():
        bad = copy.deepcopy(oracle)
        mutate(bad)
        with pytest.raises(SubmissionError):
            submit(write(tmp_path, bad), suite_path, root)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == listing


def test_render_outputs_deterministic(tmp_path: Path, oracle: dict, chance: dict, suite_path: Path) -> None:
    root = tmp_path / "lb"
    submit_dict(tmp_path, oracle, suite_path, root)
    submit_dict(tmp_path, chance, suite_path, root)
    paths = render(root)
    readme, index, png = root / "README.md", root / "index.html", root / TRACK / "accuracy.png"
    assert set(paths) == {readme, index, png}
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 1000
    text = readme.read_text(encoding="utf-8")
    assert text.index("| 1 | oracle |") < text.index("| 2 | chance |")
    for word in ("`test_b`", "Wilson 95%", "recomputed by the package", "`roll_distance` within ±0.12 m"):
        assert word in text
    page = index.read_text(encoding="utf-8")
    assert "data:image/png;base64," in page and "<script>" in page and "<style>" in page
    assert "<link" not in page and "src=\"http" not in page and "<script src" not in page
    first = (readme.read_bytes(), index.read_bytes())
    render(root)
    assert (readme.read_bytes(), index.read_bytes()) == first
    assert sorted(p.name for p in root.iterdir()) == sorted(["README.md", "index.html", TRACK])
    assert sorted(p.name for p in (root / TRACK).iterdir()) == ["accuracy.png", "chance.json", "oracle.json"]


def test_render_empty_root(tmp_path: Path) -> None:
    paths = render(tmp_path / "lb")
    assert [p.name for p in paths] == ["README.md", "index.html"]
    assert "No entries yet" in paths[0].read_text(encoding="utf-8")


def test_render_escapes_submitter_text(tmp_path: Path, chance: dict, suite_path: Path) -> None:
    root = tmp_path / "lb"
    evil = copy.deepcopy(chance)
    evil["agent"] = "<script>alert(1)</script>|x"
    evil["agent_version"] = "<img src=x onerror=alert(2)>"
    submit_dict(tmp_path, evil, suite_path, root)
    render(root)
    page = (root / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;|x" in page
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "<script>" not in readme and "<img" not in readme
    lines = readme.splitlines()
    for i, line in enumerate(lines):
        if "alert(1)" in line:  # the name's pipe is escaped: the row has as many cells as its header
            header = next(lines[j] for j in range(i, 0, -1) if lines[j].startswith("|") and lines[j - 1] == "")
            assert len(re.findall(r"(?<!\\)\|", line)) == header.count("|")


def test_shd_recomputed_from_adjacency(chance: dict) -> None:
    world = make_world("ramp")
    nodes = list(observed_properties(world) + outcome_names(world))
    truth = observed_graph(world.graph, tuple(nodes))
    world.close()
    entry = {**chance, "graphs": {"ramp": {"nodes": nodes, "adjacency": np.zeros_like(truth, dtype=int).tolist(),
                                           "shd": 0, "sid": 0}}}
    assert make_row(entry).shd == truth.sum()  # the claimed SHD of 0 is ignored
    entry["graphs"]["ramp"]["adjacency"] = truth.astype(int).tolist()
    assert make_row(entry).shd == 0
    entry["graphs"]["ramp"]["nodes"] = nodes[::-1]  # a graph over other nodes is not scored
    assert make_row(entry).shd is None
    assert make_row(chance).shd is None


def test_render_plots_accuracy_against_shd_of_entries_with_graphs(tmp_path: Path, chance: dict,
                                                                   suite_path: Path) -> None:
    world = make_world("ramp")
    nodes = list(observed_properties(world) + outcome_names(world))
    truth = observed_graph(world.graph, tuple(nodes))
    world.close()
    root = tmp_path / "lb"
    for name, adj in (("true-graph", truth), ("no-graph", np.zeros_like(truth))):
        graphs = {"ramp": {"nodes": nodes, "adjacency": adj.astype(int).tolist(), "shd": 0, "sid": 0}}
        submit_dict(tmp_path, {**chance, "agent": name, "graphs": graphs}, suite_path, root)
    render(root)
    png = root / TRACK / "accuracy_vs_shd.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"]({TRACK}/accuracy_vs_shd.png)" in (root / "README.md").read_text(encoding="utf-8")
    assert 'alt="accuracy against SHD' in (root / "index.html").read_text(encoding="utf-8")
    from causalworld_bench.leaderboard.render import accuracy_shd_points, build_tracks

    (track,) = build_tracks(load_entries(root))
    shds = {(agent, fam): shd for agent, _, fam, shd, _ in accuracy_shd_points(track.rows)}
    assert shds[("true-graph", "intervention")] == 0 and shds[("no-graph", "intervention")] == truth.sum()
    out = tmp_path / "only-true.png"
    args = ["leaderboard", "plot-shd", "--track", TRACK, "--root", str(root), "--out", str(out)]
    assert main([*args, "--agents", "true-graph"]) == 0 and out.read_bytes()[:4] == b"\x89PNG"
    assert main([*args, "--agents", "nobody"]) != 0


def test_cli_submit_and_render(tmp_path: Path, chance: dict, suite_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "lb"
    good = write(tmp_path, chance, "good.json")
    assert main(["leaderboard", "submit", str(good), "--suite", str(suite_path), "--root", str(root)]) == 0
    out = capsys.readouterr().out
    entry = root / TRACK / "chance.json"
    assert str(entry) in out and "prediction" in out
    before = entry.read_bytes()

    bad = copy.deepcopy(chance)
    bad["suite_checksum"] = "f" * 64
    code = main(["leaderboard", "submit", str(write(tmp_path, bad, "bad.json")), "--suite", str(suite_path),
                 "--root", str(root)])
    err = capsys.readouterr().err
    assert code == 2
    assert "rejected" in err and "bad.json" in err and "checksum mismatch" in err
    assert entry.read_bytes() == before

    huge = json.dumps(chance).replace(json.dumps(chance["predictions"][_first_task(chance)]["5"]),
                                      "[" + ", ".join(["1" + "0" * 400] * 3) + "]", 1)
    (tmp_path / "huge.json").write_text(huge, encoding="utf-8")
    assert main(["leaderboard", "submit", str(tmp_path / "huge.json"), "--suite", str(suite_path),
                 "--root", str(root)]) == 2
    assert "rejected" in capsys.readouterr().err
    assert entry.read_bytes() == before

    assert main(["leaderboard", "render", "--root", str(root)]) == 0
    assert "README.md" in capsys.readouterr().out
    assert (root / "index.html").is_file()
