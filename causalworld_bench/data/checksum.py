"""Content checksums of a suite file: every dataset's path, dtype, shape and bytes, in sorted order."""

from __future__ import annotations

import hashlib

import h5py
import numpy as np

from causalworld_bench.tasks import TRAIN


def _datasets(h5: h5py.File) -> list[str]:
    names: list[str] = []
    h5.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
    return sorted(names)


def is_public(path: str) -> bool:
    """Whether a dataset belongs in a participant's copy (no test answers, no secrets)."""
    top, *rest = path.split("/")
    if top == "secrets":
        return False
    if top == "answers":
        return len(rest) >= 3 and rest[2] == TRAIN
    return True


def content_checksum(h5: h5py.File, public: bool = False) -> str:
    """SHA-256 over the world declarations and every dataset (only the public ones if ``public``)."""
    digest = hashlib.sha256()
    for world in sorted(h5["worlds"]):
        digest.update(world.encode())
        digest.update(str(h5["worlds"][world].attrs["declaration"]).encode())
        digest.update(str(h5["worlds"][world].attrs["heldout_intervention"]).encode())
    for path in _datasets(h5):
        if public and not is_public(path):
            continue
        data = np.ascontiguousarray(h5[path][()])
        digest.update(f"{path}|{data.dtype.str}|{data.shape}".encode())
        digest.update(data.tobytes())
    return digest.hexdigest()
