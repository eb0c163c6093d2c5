"""A real RL client: PPO (stable-baselines3) learns the ramp intervention environment better than chance."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

pytest.importorskip("stable_baselines3")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "ppo_intervention.py"


@pytest.mark.slow
def test_ppo_beats_random(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("ppo_intervention", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "ppo.json"
    results = module.main(["--steps", "6000", "--episodes", "40", "--out", str(out)])
    assert json.loads(out.read_text()) == results
    ppo, rand = results["ppo"], results["random"]
    assert ppo["return"] > rand["return"]
    assert ppo["first_step_distance"] < rand["first_step_distance"]
