"""Clients are per instance and never leak."""

from __future__ import annotations

import numpy as np
import pybullet as pb

from causalworld_bench import make_world
from causalworld_bench.sim import Sim


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def test_each_world_has_its_own_client():
    a, b = make_world("ramp"), make_world("ramp")
    assert a.sim.client._client != b.sim.client._client
    a.close()
    a.close()  # twice is fine
    b.close()


def test_thousand_worlds_leak_nothing():
    ids = []
    for _ in range(50):  # warm-up: allocator pools settle
        w = make_world("ramp")
        w.sim
        w.close()
    before = _rss_mib()
    for _ in range(1000):
        w = make_world("ramp")
        ids.append(w.sim.client._client)
        w.close()
    after = _rss_mib()
    assert not any(pb.isConnected(physicsClientId=i) for i in set(ids))
    assert after - before < 25, f"memory grew by {after - before:.1f} MiB"


def test_closed_world_rebuilds_on_use():
    w = make_world("ramp")
    p = w.sample_task_params(np.random.default_rng(0))
    first = w.sample(p, 3)
    w.close()
    assert w.sample(p, 3) == first
    w.close()


def test_sim_context_manager_disconnects():
    with Sim() as sim:
        cid = sim.client._client
        assert pb.isConnected(physicsClientId=cid)
    assert not pb.isConnected(physicsClientId=cid)
