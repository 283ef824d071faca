"""Slots that run a sweep's trials: warm worker processes on this machine.

A :class:`TrialPool` is what the controller hands trials to. :class:`LocalWorkerPool` keeps
one ``python -m runlab.sweeps.worker`` per slot (see :mod:`runlab.sweeps.worker`), started
once for the whole sweep, and forwards each trial to an idle one.
"""

from __future__ import annotations

import abc
import contextlib
import json
import os
import queue
import subprocess
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from runlab.compute.processes import can_fork, terminate
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


class _Slot:
    """One slot of a worker process: its pipes and the trial it runs."""

    def __init__(self, index: int, requests: IO[str], process: subprocess.Popen[bytes]) -> None:
        self.index = index
        self.requests = requests
        self.process = process
        self.run_id: str | None = None
        self.pid: int | None = None
        self.stop_asked = False

    def send(self, message: dict[str, Any]) -> None:
        try:
            self.requests.write(json.dumps(message) + "\n")
            self.requests.flush()
        except OSError as error:
            raise BackendError(f"a sweep worker stopped taking trials: {error}") from error

    def start(self, run_id: str, arguments: list[Any]) -> None:
        self.run_id, self.pid, self.stop_asked = run_id, None, False
        self.send({"run_id": run_id, "arguments": arguments})

    def stop(self) -> None:
        self.stop_asked = True
        if self.pid is not None:
            terminate([self.pid])

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.requests.close()


class LocalWorkerPool(TrialPool):
    """``slots`` warm slots on this machine: one ``python -m runlab.sweeps.worker`` that forks
    a copy of itself per further slot once warm (where the platform forks; elsewhere, one
    worker process per slot).

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
        self._slots: dict[int, _Slot] = {}
        if can_fork():
            self._start_worker(list(range(slots)))
        else:
            for index in range(slots):
                self._start_worker([index])

    def _start_worker(self, indexes: list[int]) -> None:
        """One worker process for the slots ``indexes``, each with its pair of pipes."""
        pipes = [(os.pipe(), os.pipe()) for _ in indexes]
        theirs = [(requests[0], answers[1]) for requests, answers in pipes]
        options: dict[str, Any] = {}
        command = list(self._command)
        if can_fork():
            command += ["--fds", ";".join(f"{read},{write}" for read, write in theirs)]
            options["pass_fds"] = [fd for pair in theirs for fd in pair]
        else:
            options["stdin"], options["stdout"] = theirs[0]
        try:
            process = subprocess.Popen(command, stderr=self._log, env=dict(self._env), **options)
        except OSError as error:
            raise BackendError(f"cannot start a sweep worker ({command[0]}): {error}") from error
        finally:
            for read, write in theirs:
                os.close(read)
                os.close(write)
        for index, (requests, answers) in zip(indexes, pipes, strict=True):
            slot = _Slot(index, os.fdopen(requests[1], "w", encoding="utf-8"), process)
            self._slots[index] = slot
            reader = os.fdopen(answers[0], "r", encoding="utf-8")
            threading.Thread(
                target=self._read,
                args=(index, reader),
                name=f"runlab-sweep-slot-{index}",
                daemon=True,
            ).start()
        self._slots[indexes[0]].send(self._setup)

    def _read(self, index: int, answers: IO[str]) -> None:
        with answers:
            for line in answers:
                with contextlib.suppress(json.JSONDecodeError):
                    self._events.put((index, json.loads(line)))
        self._events.put((index, {"exited": True}))

    def idle_slots(self) -> int:
        """How many slots have no trial."""
        return sum(slot.run_id is None for slot in self._slots.values())

    def start(self, run_id: str, arguments: list[Any]) -> None:
        """Send the trial to an idle slot."""
        for slot in self._slots.values():
            if slot.run_id is None:
                slot.start(run_id, arguments)
                return
        raise BackendError("no sweep worker is idle")

    def events(self, timeout_s: float) -> list[dict[str, Any]]:
        """The slots' answers since the last call (see :class:`TrialPool`)."""
        found: list[dict[str, Any]] = []
        try:
            item = (
                self._events.get(timeout=timeout_s) if timeout_s > 0 else self._events.get_nowait()
            )
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
        slot = self._slots[index]
        if "started" in message:
            slot.pid = int(message["pid"])
            if slot.stop_asked:
                terminate([slot.pid])
            return message
        if "ended" in message:
            slot.run_id, slot.pid = None, None
            return message
        if "exited" in message and not self._closing:
            lost = slot.run_id
            slot.close()
            self._start_worker([index])  # a fresh (cold) worker for this slot alone
            if lost is not None:
                return {"lost": lost, "message": "the trial's worker process ended under it"}
        return None

    def stop_trial(self, run_id: str) -> None:
        """Send SIGTERM to the trial's process (once it has one)."""
        for slot in self._slots.values():
            if slot.run_id == run_id:
                slot.stop()

    def close(self) -> None:
        """Close the slots' input: each ends after its trial."""
        self._closing = True
        for slot in self._slots.values():
            slot.close()
        self._log.close()
