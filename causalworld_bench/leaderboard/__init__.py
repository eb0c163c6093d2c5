"""Leaderboards: validate submissions, recompute their scores into entries, render tables and charts."""

from causalworld_bench.leaderboard.render import render
from causalworld_bench.leaderboard.store import load_entries, submit, track_name
from causalworld_bench.leaderboard.submission import SubmissionError, read_submission, validate_submission

__all__ = ["SubmissionError", "load_entries", "read_submission", "render", "submit", "track_name",
           "validate_submission"]
