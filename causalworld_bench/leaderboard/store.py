"""Leaderboard entries: validated submissions with scores recomputed by the package, written atomically."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from causalworld_bench.data import load_suite
from causalworld_bench.evaluation.metrics import headline, score_predictions
from causalworld_bench.evaluation.graph_metrics import score_graph
from causalworld_bench.leaderboard.submission import IGNORED, SubmissionError, read_submission, validate_submission

DEFAULT_DIR = Path("leaderboards")


def track_name(suite: str, obs_mode: str) -> str:
    """A track is a suite x observation mode, e.g. ``standard-v2-symbols``."""
    return f"{suite}-{obs_mode}"


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.")
    if not slug:
        raise ValueError(f"agent name {text!r} has no usable characters")
    return slug[:80]


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temp file and rename, so a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8", newline="\n")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_json_atomic(path: Path, data: dict) -> None:
    """Write JSON to ``path`` atomically (see :func:`write_text_atomic`); NaN/Infinity are refused."""
    write_text_atomic(path, json.dumps(data, indent=1, sort_keys=True, allow_nan=False) + "\n")


def submit(submission_path: str | Path, suite_path: str | Path, root: str | Path = DEFAULT_DIR) -> Path:
    """Validate a submission against the suite (with answers), recompute its scores, and write the
    entry to ``<root>/<track>/<agent>.json``. Returns the entry's path."""
    data = read_submission(submission_path)
    with load_suite(suite_path) as suite:
        if not suite.has_test_answers:
            raise ValueError(f"{suite_path} is a participant copy without answers: scoring needs the full suite")
        validate_submission(data, suite)
        shots = [int(k) for k in data["shots"]]
        scores = score_predictions(data["predictions"], suite, shots)
        track = track_name(suite.name, suite.obs_mode)
        head = headline(scores["summary"], suite.headline_shots)
        headline_shots = suite.headline_shots
        graphs = {}
        for world, graph in data.get("graphs", {}).items():
            if world not in suite.worlds or not isinstance(graph, dict) or "adjacency" not in graph:
                raise SubmissionError(f"graphs[{world!r}] must be an object with an adjacency for a suite world")
            try:
                graphs[world] = score_graph(world, graph["adjacency"])  # submitted SHD/SID are ignored
            except (ValueError, TypeError) as exc:
                raise SubmissionError(f"graphs[{world!r}]: {exc}") from None
    entry = {k: v for k, v in data.items() if k not in IGNORED}
    entry.update({"track": track, "scores": scores["rows"], "summary": scores["summary"], "headline": head,
                  "headline_shots": headline_shots, "graphs": graphs})
    path = Path(root) / track / f"{_slug(data['agent'])}.json"
    if path.exists() and json.loads(path.read_text(encoding="utf-8")).get("agent") != data["agent"]:
        raise SubmissionError(f"{path} belongs to another agent whose name maps to the same file; rename yours")
    write_json_atomic(path, entry)
    return path


def load_entries(root: str | Path = DEFAULT_DIR) -> dict[str, list[dict]]:
    """Every committed entry per track (predictions dropped, they are not needed for tables)."""
    tracks: dict[str, list[dict]] = {}
    for path in sorted(Path(root).glob("*/*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        data.pop("predictions", None)
        tracks.setdefault(path.parent.name, []).append(data)
    return tracks
