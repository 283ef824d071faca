"""The metadata store interface: experiments, runs, tags, properties and metrics."""

from __future__ import annotations

import abc
from collections.abc import Collection, Mapping, Sequence
from typing import Any, TypedDict, Unpack

from runlab.entities import ExperimentRecord, Metric, MetricHistory, RunRecord, RunStatus
from runlab.entities.compute_target import ComputeTargetRecord
from runlab.entities.datastore import DatastoreRecord
from runlab.entities.model import ModelRecord

__all__ = ["MetadataStore", "RunFilters", "RunOrder"]


class RunFilters(TypedDict, total=False):
    """The filters ``search_runs`` and ``count_runs`` take, as keywords; all must match.

    Attributes:
        experiment_name: only runs of this experiment.
        statuses: only runs in one of these states.
        parent_run_id: only the children of this run.
        top_level_only: only runs without a parent.
        tags: only runs with each tag; a value of None matches any value of that tag.
        properties: as ``tags``, for properties.
    """

    experiment_name: str | None
    statuses: Collection[RunStatus] | None
    parent_run_id: str | None
    top_level_only: bool
    tags: Mapping[str, str | None] | None
    properties: Mapping[str, str | None] | None


RunOrder = str
"""How ``search_runs`` sorts: ``"created_time desc"`` (newest first, the default),
``"created_time asc"``, ``"number asc|desc"``, ``"end_time asc|desc"``."""


class MetadataStore(abc.ABC):
    """Where a workspace keeps everything but files.

    Contract, for every backend:

    * **Thread and process safety.** One store object may be used from several threads at
      once, and several processes (and machines, for a server-backed store) may open the same
      store at once. Every method is a single transaction: it is atomic and sees a consistent
      state. Transient contention (SQLite's "database is locked", serialization failures) is
      retried inside the backend and never reaches the caller.
    * **Errors.** Only :mod:`runlab.errors` types are raised: ``NotFoundError`` for an unknown
      experiment or run; ``AlreadyExistsError`` for a duplicate id or name, or a property that
      exists with another value; ``InvalidStateError`` for a status change the run's state
      does not allow (see :func:`runlab.entities.check_transition`); ``ValidationError`` for
      malformed arguments; ``BackendError`` for anything the storage itself failed at, with
      the original exception as its ``__cause__``.
    * **Append-only metrics.** Logged points are never changed or removed; a batch is stored
      whole or not at all.
    """

    @property
    @abc.abstractmethod
    def uri(self) -> str:
        """Where the store lives, with any password masked."""

    # -- experiments ---------------------------------------------------------------------

    @abc.abstractmethod
    def create_experiment(self, name: str) -> ExperimentRecord:
        """Create an experiment.

        Raises:
            AlreadyExistsError: an experiment of that name exists.
        """

    @abc.abstractmethod
    def get_experiment(self, name: str) -> ExperimentRecord:
        """The experiment named ``name``.

        Raises:
            NotFoundError: there is none.
        """

    def get_or_create_experiment(self, name: str) -> ExperimentRecord:
        """The experiment named ``name``, created if missing; safe when processes race."""
        from runlab.errors import AlreadyExistsError, NotFoundError

        try:
            return self.get_experiment(name)
        except NotFoundError:
            pass
        try:
            return self.create_experiment(name)
        except AlreadyExistsError:
            return self.get_experiment(name)

    @abc.abstractmethod
    def list_experiments(self) -> list[ExperimentRecord]:
        """Every experiment, by name."""

    # -- runs ----------------------------------------------------------------------------

    @abc.abstractmethod
    def create_run(
        self,
        experiment_name: str,
        run_id: str,
        *,
        parent_run_id: str | None = None,
        display_name: str | None = None,
        status: RunStatus = RunStatus.NOT_STARTED,
        target: str = "local",
        tags: Mapping[str, str] | None = None,
        properties: Mapping[str, str] | None = None,
        heartbeat_timeout: float | None = None,
    ) -> RunRecord:
        """Create a run; its ``number`` is one more than the experiment's last.

        A run created with ``heartbeat_timeout`` is a job's run: its first heartbeat is its
        creation, and once it goes longer than that many seconds without
        :meth:`heartbeat` while not ended, the next ``get_run`` or ``search_runs`` that reads
        it fails it (atomically; the error details say why).

        Raises:
            NotFoundError: the experiment or the parent run does not exist.
            AlreadyExistsError: a run with ``run_id`` exists.
        """

    @abc.abstractmethod
    def get_run(self, run_id: str) -> RunRecord:
        """The run ``run_id``.

        Raises:
            NotFoundError: there is none.
        """

    @abc.abstractmethod
    def search_runs(
        self,
        *,
        order_by: RunOrder = "created_time desc",
        limit: int | None = None,
        offset: int = 0,
        **filters: Unpack[RunFilters],
    ) -> list[RunRecord]:
        """Runs that match every filter given (see :class:`RunFilters`).

        Args:
            order_by: see :data:`RunOrder` (ValidationError for anything else).
            limit: at most this many runs.
            offset: skip this many first.
            filters: keyword filters, :class:`RunFilters`.

        Raises:
            NotFoundError: ``experiment_name`` names no experiment.
            ValidationError: a bad order or a negative limit or offset.
        """

    @abc.abstractmethod
    def count_runs(self, **filters: Unpack[RunFilters]) -> int:
        """How many runs ``search_runs`` with the same filters would give, counted in the
        store.

        Raises:
            NotFoundError: ``experiment_name`` names no experiment.
        """

    @abc.abstractmethod
    def set_run_status(
        self,
        run_id: str,
        status: RunStatus,
        *,
        error_details: Mapping[str, Any] | None = None,
    ) -> RunRecord:
        """Move a run to ``status``, checked and applied atomically (compare-and-set).

        Setting the status a run already has is a no-op. Entering Running stamps
        ``start_time``; entering a terminal state stamps ``end_time``.

        Raises:
            NotFoundError: no such run.
            InvalidStateError: the run's current state does not allow the move.
        """

    @abc.abstractmethod
    def heartbeat(self, run_id: str) -> None:
        """Record that the run's job is alive now.

        Raises:
            NotFoundError: no such run.
        """

    @abc.abstractmethod
    def update_run(self, run_id: str, *, display_name: str) -> RunRecord:
        """Rename a run for people.

        Raises:
            NotFoundError: no such run.
        """

    @abc.abstractmethod
    def set_tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        """Set (add or replace) tags of a run.

        Raises:
            NotFoundError: no such run.
        """

    @abc.abstractmethod
    def delete_tag(self, run_id: str, key: str) -> None:
        """Remove a tag of a run.

        Raises:
            NotFoundError: no such run, or it has no such tag.
        """

    @abc.abstractmethod
    def add_properties(self, run_id: str, properties: Mapping[str, str]) -> None:
        """Add properties to a run; adding a key again with the same value is a no-op.

        Raises:
            NotFoundError: no such run.
            AlreadyExistsError: a key exists with another value (properties are add-only);
                then nothing of this call is stored.
        """

    # -- metrics -------------------------------------------------------------------------

    @abc.abstractmethod
    def log_metrics(self, run_id: str, metrics: Sequence[Metric]) -> None:
        """Append points to a run's metrics, all or none.

        Raises:
            NotFoundError: no such run.
            ValidationError: a value cannot be stored (see :func:`runlab.entities.encode_value`).
        """

    @abc.abstractmethod
    def get_metric_histories(
        self, run_id: str, name: str | None = None
    ) -> dict[str, MetricHistory]:
        """Every metric of a run (or only ``name``), each in step order, by name.

        Points of one name that share a step keep the order they were logged in.

        Raises:
            NotFoundError: no such run (an unknown metric name gives an empty dict).
        """

    @abc.abstractmethod
    def get_last_steps(self, run_id: str) -> dict[str, int]:
        """The highest step of each metric of a run (where a resumed run goes on counting).

        Raises:
            NotFoundError: no such run.
        """

    # -- models --------------------------------------------------------------------------
    # A model version is registered in two steps, so that nobody sees one whose files are
    # still being stored: create_model_version takes the number, the caller stores the files,
    # finish_model_version makes it visible. Version numbers are never reused: one more than
    # the highest the name ever had, deleted and unfinished versions included, so
    # ``name:version`` always means the same files.

    @abc.abstractmethod
    def create_model_version(
        self,
        name: str,
        *,
        content_hash: str,
        files: Sequence[str],
        run_id: str | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        properties: Mapping[str, str] | None = None,
    ) -> ModelRecord:
        """Take the next version number of the model ``name`` and record the version as
        being registered: invisible to the other model methods but
        :meth:`finish_model_version` and :meth:`delete_model_version` until finished.

        The number is taken atomically: processes registering the same name at once get
        distinct, consecutive numbers. With ``run_id``, the run's experiment is recorded too.

        Args:
            name: the model's name (checked by the caller, e.g. :class:`runlab.models.Model`).
            content_hash: the sha256 of the files, 64 hex digits.
            files: the files' paths below the version's folder; at least one.
            run_id: the run the model comes from.
            description: free text.
            tags: mutable labels.
            properties: add-only facts.

        Raises:
            NotFoundError: ``run_id`` names no run.
            ValidationError: an empty name or file list, or a malformed hash.
        """

    @abc.abstractmethod
    def finish_model_version(self, name: str, version: int) -> ModelRecord:
        """Make a version being registered visible, once its files are stored.

        Raises:
            NotFoundError: no such version is being registered.
        """

    @abc.abstractmethod
    def get_model_version(self, name: str, version: int | None = None) -> ModelRecord:
        """The version ``version`` of the model ``name``, or its newest with None.

        Raises:
            NotFoundError: no such model, or no such version of it.
            ValidationError: ``version`` is not an int.
        """

    @abc.abstractmethod
    def search_model_versions(
        self,
        *,
        name: str | None = None,
        tags: Mapping[str, str | None] | None = None,
        properties: Mapping[str, str | None] | None = None,
        run_id: str | None = None,
        latest_only: bool = False,
    ) -> list[ModelRecord]:
        """Model versions that match every filter given, by name, newest version first.

        Args:
            name: only versions of this model.
            tags: only versions with each tag; a value of None matches any value of it.
            properties: as ``tags``, for properties.
            run_id: only versions registered from this run.
            latest_only: of the versions that match, only the newest of each name.
        """

    @abc.abstractmethod
    def update_model_version(
        self, name: str, version: int, *, description: str | None
    ) -> ModelRecord:
        """Change the description of a model version (its files never change).

        Raises:
            NotFoundError: no such version.
        """

    @abc.abstractmethod
    def set_model_version_tags(self, name: str, version: int, tags: Mapping[str, str]) -> None:
        """Set (add or replace) tags of a model version.

        Raises:
            NotFoundError: no such version.
        """

    @abc.abstractmethod
    def delete_model_version_tag(self, name: str, version: int, key: str) -> None:
        """Remove a tag of a model version.

        Raises:
            NotFoundError: no such version, or it has no such tag.
        """

    @abc.abstractmethod
    def add_model_version_properties(
        self, name: str, version: int, properties: Mapping[str, str]
    ) -> None:
        """Add properties to a model version; adding a key again with the same value is a
        no-op.

        Raises:
            NotFoundError: no such version.
            AlreadyExistsError: a key exists with another value; then nothing is stored.
        """

    @abc.abstractmethod
    def delete_model_version(self, name: str, version: int) -> None:
        """Delete a model version (finished or being registered). Its number is not given
        out again.

        Raises:
            NotFoundError: no such version.
        """

    # -- datastores ----------------------------------------------------------------------
    # A datastore row says where data lives (an fsspec URL) and the storage options that are
    # not secret; credentials never reach the metadata store (runlab.data keeps them apart).
    # At most one datastore is the default at any time, in every transaction's view.

    @abc.abstractmethod
    def create_datastore(
        self,
        name: str,
        url: str,
        *,
        options: Mapping[str, Any] | None = None,
        is_default: bool = False,
    ) -> DatastoreRecord:
        """Record a datastore; with ``is_default`` it becomes the default and any other
        default stops being one, in the same transaction.

        Args:
            name: its unique name (checked by the caller, e.g. :class:`runlab.data.Datastore`).
            url: where its files are.
            options: storage options as JSON values (a JSON object); no secrets.
            is_default: make it the workspace's default datastore.

        Raises:
            AlreadyExistsError: a datastore of that name exists.
            ValidationError: an empty name or URL, or options that are not a JSON object.
        """

    @abc.abstractmethod
    def get_datastore(self, name: str) -> DatastoreRecord:
        """The datastore named ``name``.

        Raises:
            NotFoundError: there is none.
        """

    @abc.abstractmethod
    def list_datastores(self) -> list[DatastoreRecord]:
        """Every datastore, by name."""

    @abc.abstractmethod
    def delete_datastore(self, name: str) -> None:
        """Forget a datastore (its files are not touched). Deleting the default leaves the
        workspace without one until :meth:`set_default_datastore` names another.

        Raises:
            NotFoundError: there is none.
        """

    @abc.abstractmethod
    def set_default_datastore(self, name: str) -> DatastoreRecord:
        """Make ``name`` the default datastore, atomically: once the call returns it is the
        only default, and concurrent calls end with exactly one of them the default.

        Raises:
            NotFoundError: there is no datastore of that name (the default is unchanged).
        """

    # -- compute targets -----------------------------------------------------------------
    # A compute target row names a cluster: the kind of backend, what the user asked for
    # (config) and what the backend keeps about it (state). Never secrets.

    @abc.abstractmethod
    def create_compute_target(
        self,
        name: str,
        kind: str,
        *,
        config: Mapping[str, Any] | None = None,
        state: Mapping[str, Any] | None = None,
    ) -> ComputeTargetRecord:
        """Record a compute target.

        Raises:
            AlreadyExistsError: a compute target of that name exists.
            ValidationError: an empty name or kind, config or state not JSON objects.
        """

    @abc.abstractmethod
    def get_compute_target(self, name: str) -> ComputeTargetRecord:
        """The compute target named ``name``.

        Raises:
            NotFoundError: there is none.
        """

    @abc.abstractmethod
    def list_compute_targets(self) -> list[ComputeTargetRecord]:
        """Every compute target, by name."""

    @abc.abstractmethod
    def update_compute_target(
        self,
        name: str,
        *,
        config: Mapping[str, Any] | None = None,
        state: Mapping[str, Any] | None = None,
    ) -> ComputeTargetRecord:
        """Replace the config and/or the state (whichever is given), atomically.

        Raises:
            NotFoundError: there is none.
            ValidationError: config or state not JSON objects.
        """

    @abc.abstractmethod
    def delete_compute_target(self, name: str) -> None:
        """Forget a compute target (what runs on it is not touched).

        Raises:
            NotFoundError: there is none.
        """

    # -- lifetime ------------------------------------------------------------------------

    def close(self) -> None:  # noqa: B027 - most backends hold nothing to release
        """Release connections. The store must not be used afterwards."""

    def __enter__(self) -> MetadataStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
