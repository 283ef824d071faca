"""``Run``: one execution of an experiment, with its state, metrics, tags and files."""

from __future__ import annotations

import builtins
import json
import os
import secrets
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any

from runlab.entities import (
    COMPUTE_KEY,
    JOB_HANDLE_KEY,
    LOGS_DIR,
    SNAPSHOT_ID_KEY,
    Metric,
    RunRecord,
    RunStatus,
)
from runlab.entities.run_layout import INPUT_DATASETS_KEY, MODEL_DATASETS_KEY
from runlab.errors import InvalidStateError, NotFoundError, ValidationError
from runlab.tracking.buffer import (
    MetricQueue,
    flusher,
    retrying_backend,
    set_run_status_retrying,
)
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

if TYPE_CHECKING:
    from runlab.models import Model
    from runlab.tracking.experiment import Experiment
    from runlab.tracking.offline import OfflineRun
    from runlab.tracking.run_diff import RunDiff

__all__ = ["ENV_RUN_ID", "ENV_WORKSPACE", "Run", "new_run_id", "set_context_run"]

ENV_RUN_ID = "RUNLAB_RUN_ID"
"""The environment variable that names the run a job process belongs to."""
ENV_WORKSPACE = "RUNLAB_WORKSPACE"
"""The environment variable that holds the job's workspace config, as JSON."""

_context_lock = threading.Lock()
_context_run: Run | None = None


def new_run_id(experiment_name: str) -> str:
    """A unique, readable run id: ``<experiment>_<unix seconds>_<8 hex>``."""
    return f"{experiment_name}_{int(time.time())}_{secrets.token_hex(4)}"


def set_context_run(run: Run) -> None:
    """Make ``run`` what :meth:`Run.get_context` returns in this process while
    ``RUNLAB_RUN_ID`` names it: a sweep's warm worker sets each trial's run, already open, in
    the trial's forked process, which then opens no workspace of its own."""
    global _context_run
    with _context_lock:
        _context_run = run


class Run(MetricLogging):
    """One execution of an experiment: its state, metrics, tags, properties and files.

    ``Run(experiment, run_id)`` opens an existing run; :meth:`Experiment.start_logging`
    starts an interactive one and :meth:`get_context` returns the run a job belongs to.

    ``log`` and its siblings are buffered: they return at once and a background thread
    stores the points in batches, within a fraction of a second; ``flush`` waits for it.

    Raises:
        NotFoundError: (constructor) no such run in the experiment.
    """

    def __init__(
        self,
        experiment: Experiment,
        run_id: str,
        *,
        _record: RunRecord | None = None,
    ) -> None:
        record = _record or experiment.workspace.store.get_run(run_id)
        if record.experiment_name != experiment.name:
            raise NotFoundError(f"experiment {experiment.name!r} has no run {run_id!r}")
        self._experiment = experiment
        self._record = record
        self._store = experiment.workspace.store
        self._files = RunFiles(experiment.workspace.artifacts, run_id)
        self._queue = MetricQueue(self._store, run_id)
        self._steps: dict[str, int] | None = None

    @classmethod
    def _start(
        cls,
        experiment: Experiment,
        *,
        display_name: str | None = None,
        parent_run_id: str | None = None,
        run_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        properties: Mapping[str, str] | None = None,
    ) -> Run:
        run_id = run_id or new_run_id(experiment.name)
        record = experiment.workspace.store.create_run(
            experiment.name,
            run_id,
            parent_run_id=parent_run_id,
            display_name=display_name,
            status=RunStatus.RUNNING,
            tags=tags,
            properties=properties,
        )
        run = cls(experiment, run_id, _record=record)
        run._steps = {}
        flusher.own(run_id, run._finish)
        return run

    @classmethod
    def get(cls, workspace: Any, run_id: str) -> Run:
        """The run ``run_id`` of ``workspace``, whatever its experiment.

        Raises:
            NotFoundError: there is none.
        """
        from runlab.tracking.experiment import Experiment

        record = workspace.store.get_run(run_id)
        experiment = Experiment(workspace, record.experiment_name)
        return cls(experiment, run_id, _record=record)

    @classmethod
    def get_context(cls, allow_offline: bool = True) -> Run | OfflineRun:
        """The run this process belongs to: the job's run inside a submitted job, otherwise
        an offline run that prints what it logs (so a script also runs bare).

        Raises:
            InvalidStateError: not inside a job and ``allow_offline`` is false.
        """
        global _context_run
        run_id = os.environ.get(ENV_RUN_ID)
        config = os.environ.get(ENV_WORKSPACE)
        if not run_id or not config:
            if not allow_offline:
                raise InvalidStateError(
                    f"this process is not part of a runlab job ({ENV_RUN_ID} is not set)"
                )
            from runlab.tracking.offline import OfflineRun

            return OfflineRun()
        with _context_lock:
            if _context_run is None or _context_run.id != run_id:
                from runlab.tracking.workspace import Workspace

                try:
                    settings = json.loads(config)
                except json.JSONDecodeError as error:
                    raise ValidationError(f"{ENV_WORKSPACE} is not valid JSON: {error}") from error
                _context_run = cls.get(Workspace.from_dict(settings), run_id)
            return _context_run

    # -- identity ------------------------------------------------------------------------

    @property
    def id(self) -> str:
        """The run's id."""
        return self._record.run_id

    @property
    def number(self) -> int:
        """Its position among its experiment's runs, from 1."""
        return self._record.number

    @property
    def experiment(self) -> Experiment:
        """The experiment the run belongs to."""
        return self._experiment

    @property
    def display_name(self) -> str:
        """A name for people (the run id unless set)."""
        return self._record.display_name

    @display_name.setter
    def display_name(self, value: str) -> None:
        self._record = self._store.update_run(self.id, display_name=check_display_name(value))

    @property
    def type(self) -> str:
        """Where the run runs: ``local`` for an interactive run, else the compute target."""
        return self._record.target

    @property
    def status(self) -> str:
        """The run's current state (read from the store)."""
        return self.get_status()

    @property
    def parent(self) -> Run | None:
        """The run this one is a child of, or None."""
        parent_id = self._record.parent_run_id
        return None if parent_id is None else Run(self._experiment, parent_id)

    @property
    def tags(self) -> dict[str, str]:
        """The run's tags (read from the store)."""
        return self.get_tags()

    @property
    def properties(self) -> dict[str, str]:
        """The run's properties (read from the store)."""
        return self.get_properties()

    def _refresh(self) -> RunRecord:
        self._record = self._store.get_run(self.id)
        return self._record

    def get_status(self) -> str:
        """The run's current state, e.g. ``"Running"`` or ``"Completed"``."""
        return self._refresh().status.value

    def get_details(self) -> dict[str, Any]:
        """The run's details in the SDK's shape: runId, status, times, target, tags,
        properties, log files, and the error for a failed run."""
        return details_in_sdk_shape(self._refresh(), self._files.names(LOGS_DIR))

    def get_portal_url(self) -> str:
        """The run's page in the web UI (``<server>/ui/runs/<id>``) for a workspace served by
        ``runlab server``; otherwise a sentence saying how to see it there.

        Example:
            >>> print(run.get_portal_url())  # doctest: +SKIP
            http://127.0.0.1:8765/ui/runs/mnist_1733600000_0a1b2c3d
        """
        page = f"/ui/runs/{urllib.parse.quote(self.id, safe='')}"
        server = self._experiment.workspace.server_url
        if server is not None:
            return server.rstrip("/") + page
        return (
            f"no runlab server is known for this workspace: start one with `runlab server` "
            f"and open {page} there"
        )

    # -- metrics -------------------------------------------------------------------------

    def _stored_steps(self) -> dict[str, int]:
        self._queue.flush()
        return self._store.get_last_steps(self.id)

    def _append(self, metric: Metric) -> None:
        self._queue.pending.append(metric)
        if not self._queue.registered:
            flusher.register(self._queue)

    def flush(self) -> None:
        """Wait until every point logged so far is stored."""
        self._queue.flush()

    def get_metrics(self, name: str | None = None, recursive: bool = False) -> dict[str, Any]:
        """The run's metrics in the SDK's shape: a name logged once maps to its value,
        several times to the list of values; rows merge into a table of columns.

        Args:
            name: only this metric.
            recursive: include the child runs, as ``{run_id: metrics}`` for every run.
        """
        if recursive:
            flusher.flush_all()  # the children's points may sit in other Run objects' queues
        self.flush()
        metrics = metrics_in_sdk_shape(self._store.get_metric_histories(self.id, name))
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
        """Set (add or replace) several tags; values are stored as strings."""
        self._store.set_tags(self.id, string_map(tags, "tag"))

    def remove_tags(self, keys: Sequence[str]) -> None:
        """Remove tags.

        Raises:
            NotFoundError: the run has no such tag.
        """
        for key in keys:
            self._store.delete_tag(self.id, key)

    def get_tags(self) -> dict[str, str]:
        """The run's tags."""
        return dict(self._refresh().tags)

    def add_properties(self, properties: Mapping[str, Any]) -> None:
        """Add properties; they cannot change once added.

        Raises:
            AlreadyExistsError: a property exists with another value.
        """
        self._store.add_properties(self.id, string_map(properties, "property"))

    def get_properties(self) -> dict[str, str]:
        """The run's properties."""
        return dict(self._refresh().properties)

    # -- files ---------------------------------------------------------------------------

    def upload_file(self, name: str, path_or_stream: str | os.PathLike[str] | IO[bytes]) -> str:
        """Store a local file or a binary stream as the run's file ``name`` (e.g.
        ``outputs/model.pkl``); returns the stored name.

        Raises:
            ValidationError: ``name`` is not a safe relative path.
            NotFoundError: no such local file.
        """
        return self._files.upload_file(name, path_or_stream)

    def upload_files(
        self, names: Sequence[str], paths: Sequence[str | os.PathLike[str]]
    ) -> list[str]:
        """Store several local files, ``paths[i]`` as ``names[i]``.

        Raises:
            ValidationError: not as many names as paths, or a bad name.
            NotFoundError: no such local file.
        """
        return self._files.upload_files(names, paths)

    def upload_folder(self, name: str, path: str | os.PathLike[str]) -> list[str]:
        """Store every file under the local folder ``path`` as ``name/...``."""
        return self._files.upload_folder(name, path)

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
    ) -> Run:
        """Start a child run of this run, Running and owned by this process."""
        del outputs  # the SDK's outputs folder is per job; children share it
        return Run._start(self._experiment, display_name=name, parent_run_id=self.id, run_id=run_id)

    def get_children(
        self,
        recursive: bool = False,
        tags: str | Mapping[str, str | None] | None = None,
        properties: str | Mapping[str, str | None] | None = None,
        status: str | None = None,
    ) -> Iterator[Run]:
        """The runs started as children of this one, oldest first; with ``recursive``, each
        followed by its own descendants.

        Args:
            recursive: also the children's children, and so on.
            tags: only runs with this tag (a name), or with these tag values (a dict; None
                matches any value).
            properties: as ``tags``, for properties.
            status: only runs in this state.

        The filters apply to every run returned; with ``recursive`` the descendants of a child
        that does not match are still searched.

        Raises:
            ValidationError: ``status`` names no run state.
        """
        wanted = None if status is None else RunStatus.parse(status)
        tag_filter, property_filter = label_filter(tags), label_filter(properties)
        if not recursive:
            records = self._store.search_runs(
                parent_run_id=self.id,
                statuses=None if wanted is None else [wanted],
                tags=tag_filter,
                properties=property_filter,
                order_by="created_time asc",
            )
            for record in records:
                yield Run(self._experiment, record.run_id, _record=record)
            return
        for record in self._store.search_runs(parent_run_id=self.id, order_by="created_time asc"):
            child = Run(self._experiment, record.run_id, _record=record)
            if child_matches(record, wanted, tag_filter, property_filter):
                yield child
            yield from child.get_children(True, tags, properties, status)

    # -- models --------------------------------------------------------------------------

    def register_model(
        self,
        model_name: str,
        model_path: str | None = None,
        tags: Mapping[str, Any] | None = None,
        properties: Mapping[str, Any] | None = None,
        description: str | None = None,
        datasets: Sequence[Any] | None = None,
    ) -> Model:
        """Register a file or folder among the run's files as the next version of a model.

        The model records this run and its experiment as its lineage (``model.run``,
        ``model.experiment_name``). This method imports :mod:`runlab.models` inside itself:
        models sit above tracking, and DESIGN.md allows this one upward import where no object
        is passed in to delegate to.

        Args:
            model_name: the model's name (letters, digits, ``-``, ``_``, ``.``).
            model_path: the run's file or folder, e.g. ``outputs/sklearn_mnist_model.pkl`` or
                ``outputs``; defaults to ``model_name``, as in the SDK.
            tags: mutable labels of the model version.
            properties: add-only facts of the model version.
            description: free text.
            datasets: the registered datasets it was trained on (or ``(label, dataset)``
                pairs, as in the SDK); default: the registered datasets the run read.

        Returns:
            The registered :class:`runlab.models.Model`.

        Raises:
            ValidationError: a bad name, or ``model_path`` is not a relative path inside the
                run's files (``../x``, ``/etc/passwd``).
            NotFoundError: the run has no such file or folder; the message lists its files.

        Example:
            >>> model = run.register_model("mnist", "outputs/model.pkl")  # doctest: +SKIP
            >>> model.id  # doctest: +SKIP
            'mnist:1'
        """
        from runlab.models import Model, register_run_files

        record = register_run_files(
            self,
            model_name,
            model_name if model_path is None else model_path,
            tags=tags,
            properties=dict(properties or {}) | ({} if datasets else self._read_datasets()),
            description=description,
            datasets=datasets,
        )
        return Model(self._experiment.workspace, _record=record)

    def _read_datasets(self) -> dict[str, str]:
        """The model property naming the registered datasets this run read, if any."""
        read = json.loads(self._refresh().properties.get(INPUT_DATASETS_KEY, "[]"))
        recorded = [
            {"label": item["input_name"]}
            | {key: item[key] for key in ("name", "version", "id", "content_hash")}
            for item in read
            if item.get("id")
        ]
        return {MODEL_DATASETS_KEY: json.dumps(recorded)} if recorded else {}

    # -- ending --------------------------------------------------------------------------

    def _finish(self, status: RunStatus, error_details: Mapping[str, Any] | None) -> None:
        # The last writes of a run wait out a store that is briefly away (its server or
        # database restarting) for the retry horizon, so nothing logged is lost to it.
        current = retrying_backend(self._refresh, what=f"read run {self.id}").status
        if current.is_terminal:
            raise InvalidStateError(
                f"run {self.id!r} has already ended ({current.value}); it cannot become"
                f" {status.value}"
            )
        retrying_backend(
            lambda: flusher.unregister(self._queue), what=f"store the points of run {self.id}"
        )
        self._record = set_run_status_retrying(self._store, self.id, status, error_details)
        flusher.disown(self.id)

    def start(self) -> None:
        """Mark a run that was created but not started as Running."""
        self._record = self._store.set_run_status(self.id, RunStatus.RUNNING)

    def complete(self) -> None:
        """Store everything logged, then mark the run Completed.

        Raises:
            InvalidStateError: the run has already ended.
        """
        self._finish(RunStatus.COMPLETED, None)

    def fail(
        self, error_details: BaseException | str | None = None, error_code: str | None = None
    ) -> None:
        """Store everything logged, then mark the run Failed with what went wrong.

        Raises:
            InvalidStateError: the run has already ended.
        """
        self._finish(RunStatus.FAILED, failure_details(error_details, error_code))

    def cancel(self) -> None:
        """End the run as Canceled: a submitted job is stopped first (its whole process
        tree), an interactive run has what it logged stored first.

        Raises:
            InvalidStateError: the run has already ended.
        """
        record = self._refresh()
        handle = record.properties.get(JOB_HANDLE_KEY)
        if handle is not None and not record.status.is_terminal:
            from runlab.compute import get_compute_target

            target = get_compute_target(
                record.properties.get(COMPUTE_KEY, record.target), self.experiment.workspace
            )
            target.cancel(json.loads(handle))
            if self._refresh().status.is_terminal:
                return
        self._finish(RunStatus.CANCELED, {"message": "the run was canceled"})

    # -- jobs ----------------------------------------------------------------------------

    def wait_for_completion(
        self,
        show_output: bool = False,
        wait_post_processing: bool = False,
        raise_on_error: bool = True,
    ) -> dict[str, Any]:
        """Wait until the run has ended and return its details.

        Args:
            show_output: stream the run's log (``logs/driver.log``) as it grows, then print
                an execution summary.
            wait_post_processing: accepted for the SDK's sake; outputs are always uploaded
                before the run ends.
            raise_on_error: raise if the run failed.

        Raises:
            JobFailedError: the run failed and ``raise_on_error`` is true; its ``details``
                hold the error (exit code, stderr tail).
        """
        from runlab.tracking.monitoring import wait_for_completion

        del wait_post_processing
        return wait_for_completion(self, show_output, raise_on_error)

    def get_snapshot_id(self) -> str | None:
        """The id of the snapshot of the run's source folder (None for interactive runs)."""
        return self._refresh().properties.get(SNAPSHOT_ID_KEY)

    def restore_snapshot(self, path: str | os.PathLike[str] | None = None) -> Path:
        """Unpack the run's source snapshot into ``path`` (default: ``./<snapshot id>``).

        Raises:
            NotFoundError: the run has no snapshot.
        """
        from runlab.artifacts.snapshots import restore_snapshot

        snapshot_id = self.get_snapshot_id()
        if snapshot_id is None:
            raise NotFoundError(f"run {self.id!r} has no snapshot (it was not submitted)")
        target = Path(path) if path is not None else Path.cwd() / snapshot_id
        restore_snapshot(self._experiment.workspace.artifacts, snapshot_id, target)
        return target

    @property
    def input_datasets(self) -> dict[str, Any]:
        """Inside a job: its input datasets by input name (``as_named_input``): the local
        folder of a file dataset, the :class:`~runlab.data.TabularDataset` of a tabular one.
        Empty elsewhere.

        Imports :mod:`runlab.data` inside the method: DESIGN.md's sanctioned exception for a
        convenience with no object to delegate to.
        """
        if os.environ.get(ENV_RUN_ID) != self.id:
            return {}
        from runlab.data.consumption import read_input_datasets

        return read_input_datasets()

    # -- lineage and re-runs --------------------------------------------------------------

    def get_lineage(self) -> dict[str, Any]:
        """Everything this run's result can be traced to: code (snapshot, git commit and
        dirty flag), environment (spec and lock), arguments and parameters, input datasets
        (name, version, content hash) and data references, parent and children, the models
        registered from it, and what it re-ran (see :func:`runlab.tracking.lineage.run_lineage`).
        """
        from runlab.tracking.lineage import run_lineage

        return run_lineage(self._experiment.workspace, self.id)

    def get_environment_lock(self) -> dict[str, Any] | None:
        """The lock of the environment the job's script ran in: ``packages`` (every installed
        distribution and its version), ``python``, ``platform``; None for a run that is not
        a job or did not get that far."""
        from runlab.tracking.lineage import environment_lock_of

        return environment_lock_of(self._experiment.workspace, self.id)

    def diff(self, other: Run) -> RunDiff:
        """How ``other`` differs from this run: code (a unified diff per file), packages,
        arguments and parameters, datasets, and the metrics side by side.

        Raises:
            NotFoundError: ``other`` does not exist.
        """
        from runlab.tracking.run_diff import diff_runs

        return diff_runs(self._experiment.workspace, self.id, other.id)

    def rerun(
        self,
        arguments: Sequence[Any] | None = None,
        compute_target: Any = None,
        *,
        parameters: Mapping[str, Any] | None = None,
    ) -> Run:
        """Submit this run again, exactly: the same snapshot (not re-packed), an environment
        built from its lock (not re-resolved), the same dataset versions; changed only as
        asked. The new run's ``runlab.rerun_of`` property names this one.

        This method imports :mod:`runlab.jobs` inside itself (jobs sit above tracking;
        DESIGN.md's sanctioned exception where no object is passed in to delegate to).

        Args:
            arguments: the script's arguments instead of this run's.
            compute_target: a compute target (or its name) instead of this run's.
            parameters: named parameters to set among the arguments, e.g.
                ``{"regularization": 0.5}``.

        Raises:
            ValidationError: this run was not submitted, or has no environment lock.
            DataChangedError: an input dataset's files changed and it has no snapshot.
        """
        from runlab.jobs.rerun import rerun

        return rerun(self, arguments, compute_target, parameters)

    def get_parameters(self) -> dict[str, str]:
        """The named parameters of a submitted run: its script's ``--name value`` pairs."""
        return parameters_in(self._refresh().properties)

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        kind: builtins.type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if RunStatus(self.get_status()).is_terminal:
            flusher.unregister(self._queue)
            return
        end_as_block_ends(self, error)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Run) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return (
            f"Run(experiment={self._experiment.name!r}, id={self.id!r},"
            f" status={self._record.status.value!r})"
        )
