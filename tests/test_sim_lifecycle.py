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


def test_episodes_rebuild_the_scene_and_visuals_never_touch_physics():
    """Every episode starts from an empty client (so it cannot depend on earlier ones), and a scene
    built with visual shapes (renders, clips) steps exactly like one built without."""
    from causalworld_bench import list_worlds

    for name in list_worlds():
        w = make_world(name)
        p = w.sample_task_params(np.random.default_rng(1))
        for seed in (0, 1):
            out = w.sample(p, seed)
            n_bodies = w.sim.client.getNumBodies()
            sim = w._initial_scene(p, seed, None, "A", visuals=True)
            assert sim.client.getNumBodies() == n_bodies  # rebuilt, not added to
            sim.step(w.last_steps)
            props = w.properties(seed)
            assert w.measure(sim, props, p) == {k: out[k] for k in w.measure(sim, props, p)}
        w.close()
