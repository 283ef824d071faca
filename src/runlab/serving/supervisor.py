"""A local web service's supervisor: ``python -m runlab.serving.supervisor SERVICE_DIR``.

Started detached by :func:`runlab.serving.local.deploy_local`, it

* binds the service's listening socket once (so the port never changes) and records the
  scoring URI, its own pid and state in the workspace;
* starts the scoring process (:mod:`runlab.serving.scoring`, by path, with the interpreter of
  the environment built for the inference config) on that socket, and records Healthy once it
  serves, or Failed with the traceback of ``init()`` in the log when it exits first;
* restarts a scoring process that dies, after 1, 2, 4, ... up to 30 s, recording Unhealthy
  meanwhile and writing each restart into the log;
* when ``update()`` raises the wanted generation, starts the new scoring process on the same
  socket beside the old one and stops the old one only once the new one serves: requests keep
  being answered all along;
* stops its scoring process and exits on SIGTERM (``Webservice.delete``).
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path
from types import FrameType
from typing import IO, Any

from runlab.compute.processes import kill, process_create_time, terminate, termination_signals
from runlab.entities.service import ServiceState
from runlab.errors import RunlabError
from runlab.serving import scoring
from runlab.serving.local import GENERATION_FILE, LOG_FILE, SERVICE_FILE
from runlab.store import MetadataStore

__all__ = ["Supervisor", "main"]

POLL_S = 0.05
BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 30.0
STABLE_S = 60.0
"""A scoring process that has served this long resets the backoff."""
STOP_GRACE_S = 5.0
SCORING_SCRIPT = Path(scoring.__file__)
SERVING_PACKAGES = ["uvicorn>=0.29"]
"""What a built environment gets besides the inference config's packages."""


class _StartFailed(Exception):
    """A scoring process ended (or could not start) before it served."""


class Supervisor:
    """Keeps one local service up. See the module docstring.

    Args:
        service_dir: the service's folder (see :mod:`runlab.serving.local`).
    """

    def __init__(self, service_dir: Path) -> None:
        self.service_dir = service_dir
        settings = json.loads((service_dir / SERVICE_FILE).read_text(encoding="utf-8"))
        self.name: str = settings["name"]
        self.host: str = settings["host"]
        self.port: int = int(settings["port"])
        self._workspace_config: dict[str, Any] = settings["workspace"]
        self._store: MetadataStore | None = None
        self._early: tuple[int, subprocess.Popen[bytes] | _StartFailed] | None = None
        self.log: IO[bytes] = (service_dir / LOG_FILE).open("ab")
        self.stopping = threading.Event()
        self.worker: subprocess.Popen[bytes] | None = None
        self.generation = 0
        self.attempted = 0
        self.restarts = 0
        self.details: dict[str, Any] = {}

    # -- recording ---------------------------------------------------------------------------

    @property
    def store(self) -> MetadataStore:
        """The workspace's store, opened on first use (after the scoring process started)."""
        if self._store is None:
            from runlab.tracking import Workspace

            self._store = Workspace.from_dict(self._workspace_config).store
        return self._store

    def say(self, message: str) -> None:
        """Write one line of the supervisor's own into the service's log."""
        stamp = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
        self.log.write(f"{stamp} runlab: {message}\n".encode())
        self.log.flush()

    def record(self, state: ServiceState | None = None, **details: Any) -> None:
        """Record the state and merge ``details`` into the service's details."""
        self.details.update(details)
        try:
            self.store.update_service(
                self.name, state=None if state is None else state.value, details=self.details
            )
        except RunlabError as error:
            self.say(f"could not record the service's state {state}: {error}")

    # -- the loop ----------------------------------------------------------------------------

    def run(self) -> int:
        """Serve until asked to stop; returns the exit status."""
        for signum in termination_signals():
            signal.signal(signum, self._on_sigterm)
        listener = self._listen()
        # The scoring process imports and runs init() while this one opens the store.
        first = int((self.service_dir / GENERATION_FILE).read_text(encoding="utf-8"))
        try:
            self._early = (first, self._spawn(first, listener))
        except _StartFailed as failed:
            self._early = (first, failed)
        self.details = dict(self.store.get_service(self.name).details)
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
        base = f"http://{host}:{self.port}"
        self.record(
            pid=os.getpid(),
            pid_create_time=process_create_time(os.getpid()),
            port=self.port,
            scoring_uri=f"{base}/score",
            swagger_uri=f"{base}/swagger.json",
            restarts=0,
        )
        self.say(f"supervisor {os.getpid()} listening on {self.host}:{self.port}")
        healthy_since = 0.0
        failures = 0
        try:
            while not self.stopping.is_set():
                wanted = int((self.service_dir / GENERATION_FILE).read_text(encoding="utf-8"))
                if wanted != self.attempted:
                    if not self._roll_to(wanted, listener) and self.worker is None:
                        return 1
                    healthy_since, failures = time.monotonic(), 0
                elif self.worker is not None and self.worker.poll() is None:
                    if failures and time.monotonic() - healthy_since > STABLE_S:
                        failures = 0
                else:
                    failures += 1
                    if self._restart(listener, failures):
                        healthy_since = time.monotonic()
                self.stopping.wait(POLL_S)
        finally:
            self._stop_worker(self.worker)
            self.say("stopped")
        return 0

    def _listen(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(2048)
        listener.set_inheritable(True)
        self.port = int(listener.getsockname()[1])
        return listener

    def _roll_to(self, generation: int, listener: socket.socket) -> bool:
        """Start ``generation`` beside the serving one; stop the old once the new serves."""
        self.attempted = generation
        first = self.worker is None
        self.say(f"starting generation {generation}")
        try:
            new = self._start(generation, listener)
        except _StartFailed as failed:
            message = f"generation {generation} failed to start: {failed}"
            self.say(message)
            if not first:
                message += f"; generation {self.generation} still serves"
            self.record(ServiceState.FAILED, error=message)
            return False
        old, self.worker, self.generation = self.worker, new, generation
        self._stop_worker(old)
        self.say(f"generation {generation} serves (pid {new.pid})")
        self.record(ServiceState.HEALTHY, generation=generation, worker_pid=new.pid, error=None)
        return True

    def _restart(self, listener: socket.socket, failures: int) -> bool:
        exit_code = None if self.worker is None else self.worker.returncode
        self.restarts += 1
        delay = min(BACKOFF_FIRST_S * 2 ** (failures - 1), BACKOFF_MAX_S)
        self.say(
            f"the scoring process exited (code {exit_code}); restart {self.restarts} in {delay:g} s"
        )
        self.record(ServiceState.UNHEALTHY, restarts=self.restarts, worker_pid=None)
        self.worker = None
        if self.stopping.wait(delay):
            return False
        try:
            self.worker = self._start(self.generation, listener)
        except _StartFailed as failed:
            self.say(f"restart {self.restarts} failed: {failed}")
            return False
        self.say(f"restarted (pid {self.worker.pid}); healthy again")
        self.record(ServiceState.HEALTHY, worker_pid=self.worker.pid)
        return True

    # -- one scoring process -----------------------------------------------------------------

    def _python(self, environment: dict[str, Any] | None) -> str:
        if environment is None:
            return sys.executable
        from runlab.environments import Environment, UvEnvironmentBuilder

        wanted = dict(environment)
        wanted["pip_packages"] = [*wanted.get("pip_packages", []), *SERVING_PACKAGES]
        resolved = UvEnvironmentBuilder().resolve(Environment.from_dict(wanted), self.say)
        return str(resolved.python)

    def _start(self, generation: int, listener: socket.socket) -> subprocess.Popen[bytes]:
        """A scoring process of ``generation`` that serves (the one started early, if it is
        of that generation)."""
        early, self._early = self._early, None
        if early is not None and early[0] == generation:
            if isinstance(early[1], _StartFailed):
                raise early[1]
            worker = early[1]
        else:
            if early is not None and not isinstance(early[1], _StartFailed):
                self._stop_worker(early[1])
            worker = self._spawn(generation, listener)
        ready = self.service_dir / f"gen-{generation}" / "ready"
        while not ready.exists():
            if worker.poll() is not None:
                raise _StartFailed(
                    f"the scoring process exited with code {worker.returncode} before it served"
                    " (init() raised? see the traceback above)"
                )
            if self.stopping.wait(POLL_S):
                self._stop_worker(worker)
                raise _StartFailed("the service is being deleted")
        return worker

    def _spawn(self, generation: int, listener: socket.socket) -> subprocess.Popen[bytes]:
        """Start a scoring process of ``generation`` on ``listener``, without waiting."""
        spec_file = self.service_dir / f"gen-{generation}" / "spec.json"
        spec = json.loads(spec_file.read_text(encoding="utf-8"))
        try:
            python = self._python(spec["environment"])
        except RunlabError as error:
            raise _StartFailed(f"its environment: {error}") from error
        variables = (spec["environment"] or {}).get("environment_variables", {})
        env = os.environ | variables | spec["variables"] | {"PYTHONUNBUFFERED": "1"}
        Path(spec["ready_file"]).unlink(missing_ok=True)
        fd = listener.fileno()
        try:
            return subprocess.Popen(
                [python, str(SCORING_SCRIPT), str(spec_file), str(fd)],
                pass_fds=(fd,),
                stdin=subprocess.DEVNULL,
                stdout=self.log,
                stderr=subprocess.STDOUT,
                cwd=spec["workdir"],
                env=env,
            )
        except OSError as error:
            raise _StartFailed(f"cannot run {python}: {error}") from error

    def _stop_worker(self, worker: subprocess.Popen[bytes] | None) -> None:
        """Ask a scoring process to finish its requests and end; kill it after a grace time."""
        if worker is None or worker.poll() is not None:
            return
        terminate([worker.pid])
        try:
            worker.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            kill([worker.pid])
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.wait(STOP_GRACE_S)

    def _on_sigterm(self, _signum: int, _frame: FrameType | None) -> None:
        self.stopping.set()


def main(argv: list[str] | None = None) -> int:
    """Supervise the service whose folder is the first argument."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m runlab.serving.supervisor SERVICE_DIR", file=sys.stderr)
        return 2
    supervisor = Supervisor(Path(args[0]))
    try:
        return supervisor.run()
    except Exception as error:  # the service's record must say why it stopped
        supervisor.say(f"the supervisor failed: {error}\n{traceback.format_exc()}")
        supervisor.record(ServiceState.FAILED, error=f"the supervisor failed: {error}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
