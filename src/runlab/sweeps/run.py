"""``HyperDriveRun``: a sweep's parent run, its trials as child runs."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from typing import Any, TextIO

import filelock

from runlab.entities import RunRecord, RunStatus
from runlab.entities.run_layout import SWEEP_KEY, TRIAL_KEY
from runlab.errors import BackendError, InvalidStateError, JobFailedError, ValidationError
from runlab.tracking import Run

__all__ = ["HyperDriveRun", "is_sweep", "trial_info"]

POLL_S = 0.5
CONTROLLER_CHECK_S = 5.0


def is_sweep(record: RunRecord) -> bool:
    """Whether the run ``record`` is a sweep's parent run."""
    return SWEEP_KEY in record.properties


def trial_info(record: RunRecord) -> dict[str, Any]:
    """What a trial run records of itself: ``number``, ``parameters``, ``raw`` (empty for a
    run that is not a trial)."""
    info = json.loads(record.properties.get(TRIAL_KEY, "null") or "null")
    return info if isinstance(info, dict) else {}


class HyperDriveRun(Run):
    """A sweep's parent run; each trial is one of its child runs.

    ``experiment.submit(hyperdrive_config)`` returns one; ``HyperDriveRun(experiment,
    run_id)`` opens an existing sweep.

    Raises:
        NotFoundError: (constructor) no such run.
        ValidationError: (constructor) the run is not a sweep.
    """

    def __init__(self, experiment: Any, run_id: str, *, _record: RunRecord | None = None) -> None:
        super().__init__(experiment, run_id, _record=_record)
        if not is_sweep(self._record):
            raise ValidationError(f"run {run_id!r} is not a sweep (HyperDrive) run")
        self._settings: dict[str, Any] = json.loads(self._record.properties[SWEEP_KEY])

    # -- the sweep's settings ------------------------------------------------------------

    @property
    def primary_metric_name(self) -> str:
        """The metric that ranks the trials."""
        return str(self._settings["primary_metric_name"])

    @property
    def maximize(self) -> bool:
        """Whether a larger primary metric is better."""
        return bool(self._settings["primary_metric_goal"] == "MAXIMIZE")

    @property
    def settings(self) -> dict[str, Any]:
        """The sweep's recorded settings (sampling, policy, limits), as data."""
        return dict(self._settings)

    # -- the trials ----------------------------------------------------------------------

    def _trial_records(self) -> list[RunRecord]:
        return [
            record
            for record in self._store.search_runs(
                parent_run_id=self.id, order_by="created_time asc"
            )
            if TRIAL_KEY in record.properties
        ]

    def _scores(self, records: list[RunRecord]) -> dict[str, float]:
        """Each trial's primary metric (its last value logged), where it logged one."""
        if not records:
            return {}
        values = self._store.get_last_metric_values(
            [record.run_id for record in records], [self.primary_metric_name]
        )
        scores: dict[str, float] = {}
        for run_id, metrics in values.items():
            value = metrics.get(self.primary_metric_name)
            if isinstance(value, int | float) and not isinstance(value, bool) and value == value:
                scores[run_id] = float(value)
        return scores

    def get_children_sorted_by_primary_metric(
        self, top: int = 0, reverse: bool = False, discard_no_metric: bool = False
    ) -> list[dict[str, Any]]:
        """The trials, best first by the primary metric (those without it last).

        Args:
            top: only this many (0: all).
            reverse: worst first.
            discard_no_metric: leave out trials that never logged the primary metric.

        Returns:
            Dicts with ``run_id``, ``hyperparameters``, ``best_primary_metric`` (the last
            value logged, or None) and ``status``, as the SDK's.
        """
        records = self._trial_records()
        scores = self._scores(records)
        rows = [
            {
                "run_id": record.run_id,
                "hyperparameters": trial_info(record).get("parameters", {}),
                "best_primary_metric": scores.get(record.run_id),
                "status": record.status.value,
            }
            for record in records
            if not (discard_no_metric and record.run_id not in scores)
        ]
        with_metric = [row for row in rows if row["best_primary_metric"] is not None]
        without = [row for row in rows if row["best_primary_metric"] is None]
        with_metric.sort(key=lambda row: row["best_primary_metric"], reverse=self.maximize)
        if reverse:
            with_metric.reverse()
        ordered = with_metric + without
        return ordered[:top] if top else ordered

    def get_best_run_by_primary_metric(
        self,
        include_failed: bool = True,
        include_canceled: bool = True,
        include_resume_from_runs: bool = True,
    ) -> Run | None:
        """The trial with the best primary metric (its last value), or None before any
        trial logged it.

        Args:
            include_failed: consider failed trials too.
            include_canceled: consider canceled (early stopped) trials too.
            include_resume_from_runs: also the trials of the sweeps it resumed from.
        """
        records = self._trial_records()
        if include_resume_from_runs:
            for earlier in self._settings.get("resume_from", []):
                records += [
                    record
                    for record in self._store.search_runs(parent_run_id=earlier)
                    if TRIAL_KEY in record.properties
                ]
        excluded = {RunStatus.FAILED} if not include_failed else set()
        if not include_canceled:
            excluded.add(RunStatus.CANCELED)
        records = [record for record in records if record.status not in excluded]
        scores = self._scores(records)
        if not scores:
            return None
        pick = max if self.maximize else min
        best = pick(scores, key=lambda run_id: scores[run_id])
        return Run.get(self.experiment.workspace, best)

    def get_hyperparameters(self) -> dict[str, dict[str, Any]]:
        """Each trial's hyperparameters (``{"--regularization": 0.5}``), by run id."""
        return {
            record.run_id: trial_info(record).get("parameters", {})
            for record in self._trial_records()
        }

    def get_metrics(self, name: str | None = None, recursive: bool = False) -> dict[str, Any]:
        """Each trial's metrics in the SDK's shape, by run id (as the SDK's HyperDriveRun)."""
        return {
            child.id: child.get_metrics(name, recursive=recursive) for child in self.get_children()
        }

    # -- controlling it ------------------------------------------------------------------

    def cancel(self) -> None:
        """Cancel the sweep and every trial still running.

        Raises:
            InvalidStateError: the sweep has already ended.
        """
        record = self._refresh()
        if record.status.is_terminal:
            raise InvalidStateError(f"the sweep {self.id!r} has already ended ({record.status})")
        # The controller sees the parent canceled and stops what it runs; the trials are
        # also ended here, so the state is right at once.
        self._record = self._store.set_run_status(
            self.id, RunStatus.CANCELED, error_details={"message": "the sweep was canceled"}
        )
        for child in self._trial_records():
            if not child.status.is_terminal:
                with contextlib.suppress(InvalidStateError):
                    self._store.set_run_status(
                        child.run_id,
                        RunStatus.CANCELED,
                        error_details={"message": "the sweep was canceled"},
                    )

    def _spec_file(self) -> str:
        from runlab.sweeps.controller import sweep_folder

        return str(sweep_folder() / f"{self.id}.json")

    def _start_controller(self) -> None:
        from runlab.sweeps.config import start_controller
        from runlab.sweeps.controller import sweep_folder

        try:
            pid = start_controller(
                self._spec_file(), str(sweep_folder() / f"{self.id}.controller.log")
            )
        except OSError as error:
            message = f"cannot start the sweep's controller: {error}"
            self._store.set_run_status(
                self.id, RunStatus.FAILED, error_details={"message": message}
            )
            raise BackendError(message) from error
        del pid

    def ensure_controller(self) -> bool:
        """Start the sweep's controller again if the sweep has not ended and none runs (its
        machine restarted, say); returns whether one was started. A controller started
        twice finds the first's lock and leaves at once."""
        from pathlib import Path

        from runlab.sweeps.controller import controller_lock

        if self._refresh().status.is_terminal or not Path(self._spec_file()).exists():
            return False
        lock = controller_lock(self.id)
        try:
            lock.acquire(timeout=0)
        except filelock.Timeout:
            return False
        lock.release()
        self._start_controller()
        return True

    def wait_for_completion(
        self,
        show_output: bool = False,
        wait_post_processing: bool = False,
        raise_on_error: bool = True,
        *,
        out: TextIO | None = None,
    ) -> dict[str, Any]:
        """Wait until the sweep has ended and return its details.

        Args:
            show_output: print a line per trial as it ends, then a summary with the best.
            wait_post_processing: accepted for the SDK's sake.
            raise_on_error: raise if the sweep failed.
            out: where to print (default: stdout).

        Raises:
            JobFailedError: the sweep failed and ``raise_on_error`` is true.
        """
        del wait_post_processing
        stream = out or sys.stdout
        reported: set[str] = set()
        last_check = time.monotonic()
        if show_output:
            print(f"RunId: {self.id}", file=stream)
        while True:
            ended = self._refresh().status.is_terminal
            if show_output:
                self._print_ended_trials(stream, reported)
            if ended:
                break
            if time.monotonic() - last_check > CONTROLLER_CHECK_S:
                last_check = time.monotonic()
                self.ensure_controller()
            time.sleep(POLL_S)
        details = self.get_details()
        if show_output:
            self._print_summary(stream, details)
        if raise_on_error and details["status"] == RunStatus.FAILED.value:
            error = details.get("error", {}).get("error", {})
            raise JobFailedError(
                f"sweep {self.id} failed: {error.get('message', 'no details')}", details=details
            )
        return details

    def _print_ended_trials(self, stream: TextIO, reported: set[str]) -> None:
        records = [
            record
            for record in self._trial_records()
            if record.status.is_terminal and record.run_id not in reported
        ]
        scores = self._scores(records)
        for record in records:
            reported.add(record.run_id)
            info = trial_info(record)
            score = scores.get(record.run_id)
            shown = "-" if score is None else f"{score:.6g}"
            line = (
                f"trial {info.get('number', '?')} {record.status.value}:"
                f" {self.primary_metric_name}={shown}"
                f" {json.dumps(info.get('parameters', {}))}"
            )
            message = (record.error_details or {}).get("message")
            if record.status is not RunStatus.COMPLETED and message:
                line += f" ({message})"
            print(line, file=stream, flush=True)

    def _print_summary(self, stream: TextIO, details: dict[str, Any]) -> None:
        rows = self.get_children_sorted_by_primary_metric()
        counts: dict[str, int] = {}
        for row in rows:
            counts[row["status"]] = counts.get(row["status"], 0) + 1
        lines = [
            "",
            "Sweep Summary",
            "=============",
            f"RunId: {self.id}",
            f"Status: {details['status']}",
            "Trials: " + ", ".join(f"{count} {status}" for status, count in sorted(counts.items())),
        ]
        best = next((row for row in rows if row["best_primary_metric"] is not None), None)
        if best is not None:
            lines.append(
                f"Best: {best['run_id']} {self.primary_metric_name}="
                f"{best['best_primary_metric']:.6g} {json.dumps(best['hyperparameters'])}"
            )
        error = details.get("error", {}).get("error")
        if error:
            lines.append(f"Error: {error.get('message', '')}")
        stream.write("\n".join(lines) + "\n")
        stream.flush()
