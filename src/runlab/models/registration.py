"""Registering a model version: from a local file or folder, or from a run's files."""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import tempfile
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from runlab.artifacts import vet_path
from runlab.entities.model import ModelRecord
from runlab.entities.run_layout import MODEL_DATASETS_KEY
from runlab.errors import NotFoundError, RunlabError, ValidationError
from runlab.models.files import collect_local_files, hash_files, model_prefix
from runlab.models.values import check_model_name
from runlab.tracking.values import string_map

if TYPE_CHECKING:
    from runlab.tracking import Run, Workspace

__all__ = ["datasets_property", "register_local", "register_run_files"]

_SHOWN_FILES = 10


def register_local(
    workspace: Workspace,
    model_path: str | os.PathLike[str],
    model_name: str,
    *,
    tags: Mapping[str, Any] | None = None,
    properties: Mapping[str, Any] | None = None,
    description: str | None = None,
    run_id: str | None = None,
) -> ModelRecord:
    """Register a local file or folder as the next version of ``model_name``.

    Everything is checked and hashed before a version number is taken. The version stays
    invisible while its files are stored; if storing them fails, it is deleted again (its
    number is not reused) and the error is raised.

    Raises:
        ValidationError: a bad name, tags, properties, description or file name.
        NotFoundError: nothing at ``model_path``, or ``run_id`` names no run.
        BackendError: a store failed.
    """
    name = check_model_name(model_name)
    tag_values = string_map(tags, "tag")
    property_values = string_map(properties, "property")
    if description is not None and not isinstance(description, str):
        raise ValidationError(f"a model's description is a string, not {description!r}")
    files = collect_local_files(model_path)
    store, artifacts = workspace.store, workspace.artifacts
    record = store.create_model_version(
        name,
        content_hash=hash_files(files),
        files=[relative for relative, _local in files],
        run_id=run_id,
        description=description,
        tags=tag_values,
        properties=property_values,
    )
    prefix = model_prefix(record)
    try:
        # Numbers are never reused, so anything here was left by a metadata store that was
        # reset under the same artifact store: it must not mix with this version's files.
        if artifacts.list_files(prefix):
            artifacts.delete(prefix)
        for relative, local in files:
            artifacts.put_file(local, f"{prefix}/{relative}")
        return store.finish_model_version(name, record.version)
    except BaseException:
        # Also on Ctrl-C: a half-stored version must not stay behind, even invisible.
        with contextlib.suppress(RunlabError):
            if artifacts.list_files(prefix):
                artifacts.delete(prefix)
        with contextlib.suppress(RunlabError):
            store.delete_model_version(name, record.version)
        raise


def datasets_property(datasets: Sequence[Any] | None) -> dict[str, str]:
    """The model property that records the datasets it was trained on: each registered
    dataset (or ``(label, dataset)`` pair, as the SDK takes them) by name, version, id and
    content hash.

    Raises:
        ValidationError: an item is not a registered dataset.
    """
    from runlab.data import AbstractDataset

    if not datasets:
        return {}
    recorded = []
    for item in datasets:
        label, dataset = item if isinstance(item, tuple) and len(item) == 2 else (None, item)
        if not isinstance(dataset, AbstractDataset) or dataset.id is None:
            raise ValidationError(
                f"datasets=... takes registered datasets (or (label, dataset) pairs), not"
                f" {dataset!r}: register it first (dataset.register(ws, name))"
            )
        recorded.append(
            {
                "label": label,
                "name": dataset.name,
                "version": dataset.version,
                "id": dataset.id,
                "content_hash": dataset.content_hash,
            }
        )
    return {MODEL_DATASETS_KEY: json.dumps(recorded)}


def _run_file_kind(run: Run, path: str) -> str:
    """``"file"`` or ``"folder"``: what ``path`` is among the run's files.

    Raises:
        NotFoundError: neither; the message lists the run's files.
    """
    names = run.get_file_names()
    if path in names:
        return "file"
    if any(name.startswith(f"{path}/") for name in names):
        return "folder"
    if not names:
        listing = "it has no files"
    else:
        shown = ", ".join(names[:_SHOWN_FILES])
        more = f" and {len(names) - _SHOWN_FILES} more" if len(names) > _SHOWN_FILES else ""
        listing = f"its files are {shown}{more}"
    raise NotFoundError(f"run {run.id!r} has no file or folder {path!r}; {listing}")


def register_run_files(
    run: Run,
    model_name: str,
    model_path: str,
    *,
    tags: Mapping[str, Any] | None = None,
    properties: Mapping[str, Any] | None = None,
    description: str | None = None,
    datasets: Sequence[Any] | None = None,
) -> ModelRecord:
    """Register a file or folder among a run's files (e.g. ``outputs/model.pkl``) as the next
    version of ``model_name``, with the run as its lineage.

    The files are copied within the workspace through a temporary folder, which is also where
    they are hashed.

    Raises:
        ValidationError: a bad name, or ``model_path`` is not a safe relative path.
        NotFoundError: the run has no such file or folder (the message lists its files).
    """
    check_model_name(model_name)
    path = vet_path(model_path)
    kind = _run_file_kind(run, path)
    base_name = pathlib.PurePosixPath(path).name
    with tempfile.TemporaryDirectory(prefix="runlab-model-") as scratch:
        local = pathlib.Path(scratch, base_name)
        if kind == "file":
            run.download_file(path, local)
        else:
            run.download_files(prefix=path, output_directory=local, append_prefix=False)
        return register_local(
            run.experiment.workspace,
            local,
            model_name,
            tags=tags,
            properties=dict(properties or {}) | datasets_property(datasets),
            description=description,
            run_id=run.id,
        )
