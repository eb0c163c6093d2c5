"""Suites: exact answers, splits, the HDF5 format, checksums across workers and backends, resume."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

from causalworld_bench import make_world
from causalworld_bench.data import SuiteFileError, generate_suite, load_suite, strip_answers
from causalworld_bench.data import generate as gen
from causalworld_bench.tasks import FAMILIES, TEST_HELDOUT, TRAIN, SuiteSpec, get_suite_spec

SMALL = SuiteSpec("small-test", "1", seed=5, worlds=("ramp", "seesaw"), n_queries=4, train_tasks=2, test_tasks=1)


@pytest.fixture(scope="module")
def mini(mini_suite):
    return mini_suite


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    path = tmp_path_factory.mktemp("small") / "small.h5"
    checksum = generate_suite(SMALL, "symbols", path, workers=1, progress=False)
    return path, checksum


def test_mini_holds_every_world_family_and_split(mini):
    with load_suite(mini) as suite:
        spec = get_suite_spec("mini")
        assert set(suite.worlds) == set(spec.worlds)
        cells = suite.cells()
        for world in spec.worlds:
            for family in FAMILIES:
                assert (world, family, TRAIN) in cells
                assert (world, family, "test_a") in cells and (world, family, "test_b") in cells
                assert ((world, family, TEST_HELDOUT) in cells) == (family != "prediction")


def test_answers_are_the_scm_exactly(mini):
    """Regenerate answers from the stored secrets with the world itself: bit-identical."""
    with load_suite(mini) as suite, h5py.File(mini, "r") as h5:
        for world_name in suite.worlds:
            world = make_world(world_name)
            names = [p.name for p in world.task_params]
            for family in FAMILIES:
                for split in ("test_a", "test_b"):
                    cell = f"{world_name}/{family}/{split}"
                    params, seeds = h5[f"secrets/{cell}/params"][()], h5[f"secrets/{cell}/seeds"][()]
                    space = "B" if split == "test_b" else "A"
                    for i, task in enumerate(suite.tasks(split=split, family=family, world=world_name)):
                        p = dict(zip(names, params[i]))
                        for j, seed in enumerate(seeds[i, -task.n_queries:]):
                            do = None if family == "prediction" else {task.do_variable: task.query_do[j]}
                            truth = world.sample(p, int(seed), do, space)[task.target]
                            assert truth == task.answers[j]
                            if family == "counterfactual":
                                factual = world.sample(p, int(seed), space=space)
                                assert factual[task.target] == task.query_factual_y[j]
            world.close()


def test_splits_keep_the_heldout_intervention_out_of_training(mini):
    with load_suite(mini) as suite:
        for world in suite.worlds:
            held = suite.heldout_intervention(world)
            for task in suite.tasks(world=world):
                if task.family == "prediction":
                    assert task.do_variable is None and np.all(np.isnan(task.query_do))
                elif task.split == TEST_HELDOUT:
                    assert task.do_variable == held
                else:
                    assert task.do_variable != held


def test_intervention_values_come_from_the_split_space(mini):
    with load_suite(mini) as suite:
        for task in suite.tasks():
            if task.do_variable is None:
                continue
            decl = {v["name"]: v for v in suite.declaration(task.world)["variables"]}[task.do_variable]
            lo, hi = decl["space_b"] if task.split == "test_b" else decl["space_a"]
            assert np.all((task.query_do >= lo) & (task.query_do <= hi))


def test_support_sets_are_nested_and_observational(mini):
    with load_suite(mini) as suite:
        full = next(suite.tasks(split="test_a"))
        five = next(suite.tasks(split="test_a", shots=5))
        assert full.shots == 10 and five.shots == 5
        np.testing.assert_array_equal(full.support_x[:5], five.support_x)
        assert next(suite.tasks(split="test_a", shots=0)).shots == 0


def test_counterfactual_queries_carry_the_factual_sample(mini):
    with load_suite(mini) as suite:
        for task in suite.tasks(family="counterfactual"):
            assert np.all(np.isfinite(task.query_factual))
        for task in suite.tasks(family="intervention"):
            assert np.all(np.isnan(task.query_factual))


def test_same_checksum_with_one_and_two_workers(small, tmp_path):
    path, checksum = small
    assert generate_suite(SMALL, "symbols", tmp_path / "two.h5", workers=2, progress=False) == checksum


def test_same_checksum_on_ray(small, tmp_path):
    pytest.importorskip("ray")
    path, checksum = small
    assert generate_suite(SMALL, "symbols", tmp_path / "ray.h5", workers=2, backend="ray", progress=False) == checksum


def test_resume_after_interruption_redoes_nothing_finished(small, tmp_path, monkeypatch):
    path, checksum = small
    out = tmp_path / "resumed.h5"
    real, calls = gen.run_shard, []

    def failing(shard):
        if len(calls) == 3:
            raise KeyboardInterrupt
        calls.append(shard.index)
        return real(shard)

    monkeypatch.setattr(gen, "run_shard", failing)
    with pytest.raises(KeyboardInterrupt):
        generate_suite(SMALL, "symbols", out, workers=1, progress=False)
    assert not out.exists()
    assert len(list(out.with_name(out.name + ".parts").glob("*.npz"))) == 3
    done, calls2 = set(calls), []
    monkeypatch.setattr(gen, "run_shard", lambda shard: calls2.append(shard.index) or real(shard))
    assert generate_suite(SMALL, "symbols", out, workers=1, progress=False) == checksum
    assert done.isdisjoint(calls2) and len(calls2) == len(gen.plan_shards(SMALL, "symbols")) - 3
    assert not out.with_name(out.name + ".parts").exists()


def test_readable_with_plain_h5py(small):
    path, _ = small
    with h5py.File(path, "r") as h5:
        assert h5.attrs["format"] == "causalworld-bench-suite"
        assert json.loads(h5.attrs["generation"])["name"] == "small-test"
        g = h5["tasks/ramp/intervention/test_a"]
        assert g["query_x"].shape[:2] == (1, 4)
        assert h5["answers/ramp/intervention/test_a/query_answer"].shape == (1, 4)
        assert "declaration" in h5["worlds/ramp"].attrs


def test_every_observation_mode_carries_the_same_answers(small, tmp_path):
    spec = SuiteSpec("modes", "1", seed=9, worlds=("ramp",), n_queries=2, train_tasks=1, test_tasks=1)
    answers = {}
    for mode in ("symbols", "state", "pixels"):
        path = tmp_path / f"{mode}.h5"
        generate_suite(spec, mode, path, progress=False)
        with h5py.File(path, "r") as h5:
            answers[mode] = h5["answers/ramp/counterfactual/test_a/query_answer"][()]
            x = h5["tasks/ramp/counterfactual/test_a/query_x"]
            if mode == "pixels":
                assert x.shape[-3:] == (64, 64, 3) and x.dtype == np.uint8
                assert x.compression == "gzip" and x.chunks is not None
    np.testing.assert_array_equal(answers["symbols"], answers["state"])
    np.testing.assert_array_equal(answers["symbols"], answers["pixels"])


def test_participant_copy_has_no_test_answers_and_verifies(small, tmp_path):
    path, _ = small
    copy = tmp_path / "public.h5"
    strip_answers(path, copy)
    with load_suite(copy) as pub, load_suite(path) as full:
        assert pub.public_checksum == full.public_checksum
        assert not pub.has_test_answers
        assert all(t.answers is None for t in pub.tasks(split="test_a"))
        assert all(t.answers is not None for t in pub.tasks(split="train"))
    with h5py.File(copy, "r") as h5:
        assert "secrets" not in h5


def test_truncated_file_is_reported(small, tmp_path):
    path, _ = small
    bad = tmp_path / "truncated.h5"
    bad.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(SuiteFileError, match="truncated.h5"):
        load_suite(bad)


def test_corrupted_bytes_are_reported(small, tmp_path):
    path, _ = small
    with h5py.File(path, "r") as h5:
        ds = h5["answers/ramp/prediction/test_a/query_answer"]
        offset = ds.id.get_offset()
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    bad = tmp_path / "corrupt.h5"
    bad.write_bytes(bytes(data))
    with pytest.raises(SuiteFileError, match="checksum mismatch"):
        load_suite(bad)


def test_foreign_and_non_hdf5_files_are_reported(tmp_path):
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as h5:
        h5["x"] = np.arange(3)
    with pytest.raises(SuiteFileError, match="not a causalworld-bench suite"):
        load_suite(foreign)
    text = tmp_path / "notes.h5"
    text.write_text("hello")
    with pytest.raises(SuiteFileError, match="notes.h5"):
        load_suite(text)
    with pytest.raises(FileNotFoundError):
        load_suite(tmp_path / "absent.h5")


def test_bad_generation_arguments(tmp_path):
    with pytest.raises(ValueError, match="observation mode"):
        generate_suite(SMALL, "audio", tmp_path / "x.h5")
    with pytest.raises(ValueError, match="backend"):
        generate_suite(SMALL, "symbols", tmp_path / "x.h5", backend="spark")
    with pytest.raises(ValueError, match="workers"):
        generate_suite(SMALL, "symbols", tmp_path / "x.h5", workers=0)
    with pytest.raises(ValueError, match="unknown suite"):
        get_suite_spec("huge")
