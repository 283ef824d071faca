"""``Experiment``: a named group of runs in a workspace."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Protocol

from runlab.entities import ExperimentRecord, RunStatus
from runlab.errors import ValidationError
from runlab.tracking.run_common import label_filter

if TYPE_CHECKING:
    from runlab.tracking.run import Run
    from runlab.tracking.workspace import Workspace

__all__ = ["Experiment", "Submittable", "check_experiment_name"]

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


def check_experiment_name(name: object) -> str:
    """Return ``name`` if it is a valid experiment name.

    Raises:
        ValidationError: it is not 1-255 letters, digits, ``-`` and ``_``.
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValidationError(
            f"bad experiment name {name!r}: use 1-255 letters, digits, '-' and '_'"
        )
    return name


class Submittable(Protocol):
    """Something :meth:`Experiment.submit` can run: a script config, an estimator, a sweep.

    Tracking defines the protocol and the job and sweep packages implement it, so tracking
    never imports them.
    """

    def submit(self, experiment: Experiment, tags: Mapping[str, str] | None = None) -> Run:
        """Start a run of this config in ``experiment`` and return it at once."""
        ...


class Experiment:
    """A named group of runs in a workspace; created on first use.

    Args:
        workspace: the workspace it belongs to.
        name: 1-255 letters, digits, ``-`` and ``_``.

    Raises:
        ValidationError: a bad name.

    Example:
        >>> experiment = Experiment(ws, "sklearn-mnist")  # doctest: +SKIP
        >>> with experiment.start_logging() as run:  # doctest: +SKIP
        ...     run.log("accuracy", 0.92)
    """

    def __init__(
        self, workspace: Workspace, name: str, *, _record: ExperimentRecord | None = None
    ) -> None:
        self._workspace = workspace
        self._name = check_experiment_name(name)
        self._record = _record or workspace.store.get_or_create_experiment(name)

    @property
    def workspace(self) -> Workspace:
        """The workspace the experiment belongs to."""
        return self._workspace

    @property
    def name(self) -> str:
        """The experiment's name."""
        return self._name

    @property
    def id(self) -> int:
        """The store's id of the experiment."""
        return self._record.experiment_id

    @property
    def created_time(self) -> float:
        """When it was created, in seconds since the epoch."""
        return self._record.created_time

    def start_logging(
        self,
        display_name: str | None = None,
        *,
        tags: Mapping[str, str] | None = None,
        properties: Mapping[str, str] | None = None,
    ) -> Run:
        """Start an interactive run, already Running, that this process owns.

        Finish it with :meth:`Run.complete` or by using it as a context manager; if the
        process ends first, it is completed on a normal exit, failed on an uncaught
        exception and canceled on SIGTERM, after every logged point is stored.
        """
        from runlab.tracking.run import Run

        return Run._start(self, display_name=display_name, tags=tags, properties=properties)

    def submit(self, config: Submittable, tags: Mapping[str, str] | None = None) -> Run:
        """Submit a run config (e.g. a ScriptRunConfig) and return its run at once."""
        submit = getattr(config, "submit", None)
        if not callable(submit):
            raise ValidationError(
                f"cannot submit a {type(config).__name__}: give a ScriptRunConfig, an"
                " Estimator or another run config"
            )
        run: Run = submit(self, tags=tags)
        return run

    def get_runs(
        self,
        type: str | None = None,
        tags: str | Mapping[str, str | None] | None = None,
        properties: str | Mapping[str, str | None] | None = None,
        include_children: bool = False,
        *,
        status: str | RunStatus | None = None,
        limit: int | None = None,
        filter: str | None = None,  # the SDK's style of keyword, though it shadows a builtin
        order_by: str | None = None,
    ) -> Iterator[Run]:
        """The experiment's runs, newest first unless ``order_by`` says otherwise.

        Args:
            type: only runs of this target kind (e.g. ``"local"``).
            tags: a tag name (runs that have it) or a dict of tag values to match.
            properties: as ``tags``, for properties.
            include_children: also child runs (by default only top-level runs).
            status: only runs in this state.
            limit: at most this many.
            filter: a filter in MLflow's search grammar, the one run filter language
                (:mod:`runlab.store.run_query`): ``"params.lr = '0.1' AND metrics.acc > 0.9"``.
            order_by: keys such as ``"metrics.acc DESC"`` (comma-separated), or
                ``"created_time desc"`` (the default).

        Raises:
            ValidationError: a filter or order that does not parse (naming the position).

        Example:
            >>> runs = exp.get_runs(filter="metrics.acc > 0.9", order_by="metrics.acc DESC")
            >>> best = next(runs)  # doctest: +SKIP
        """
        from runlab.tracking.run import Run

        records = self._workspace.store.search_runs(
            experiment_name=self._name,
            statuses=None if status is None else [RunStatus.parse(status)],
            top_level_only=not include_children,
            tags=label_filter(tags),
            properties=label_filter(properties),
            query=filter,
            order_by=order_by or "created_time desc",
            limit=limit,
        )
        for record in records:
            if type is None or record.target == type:
                yield Run(self, record.run_id, _record=record)

    @staticmethod
    def list(workspace: Workspace, experiment_name: str | None = None) -> list[Experiment]:
        """Every experiment of ``workspace`` (or only the one named ``experiment_name``)."""
        experiments = workspace.experiments
        if experiment_name is not None:
            return [experiments[experiment_name]] if experiment_name in experiments else []
        return list(experiments.values())

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, Experiment)
            and other._workspace == self._workspace
            and other._name == self._name
        )

    def __hash__(self) -> int:
        return hash((self._workspace, self._name))

    def __repr__(self) -> str:
        return f"Experiment(name={self._name!r}, workspace={self._workspace.name!r})"
