"""``OfflineRun``: what ``Run.get_context()`` returns outside a job.

A training script written for runlab also runs bare (``python train.py``): its ``run.log``
calls print what they log, and everything it sets can be read back in the same process, with
the same checks, encodings and errors as a stored run (the :class:`~runlab.tracking.RunLike`
protocol holds the two together). Nothing outlives the process unless a folder is given.
"""

from __future__ import annotations

import atexit
import builtins
import dataclasses
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from runlab.artifacts import ArtifactStore, FsspecArtifactStore
from runlab.entities import (
    LOGS_DIR,
    Metric,
    MetricHistory,
    MetricKind,
    RunRecord,
    RunStatus,
    check_transition,
    decode_value,
    encode_value,
)
from runlab.entities.labels import with_properties, without_tag
from runlab.errors import AlreadyExistsError
from runlab.tracking.files import RunFiles
from runlab.tracking.metric_logging import MetricLogging
from runlab.tracking.run_common import (
    check_display_name,
    child_matches,
    details_in_sdk_shape,
    end_as_block_ends,
    failure_details,
    label_filter,
    parameters_in,
)
from runlab.tracking.values import metrics_in_sdk_shape, string_map

__all__ = ["OfflineRun"]

OFFLINE = "offline"
"""An offline run's target (``run.type``) and the name of its stand-in experiment."""

_folder_lock = threading.Lock()
_process_folder: str | None = None
_process_store: ArtifactStore | None = None
_process_pid: int | None = None


def _remove_folder(folder: str, pid: int) -> None:
    # A forked child inherits this exit hook; only the process that made the folder removes it.
    if os.getpid() == pid:
        shutil.rmtree(folder, ignore_errors=True)


def _temporary_store() -> ArtifactStore:
    """One temporary folder per process for the files of its offline runs, removed at exit."""
    global _process_folder, _process_store, _process_pid
    with _folder_lock:
        if _process_store is None or _process_pid != os.getpid():
            _process_folder, _process_pid = tempfile.mkdtemp(prefix="runlab-offline-"), os.getpid()
            atexit.register(_remove_folder, _process_folder, _process_pid)
            _process_store = FsspecArtifactStore(_process_folder)
        return _process_store


def _said(metric: Metric) -> str:
    if metric.kind is MetricKind.ROW:
        return f"{metric.name} row {metric.value!r}"
    if metric.kind is MetricKind.TABLE:
        return f"{metric.name} table with columns {', '.join(metric.value)}"
    if metric.kind is MetricKind.IMAGE:
        return f"{metric.name}: image {metric.value}"
    return f"{metric.name} = {metric.value!r}"


class OfflineRun(MetricLogging):
    """A run that is not in any workspace: it prints what it logs and keeps it in this process.

    It has every member of :class:`~runlab.tracking.RunLike`, with :class:`runlab.Run`'s
    signatures, checks and errors: metrics come back from ``get_metrics`` in the SDK's shape
    (encoded and decoded as a store would), tags and properties follow the store's rules
    (``add_properties`` refuses to change a property), uploaded files can be listed and
    downloaded again, and child runs are offline runs too.

    Args:
        folder: where the run keeps its files (``runs/<run id>/...`` below it, as in a
            workspace). By default a temporary folder of this process, removed at exit.

    Raises:
        BackendError: ``folder`` cannot be created.

    Example:
        >>> run = OfflineRun()
        >>> run.log("accuracy", 0.9)
        [offline run] accuracy = 0.9
        >>> run.get_metrics()
        {'accuracy': 0.9}
    """

    _record: RunRecord
    _family: dict[str, OfflineRun]
    _parent: OfflineRun | None
    _children: list[OfflineRun]
    _artifacts: ArtifactStore
    _points: dict[str, list[Metric]]

    def __init__(self, folder: str | os.PathLike[str] | None = None) -> None:
        artifacts = _temporary_store() if folder is None else FsspecArtifactStore(os.fspath(folder))
        self._start(artifacts, None, None, None)

    def _start(
        self,
        artifacts: ArtifactStore,
        parent: OfflineRun | None,
        run_id: str | None,
        display_name: str | None,
    ) -> None:
        run_id = run_id or f"OfflineRun_{uuid.uuid4()}"
        family: dict[str, OfflineRun] = {} if parent is None else parent._family
        if run_id in family:
            raise AlreadyExistsError(f"a run with id {run_id!r} exists")
        now = time.time()
        self._record = RunRecord(
            run_id=run_id,
            experiment_name=OFFLINE,
            number=len(family) + 1,
            status=RunStatus.RUNNING,
            parent_run_id=None if parent is None else parent.id,
            display_name=display_name or run_id,
            target=OFFLINE,
            created_time=now,
            start_time=now,
            end_time=None,
            tags={},
            properties={},
        )
        family[run_id] = self
        self._family = family
        self._parent = parent
        self._children = []
        self._artifacts = artifacts
        self._files = RunFiles(artifacts, run_id)
        self._steps = {}
        self._points = {}

    def _say(self, text: str) -> None:
        print(f"[offline run] {text}", file=sys.stdout, flush=True)

    # -- identity ------------------------------------------------------------------------

    @property
    def id(self) -> str:
        """The run's id: ``OfflineRun_<uuid>``, as in the SDK (scripts test for it)."""
        return self._record.run_id

    @property
    def display_name(self) -> str:
        """A name for people (the run id unless set)."""
        return self._record.display_name

    @display_name.setter
    def display_name(self, value: str) -> None:
        self._record = dataclasses.replace(self._record, display_name=check_display_name(value))

    @property
    def type(self) -> str:
        """``offline``."""
        return self._record.target

    @property
    def status(self) -> str:
        """``Running`` until the run ends."""
        return self._record.status.value

    @property
    def parent(self) -> OfflineRun | None:
        """The offline run this one is a child of, or None."""
        return self._parent

    @property
    def tags(self) -> dict[str, str]:
        """The tags set so far."""
        return self.get_tags()

    @property
    def properties(self) -> dict[str, str]:
        """The properties added so far."""
        return self.get_properties()

    def get_status(self) -> str:
        """``Running`` until the run ends, then how it ended."""
        return self._record.status.value

    def get_details(self) -> dict[str, Any]:
        """The run's details in the SDK's shape, as :meth:`runlab.Run.get_details`."""
        return details_in_sdk_shape(self._record, self._files.names(LOGS_DIR))

    @property
    def input_datasets(self) -> dict[str, Any]:
        """Always empty: an offline run is not a job, so it has no input datasets."""
        return {}

    def get_parameters(self) -> dict[str, str]:
        """The run's ``param.<name>`` properties (a job sets them from its arguments)."""
        return parameters_in(self._record.properties)

    # -- metrics -------------------------------------------------------------------------

    def _stored_steps(self) -> dict[str, int]:
        return {}  # an offline run starts in this process: nothing came before

    def _append(self, metric: Metric) -> None:
        # Through the store's encoding, so what comes back is what a stored run gives back.
        value = decode_value(metric.kind, *encode_value(metric.kind, metric.value))
        kept = metric._replace(value=value)
        self._points.setdefault(metric.name, []).append(kept)
        self._say(_said(kept))

    def flush(self) -> None:
        """Nothing to wait for: points are kept as they are logged."""

    def get_metrics(self, name: str | None = None, recursive: bool = False) -> dict[str, Any]:
        """What was logged, in the shape of :meth:`runlab.Run.get_metrics`.

        Args:
            name: only this metric.
            recursive: include the child runs, as ``{run_id: metrics}`` for every run.
        """
        histories = {}
        for metric_name, points in self._points.items():
            if name is None or metric_name == name:
                ordered = sorted(points, key=lambda point: point.step)
                histories[metric_name] = MetricHistory(
                    metric_name,
                    ordered[0].kind,
                    [point.step for point in ordered],
                    [point.value for point in ordered],
                    [point.timestamp for point in ordered],
                )
        metrics = metrics_in_sdk_shape(histories)
        if not recursive:
            return metrics
        every = {self.id: metrics}
        for child in self.get_children(recursive=True):
            every[child.id] = child.get_metrics(name)
        return every

    # -- tags and properties -------------------------------------------------------------

    def tag(self, key: str, value: str | None = None) -> None:
        """Set one tag; with no value, the tag is just present (value ``""``)."""
        self.set_tags({key: "" if value is None else value})

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        """Set (add or replace) several tags; values are kept as strings, as a store keeps
        them (``True`` becomes ``"true"``)."""
        added = string_map(tags, "tag")
        self._record = dataclasses.replace(self._record, tags=self._record.tags | added)

    def remove_tags(self, keys: Sequence[str]) -> None:
        """Remove tags.

        Raises:
            NotFoundError: the run has no such tag.
        """
        for key in keys:
            tags = without_tag(self._record.tags, key, f"run {self.id!r}")
            self._record = dataclasses.replace(self._record, tags=tags)

    def get_tags(self) -> dict[str, str]:
        """The tags set so far."""
        return dict(self._record.tags)

    def add_properties(self, properties: Mapping[str, Any]) -> None:
        """Add properties; they cannot change once added.

        Raises:
            AlreadyExistsError: a property exists with another value.
        """
        added = string_map(properties, "property")
        kept = with_properties(self._record.properties, added, f"run {self.id!r}")
        self._record = dataclasses.replace(self._record, properties=kept)

    def get_properties(self) -> dict[str, str]:
        """The properties added so far."""
        return dict(self._record.properties)

    # -- files ---------------------------------------------------------------------------

    def upload_file(self, name: str, path_or_stream: str | os.PathLike[str] | IO[bytes]) -> str:
        """Keep a local file or a binary stream as the run's file ``name``; returns the name.

        Raises:
            ValidationError: ``name`` is not a safe relative path.
            NotFoundError: no such local file.
        """
        stored = self._files.upload_file(name, path_or_stream)
        self._say(f"uploaded {stored}")
        return stored

    def upload_files(
        self, names: Sequence[str], paths: Sequence[str | os.PathLike[str]]
    ) -> list[str]:
        """Keep several local files, ``paths[i]`` as ``names[i]``."""
        stored = self._files.upload_files(names, paths)
        self._say(f"uploaded {', '.join(stored)}")
        return stored

    def upload_folder(self, name: str, path: str | os.PathLike[str]) -> list[str]:
        """Keep every file under the local folder ``path`` as ``name/...``."""
        stored = self._files.upload_folder(name, path)
        self._say(f"uploaded {len(stored)} files under {name}")
        return stored

    def get_file_names(self) -> list[str]:
        """The names of the run's files, sorted."""
        return self._files.names()

    def download_file(
        self, name: str, output_file_path: str | os.PathLike[str] | None = None
    ) -> Path:
        """Copy the run's file ``name`` to a local file or folder; returns the file written.

        Raises:
            NotFoundError: the run has no such file.
        """
        return self._files.download_file(name, output_file_path)

    def download_files(
        self,
        prefix: str | None = None,
        output_directory: str | os.PathLike[str] | None = None,
        append_prefix: bool = True,
    ) -> list[Path]:
        """Copy the run's files (under ``prefix``) into ``output_directory``."""
        return self._files.download_files(prefix, output_directory, append_prefix)

    # -- child runs ----------------------------------------------------------------------

    def child_run(
        self, name: str | None = None, run_id: str | None = None, outputs: str | None = None
    ) -> OfflineRun:
        """Start an offline child run of this run.

        Raises:
            AlreadyExistsError: ``run_id`` is taken by a run of this offline family.
        """
        del outputs  # as for Run: children share the job's outputs folder
        child = OfflineRun.__new__(OfflineRun)
        child._start(self._artifacts, self, run_id, name)
        self._children.append(child)
        return child

    def get_children(
        self,
        recursive: bool = False,
        tags: str | Mapping[str, str | None] | None = None,
        properties: str | Mapping[str, str | None] | None = None,
        status: str | None = None,
    ) -> Iterator[OfflineRun]:
        """The runs started as children of this one, as :meth:`runlab.Run.get_children`.

        Raises:
            ValidationError: ``status`` names no run state.
        """
        wanted = None if status is None else RunStatus.parse(status)
        tag_filter, property_filter = label_filter(tags), label_filter(properties)
        for child in list(self._children):
            if child_matches(child._record, wanted, tag_filter, property_filter):
                yield child
            if recursive:
                yield from child.get_children(True, tags, properties, status)

    # -- ending --------------------------------------------------------------------------

    def _finish(self, status: RunStatus, error_details: dict[str, Any] | None) -> None:
        check_transition(self._record.status, status)
        self._record = dataclasses.replace(
            self._record, status=status, end_time=time.time(), error_details=error_details
        )

    def complete(self) -> None:
        """Mark the run Completed.

        Raises:
            InvalidStateError: the run has already ended.
        """
        self._finish(RunStatus.COMPLETED, None)

    def fail(
        self, error_details: BaseException | str | None = None, error_code: str | None = None
    ) -> None:
        """Mark the run Failed with what went wrong, as :meth:`runlab.Run.fail` records it.

        Raises:
            InvalidStateError: the run has already ended.
        """
        self._finish(RunStatus.FAILED, failure_details(error_details, error_code))

    def cancel(self) -> None:
        """Mark the run Canceled.

        Raises:
            InvalidStateError: the run has already ended.
        """
        self._finish(RunStatus.CANCELED, {"message": "the run was canceled"})

    def __enter__(self) -> OfflineRun:
        return self

    def __exit__(
        self,
        kind: builtins.type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._record.status.is_terminal:
            return
        end_as_block_ends(self, error)

    def __repr__(self) -> str:
        return f"OfflineRun(id={self.id!r}, status={self._record.status.value!r})"
