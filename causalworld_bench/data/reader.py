"""Read a suite file back into :class:`~causalworld_bench.tasks.Task` objects, with clear errors."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import h5py

from causalworld_bench.data.checksum import content_checksum, is_public
from causalworld_bench.data.schema import FORMAT, FORMAT_VERSION, REQUIRED_ATTRS, TASK_FIELDS
from causalworld_bench.tasks import FAMILIES, SPLITS, Task


class SuiteFileError(ValueError):
    """The file is not a readable, intact causalworld-bench suite."""


class Suite:
    """An opened suite file. Iterate tasks with :meth:`tasks`; close with :meth:`close` or ``with``."""

    def __init__(self, path: str | Path, verify: bool = True) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"suite file {self.path} does not exist")
        try:
            self._h5 = h5py.File(self.path, "r")
        except OSError as exc:
            raise SuiteFileError(f"{self.path}: not a readable HDF5 file (truncated or corrupted?): {exc}") from None
        try:
            self._check_layout()
            if verify:
                self.verify()
        except Exception:
            self._h5.close()
            raise

    # -- metadata --------------------------------------------------------------------------------
    def _check_layout(self) -> None:
        attrs = self._h5.attrs
        missing = [a for a in REQUIRED_ATTRS if a not in attrs]
        if attrs.get("format") != FORMAT or missing:
            raise SuiteFileError(f"{self.path}: not a causalworld-bench suite (missing attributes {missing})")
        if int(attrs["format_version"]) != FORMAT_VERSION:
            raise SuiteFileError(f"{self.path}: format version {attrs['format_version']} is not {FORMAT_VERSION}")
        if "worlds" not in self._h5 or "tasks" not in self._h5:
            raise SuiteFileError(f"{self.path}: missing /worlds or /tasks group")
        for world, family, split in self.cells():
            group = self._h5[f"tasks/{world}/{family}/{split}"]
            absent = [f for f in TASK_FIELDS if f not in group]
            if absent:
                raise SuiteFileError(f"{self.path}: tasks/{world}/{family}/{split} lacks {absent}")

    @property
    def name(self) -> str:
        return str(self._h5.attrs["suite"])

    @property
    def obs_mode(self) -> str:
        return str(self._h5.attrs["obs_mode"])

    @property
    def checksum(self) -> str:
        return str(self._h5.attrs["checksum"])

    @property
    def public_checksum(self) -> str:
        """Checksum of what a participant sees: submissions are bound to this one."""
        return str(self._h5.attrs["public_checksum"])

    @property
    def generation(self) -> dict:
        return json.loads(self._h5.attrs["generation"])

    @property
    def shots(self) -> tuple[int, ...]:
        return tuple(self.generation["shots"])

    @property
    def headline_shots(self) -> int:
        return int(self.generation["headline_shots"])

    @property
    def worlds(self) -> tuple[str, ...]:
        return tuple(sorted(self._h5["worlds"]))

    @property
    def has_test_answers(self) -> bool:
        return any(s != "train" for (_, _, s) in self.cells(group="answers"))

    def declaration(self, world: str) -> dict:
        """The world's declaration (variables, edges, task parameters) stored at generation time."""
        return json.loads(self._h5[f"worlds/{world}"].attrs["declaration"])

    def heldout_intervention(self, world: str) -> str:
        return str(self._h5[f"worlds/{world}"].attrs["heldout_intervention"])

    def cells(self, group: str = "tasks") -> list[tuple[str, str, str]]:
        """(world, family, split) cells present in ``group``, in canonical order."""
        return _cells(self._h5, group)

    def verify(self) -> None:
        """Recompute the content checksum (the public one for a participant's copy); raise
        :class:`SuiteFileError` on a mismatch."""
        public = "secrets" not in self._h5
        expected, which = (self.public_checksum, "public_checksum") if public else (self.checksum, "checksum")
        try:
            got = content_checksum(self._h5, public=public)
        except (OSError, KeyError) as exc:
            raise SuiteFileError(f"{self.path}: unreadable data while verifying: {exc}") from None
        if got != expected:
            raise SuiteFileError(f"{self.path}: {which} mismatch: stored {expected[:12]}..., content {got[:12]}...")

    # -- tasks -----------------------------------------------------------------------------------
    def n_tasks(self, world: str, family: str, split: str) -> int:
        return int(self._h5[f"tasks/{world}/{family}/{split}/target"].shape[0])

    def tasks(
        self,
        split: str | None = None,
        family: str | None = None,
        world: str | None = None,
        shots: int | None = None,
    ) -> Iterator[Task]:
        """Tasks in canonical order, optionally filtered; ``shots`` truncates the nested support sets."""
        for w, f, s in self.cells():
            if (split and s != split) or (family and f != family) or (world and w != world):
                continue
            yield from self._cell_tasks(w, f, s, shots)

    def _cell_tasks(self, world: str, family: str, split: str, shots: int | None) -> Iterator[Task]:
        decl = self.declaration(world)
        variables = decl["variables"]
        obs_names = tuple(v["name"] for v in variables if v["observed"] and v["kind"] == "property")
        outcome_names = tuple(v["name"] for v in variables if v["observed"] and v["kind"] == "outcome")
        by_name = {v["name"]: v for v in variables}
        cell = f"{world}/{family}/{split}"
        g = {k: v[()] for k, v in self._h5[f"tasks/{cell}"].items()}
        answers = self._h5[f"answers/{cell}/query_answer"][()] if f"answers/{cell}" in self._h5 else None
        k = g["support_x"].shape[1] if shots is None else shots
        if not 0 <= k <= g["support_x"].shape[1]:
            raise ValueError(f"{self.path}: {cell} has {g['support_x'].shape[1]} support examples, asked {k}")
        for i in range(g["target"].shape[0]):
            target = outcome_names[int(g["target"][i])]
            do = int(g["do_variable"][i])
            yield Task(
                task_id=f"{cell}/{int(g['task_index'][i]):05d}",
                world=world, family=family, split=split, obs_mode=self.obs_mode,  # type: ignore[arg-type]
                target=target, target_type=by_name[target]["type"], tolerance=by_name[target]["tolerance"],
                obs_names=obs_names if self.obs_mode == "symbols" else (),
                outcome_names=outcome_names,
                do_variable=variables[do]["name"] if do >= 0 else None,
                support_x=g["support_x"][i, :k], support_outcomes=g["support_outcomes"][i, :k],
                query_x=g["query_x"][i], query_do=g["query_do"][i], query_factual=g["query_factual"][i],
                answers=None if answers is None else answers[i],
            )

    # -- lifecycle -------------------------------------------------------------------------------
    def close(self) -> None:
        self._h5.close()

    def __enter__(self) -> Suite:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _cells(h5: h5py.File, group: str) -> list[tuple[str, str, str]]:
    if group not in h5:
        return []
    return [
        (world, family, split)
        for world in sorted(h5[group])
        for family in FAMILIES
        for split in SPLITS
        if f"{world}/{family}/{split}" in h5[group]
    ]


def load_suite(path: str | Path, verify: bool = True) -> Suite:
    """Open a suite file; ``verify`` recomputes its checksum (fails loudly on any corruption)."""
    return Suite(path, verify=verify)


def strip_answers(src: str | Path, dst: str | Path) -> None:
    """Write a participant's copy of ``src`` to ``dst``: no test answers, no secrets (atomic)."""
    dst = Path(dst)
    tmp = dst.with_name(f".{dst.name}.tmp-{os.getpid()}")
    try:
        with h5py.File(src, "r") as h5, h5py.File(tmp, "w") as out:
            out.attrs.update(dict(h5.attrs))
            h5.copy("worlds", out)
            h5.copy("tasks", out)
            for w, f, s in _cells(h5, "answers"):
                if is_public(f"answers/{w}/{f}/{s}"):
                    h5.copy(f"answers/{w}/{f}/{s}", out.require_group(f"answers/{w}/{f}"), name=s)
            out.attrs["checksum"] = out.attrs["public_checksum"]
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)
