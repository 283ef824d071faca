"""Slots that run a sweep's trials: warm worker processes on this machine.

A :class:`TrialPool` is what the controller hands trials to. :class:`LocalWorkerPool` keeps
one ``python -m runlab.sweeps.worker`` per slot (see :mod:`runlab.sweeps.worker`), started
once for the whole sweep, and forwards each trial to an idle one.
"""

from __future__ import annotations

import abc
import contextlib
import json
import queue
import subprocess
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from runlab.compute.processes import terminate
from runlab.errors import BackendError

__all__ = ["LocalWorkerPool", "TrialPool"]


class TrialPool(abc.ABC):
    """Where a sweep's trials run, a fixed number at a time.

    Events are dicts: ``{"started": run_id, "pid": pid}``, ``{"ended": run_id, "exit_code":
    code}`` (the run's final state is in the store), ``{"lost": run_id, "message": why}``
    (the slot died under the trial; the pool has replaced it).
    """

    @abc.abstractmethod
    def idle_slots(self) -> int:
        """How many slots have no trial."""

    @abc.abstractmethod
    def start(self, run_id: str, arguments: list[Any]) -> None:
        """Hand a trial (its run created, Queued) to an idle slot.

        Raises:
            BackendError: no slot is idle.
        """

    @abc.abstractmethod
    def events(self, timeout_s: float) -> list[dict[str, Any]]:
        """What happened since the last call, waiting up to ``timeout_s`` for something."""

    @abc.abstractmethod
    def stop_trial(self, run_id: str) -> None:
        """Ask the trial's process to end (its run's state is set by the caller first)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Let the slots end once their trials have ended."""


class _Worker:
    """One worker process and the trial it runs."""

    def __init__(
        self,
        index: int,
        command: list[str],
        setup: dict[str, Any],
        env: Mapping[str, str],
        log: IO[bytes],
        events: queue.Queue[tuple[int, dict[str, Any]]],
    ) -> None:
        self.index = index
        self.run_id: str | None = None
        self.pid: int | None = None
        self.stop_asked = False
        try:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=dict(env),
                text=True,
                encoding="utf-8",
                bufsize=1,
            )
        except OSError as error:
            raise BackendError(f"cannot start a sweep worker ({command[0]}): {error}") from error
        self._send(setup)
        threading.Thread(
            target=self._read, args=(events,), name=f"runlab-sweep-worker-{index}", daemon=True
        ).start()

    def _send(self, message: dict[str, Any]) -> None:
        stdin = self.process.stdin
        if stdin is None:
            raise BackendError("a sweep worker has no input pipe")
        try:
            stdin.write(json.dumps(message) + "\n")
            stdin.flush()
        except OSError as error:
            raise BackendError(f"a sweep worker stopped taking trials: {error}") from error

    def _read(self, events: queue.Queue[tuple[int, dict[str, Any]]]) -> None:
        stdout = self.process.stdout
        if stdout is not None:
            for line in stdout:
                try:
                    events.put((self.index, json.loads(line)))
                except json.JSONDecodeError:
                    continue
        self.process.wait()
        events.put((self.index, {"exited": self.process.returncode}))

    def start(self, run_id: str, arguments: list[Any]) -> None:
        self.run_id, self.pid, self.stop_asked = run_id, None, False
        self._send({"run_id": run_id, "arguments": arguments})

    def stop(self) -> None:
        self.stop_asked = True
        if self.pid is not None:
            terminate([self.pid])

    def close(self) -> None:
        stdin = self.process.stdin
        if stdin is not None:
            with contextlib.suppress(OSError):
                stdin.close()


class LocalWorkerPool(TrialPool):
    """``slots`` warm workers on this machine, each a ``python -m runlab.sweeps.worker``.

    Args:
        python: the interpreter of the sweep's environment (runlab installed in it).
        setup: the workers' setup line (see :mod:`runlab.sweeps.worker`).
        slots: how many trials run at once.
        env: the workers' environment variables.
        log_file: where the workers' own output goes.
    """

    def __init__(
        self,
        python: str,
        setup: dict[str, Any],
        slots: int,
        env: Mapping[str, str],
        log_file: Path,
    ) -> None:
        self._command = [python, "-m", "runlab.sweeps.worker"]
        self._setup = setup
        self._env = env
        self._log = log_file.open("ab")
        self._events: queue.Queue[tuple[int, dict[str, Any]]] = queue.Queue()
        self._closing = False
        self._workers = [self._new_worker(index) for index in range(slots)]

    def _new_worker(self, index: int) -> _Worker:
        return _Worker(index, self._command, self._setup, self._env, self._log, self._events)

    def idle_slots(self) -> int:
        """How many workers have no trial."""
        return sum(worker.run_id is None for worker in self._workers)

    def start(self, run_id: str, arguments: list[Any]) -> None:
        """Send the trial to an idle worker."""
        for worker in self._workers:
            if worker.run_id is None:
                worker.start(run_id, arguments)
                return
        raise BackendError("no sweep worker is idle")

    def events(self, timeout_s: float) -> list[dict[str, Any]]:
        """The workers' answers since the last call (see :class:`TrialPool`)."""
        found: list[dict[str, Any]] = []
        try:
            item = self._events.get(timeout=timeout_s)
        except queue.Empty:
            return found
        while True:
            event = self._handle(*item)
            if event is not None:
                found.append(event)
            try:
                item = self._events.get_nowait()
            except queue.Empty:
                return found

    def _handle(self, index: int, message: dict[str, Any]) -> dict[str, Any] | None:
        worker = self._workers[index]
        if "started" in message:
            worker.pid = int(message["pid"])
            if worker.stop_asked:
                terminate([worker.pid])
            return message
        if "ended" in message:
            worker.run_id, worker.pid = None, None
            return message
        if "exited" in message and not self._closing:
            lost = worker.run_id
            self._workers[index] = self._new_worker(index)
            if lost is not None:
                return {
                    "lost": lost,
                    "message": f"the trial's worker ended with code {message['exited']}",
                }
        return None

    def stop_trial(self, run_id: str) -> None:
        """Send SIGTERM to the trial's process (once it has one)."""
        for worker in self._workers:
            if worker.run_id == run_id:
                worker.stop()

    def close(self) -> None:
        """Close the workers' input: each ends after its trial."""
        self._closing = True
        for worker in self._workers:
            worker.close()
        self._log.close()
