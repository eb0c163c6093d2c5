"""Deterministic suite generation in shards, on a local process pool or on Ray, with resume.

Each shard is a pure function of its task specs, and shards are merged in a fixed order, so the
suite's bytes and checksum do not depend on the number of workers or the backend. Finished shards
are kept as ``.npz`` files (numeric arrays only, loaded without pickle) in ``<out>.parts/`` until
the suite is written, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from causalworld_bench.data.writer import tasks_to_arrays, write_suite
from causalworld_bench.tasks import SuiteSpec, TaskSpec, check_obs_mode, make_task
from causalworld_bench.worlds import World, make_world

SHARD_TASKS = 8
BACKENDS = ("local", "ray")
_WORLD_CACHE: dict[str, World] = {}


@dataclass(frozen=True)
class Shard:
    """Up to ``SHARD_TASKS`` consecutive tasks of one (world, family, split) cell."""

    index: int
    obs_mode: str
    specs: tuple[TaskSpec, ...]

    @property
    def cell(self) -> tuple[str, str, str]:
        s = self.specs[0]
        return s.world, s.family, s.split


def _world(name: str) -> World:
    """One world (one PyBullet client) per process, reused across shards."""
    if name not in _WORLD_CACHE:
        _WORLD_CACHE[name] = make_world(name)
    return _WORLD_CACHE[name]


def plan_shards(spec: SuiteSpec, obs_mode: str) -> list[Shard]:
    shards: list[Shard] = []
    for name in spec.worlds:
        specs = spec.task_specs(_world(name))
        cells: dict[tuple[str, str], list[TaskSpec]] = {}
        for s in specs:
            cells.setdefault((s.family, s.split), []).append(s)
        for cell_specs in cells.values():
            for i in range(0, len(cell_specs), SHARD_TASKS):
                shards.append(Shard(len(shards), obs_mode, tuple(cell_specs[i : i + SHARD_TASKS])))
    return shards


def run_shard(shard: Shard) -> dict[str, np.ndarray]:
    """Generate one shard's tasks; flat ``group/field`` -> array."""
    world = _world(shard.cell[0])
    tasks = [make_task(world, s, shard.obs_mode) for s in shard.specs]  # type: ignore[arg-type]
    groups = tasks_to_arrays(world, tasks)
    return {f"{g}/{k}": v for g, arrays in groups.items() for k, v in arrays.items()}


def _save_part(path: Path, arrays: dict[str, np.ndarray]) -> None:
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez(tmp, **{k.replace("/", "__"): v for k, v in arrays.items()})
    os.replace(tmp, path)


def _load_part(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        return {k.replace("__", "/"): z[k] for k in z.files}


def _run_local(todo: Sequence[Shard], workers: int) -> Iterator[tuple[Shard, dict[str, np.ndarray]]]:
    if workers <= 1:
        for shard in todo:
            yield shard, run_shard(shard)
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(run_shard, s): s for s in todo}
        for fut in as_completed(futures):
            yield futures[fut], fut.result()


def _run_ray(todo: Sequence[Shard], workers: int) -> Iterator[tuple[Shard, dict[str, np.ndarray]]]:
    try:
        import ray
    except ImportError:
        raise RuntimeError("the ray backend needs Ray: pip install 'causalworld-bench[ray]'") from None
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=max(1, workers), include_dashboard=False, log_to_driver=False)
    try:
        remote = ray.remote(run_shard)
        pending = {remote.remote(s): s for s in todo}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                yield pending.pop(ref), ray.get(ref)
    finally:
        if started:
            ray.shutdown()


def generate_suite(
    spec: SuiteSpec,
    obs_mode: str,
    out: str | Path,
    workers: int = 1,
    backend: str = "local",
    progress: bool = True,
) -> str:
    """Generate ``spec`` in ``obs_mode`` into ``out`` (atomically); returns the content checksum."""
    check_obs_mode(obs_mode)
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    shards = plan_shards(spec, obs_mode)
    parts = out.with_name(out.name + ".parts")
    key = hashlib.sha256(json.dumps([spec.to_dict(), obs_mode], sort_keys=True).encode()).hexdigest()
    _prepare_parts(parts, key)
    done = {int(p.stem) for p in parts.glob("*.npz") if p.stem.isdigit()}
    todo = [s for s in shards if s.index not in done]
    runner = _run_ray if backend == "ray" else _run_local
    with tqdm(total=len(shards), initial=len(shards) - len(todo), desc=f"generate {spec.name}/{obs_mode}",
              unit="shard", disable=not progress) as bar:
        for shard, arrays in runner(todo, workers):
            _save_part(parts / f"{shard.index:06d}.npz", arrays)
            bar.update()
    cells = _merge(shards, parts)
    worlds = {name: _world(name) for name in spec.worlds}
    checksum = write_suite(out, spec, obs_mode, worlds, cells)
    shutil.rmtree(parts)
    return checksum


def _prepare_parts(parts: Path, key: str) -> None:
    """Reuse ``parts`` only if it was started for the same suite and mode; otherwise start afresh."""
    stamp = parts / "KEY"
    if parts.exists() and (not stamp.exists() or stamp.read_text() != key):
        shutil.rmtree(parts)
    parts.mkdir(parents=True, exist_ok=True)
    stamp.write_text(key)


def _merge(shards: Sequence[Shard], parts: Path):
    """Concatenate shard arrays per cell, in shard order: (world, family, split, groups)."""
    by_cell: dict[tuple[str, str, str], list[Shard]] = {}
    for shard in shards:
        by_cell.setdefault(shard.cell, []).append(shard)
    for (world, family, split), cell_shards in by_cell.items():
        loaded = [_load_part(parts / f"{s.index:06d}.npz") for s in cell_shards]
        groups: dict[str, dict[str, np.ndarray]] = {}
        for key in loaded[0]:
            group, field = key.split("/")
            groups.setdefault(group, {})[field] = np.concatenate([p[key] for p in loaded])
        yield world, family, split, groups
