"""A sweep's controller, ``python -m runlab.sweeps.controller SPEC_FILE``: a detached job.

Started by :meth:`HyperDriveConfig.submit`, it outlives the submitting process. The process
started is a *supervisor* that runs the controller proper (``--run``) as its child and starts
it again if it dies before the sweep has ended. The controller holds a file lock for its
sweep, so there is never more than one, however it was (re)started.

The controller keeps nothing that the store does not: on (re)start it reads the parent run's
settings and its child runs, rebuilds the Optuna study from the trials that ended (and from
the sweeps named in ``resume_from``), waits for the trials still running, hands again the
trials created but never started, and draws new ones until ``max_total_runs`` trials exist.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import filelock
import optuna

from runlab.compute.local import job_root
from runlab.entities import (
    COMPUTE_KEY,
    ENVIRONMENT_HASH_KEY,
    ENVIRONMENT_KEY,
    SCRIPT_KEY,
    SNAPSHOT_ID_KEY,
    RunRecord,
    RunStatus,
    numeric_histories,
)
from runlab.entities.run_layout import SWEEP_KEY, TRIAL_KEY
from runlab.errors import InvalidStateError, RunlabError
from runlab.sweeps.arguments import with_parameters
from runlab.sweeps.policies import policy_from_dict
from runlab.sweeps.pool import LocalWorkerPool, TrialPool
from runlab.sweeps.sampling import GridParameterSampling, sampling_from_dict
from runlab.tracking import Workspace

__all__ = ["SweepController", "controller_lock", "main", "sweep_folder"]

EVENT_WAIT_S = 0.1
"""The longest the controller waits for a trial event before looking at the store."""
STORE_POLL_S = 0.25
"""How often it reads the trials' primary metric and the parent's state."""
TRIAL_HEARTBEAT_TIMEOUT_S = 60.0
FIRST_FAILURES = 3
"""When the first this many trials to end all failed, the sweep fails (a broken script)."""
MAX_RESTARTS = 5

optuna.logging.set_verbosity(optuna.logging.WARNING)


def sweep_folder() -> Path:
    """The folder of the sweeps' specs, locks and controller logs on this machine."""
    folder = job_root() / "sweeps"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def controller_lock(run_id: str) -> filelock.BaseFileLock:
    """The lock the controller of sweep ``run_id`` holds while it runs."""
    return filelock.FileLock(sweep_folder() / f"{run_id}.lock")


class SweepFailed(Exception):
    """The sweep cannot go on; the message says why and what to do."""


@dataclasses.dataclass
class Trial:
    """One child run as the controller follows it."""

    run_id: str
    number: int
    raw: dict[str, Any]
    ended: bool = False
    asked: optuna.trial.Trial | None = None
    curve: list[float] = dataclasses.field(default_factory=list)
    evaluated: int = 0
    orphan: bool = False
    """Started by an earlier controller: it ends without telling this one."""


class SweepController:
    """Runs one sweep to its end. See the module docstring.

    Args:
        spec: the spec file's content: ``workspace``, ``run_id``, ``environment_variables``.
        pool: the slots to run trials in (default: warm workers on this machine).
    """

    def __init__(self, spec: dict[str, Any], pool: TrialPool | None = None) -> None:
        os.environ.update(spec.get("environment_variables", {}))
        self.spec = spec
        self.workspace = Workspace.from_dict(spec["workspace"])
        self.store = self.workspace.store
        self.run_id: str = spec["run_id"]
        record = self.store.get_run(self.run_id)
        self.experiment_name = record.experiment_name
        self.parent_properties = record.properties
        self.settings: dict[str, Any] = json.loads(record.properties[SWEEP_KEY])
        self.sampling = sampling_from_dict(self.settings["sampling"])
        self.policy = policy_from_dict(self.settings["policy"])
        self.metric: str = self.settings["primary_metric_name"]
        self.maximize = self.settings["primary_metric_goal"] == "MAXIMIZE"
        self.max_total: int = self.settings["max_total_runs"]
        self.max_concurrent: int = self.settings["max_concurrent_runs"]
        self.distributions = self.sampling.distributions()
        self.study = optuna.create_study(
            direction="maximize" if self.maximize else "minimize",
            sampler=self.sampling.make_sampler(),
        )
        self.trials: dict[str, Trial] = {}
        self.waiting: list[Trial] = []  # created, never handed to a slot
        self.metric_seen = False
        self.ended_statuses: list[RunStatus] = []
        self.first_failure: dict[str, Any] | None = None
        self._pool = pool
        self._last_poll = 0.0

    # -- the loop ------------------------------------------------------------------------

    def run(self) -> RunStatus:
        """Run the sweep to its end; returns the parent run's final state."""
        record = self.store.get_run(self.run_id)
        if record.status.is_terminal:
            return record.status
        self.store.set_run_status(self.run_id, RunStatus.RUNNING)
        self._load_history()
        pool = self._pool or self._make_pool()
        try:
            return self._loop(pool)
        except SweepFailed as failure:
            self._stop_all(pool, f"the sweep failed: {failure}")
            with contextlib.suppress(InvalidStateError):
                self.store.set_run_status(
                    self.run_id, RunStatus.FAILED, error_details={"message": str(failure)}
                )
            return RunStatus.FAILED
        finally:
            pool.close()

    def _loop(self, pool: TrialPool) -> RunStatus:
        started = self.store.get_run(self.run_id).start_time or time.time()
        deadline = started + float(self.settings["max_duration_minutes"]) * 60
        while True:
            for event in pool.events(
                0 if pool.idle_slots() and self._can_start() else EVENT_WAIT_S
            ):
                self._on_event(event)
            if time.monotonic() - self._last_poll >= STORE_POLL_S:
                self._last_poll = time.monotonic()
                if self.store.get_run(self.run_id).status.is_terminal:
                    self._stop_all(pool, "the sweep was canceled")
                    return self.store.get_run(self.run_id).status
                if time.time() > deadline:
                    minutes = self.settings["max_duration_minutes"]
                    self._stop_all(pool, f"the sweep reached max_duration_minutes={minutes}")
                    return self._complete()
                self._follow_running(pool)
            while pool.idle_slots() and (self.waiting or self._can_start()):
                trial = self.waiting.pop(0) if self.waiting else self._new_trial()
                if trial is None:
                    break
                pool.start(trial.run_id, self._arguments(trial))
            if not self._running() and not self.waiting and not self._can_start():
                return self._complete()

    def _complete(self) -> RunStatus:
        with contextlib.suppress(InvalidStateError):
            self.store.set_run_status(self.run_id, RunStatus.COMPLETED)
        return self.store.get_run(self.run_id).status

    def _running(self) -> list[Trial]:
        return [trial for trial in self.trials.values() if not trial.ended]

    def _can_start(self) -> bool:
        capacity = self.sampling.capacity()
        limit = self.max_total if capacity is None else min(self.max_total, capacity)
        return len(self.trials) < limit

    # -- trials --------------------------------------------------------------------------

    def _new_trial(self) -> Trial | None:
        asked: optuna.trial.Trial | None = None
        if isinstance(self.sampling, GridParameterSampling):
            used = {json.dumps(trial.raw, sort_keys=True) for trial in self.trials.values()}
            points = [p for p in self.sampling.grid() if json.dumps(p, sort_keys=True) not in used]
            if not points:
                return None
            raw = points[0]
        else:
            asked = self.study.ask(self.distributions)
            raw = dict(asked.params)
        number = max((trial.number for trial in self.trials.values()), default=0) + 1
        trial = Trial(f"{self.run_id}_{number}", number, raw, asked=asked)
        info = {"number": number, "parameters": self.sampling.values(raw), "raw": raw}
        inherited = {
            key: self.parent_properties[key]
            for key in (
                SNAPSHOT_ID_KEY,
                SCRIPT_KEY,
                COMPUTE_KEY,
                ENVIRONMENT_KEY,
                ENVIRONMENT_HASH_KEY,
            )
            if key in self.parent_properties
        }
        self.store.create_run(
            self.experiment_name,
            trial.run_id,
            parent_run_id=self.run_id,
            display_name=f"trial {number}",
            status=RunStatus.QUEUED,
            target=self.parent_properties.get(COMPUTE_KEY, "local"),
            properties=inherited | {TRIAL_KEY: json.dumps(info)},
            heartbeat_timeout=TRIAL_HEARTBEAT_TIMEOUT_S,
        )
        self.trials[trial.run_id] = trial
        return trial

    def _arguments(self, trial: Trial) -> list[Any]:
        base: list[Any] = self.settings["arguments"]
        return with_parameters(base, self.sampling.values(trial.raw))

    def _on_event(self, event: dict[str, Any]) -> None:
        if "lost" in event:
            run_id = event["lost"]
            with contextlib.suppress(InvalidStateError):
                self.store.set_run_status(
                    run_id, RunStatus.FAILED, error_details={"message": event["message"]}
                )
        elif "ended" in event:
            run_id = event["ended"]
        else:
            return
        trial = self.trials.get(run_id)
        if trial is not None and not trial.ended:
            self._trial_ended(trial, self.store.get_run(run_id))

    def _curve(self, run_id: str) -> list[float]:
        histories = numeric_histories(self.store.get_metric_histories(run_id, self.metric))
        history = histories.get(self.metric)
        return [float(value) for value in history.values if value is not None] if history else []

    def _trial_ended(self, trial: Trial, record: RunRecord) -> None:
        trial.ended = True
        trial.curve = self._curve(trial.run_id)
        self.metric_seen = self.metric_seen or bool(trial.curve)
        status = record.status
        if status is RunStatus.COMPLETED and not trial.curve and not self.metric_seen:
            raise SweepFailed(self._no_metric_message(trial.run_id))
        self._tell(trial, status)
        self.ended_statuses.append(status)
        if status is RunStatus.FAILED and self.first_failure is None:
            self.first_failure = dict(record.error_details or {})
        first = self.ended_statuses[: min(FIRST_FAILURES, self.max_total)]
        if len(first) == min(FIRST_FAILURES, self.max_total) and all(
            status is RunStatus.FAILED for status in first
        ):
            details = self.first_failure or {}
            tail = str(details.get("stderr_tail", "")).strip().splitlines()[-1:]
            raise SweepFailed(
                f"the first {len(first)} trials failed: {details.get('message', 'no details')}"
                + (f" ({tail[0]})" if tail else "")
                + "; check the script and the parameter space's keys"
            )

    def _tell(self, trial: Trial, status: RunStatus) -> None:
        state = {
            RunStatus.COMPLETED: optuna.trial.TrialState.COMPLETE,
            RunStatus.CANCELED: optuna.trial.TrialState.PRUNED,
        }.get(status, optuna.trial.TrialState.FAIL)
        if state is optuna.trial.TrialState.COMPLETE and not trial.curve:
            state = optuna.trial.TrialState.FAIL
        value = trial.curve[-1] if state is optuna.trial.TrialState.COMPLETE else None
        if isinstance(self.sampling, GridParameterSampling):
            return
        if trial.asked is not None:
            for step, point in enumerate(trial.curve):
                trial.asked.report(point, step)
            self.study.tell(trial.asked, value, state=state)
            return
        self.study.add_trial(
            optuna.trial.create_trial(
                params=trial.raw,
                distributions=self.distributions,
                value=value,
                state=state,
                intermediate_values=dict(enumerate(trial.curve)),
            )
        )

    def _follow_running(self, pool: TrialPool) -> None:
        running = self._running()
        records = {
            record.run_id: record for record in self.store.search_runs(parent_run_id=self.run_id)
        }
        for trial in running:
            record = records.get(trial.run_id)
            if record is not None and record.status.is_terminal:
                if trial.orphan:
                    self._trial_ended(trial, record)
                else:
                    # Ended from outside (canceled by a user), or by its worker just now.
                    pool.stop_trial(trial.run_id)
                continue
            trial.curve = self._curve(trial.run_id)
            self.metric_seen = self.metric_seen or bool(trial.curve)
        if not self.policy.stops_trials:
            return
        if not self.metric_seen:
            self._check_metric_named(running)
        curves = {
            trial.run_id: trial.curve
            for trial in self.trials.values()
            if not (trial.ended and getattr(self.policy, "exclude_finished_jobs", False))
        }
        for trial in running:
            for interval in range(trial.evaluated + 1, len(trial.curve) + 1):
                trial.evaluated = interval
                if not self.policy.evaluates_at(interval):
                    continue
                reason = self.policy.stop_reason(trial.run_id, interval, curves, self.maximize)
                if reason is not None:
                    self._stop(pool, trial, reason, policy=type(self.policy).__name__)
                    break

    def _check_metric_named(self, running: list[Trial]) -> None:
        """Fail the sweep when a trial has logged enough points of other metrics for the
        policy's first evaluation, and no trial ever logged the primary metric."""
        needed = max(self.policy.delay_evaluation, self.policy.evaluation_interval, 1)
        for trial in running:
            steps = self.store.get_last_steps(trial.run_id)
            if steps and max(steps.values()) + 1 >= needed:
                raise SweepFailed(self._no_metric_message(trial.run_id))

    def _no_metric_message(self, run_id: str) -> str:
        logged = sorted(self.store.get_last_steps(run_id))
        names = ", ".join(repr(name) for name in logged) if logged else "nothing"
        return (
            f"no trial logs the primary metric {self.metric!r}: trial {run_id} logged"
            f" {names}; set primary_metric_name to the name the script logs"
        )

    def _stop(self, pool: TrialPool, trial: Trial, reason: str, policy: str | None) -> None:
        details = {"message": reason} | ({"policy": policy} if policy else {})
        with contextlib.suppress(InvalidStateError):
            self.store.set_run_status(trial.run_id, RunStatus.CANCELED, error_details=details)
        pool.stop_trial(trial.run_id)

    def _stop_all(self, pool: TrialPool, reason: str) -> None:
        for trial in self.waiting:
            trial.ended = True
            with contextlib.suppress(InvalidStateError):
                self.store.set_run_status(
                    trial.run_id, RunStatus.CANCELED, error_details={"message": reason}
                )
        self.waiting.clear()
        for trial in self._running():
            self._stop(pool, trial, reason, policy=None)
            trial.ended = trial.ended or trial.orphan
        deadline = time.monotonic() + 30
        while self._running() and time.monotonic() < deadline:
            for event in pool.events(EVENT_WAIT_S):
                with contextlib.suppress(SweepFailed):
                    self._on_event(event)

    # -- rebuilding from the store ---------------------------------------------------------

    def _load_history(self) -> None:
        for record in self.store.search_runs(
            parent_run_id=self.run_id, order_by="created_time asc"
        ):
            info = json.loads(record.properties.get(TRIAL_KEY, "null") or "null")
            if not isinstance(info, dict):
                continue
            trial = Trial(record.run_id, int(info["number"]), dict(info["raw"]))
            self.trials[trial.run_id] = trial
            if record.status.is_terminal:
                self._trial_ended(trial, record)
            elif record.status is RunStatus.QUEUED:
                self.waiting.append(trial)
            else:
                trial.orphan = True
        for earlier in self.settings.get("resume_from", []):
            self._warm_start(earlier)

    def _warm_start(self, sweep_run_id: str) -> None:
        """Tell the study the ended trials of an earlier sweep (same space), not counted in
        this sweep's trials."""
        if isinstance(self.sampling, GridParameterSampling):
            return
        told = 0
        for record in self.store.search_runs(parent_run_id=sweep_run_id):
            info = json.loads(record.properties.get(TRIAL_KEY, "null") or "null")
            if not isinstance(info, dict) or not record.status.is_terminal:
                continue
            raw = dict(info["raw"])
            if set(raw) != set(self.distributions):
                continue
            trial = Trial(record.run_id, 0, raw, ended=True, curve=self._curve(record.run_id))
            with contextlib.suppress(ValueError, TypeError):  # outside this sweep's space
                self._tell(trial, record.status)
                told += 1
        print(f"runlab: warm start from {sweep_run_id}: {told} trials", flush=True)

    def _make_pool(self) -> TrialPool:
        target = self.parent_properties.get(COMPUTE_KEY, "local")
        if target == "local":
            return self._local_pool()
        from runlab.sweeps.ray_pool import RayActorPool

        record = self.store.get_compute_target(target)
        setup = {
            "workspace": self.spec["workspace"],
            "snapshot_id": self.parent_properties[SNAPSHOT_ID_KEY],
            "script": self.parent_properties[SCRIPT_KEY],
            "environment_variables": dict(self.spec.get("environment_variables", {})),
            "folder": None,
        }
        return RayActorPool(
            record.state,
            setup,
            self.settings["environment"],
            dict(self.spec.get("environment_variables", {})),
            self.max_concurrent,
        )

    def _local_pool(self) -> LocalWorkerPool:
        from runlab.environments import Environment, UvEnvironmentBuilder

        environment = Environment.from_dict(self.settings["environment"])
        resolved = UvEnvironmentBuilder().resolve(environment, lambda line: print(line, flush=True))
        variables = dict(self.spec.get("environment_variables", {}))
        setup = {
            "workspace": self.spec["workspace"],
            "snapshot_id": self.parent_properties[SNAPSHOT_ID_KEY],
            "script": self.parent_properties[SCRIPT_KEY],
            "environment_variables": variables,
            "folder": str(sweep_folder() / self.run_id),
        }
        return LocalWorkerPool(
            str(resolved.python),
            setup,
            self.max_concurrent,
            os.environ | variables,
            sweep_folder() / f"{self.run_id}.workers.log",
        )


# -- the processes ---------------------------------------------------------------------------


def _read_spec(spec_file: str) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(Path(spec_file).read_text(encoding="utf-8"))
    return spec


def _run_controller(spec_file: str) -> int:
    spec = _read_spec(spec_file)
    lock = controller_lock(spec["run_id"])
    try:
        lock.acquire(timeout=0)
    except filelock.Timeout:
        print(f"runlab: the sweep {spec['run_id']} already has a controller", flush=True)
        return 0
    try:
        status = SweepController(spec).run()
        print(f"runlab: the sweep {spec['run_id']} ended {status.value}", flush=True)
        return 0
    finally:
        lock.release()


def _supervise(spec_file: str) -> int:
    spec = _read_spec(spec_file)
    os.environ.update(spec.get("environment_variables", {}))
    store = Workspace.from_dict(spec["workspace"]).store
    run_id = spec["run_id"]
    restarts = 0
    while True:
        child = subprocess.Popen(
            [sys.executable, "-m", "runlab.sweeps.controller", "--run", spec_file]
        )
        code = child.wait()
        try:
            ended = store.get_run(run_id).status.is_terminal
        except RunlabError:
            ended = False
        if code == 0 or ended:
            break
        restarts += 1
        if restarts > MAX_RESTARTS:
            with contextlib.suppress(RunlabError):
                store.set_run_status(
                    run_id,
                    RunStatus.FAILED,
                    error_details={
                        "message": f"the sweep's controller failed {restarts} times; its log is"
                        f" {sweep_folder() / (run_id + '.controller.log')}"
                    },
                )
            break
        print(
            f"runlab: the controller of {run_id} ended with code {code}; restarting it", flush=True
        )
        time.sleep(min(0.5 * restarts, 5.0))
    with contextlib.suppress(RunlabError):
        if store.get_run(run_id).status.is_terminal:
            Path(spec_file).unlink(missing_ok=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """``SPEC_FILE`` supervises the controller; ``--run SPEC_FILE`` is the controller."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 2 and args[0] == "--run":
        return _run_controller(args[1])
    if len(args) == 1:
        return _supervise(args[0])
    print("usage: python -m runlab.sweeps.controller [--run] SPEC_FILE", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
