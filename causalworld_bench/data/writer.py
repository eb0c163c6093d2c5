"""Write a suite file atomically (temp file + rename) from generated task arrays."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import h5py
import numpy as np

from causalworld_bench import __version__
from causalworld_bench.data.checksum import content_checksum
from causalworld_bench.data.schema import FORMAT, FORMAT_VERSION
from causalworld_bench.tasks import SuiteSpec, Task
from causalworld_bench.worlds import World, describe

Arrays = dict[str, np.ndarray]


def tasks_to_arrays(world: World, tasks: Sequence[Task]) -> dict[str, Arrays]:
    """Stack tasks of one (world, family, split) cell into the schema's three groups."""
    names = list(world.names)
    return {
        "tasks": {
            "task_index": np.array([int(t.task_id.rsplit("/", 1)[1]) for t in tasks], dtype=np.int32),
            "target": np.array([t.outcome_names.index(t.target) for t in tasks], dtype=np.int8),
            "do_variable": np.array(
                [names.index(t.do_variable) if t.do_variable else -1 for t in tasks], dtype=np.int16
            ),
            "support_x": np.stack([t.support_x for t in tasks]),
            "support_outcomes": np.stack([t.support_outcomes for t in tasks]),
            "query_x": np.stack([t.query_x for t in tasks]),
            "query_do": np.stack([t.query_do for t in tasks]),
            "query_factual": np.stack([t.query_factual for t in tasks]),
        },
        "answers": {"query_answer": np.stack([t.answers for t in tasks])},
        "secrets": {
            "params": np.array([[t.meta["params"][p.name] for p in world.task_params] for t in tasks]),
            "seeds": np.stack([t.meta["seeds"] for t in tasks]).astype(np.uint64),
        },
    }


def _dataset_options(name: str, data: np.ndarray) -> dict:
    if data.dtype == np.uint8 and data.ndim >= 4:  # images: chunk per task, compress
        return {"chunks": (1, *data.shape[1:]), "compression": "gzip", "compression_opts": 4, "shuffle": True}
    return {}


def write_suite(
    path: str | Path,
    spec: SuiteSpec,
    obs_mode: str,
    worlds: Mapping[str, World],
    cells: Iterable[tuple[str, str, str, dict[str, Arrays]]],
) -> str:
    """Write every (world, family, split, arrays) cell to ``path`` atomically; returns the checksum."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with h5py.File(tmp, "w") as h5:
            h5.attrs.update({
                "format": FORMAT, "format_version": FORMAT_VERSION, "suite": spec.name,
                "suite_version": spec.version, "obs_mode": obs_mode, "package_version": __version__,
                "generation": json.dumps(spec.to_dict(), sort_keys=True),
            })
            for name, world in worlds.items():
                g = h5.create_group(f"worlds/{name}")
                g.attrs["declaration"] = json.dumps(describe(world), sort_keys=True)
                g.attrs["heldout_intervention"] = spec.heldout_variable(world)
            for world, family, split, groups in cells:
                for group, arrays in groups.items():
                    g = h5.require_group(f"{group}/{world}/{family}/{split}")
                    for field, data in arrays.items():
                        g.create_dataset(field, data=data, **_dataset_options(field, data))
            h5.attrs["checksum"] = content_checksum(h5)
            h5.attrs["public_checksum"] = content_checksum(h5, public=True)
            checksum = str(h5.attrs["checksum"])
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return checksum
