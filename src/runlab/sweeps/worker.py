"""A warm worker, ``python -m runlab.sweeps.worker``: runs a sweep's trials one after another.

The controller starts one worker per concurrent slot, in the sweep's environment. The worker
opens the workspace, unpacks the snapshot and makes the data references local paths once,
imports the modules the script imports, then, for each trial it is sent, forks a fresh copy
of itself that runs the script as ``__main__`` in its own working folder (so trials stay
isolated and none pays the imports again). Each trial keeps what a job's run has: its
snapshot, ``logs/driver.log`` uploaded live, metrics, ``./outputs`` uploaded, and its state
from Running to Completed, Failed (exit code and the log's tail) or Canceled.

Where forking is not possible (Windows), each trial starts the environment's interpreter on
the script instead: the same run, without the warm start.

One worker process serves every slot of the sweep: after its setup it forks a copy of itself
per further slot (``--fds`` gives each slot its pair of pipes), so the imports are paid once
for the whole sweep, not once per slot. Without ``--fds`` it serves one slot on stdin/stdout.

Protocol, one JSON object a line per slot: the first line of slot 0 is the setup
(``workspace``, ``snapshot_id``, ``script``, ``environment_variables``, ``folder``); each slot
says ``{"ready": true}``; then each line ``{"run_id", "arguments"}`` is answered ``{"started":
run_id, "pid"}`` once the trial's process runs and ``{"ended": run_id, "exit_code"}`` once its
run is final. A slot ends at the end of its input.
"""

from __future__ import annotations

import ast
import collections
import contextlib
import importlib
import json
import os
import runpy
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from runlab.artifacts.snapshots import restore_snapshot
from runlab.compute.local import job_root
from runlab.compute.processes import can_fork, fork_call, wait_exit_code
from runlab.data import DataReference, materialize
from runlab.entities import DRIVER_LOG_NAME, OUTPUTS_DIR, RunStatus, param_key
from runlab.entities.run_layout import ARGUMENTS_KEY
from runlab.errors import InvalidStateError, RunlabError
from runlab.jobs.arguments import DATA_MARKER, named_parameters
from runlab.jobs.entry import LOG_UPLOAD_INTERVAL_S, STDERR_TAIL_LINES, LogUploader
from runlab.tracking import Experiment, Run, Workspace
from runlab.tracking.run import ENV_RUN_ID, ENV_WORKSPACE, set_context_run

__all__ = ["TrialWorker", "main", "preload_imports"]

HEARTBEAT_EVERY_S = 5.0


def preload_imports(script: Path) -> list[str]:
    """Import the modules ``script`` imports at its top level (those that import cleanly);
    returns their names. What fails to import is left for the trial to report."""
    try:
        tree = ast.parse(script.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return []
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    loaded = []
    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # a module the script's folder holds, or a broken one
            continue
        loaded.append(name)
    return loaded


class TrialWorker:
    """Runs trials of one sweep in forked copies of a warmed-up process.

    Args:
        setup: the first protocol line (see the module docstring).
    """

    def __init__(self, setup: dict[str, Any]) -> None:
        self.setup = setup
        os.environ.update(setup.get("environment_variables", {}))
        self.workspace = Workspace.from_dict(setup["workspace"])
        self.script: str = setup["script"]
        self.folder = Path(setup.get("folder") or job_root() / "sweeps") / f"worker-{os.getpid()}"
        self.source = self.folder / "source"
        restore_snapshot(self.workspace.artifacts, setup["snapshot_id"], self.source)
        self._data: dict[str, str] = {}
        self._experiments: dict[str, Experiment] = {}
        preload_imports(self.source / self.script)

    def close(self) -> None:
        """Remove the worker's folder."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def _resolve(self, arguments: list[Any]) -> list[str]:
        """The arguments with each data reference made a local path (once per worker)."""
        resolved = []
        for argument in arguments:
            if isinstance(argument, str):
                resolved.append(argument)
                continue
            key = json.dumps(argument, sort_keys=True)
            if key not in self._data:
                reference = DataReference.from_dict(argument[DATA_MARKER])
                local = materialize(self.workspace, reference, self.folder)
                self._data[key] = str(local.local_path)
            resolved.append(self._data[key])
        return resolved

    def run_trial(
        self, run_id: str, arguments: list[Any], say: Callable[[dict[str, Any]], None]
    ) -> int:
        """Run one trial to its final state; returns the script's exit code.

        Args:
            run_id: the trial's run, Queued.
            arguments: its script's arguments (data references as dicts).
            say: sends a protocol answer (``started``) to the controller.
        """
        store = self.workspace.store
        workdir = job_root() / run_id
        logs = workdir / ".runlab-logs"
        shutil.copytree(self.source, workdir, dirs_exist_ok=True)
        logs.mkdir(exist_ok=True)
        (workdir / OUTPUTS_DIR).mkdir(exist_ok=True)
        exit_code = 1
        try:
            resolved = self._resolve(arguments)
            record = store.get_run(run_id)
            experiment = self._experiments.get(record.experiment_name)
            if experiment is None:
                experiment = Experiment(self.workspace, record.experiment_name)
                self._experiments[record.experiment_name] = experiment
            run = Run(experiment, run_id, _record=record)
            run.add_properties(
                {ARGUMENTS_KEY: json.dumps(resolved)}
                | {param_key(name): value for name, value in named_parameters(resolved).items()}
            )
            store.set_run_status(run_id, RunStatus.RUNNING)
            driver_log = logs / DRIVER_LOG_NAME
            pid, wait = self._start(run, workdir, driver_log, resolved)
            say({"started": run_id, "pid": pid})
            exit_code = self._watch(run_id, logs, wait)
            self._finish(run, workdir, driver_log, exit_code)
        except (InvalidStateError, RunlabError, OSError) as error:
            with contextlib.suppress(RunlabError):
                store.set_run_status(
                    run_id,
                    RunStatus.FAILED,
                    error_details={"message": f"the trial could not run: {error}"},
                )
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return exit_code

    def _start(
        self, run: Run, workdir: Path, driver_log: Path, arguments: list[str]
    ) -> tuple[int, Callable[[], int]]:
        variables = {
            ENV_RUN_ID: run.id,
            ENV_WORKSPACE: json.dumps(self.setup["workspace"]),
            "PYTHONUNBUFFERED": "1",
        }
        if not can_fork():
            with driver_log.open("ab") as log:
                process = subprocess.Popen(
                    [sys.executable, self.script, *arguments],
                    cwd=workdir,
                    env=os.environ | variables,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            return process.pid, process.wait

        def trial() -> int:
            # The trial's Run.get_context() is this run, open already: no workspace to open.
            set_context_run(run)
            return _run_script(workdir, driver_log, self.script, arguments, variables)

        pid = fork_call(trial)
        return pid, lambda: wait_exit_code(pid)

    def _watch(self, run_id: str, logs: Path, wait: Callable[[], int]) -> int:
        """Wait for the trial's process while uploading its log and beating its heart."""
        uploader = LogUploader(self.workspace.artifacts, run_id, logs)
        stop = threading.Event()

        def along() -> None:
            beats = 0.0
            while not stop.wait(LOG_UPLOAD_INTERVAL_S):
                with contextlib.suppress(RunlabError):
                    uploader.upload()
                beats += LOG_UPLOAD_INTERVAL_S
                if beats >= HEARTBEAT_EVERY_S:
                    beats = 0.0
                    with contextlib.suppress(RunlabError):
                        self.workspace.store.heartbeat(run_id)

        helper = threading.Thread(target=along, name="runlab-trial-logs", daemon=True)
        helper.start()
        try:
            return wait()
        finally:
            stop.set()
            helper.join()
            with contextlib.suppress(RunlabError):
                uploader.upload()

    def _finish(self, run: Run, workdir: Path, driver_log: Path, exit_code: int) -> None:
        store = self.workspace.store
        outputs = workdir / OUTPUTS_DIR
        if store.get_run(run.id).status.is_terminal:
            # Stopped by the policy or canceled (that state stays): keep what it wrote.
            if any(outputs.iterdir()):
                run.upload_folder(OUTPUTS_DIR, outputs)
            return
        with contextlib.suppress(InvalidStateError):
            if exit_code == 0:
                if any(outputs.iterdir()):
                    store.set_run_status(run.id, RunStatus.FINALIZING)
                    run.upload_folder(OUTPUTS_DIR, outputs)
                store.set_run_status(run.id, RunStatus.COMPLETED)
                return
            if any(outputs.iterdir()):
                run.upload_folder(OUTPUTS_DIR, outputs)
            tail = collections.deque(
                driver_log.read_text(encoding="utf-8", errors="replace").splitlines(),
                maxlen=STDERR_TAIL_LINES,
            )
            store.set_run_status(
                run.id,
                RunStatus.FAILED,
                error_details={
                    "message": f"the script {self.script} exited with code {exit_code}",
                    "exit_code": exit_code,
                    "stderr_tail": "\n".join(tail),
                },
            )


def _run_script(
    workdir: Path, driver_log: Path, script: str, arguments: list[str], variables: dict[str, str]
) -> int:
    """In the forked copy: run the script as ``__main__`` in ``workdir``, its output into the
    driver log; returns its exit code once everything it logged is stored."""
    from runlab.tracking.buffer import flusher

    os.chdir(workdir)
    os.environ.update(variables)
    log_fd = os.open(driver_log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    null_fd = os.open(os.devnull, os.O_RDONLY)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(null_fd, 0)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    sys.argv = [script, *arguments]
    sys.path.insert(0, str(workdir))
    code = 0
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exit_request:
        request = exit_request.code
        if isinstance(request, int):
            code = request
        elif request is not None:
            print(request, file=sys.stderr)
            code = 1
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    flusher.flush_all()
    return code


Channel = tuple[IO[str], IO[str]]
"""A slot's input (requests) and output (answers)."""


def _serve(worker: TrialWorker, channel: Channel) -> None:
    """Answer one slot's requests until its input ends."""
    requests, answers = channel

    def say(message: dict[str, Any]) -> None:
        answers.write(json.dumps(message) + "\n")
        answers.flush()

    say({"ready": True})
    for line in requests:
        request = json.loads(line)
        exit_code = worker.run_trial(request["run_id"], request["arguments"], say)
        say({"ended": request["run_id"], "exit_code": exit_code})


def _channels(argv: list[str]) -> list[Channel]:
    if len(argv) == 2 and argv[0] == "--fds":
        found: list[Channel] = []
        for pair in argv[1].split(";"):
            read_fd, write_fd = (int(fd) for fd in pair.split(","))
            found.append(
                (
                    os.fdopen(read_fd, "r", encoding="utf-8"),
                    os.fdopen(write_fd, "w", encoding="utf-8", buffering=1),
                )
            )
        return found
    return [(sys.stdin, os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1))]


def _close(channels: list[Channel]) -> None:
    for requests, answers in channels:
        with contextlib.suppress(OSError):
            requests.close()
        with contextlib.suppress(OSError):
            answers.close()


def main(argv: list[str] | None = None) -> int:
    """Serve the protocol of the module docstring (``--fds R,W;R,W;...`` or stdin/stdout)."""
    channels = _channels(sys.argv[1:] if argv is None else argv)
    os.dup2(2, 1)  # what imports print goes to stderr, not into the protocol
    line = channels[0][0].readline()
    if not line:
        return 0
    worker = TrialWorker(json.loads(line))
    siblings = []
    for index in range(1, len(channels)):
        # Forked before any thread starts: each further slot is a copy of this warm process.
        def serve_slot(index: int = index) -> int:
            _close([channel for other, channel in enumerate(channels) if other != index])
            _serve(worker, channels[index])
            return 0

        siblings.append(fork_call(serve_slot))
    _close(channels[1:])
    try:
        _serve(worker, channels[0])
    finally:
        for pid in siblings:
            wait_exit_code(pid)
        worker.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
