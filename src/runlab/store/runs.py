"""The runs' interface of the metadata store: experiments, runs, their states, heartbeats,
tags and properties, and searching them."""

from __future__ import annotations

import abc
from collections.abc import Collection, Mapping
from typing import Any, TypedDict, Unpack

from runlab.entities import ExperimentRecord, RunRecord, RunStatus
from runlab.store.common import BaseStore

__all__ = [
    "METRIC_ORDER_PREFIX",
    "RUN_ORDERS",
    "RunFilters",
    "RunOrder",
    "RunStore",
    "metric_order",
    "parse_metric_order",
]


class RunFilters(TypedDict, total=False):
    """The filters ``search_runs`` and ``count_runs`` take, as keywords; all must match.

    Attributes:
        experiment_name: only runs of this experiment.
        experiment_names: only runs of one of these experiments (unknown names match none).
        statuses: only runs in one of these states.
        parent_run_id: only the children of this run.
        top_level_only: only runs without a parent.
        tags: only runs with each tag; a value of None matches any value of that tag.
        properties: as ``tags``, for properties.
        query: a filter in the run filter language (MLflow's search grammar, see
            :mod:`runlab.store.run_query`): ``"params.lr = '0.1' AND metrics.acc > 0.9"``.
        deleted: only runs marked deleted (True) or only those not (False); either when
            absent or None.
    """

    experiment_name: str | None
    experiment_names: Collection[str] | None
    statuses: Collection[RunStatus] | None
    parent_run_id: str | None
    top_level_only: bool
    tags: Mapping[str, str | None] | None
    properties: Mapping[str, str | None] | None
    query: str | None
    deleted: bool | None


RunOrder = str
"""How ``search_runs`` sorts: ``"created_time desc"`` (newest first, the default),
``"created_time asc"``, ``"number asc|desc"``, ``"end_time asc|desc"``,
``"metric:<name> asc|desc"``: by the last value of the metric ``<name>`` (see
:func:`metric_order`), or keys of the run filter language, comma-separated
(``"metrics.acc DESC, params.lr ASC"``, see :func:`runlab.store.run_query.parse_order`)."""

RUN_ORDERS = (
    "created_time desc",
    "created_time asc",
    "number desc",
    "number asc",
    "end_time desc",
    "end_time asc",
)
"""The orders by a column of the run; besides these, ``search_runs`` sorts by a metric."""

METRIC_ORDER_PREFIX = "metric:"


def metric_order(name: str, *, descending: bool = True) -> RunOrder:
    """The order of ``search_runs`` by the last value of the metric ``name``.

    The last value is the one logged at the run's highest step of that metric (the last
    logged among points sharing it). Runs whose last value is not a finite number (a string,
    NaN, an infinity, another kind), or who never logged the metric, come last in either
    direction; ties keep the newest run first.

    Example:
        >>> metric_order("accuracy")
        'metric:accuracy desc'
    """
    return f"{METRIC_ORDER_PREFIX}{name} {'desc' if descending else 'asc'}"


def parse_metric_order(order_by: str) -> tuple[str, bool] | None:
    """``(name, descending)`` for an order that :func:`metric_order` made, else None.

    The name is kept as written (metric names are case-sensitive); the direction is
    ``asc`` or ``desc`` in any case, after the last space.
    """
    text = order_by.strip()
    if not text.startswith(METRIC_ORDER_PREFIX):
        return None
    name, _space, direction = text[len(METRIC_ORDER_PREFIX) :].rpartition(" ")
    if not name or direction.lower() not in ("asc", "desc"):
        return None
    return name, direction.lower() == "desc"


class RunStore(BaseStore):
    """Experiments and their runs: creating, reading and searching runs, their states,
    heartbeats, tags and properties.

    Contract, besides :class:`BaseStore`'s:

    * ``NotFoundError`` for an unknown experiment or run; ``AlreadyExistsError`` for a
      duplicate experiment name or run id, or a property that exists with another value;
      ``InvalidStateError`` for a status change the run's state does not allow (see
      :func:`runlab.entities.check_transition`).
    * A run's ``number`` is one more than its experiment's last, also when processes race.
    * Status changes are compare-and-set: of two racing moves that exclude each other, one
      wins and the other raises ``InvalidStateError``.
    * Properties are add-only; tags can change.
    * A run created with ``heartbeat_timeout`` that stays silent longer than that is failed
      by the next reader, atomically.
    """

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
    def update_experiment(
        self,
        name: str,
        *,
        new_name: str | None = None,
        tags: Mapping[str, str] | None = None,
        remove_tag: str | None = None,
        deleted: bool | None = None,
    ) -> ExperimentRecord:
        """Rename an experiment (its runs follow), set ``tags``, remove ``remove_tag``, mark
        it deleted (True: nothing of it is lost) or restore it (False).

        Raises:
            NotFoundError: no such experiment.
            AlreadyExistsError: ``new_name`` is taken.
        """

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

        Sorting and paging happen in the store, also by a metric's last value (one query
        for the page, whatever the length of the runs' histories).

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
    def set_run_deleted(self, run_id: str, deleted: bool) -> RunRecord:
        """Mark a run deleted (its data stays; ``search_runs(deleted=False)`` hides it) or
        clear the mark.

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
