"""Datasets as a run's inputs: ``dataset.as_named_input("mnist").as_mount()`` among the
arguments, made local inside the job, and ``run.input_datasets["mnist"]`` in the script."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from runlab.artifacts import safe_local_path, vet_path
from runlab.data._dataset_files import DataChangedError, changed_files
from runlab.data.dataset import (
    AbstractDataset,
    FileDataset,
    TabularDataset,
    dataset_from_record,
)
from runlab.errors import ValidationError

if TYPE_CHECKING:
    from runlab.tracking import Workspace

__all__ = [
    "INPUT_DATASETS_ENV",
    "DatasetConsumptionConfig",
    "check_input_available",
    "materialize_input",
    "read_input_datasets",
]

INPUT_DATASETS_ENV = "RUNLAB_INPUT_DATASETS"
"""The environment variable naming the JSON file that tells a job's script its input datasets
(``Run.input_datasets``)."""

_MODES = ("mount", "download")
_DATA_FOLDER = ".runlab-data/datasets"


class DatasetConsumptionConfig:
    """A dataset as a named input of a run, and how the run gets it.

    Made by ``dataset.as_named_input(name)``; ``.as_mount()`` (the default: a local
    datastore's files are read in place) or ``.as_download(path_on_compute)`` (copied into
    the run's folder first). Among a run's arguments it becomes the local folder of the
    files; the script finds it in ``run.input_datasets[name]`` too (a TabularDataset there
    for tabular data).

    Raises:
        ValidationError: a bad name or mode.
    """

    def __init__(
        self,
        name: str,
        dataset: AbstractDataset,
        mode: str = "mount",
        path_on_compute: str | None = None,
    ) -> None:
        if not isinstance(name, str) or not name.strip() or "/" in name:
            raise ValidationError(f"an input name is a non-empty string without '/': {name!r}")
        if not isinstance(dataset, AbstractDataset):
            raise ValidationError(f"not a dataset: {dataset!r}")
        if mode not in _MODES:
            raise ValidationError(f"bad dataset input mode {mode!r}: use one of {_MODES}")
        self.name = name
        self.dataset = dataset
        self.mode = mode
        self.path_on_compute = None if path_on_compute is None else vet_path(path_on_compute)

    def as_mount(self) -> DatasetConsumptionConfig:
        """The same input, mounted."""
        return DatasetConsumptionConfig(self.name, self.dataset, "mount")

    def as_download(self, path_on_compute: str | None = None) -> DatasetConsumptionConfig:
        """The same input, copied into the run's folder (``path_on_compute``, relative)."""
        return DatasetConsumptionConfig(self.name, self.dataset, "download", path_on_compute)

    def to_dict(self) -> dict[str, Any]:
        """The input as JSON values, for a job spec: a registered version by its id, an
        unregistered dataset by its definition (resolved inside the job)."""
        dataset = self.dataset
        data: dict[str, Any] = {
            "input_name": self.name,
            "mode": self.mode,
            "path_on_compute": self.path_on_compute,
            "kind": "file" if isinstance(dataset, FileDataset) else "tabular",
            "allow_changed": dataset._allow_changed,
            "definition": dataset.definition,
        }
        if dataset._origin is not None:
            data["dataset_id"] = dataset._origin.id
        return data

    def __repr__(self) -> str:
        return f"DatasetConsumptionConfig(name={self.name!r}, mode={self.mode!r}, {self.dataset!r})"


def _dataset_of(workspace: Workspace, data: Mapping[str, Any]) -> AbstractDataset:
    allow_changed = bool(data.get("allow_changed"))
    dataset_id = data.get("dataset_id")
    if dataset_id is not None:
        name, _colon, version = str(dataset_id).rpartition(":")
        record = workspace.store.get_dataset_version(name, int(version))
        dataset = dataset_from_record(workspace, record, allow_changed)
        # A part of a version (take, split) keeps the version's pins, with its transforms.
        if data.get("definition") and data["definition"] != record.definition:
            kind = FileDataset if data["kind"] == "file" else TabularDataset
            derived = kind(data["definition"], parent=dataset)
            if isinstance(derived, FileDataset):
                derived._files = derived._file_transforms(dataset.files)
            else:
                derived._files = dataset.files
            return derived
        return dataset
    kind = FileDataset if data.get("kind") == "file" else TabularDataset
    return kind(data["definition"], workspace=workspace, allow_changed=allow_changed)


def check_input_available(workspace: Workspace, data: Mapping[str, Any]) -> None:
    """Check that a dataset input of an earlier run can be had again with the same content:
    its version exists and is snapshotted, or its files are unchanged where they came from.

    Raises:
        NotFoundError: the dataset version is gone.
        DataChangedError: its files changed and it has no snapshot; the message names them.
    """
    dataset = _dataset_of(workspace, data)
    if dataset._origin is None or dataset._snapshot or dataset._allow_changed:
        return
    changed = changed_files(workspace, dataset.files)
    if changed:
        shown = ", ".join(changed[:10]) + (
            f" and {len(changed) - 10} more" if len(changed) > 10 else ""
        )
        raise DataChangedError(
            f"dataset {dataset.id} (input {data['input_name']!r}) cannot be had again: its files"
            f" changed on their datastore and it has no snapshot: {shown}"
        )


def materialize_input(
    workspace: Workspace, data: Mapping[str, Any], workdir: Path
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Make a dataset input local inside a run whose folder is ``workdir``.

    Returns:
        The argument's value (the local folder), what the run records about the input
        (name, version, id, content hash, ...), and what the script is told
        (:func:`read_input_datasets`).

    Raises:
        DataChangedError: the version's files changed (see :class:`FileDataset`).
        NotFoundError: the dataset version is gone.
    """
    dataset = _dataset_of(workspace, data)
    input_name = str(data["input_name"])
    relative = data.get("path_on_compute") or f"{_DATA_FOLDER}/{input_name}"
    local = safe_local_path(workdir, relative)
    dataset._fetch(local, str(data.get("mode", "mount")))
    files = dataset.files
    origin = dataset._origin
    recorded = {
        "input_name": input_name,
        "name": None if origin is None else origin.name,
        "version": None if origin is None else origin.version,
        "id": None if origin is None else origin.id,
        "kind": data.get("kind"),
        "mode": data.get("mode"),
        "content_hash": dataset.content_hash,
        "files": len(files),
        "snapshot": dataset.is_snapshot,
        "definition": dataset.definition,
    }
    told: dict[str, Any] = {"kind": data.get("kind"), "path": str(local)}
    if isinstance(dataset, TabularDataset):
        told |= {"definition": dataset.definition | {"local_root": str(local)}, "files": files}
    return str(local), recorded, told


def read_input_datasets(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """What a job's script gets as ``run.input_datasets``: by input name, the local folder
    of a file dataset, or the :class:`TabularDataset` of a tabular one. Empty outside jobs."""
    location = environ.get(INPUT_DATASETS_ENV)
    if not location:
        return {}
    told = json.loads(Path(location).read_text(encoding="utf-8"))
    inputs: dict[str, Any] = {}
    for name, entry in told.items():
        if entry.get("kind") == "tabular":
            inputs[name] = TabularDataset(entry["definition"], files=entry["files"])
        else:
            inputs[name] = entry["path"]
    return inputs
