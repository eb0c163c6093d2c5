"""Wall time of suite generation with 1 and with 2 local workers, in the same run.

Run with ``pytest benchmarks/test_generation_speed.py --benchmark-only``; the two rows of the
``generation-<suite>`` group give the speed-up (target: 2 workers at least 1.7x faster than 1).
The suite is ``quick`` by default (about a minute in all); ``CWB_BENCH_SUITE=standard-v2`` times
the leaderboard suite (the README's figures, about 12 minutes on two idle cores). Both runs must
write the same checksum, so the benchmark is also a determinism check at full scale.
"""

from __future__ import annotations

import os

import pytest

from causalworld_bench.data import generate_suite
from causalworld_bench.tasks import get_suite_spec

SUITE = os.environ.get("CWB_BENCH_SUITE", "quick")
CHECKSUMS: dict[int, str] = {}


@pytest.mark.parametrize("workers", [1, 2])
def test_generate(benchmark, tmp_path, workers: int) -> None:
    spec = get_suite_spec(SUITE)
    benchmark.group = f"generation-{SUITE}"
    benchmark.extra_info["workers"] = workers
    path = tmp_path / f"{SUITE}.h5"

    def fresh() -> tuple[tuple, dict]:  # untimed: every round starts from no file and no shards
        path.unlink(missing_ok=True)
        return (spec, "symbols", path), {"workers": workers, "progress": False}

    CHECKSUMS[workers] = benchmark.pedantic(generate_suite, setup=fresh, rounds=1)
    assert len(set(CHECKSUMS.values())) == 1, f"checksums differ across worker counts: {CHECKSUMS}"
