"""The job entry, ``python -m runlab.jobs.entry SPEC_FILE``: the same on every compute target.

It takes a run from Queued to its final state: waits for a slot, prepares the environment,
unpacks the snapshot into a fresh working folder, runs the script as a child process with the
run context in its environment, tees the script's output into ``logs/driver.log`` as it
comes, uploads ``./outputs``, and sets Completed, Failed (exit code and stderr tail) or
Canceled. All along it beats a heartbeat, so a vanished entry is noticed.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import io
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import traceback
from pathlib import Path
from types import FrameType
from typing import IO, Any

from runlab.artifacts import AppendableArtifactStore, ArtifactStore
from runlab.artifacts.snapshots import restore_snapshot
from runlab.compute.local import CANCEL_GRACE_S, job_root, stop_request_file
from runlab.compute.processes import child_creation_flags, interrupt, termination_signals
from runlab.compute.slots import LocalSlot
from runlab.data import DataReference, materialize
from runlab.data.consumption import INPUT_DATASETS_ENV, materialize_input
from runlab.entities import (
    ARGUMENTS_KEY,
    DRIVER_LOG_NAME,
    ENVIRONMENT_LOG_NAME,
    INPUTS_KEY,
    OUTPUTS_DIR,
    JobSpec,
    RunStatus,
    log_file,
    param_key,
)
from runlab.entities.run_layout import (
    ENVIRONMENT_LOCK,
    ENVIRONMENT_LOCK_KEY,
    INPUT_DATASETS_KEY,
)
from runlab.errors import InvalidStateError, RunlabError
from runlab.jobs.arguments import DATA_MARKER, DATASET_MARKER, named_parameters
from runlab.jobs.lineage import environment_lock, lock_hash
from runlab.tracking import Run, Workspace
from runlab.tracking.buffer import retrying_backend, set_run_status_retrying
from runlab.tracking.files import RunFiles
from runlab.tracking.run import ENV_RUN_ID, ENV_WORKSPACE

__all__ = ["SPEC_ENV", "JobEntry", "LogUploader", "main"]

LOG_UPLOAD_INTERVAL_S = 0.5
STOP_POLL_S = 0.2
"""How often the entry looks for a stop request (see ``runlab.compute.local.request_stop``)."""
LOG_APPEND_BYTES = 8 * 1024 * 1024
"""The most bytes of a log sent in one append."""
SPEC_ENV = "RUNLAB_JOB_SPEC"
"""Where the entry reads its spec as JSON when its argument is ``-``."""
STDERR_TAIL_LINES = 40


class _Canceled(Exception):
    """The job was asked to stop."""


class LogUploader:
    """Keeps a run's ``logs/<name>.log`` in the artifact store up to date with the local
    ``*.log`` files of a folder, sending only what they gained.

    The first upload of a log replaces the stored file; later ones append the new bytes
    (:class:`~runlab.artifacts.AppendableArtifactStore`), so a log of ``n`` bytes costs
    ``O(n)`` bytes written however often it is uploaded, on every store that can append.
    After a failed upload, or on a store that cannot append, the next upload replaces the
    whole file (which also heals an append that half happened). Thread-safe.

    Args:
        artifacts: the workspace's artifact store.
        run_id: the run whose logs these are.
        folder: the local folder whose ``*.log`` files are the run's logs.
    """

    def __init__(self, artifacts: ArtifactStore, run_id: str, folder: Path) -> None:
        self.artifacts = artifacts
        self.folder = folder
        self._files = RunFiles(artifacts, run_id)
        # How many bytes of each local log (by file name) the stored copy holds.
        self._uploaded: dict[str, int] = {}
        self._lock = threading.Lock()

    def upload(self) -> None:
        """Send what each local log gained since the last upload.

        Raises:
            RunlabError: the artifact store failed (the next upload starts that log afresh).
        """
        with self._lock:
            for log in sorted(self.folder.glob("*.log")):
                self._upload_log(log)

    def _upload_log(self, log: Path) -> None:
        key = self._files.key(log_file(log.name))
        uploaded = self._uploaded.get(log.name)
        size = log.stat().st_size
        if uploaded == size:
            return
        try:
            if uploaded is None or not isinstance(self.artifacts, AppendableArtifactStore):
                self._uploaded.pop(log.name, None)
                self.artifacts.put_file(log, key)
                self._uploaded[log.name] = size
                return
            with log.open("rb") as source:
                source.seek(uploaded)
                while data := source.read(min(LOG_APPEND_BYTES, size - uploaded)):
                    self.artifacts.append_bytes(key, data)
                    uploaded += len(data)
                    self._uploaded[log.name] = uploaded
        except BaseException:
            self._uploaded.pop(log.name, None)
            raise


class JobEntry:
    """Runs one job spec to its end. See the module docstring."""

    def __init__(self, spec: JobSpec) -> None:
        self.spec = spec
        # The job's variables apply to the entry too, before the stores open: where datastore
        # credentials are, and RUNLAB_TOKEN for a workspace served by a runlab server.
        os.environ.update(spec.environment_variables)
        self.workspace = Workspace.from_dict(spec.workspace)
        self.store = self.workspace.store
        self.run = Run.get(self.workspace, spec.run_id)
        self.workdir = job_root() / spec.run_id
        self.logs = self.workdir / ".runlab-logs"
        self.canceled = threading.Event()
        self.child: subprocess.Popen[bytes] | None = None
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        self._stop = threading.Event()
        self._log_lock = threading.Lock()
        self.log_uploader = LogUploader(self.workspace.artifacts, spec.run_id, self.logs)
        # What the script is told about its input datasets (Run.input_datasets), if any.
        self.inputs_file: Path | None = None

    # -- the steps -----------------------------------------------------------------------

    def execute(self) -> int:
        """Run the job; returns the entry's exit status (0 when the run completed)."""
        for signum in termination_signals():  # SIGTERM; on Windows also CTRL_BREAK's SIGBREAK
            signal.signal(signum, self._on_sigterm)
        self.logs.mkdir(parents=True, exist_ok=True)
        threading.Thread(target=self._heartbeat, name="runlab-heartbeat", daemon=True).start()
        threading.Thread(target=self._watch_stop_request, name="runlab-stop", daemon=True).start()
        uploader = threading.Thread(target=self._upload_logs_loop, name="runlab-log-uploader")
        uploader.start()
        status, details = RunStatus.FAILED, None
        try:
            with LocalSlot(self.spec.max_concurrent_runs, self._check_canceled):
                status, details = self._run_script()
        except _Canceled:
            status, details = RunStatus.CANCELED, {"message": "the run was canceled"}
        except RunlabError as error:
            status, details = RunStatus.FAILED, {"message": error.message}
        except Exception as error:  # the entry must record any failure before it ends
            status = RunStatus.FAILED
            details = {
                "message": f"the job entry failed: {type(error).__name__}: {error}",
                "traceback": traceback.format_exc(),
            }
        finally:
            if self.canceled.is_set():
                # Whatever failed after the cancel (a killed build, a killed script) is its
                # consequence, not the reason the run ended.
                status, details = RunStatus.CANCELED, {"message": "the run was canceled"}
            self._stop.set()
            uploader.join()
            self._finish(status, details)
        return 0 if status is RunStatus.COMPLETED else 1

    def _run_script(self) -> tuple[RunStatus, dict[str, Any] | None]:
        self._set_status(RunStatus.PREPARING)
        from runlab.environments.cache import in_use

        python, location = self._prepare_environment()
        self._record_environment_lock(python)
        # Marked in use until the script ends, so `runlab environment prune` leaves it.
        with in_use(location):
            exit_code = self._start_and_run(python)
        if self.canceled.is_set():
            raise _Canceled
        self._set_status(RunStatus.FINALIZING)
        outputs = self.workdir / OUTPUTS_DIR
        if any(outputs.iterdir()):
            retrying_backend(
                lambda: self.run.upload_folder(OUTPUTS_DIR, outputs), what="upload ./outputs"
            )
        if exit_code == 0:
            return RunStatus.COMPLETED, None
        tail = "".join(self.stderr_tail).rstrip()
        return RunStatus.FAILED, {
            "message": f"the script {self.spec.script} exited with code {exit_code}",
            "exit_code": exit_code,
            "stderr_tail": tail,
        }

    def _start_and_run(self, python: str) -> int:
        """From Starting to the script's exit code."""
        self._set_status(RunStatus.STARTING)
        restore_snapshot(self.workspace.artifacts, self.spec.snapshot_id, self.workdir)
        (self.workdir / OUTPUTS_DIR).mkdir(exist_ok=True)
        arguments = self._resolve_arguments()
        self.run.add_properties(
            {ARGUMENTS_KEY: json.dumps(arguments)}
            | {param_key(name): value for name, value in named_parameters(arguments).items()}
        )
        self._check_canceled()
        self._set_status(RunStatus.RUNNING)
        return self._spawn_and_wait(python, arguments)

    def _record_environment_lock(self, python: str) -> None:
        """Keep the lock of the interpreter that will run the script (lineage, re-runs)."""
        lock = environment_lock(python, self.spec.environment)
        text = json.dumps(lock, indent=1, sort_keys=True).encode("utf-8")
        self.run.upload_file(ENVIRONMENT_LOCK, io.BytesIO(text))
        self.run.add_properties({ENVIRONMENT_LOCK_KEY: lock_hash(lock)})

    def _resolve_arguments(self) -> list[str]:
        """The script's arguments, with each data reference made a local path; records on
        the run which references it got and the manifest of what they held."""
        # What materializing says (e.g. that a mount became a copy) goes into the run's log.
        note = logging.FileHandler(self.logs / DRIVER_LOG_NAME, encoding="utf-8")
        note.setFormatter(logging.Formatter("runlab: %(message)s"))
        data_logger = logging.getLogger("runlab.data")
        data_logger.addHandler(note)
        try:
            return self._materialize_all()
        finally:
            data_logger.removeHandler(note)
            note.close()

    def _materialize_all(self) -> list[str]:
        resolved: list[str] = []
        inputs: list[dict[str, Any]] = []
        datasets: list[dict[str, Any]] = []
        told: dict[str, Any] = {}
        for argument in self.spec.arguments:
            if isinstance(argument, str):
                resolved.append(argument)
                continue
            if DATASET_MARKER in argument:
                local_path, recorded, script_view = materialize_input(
                    self.workspace, argument[DATASET_MARKER], self.workdir
                )
                resolved.append(local_path)
                datasets.append(recorded)
                told[recorded["input_name"]] = script_view
                continue
            reference = DataReference.from_dict(argument[DATA_MARKER])
            local = materialize(self.workspace, reference, self.workdir)
            resolved.append(str(local.local_path))
            manifest = json.dumps(local.manifest, sort_keys=True).encode()
            index = len(inputs)
            self.run.upload_file(
                f"inputs/{index}-{reference.datastore_name}.manifest.json", io.BytesIO(manifest)
            )
            inputs.append(
                reference.to_dict()
                | {
                    "local_path": str(local.local_path),
                    "files": len(local.manifest),
                    "manifest_sha256": hashlib.sha256(manifest).hexdigest(),
                }
            )
        if inputs:
            self.run.add_properties({INPUTS_KEY: json.dumps(inputs)})
        if datasets:
            self.run.add_properties({INPUT_DATASETS_KEY: json.dumps(datasets)})
            self.inputs_file = self.workdir / ".runlab-data" / "input_datasets.json"
            self.inputs_file.parent.mkdir(parents=True, exist_ok=True)
            self.inputs_file.write_text(json.dumps(told), encoding="utf-8")
        return resolved

    def _prepare_environment(self) -> tuple[str, Path | None]:
        """The interpreter to run the script with, and the built environment's folder (None
        for a user-managed one)."""
        from runlab.environments import Environment, UvEnvironmentBuilder

        environment = Environment.from_dict(self.spec.environment)
        with (self.logs / ENVIRONMENT_LOG_NAME).open("a", encoding="utf-8") as log:

            def write(line: str) -> None:
                log.write(line.rstrip("\n") + "\n")
                log.flush()

            resolved = UvEnvironmentBuilder().resolve(environment, write)
        return str(resolved.python), resolved.location

    def _spawn_and_wait(self, python: str, arguments: list[str]) -> int:
        environment = (
            os.environ
            | self.spec.environment_variables
            | {
                ENV_RUN_ID: self.spec.run_id,
                ENV_WORKSPACE: json.dumps(self.spec.workspace),
                "PYTHONUNBUFFERED": "1",
            }
            | ({INPUT_DATASETS_ENV: str(self.inputs_file)} if self.inputs_file else {})
        )
        driver_log = (self.logs / DRIVER_LOG_NAME).open("ab")
        try:
            self.child = subprocess.Popen(
                [python, self.spec.script, *arguments],
                cwd=self.workdir,
                env=environment,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                creationflags=child_creation_flags(),
            )
            readers = [
                threading.Thread(target=self._tee, args=(self.child.stdout, driver_log, False)),
                threading.Thread(target=self._tee, args=(self.child.stderr, driver_log, True)),
            ]
            for reader in readers:
                reader.start()
            exit_code = self.child.wait()
            for reader in readers:
                reader.join()
        finally:
            driver_log.close()
        return exit_code

    def _tee(self, stream: IO[bytes] | None, log: IO[bytes], is_stderr: bool) -> None:
        if stream is None:
            return
        for line in iter(stream.readline, b""):
            with self._log_lock:
                log.write(line)
                log.flush()
            if is_stderr:
                self.stderr_tail.append(line.decode("utf-8", errors="replace"))

    def _finish(self, status: RunStatus, details: dict[str, Any] | None) -> None:
        # The store may be away for a while (a server or database restarting): the last
        # writes are tried again for the retry horizon (runlab.tracking.buffer).
        try:
            retrying_backend(self._upload_logs, what="upload the logs")
        except RunlabError as error:
            print(f"runlab: could not upload the logs of {self.spec.run_id}: {error}")
        # A run already ended from outside (canceled by a user) keeps that state.
        with contextlib.suppress(InvalidStateError):
            set_run_status_retrying(self.store, self.spec.run_id, status, details)
        with contextlib.suppress(OSError):
            stop_request_file(self.spec.run_id).unlink(missing_ok=True)
        if not os.environ.get("RUNLAB_KEEP_JOB_DIRS"):
            shutil.rmtree(self.workdir, ignore_errors=True)
            (job_root() / f"{self.spec.run_id}.json").unlink(missing_ok=True)
            # The entry's own output (normally nothing) is kept only when there is some.
            entry_log = job_root() / f"{self.spec.run_id}.entry.log"
            if entry_log.exists() and entry_log.stat().st_size == 0:
                entry_log.unlink()

    # -- along the way -------------------------------------------------------------------

    def _set_status(self, status: RunStatus) -> None:
        self._check_canceled()
        set_run_status_retrying(self.store, self.spec.run_id, status)

    def _check_canceled(self) -> None:
        if self.canceled.is_set():
            raise _Canceled

    def _on_sigterm(self, _signum: int, _frame: FrameType | None) -> None:
        self._cancel()

    def _watch_stop_request(self) -> None:
        """Cancel when the stop request file appears (how a cancel arrives on Windows)."""
        request = stop_request_file(self.spec.run_id)
        while not self._stop.wait(STOP_POLL_S):
            if request.exists():
                self._cancel()
                return

    def _cancel(self) -> None:
        self.canceled.set()
        child = self.child
        if child is not None and child.poll() is None:
            # On POSIX the script shares the process group, so a group-wide SIGTERM reached
            # it too; a SIGTERM sent to the entry alone, or a stop request, is passed on here.
            interrupt(child)
            threading.Thread(target=self._kill_after_grace, args=(child,), daemon=True).start()

    @staticmethod
    def _kill_after_grace(child: subprocess.Popen[bytes]) -> None:
        try:
            child.wait(timeout=max(CANCEL_GRACE_S - 1.0, 0.5))
        except subprocess.TimeoutExpired:
            child.kill()

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.spec.heartbeat_interval_s):
            try:
                self.store.heartbeat(self.spec.run_id)
            except RunlabError as error:
                print(f"runlab: heartbeat of {self.spec.run_id} failed: {error}", flush=True)

    def _upload_logs(self) -> None:
        self.log_uploader.upload()

    def _upload_logs_loop(self) -> None:
        while not self._stop.wait(LOG_UPLOAD_INTERVAL_S):
            try:
                self._upload_logs()
            except RunlabError as error:
                print(f"runlab: log upload of {self.spec.run_id} failed: {error}", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Run the job whose spec file is the first argument; returns the exit status."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m runlab.jobs.entry SPEC_FILE|-", file=sys.stderr)
        return 2
    if args[0] == "-":
        # The spec travelled with the job (a Ray cluster on another machine, which cannot
        # read the submitter's files); taken out of the environment the script inherits.
        text = os.environ.pop(SPEC_ENV, "")
    else:
        text = Path(args[0]).read_text(encoding="utf-8")
    spec = JobSpec.from_json(text)
    return JobEntry(spec).execute()


if __name__ == "__main__":
    sys.exit(main())
