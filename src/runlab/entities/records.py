"""Plain records of what a metadata store holds: experiments and runs."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from runlab.entities.run_status import RunStatus

__all__ = ["ExperimentRecord", "RunRecord"]


@dataclasses.dataclass(frozen=True, slots=True)
class ExperimentRecord:
    """An experiment as stored.

    Attributes:
        experiment_id: the store's id for it.
        name: its unique name.
        created_time: seconds since the epoch.
        tags: mutable string labels.
        deleted_time: when it was marked deleted (MLflow's ``delete_experiment``: its runs
            and data stay, and restoring clears the mark), or None.
    """

    experiment_id: int
    name: str
    created_time: float
    tags: dict[str, str] = dataclasses.field(default_factory=dict)
    deleted_time: float | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class RunRecord:
    """A run as stored.

    Attributes:
        run_id: unique and readable: ``<experiment>_<unix seconds>_<8 hex>``.
        experiment_name: the experiment it belongs to.
        number: its position among the runs of its experiment, from 1.
        status: its state.
        parent_run_id: the run it is a child of, if any.
        display_name: a name for people; defaults to the run id.
        target: where it runs ("local" for an interactive run).
        created_time: seconds since the epoch; ``start_time`` when it began Running,
            ``end_time`` when it reached a terminal state (or None).
        tags: mutable string labels.
        properties: add-only string facts.
        error_details: why it failed, for a Failed run.
        heartbeat_time: when the run's job last reported it was alive (None for runs that
            are not jobs).
        heartbeat_timeout: how long the job may stay silent before the run is failed.
        deleted_time: when it was marked deleted (MLflow's ``delete_run``: its data stays,
            and restoring clears the mark), or None.
    """

    run_id: str
    experiment_name: str
    number: int
    status: RunStatus
    parent_run_id: str | None
    display_name: str
    target: str
    created_time: float
    start_time: float | None
    end_time: float | None
    tags: dict[str, str]
    properties: dict[str, str]
    error_details: dict[str, Any] | None = None
    heartbeat_time: float | None = None
    heartbeat_timeout: float | None = None
    deleted_time: float | None = None

    @property
    def is_stale(self) -> bool:
        """Whether the run's job has stopped reporting: not ended, and silent too long."""
        return (
            not self.status.is_terminal
            and self.heartbeat_time is not None
            and self.heartbeat_timeout is not None
            and time.time() - self.heartbeat_time > self.heartbeat_timeout
        )

    def duration(self, now: float | None = None) -> float | None:
        """Seconds the run has been running: from its start to its end, or to ``now`` while
        it has not ended.

        Seconds (a float), like every time of the record. Never negative: the start and the
        end may be stamped by the clocks of different machines, and a small skew between them
        reads as 0, not as a negative time.

        Args:
            now: seconds since the epoch that count as the present for a run that has not
                ended (default: the clock); pass one value to time a page of runs alike.

        Returns:
            The seconds, or None when the run has not started.

        Example:
            >>> from runlab.entities import RunStatus
            >>> record = RunRecord("r", "e", 1, RunStatus.COMPLETED, None, "r", "local",
            ...                    created_time=10.0, start_time=12.0, end_time=15.5,
            ...                    tags={}, properties={})
            >>> record.duration()
            3.5
        """
        if self.start_time is None:
            return None
        end = self.end_time
        if end is None:
            end = time.time() if now is None else now
        return max(0.0, end - self.start_time)
