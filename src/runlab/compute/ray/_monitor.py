"""The monitor of one Ray cluster: ``python -m runlab.compute.ray._monitor MONITOR_FILE``.

The job entry records a run's states itself. What it cannot record, this process does, once
a second, for every runlab job on the cluster:

* a Ray job that ended (FAILED, STOPPED) while its run had not: its node died, its runtime
  environment could not be set up, it was stopped before its entry started. The run is failed
  (or canceled, for STOPPED) with Ray's reason (``JobInfo.message``), and the Ray job's own
  log is kept as ``logs/ray_job.log``;
* a job PENDING longer than its deadline (the cluster cannot give what it asks): the run is
  failed, since Ray cannot stop a pending job; until then the monitor beats the run's
  heartbeat for it, as its entry has not started;
* a job that starts RUNNING after its run ended (canceled while pending): stopped, once the
  run has been over for ``STOP_GRACE_S`` (a job whose entry has just recorded its run's end
  is still RUNNING for a moment, cleaning up: it is left to exit on its own).

It runs detached, started with the cluster (or the attach), and ends when its monitor file is
removed (``delete``/``detach``) or when it is signalled.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from runlab.artifacts import open_artifact_store
from runlab.compute.ray._client import JobsClient, JobState, RayJob
from runlab.entities import RAY_JOB_LOG, RunStatus, run_file_key
from runlab.errors import InvalidStateError, NotFoundError, RunlabError
from runlab.store import open_metadata_store

__all__ = ["RUN_ID_KEY", "main"]

RUN_ID_KEY = "runlab.run_id"
PENDING_TIMEOUT_KEY = "runlab.pending_timeout_s"
POLL_S = 1.0
STOP_GRACE_S = 15.0


class Monitor:
    """Reconciles the runs of one cluster's jobs with the Ray jobs' states."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.client = JobsClient(settings["address"], settings.get("token_file"))
        self.store = open_metadata_store(settings["store_uri"])
        self.artifacts = open_artifact_store(settings["artifact_uri"])
        self.done: set[str] = set()

    def sweep(self) -> None:
        """Look at every runlab job of the cluster once."""
        for job in self.client.list_jobs():
            run_id = job.metadata.get(RUN_ID_KEY)
            if not run_id or not job.submission_id or job.submission_id in self.done:
                continue
            try:
                self._reconcile(job, run_id)
            except NotFoundError:
                self.done.add(job.submission_id)
            except RunlabError as error:
                print(f"runlab monitor: {run_id}: {error}", flush=True)

    def _reconcile(self, job: RayJob, run_id: str) -> None:
        record = self.store.get_run(run_id)
        if job.state is JobState.PENDING:
            waited = time.time() - (job.start_time or 0.0)
            limit = float(job.metadata.get(PENDING_TIMEOUT_KEY, "600"))
            if not record.status.is_terminal and waited > limit:
                self._end(
                    run_id,
                    RunStatus.FAILED,
                    {
                        "message": f"the job waited {waited:.0f} s for a node with the resources"
                        " it asks and got none; the cluster cannot run it",
                        "reason": "pending_timeout",
                    },
                )
            if record.status.is_terminal or waited > limit:
                self._stop(job.submission_id)
            elif record.heartbeat_timeout is not None:
                # Its entry has not started, so nothing beats for it yet: while Ray holds the
                # job (a node scaling up, a runtime environment being built) the monitor does,
                # so the heartbeat timeout counts from the entry's start. With the head gone,
                # no one beats, and the run fails after its timeout.
                self.store.heartbeat(run_id)
            return
        if job.state is JobState.RUNNING:
            over_s = time.time() - (record.end_time or 0.0)
            if record.status.is_terminal and over_s > STOP_GRACE_S:
                self._stop(job.submission_id)
            return
        # SUCCEEDED, FAILED, STOPPED: the entry has exited, so whatever it recorded is in.
        self.done.add(job.submission_id)
        if record.status.is_terminal:
            return
        self._keep_ray_log(job.submission_id, run_id)
        status = job.state.value
        ended = RunStatus.CANCELED if job.state is JobState.STOPPED else RunStatus.FAILED
        self._end(
            run_id,
            ended,
            {
                "message": f"the Ray job {job.submission_id} ended {status} before the job entry"
                f" recorded an end: {job.message or 'no reason given'}",
                "reason": f"ray_job_{status.lower()}",
            },
        )

    def _stop(self, submission_id: str) -> None:
        """Stop a job; one that will not stop now is tried again on the next sweep."""
        with contextlib.suppress(RunlabError):
            self.client.stop_job(submission_id)

    def _keep_ray_log(self, submission_id: str, run_id: str) -> None:
        with contextlib.suppress(RunlabError):
            text = self.client.get_job_logs(submission_id)
            self.artifacts.put_bytes(run_file_key(run_id, RAY_JOB_LOG), text.encode())

    def _end(self, run_id: str, status: RunStatus, details: dict[str, Any]) -> None:
        with contextlib.suppress(InvalidStateError):
            self.store.set_run_status(run_id, status, error_details=details)


def main(argv: list[str] | None = None) -> int:
    """Watch the cluster the monitor file describes until the file is removed."""
    args = sys.argv[1:] if argv is None else argv
    settings_file = Path(args[0])
    monitor = Monitor(json.loads(settings_file.read_text(encoding="utf-8")))
    while settings_file.exists():
        try:
            monitor.sweep()
        except Exception as error:  # the outermost loop of a daemon: log, try again next time
            print(f"runlab monitor: {type(error).__name__}: {error}", flush=True)
        time.sleep(POLL_S)
    return 0


if __name__ == "__main__":
    sys.exit(main())
