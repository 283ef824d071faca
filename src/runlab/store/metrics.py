"""The metrics' interface of the metadata store: a run's logged points."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Any, NamedTuple

from runlab.entities import Metric, MetricHistory
from runlab.store.common import BaseStore, str_list

__all__ = ["MetricEnvelope", "MetricStore"]


class MetricEnvelope(NamedTuple):
    """A numeric metric cut to what a chart draws (see
    :meth:`MetricStore.get_metric_envelopes`).

    Attributes:
        steps: the steps kept, ascending.
        values: the value at each; None for a gap (a point that is not a finite number).
        total: the points of the metric in the window asked for, before any were left out.
        last_step: the metric's last step (over its whole history).
        sampled: whether points were left out (each bucket kept its lowest and highest).
    """

    steps: list[int]
    values: list[float | None]
    total: int
    last_step: int
    sampled: bool


class MetricStore(BaseStore):
    """The points runs log: appended in batches, read back as histories or last values.

    Contract, besides :class:`BaseStore`'s:

    * **Append-only.** Logged points are never changed or removed; a batch is stored whole
      or not at all.
    * **Order.** A metric's history is in step order; points of one name that share a step
      keep the order they were logged in. A metric's *last value* is the last of its history:
      the value at its highest step, the last logged among points sharing that step.
    * ``NotFoundError`` for an unknown run; ``ValidationError`` for a value that cannot be
      stored (see :func:`runlab.entities.encode_value`).
    """

    @abc.abstractmethod
    def log_metrics(self, run_id: str, metrics: Sequence[Metric]) -> None:
        """Append points to a run's metrics, all or none.

        A batch sent again (its first and last points already stored with the same name,
        step and time: a retry after a lost answer) is not stored twice.

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

    @abc.abstractmethod
    def get_last_metric_values(
        self, run_ids: Sequence[str], names: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        """The last value of each metric in ``names`` of each run in ``run_ids``, read in
        one query whatever the length of the histories (what a table of runs shows).

        Args:
            run_ids: the runs (a page of them, typically).
            names: the metrics.

        Returns:
            ``{run_id: {name: value}}`` with every run of ``run_ids``; a metric the run never
            logged is left out of its dict. Values are as logged (see
            :meth:`get_metric_histories`).

        Raises:
            NotFoundError: a run of ``run_ids`` does not exist.
            ValidationError: ``run_ids`` or ``names`` is not a sequence of str.
        """

    def get_last_metric_points(
        self, run_ids: Sequence[str], names: Sequence[str]
    ) -> dict[str, dict[str, Metric]]:
        """The last point (value, step, timestamp, kind) of each metric in ``names`` of each
        run in ``run_ids``: what :meth:`get_last_metric_values` reads, with when it was logged.

        Returns:
            ``{run_id: {name: Metric}}`` with every run of ``run_ids``; a metric the run never
            logged is left out of its dict. The base class reads the histories; a backend
            that can do better overrides it.

        Raises:
            NotFoundError: a run of ``run_ids`` does not exist.
            ValidationError: ``run_ids`` or ``names`` is not a sequence of str.
        """
        wanted = set(str_list(names, "names"))
        found: dict[str, dict[str, Metric]] = {}
        for run_id in dict.fromkeys(str_list(run_ids, "run_ids")):
            histories = self.get_metric_histories(run_id)
            found[run_id] = {
                name: Metric(
                    name,
                    history.values[-1],
                    history.steps[-1],
                    history.timestamps[-1],
                    history.kind,
                )
                for name, history in histories.items()
                if name in wanted and history.steps
            }
        return found

    def get_metric_envelopes(
        self,
        run_id: str,
        *,
        points: int,
        name: str | None = None,
        start: float | None = None,
        end: float | None = None,
    ) -> dict[str, MetricEnvelope] | None:
        """The run's numeric metrics (or only ``name``) as charts draw them, each at most
        ``points`` points: a history in the window ``[start, end]`` (one step more each
        side) longer than that is cut into ``points // 2`` buckets of steps, each keeping
        its lowest and its highest value, computed in the store without reading every point.

        Returns:
            ``{name: MetricEnvelope}`` for each metric holding a number, or None: this store
            has no faster way than :meth:`get_metric_histories` (the caller then reads the
            histories and cuts them itself). The base class returns None.

        Raises:
            NotFoundError: no such run.
        """
        return None
