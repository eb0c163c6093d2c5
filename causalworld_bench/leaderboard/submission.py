"""Submission schema and validation: a submission is predictions plus provenance, never scores.

Any scores in a submission are ignored; the package recomputes them from the predictions and the
suite's answers. Validation names the first problem it finds and raises :class:`SubmissionError`.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from causalworld_bench.data import Suite
from causalworld_bench.evaluation.evaluate import SUBMISSION_FORMAT, SUBMISSION_VERSION
from causalworld_bench.tasks import TEST_SPLITS

MAX_BYTES = 64 * 2**20

#: key -> accepted JSON types
REQUIRED: dict[str, tuple[type, ...]] = {
    "format": (str,), "format_version": (int,), "agent": (str,), "agent_version": (str,),
    "suite": (str,), "suite_checksum": (str,), "obs_mode": (str,), "package_version": (str,),
    "shots": (list,), "predictions": (dict,), "command": (str,), "compute": (dict,),
}
#: optional keys; scores/summary/headline are accepted but ignored (recomputed)
OPTIONAL: dict[str, tuple[type, ...]] = {
    "seeds": (int, list, type(None)), "errors": (dict,), "graphs": (dict,), "history": (list, dict, type(None)),
    "worlds": (list,), "headline_shots": (int,), "scores": (list,), "summary": (dict,), "headline": (dict,),
    "agent_ref": (str,), "agent_kwargs": (dict,), "notes": (str,),
}
IGNORED = ("scores", "summary", "headline")


class SubmissionError(ValueError):
    """A submission that cannot be accepted; the message says why."""


def read_submission(path: str | Path) -> dict:
    """Parse a submission file (size-limited JSON, no other format)."""
    path = Path(path)
    if not path.is_file():
        raise SubmissionError(f"{path}: no such file")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise SubmissionError(f"{path}: {size} bytes is over the {MAX_BYTES} byte limit")
    try:
        data = json.loads(path.read_text(encoding="utf-8"), parse_constant=_reject_constant, parse_float=_finite)
    except SubmissionError as exc:
        raise SubmissionError(f"{path}: {exc}") from None
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise SubmissionError(f"{path}: not valid JSON: {type(exc).__name__}: {exc}") from None
    if not isinstance(data, dict):
        raise SubmissionError(f"{path}: the top level must be a JSON object")
    return data


def _reject_constant(name: str) -> float:
    raise SubmissionError(f"non-finite number {name} in submission")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise SubmissionError(f"number {text[:20]} overflows to {value}")
    return value


def validate_submission(data: dict, suite: Suite) -> None:
    """Check schema, suite binding, and that every test query is answered with one finite number."""
    unknown = sorted(set(data) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise SubmissionError(f"unknown keys {unknown}")
    for key, types in REQUIRED.items():
        if key not in data:
            raise SubmissionError(f"missing key {key!r}")
    for key, types in {**REQUIRED, **OPTIONAL}.items():
        if key in data and (not isinstance(data[key], types) or isinstance(data[key], bool)):
            raise SubmissionError(f"key {key!r} has type {type(data[key]).__name__}")
    if data["format"] != SUBMISSION_FORMAT or data["format_version"] != SUBMISSION_VERSION:
        raise SubmissionError(f"format {data['format']!r} v{data['format_version']} is not {SUBMISSION_FORMAT} v{SUBMISSION_VERSION}")
    if data["suite"] != suite.name or data["obs_mode"] != suite.obs_mode:
        raise SubmissionError(f"submission is for {data['suite']}/{data['obs_mode']}, suite is {suite.name}/{suite.obs_mode}")
    if data["suite_checksum"] != suite.public_checksum:
        raise SubmissionError(
            f"suite checksum mismatch: submission {data['suite_checksum'][:12]}..., suite {suite.public_checksum[:12]}..."
        )
    shots = data["shots"]
    if not shots or any(not isinstance(k, int) or isinstance(k, bool) or k not in suite.shots for k in shots):
        raise SubmissionError(f"shots {shots} must be a non-empty subset of the suite's {list(suite.shots)}")
    if suite.headline_shots not in shots:
        raise SubmissionError(f"shots must include the headline shot count {suite.headline_shots}")
    preds = data["predictions"]
    expected = {}
    for split in TEST_SPLITS:
        for task in suite.tasks(split=split, shots=0):
            expected[task.task_id] = task.n_queries
    extra = sorted(set(preds) - set(expected))
    if extra:
        raise SubmissionError(f"predictions for unknown task ids, e.g. {extra[:3]}")
    missing = sorted(set(expected) - set(preds))
    if missing:
        raise SubmissionError(f"{len(missing)} test tasks have no predictions, e.g. {missing[:3]}")
    for tid, n in expected.items():
        by_shots = preds[tid]
        if not isinstance(by_shots, dict) or sorted(by_shots) != sorted(str(k) for k in shots):
            raise SubmissionError(f"task {tid}: predictions must be keyed by the shot counts {shots}")
        for k, values in by_shots.items():
            if not isinstance(values, list) or len(values) != n:
                raise SubmissionError(f"task {tid} @ {k} shots: expected a list of {n} numbers")
            for v in values:
                if v is None:  # evaluate() writes null where the agent failed; it needs a recorded error
                    if f"{tid}@{k}" not in data.get("errors", {}):
                        raise SubmissionError(f"task {tid} @ {k} shots: null prediction without a recorded error")
                elif isinstance(v, bool) or not isinstance(v, (int, float)) or not _is_finite(v):
                    raise SubmissionError(f"task {tid} @ {k} shots: {str(v)[:40]} is not a finite number")
    for key, err in data.get("errors", {}).items():
        if not isinstance(err, str):
            raise SubmissionError(f"errors[{key!r}] must be a string")


def _is_finite(v: int | float) -> bool:
    try:
        return math.isfinite(v)
    except OverflowError:  # an integer too large for a float
        return False
