"""Buffered metric logging: ``Run.log`` appends to a queue, one thread writes batches.

Every exit path flushes first: an explicit flush, ``complete``/``fail``/``cancel``, the normal
end of the interpreter (``atexit``) and SIGTERM (on Windows also SIGBREAK, from CTRL_BREAK).
Runs this process started itself (its *owned* runs) are also given a final state when the
process ends without one: Completed on a normal exit, Failed after an uncaught exception,
Canceled on SIGTERM.
"""

from __future__ import annotations

import atexit
import collections
import functools
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from runlab.entities import Metric, RunStatus
from runlab.errors import BackendError, InvalidStateError, RunlabError, ValidationError

if TYPE_CHECKING:
    from runlab.entities import RunRecord
    from runlab.store import MetadataStore

__all__ = [
    "FLUSH_INTERVAL_S",
    "RETRY_HORIZON_ENV",
    "RETRY_HORIZON_S",
    "MetricQueue",
    "flusher",
    "retry_horizon_s",
    "retrying_backend",
    "set_run_status_retrying",
]

T = TypeVar("T")

FLUSH_INTERVAL_S = 0.2
"""How often the background thread writes what was logged; points are stored within it
plus the time of one write."""

_BATCH = 50_000

RETRY_HORIZON_S = 120.0
"""How long, by default, the last writes of a process (its final flush of metrics, a job's
last status and files) are tried again while the store fails (its server restarting, its
database restarting): a run may lose its store this long at its end and keep every point.
While the process lives, points it cannot store stay queued and are retried without limit."""

RETRY_HORIZON_ENV = "RUNLAB_RETRY_HORIZON_S"
"""The environment variable that sets the retry horizon in seconds (0: try once)."""


def retry_horizon_s() -> float:
    """The retry horizon: ``RUNLAB_RETRY_HORIZON_S``, else :data:`RETRY_HORIZON_S`.

    Raises:
        ValidationError: the variable is not a number of seconds >= 0.
    """
    text = os.environ.get(RETRY_HORIZON_ENV, "").strip()
    if not text:
        return RETRY_HORIZON_S
    try:
        horizon = float(text)
    except ValueError:
        horizon = -1.0
    if not horizon >= 0:  # also NaN
        raise ValidationError(
            f"{RETRY_HORIZON_ENV}={text!r} is not a number of seconds >= 0 (e.g. 120)"
        )
    return horizon


def retrying_backend(call: Callable[[], T], *, what: str, horizon_s: float | None = None) -> T:
    """``call()``, tried again with growing pauses (up to 5 s) while it raises
    :class:`BackendError` (a store that cannot be reached or failed), for ``horizon_s``
    seconds (default: :func:`retry_horizon_s`). Each new failure is said once on stderr.

    Raises:
        BackendError: the last failure, once the horizon has passed.
        RunlabError: any other runlab error, at once (retrying cannot help it).
    """
    deadline = time.monotonic() + (retry_horizon_s() if horizon_s is None else horizon_s)
    pause = 0.2
    said = ""
    while True:
        try:
            return call()
        except BackendError as error:
            if time.monotonic() + pause > deadline:
                raise
            if error.message != said:
                said = error.message
                print(f"runlab: could not {what} (trying again): {said}", file=sys.stderr)
        time.sleep(pause)
        pause = min(pause * 2, 5.0)


def set_run_status_retrying(
    store: MetadataStore,
    run_id: str,
    status: RunStatus,
    error_details: Mapping[str, Any] | None = None,
) -> RunRecord:
    """Move a run to ``status`` through :func:`retrying_backend`.

    A try whose answer was lost may have been stored: when a later try is refused because the
    run already is in ``status``, that is the earlier try's doing, and counts as done.

    Raises:
        InvalidStateError: the move is not allowed (and the run is not in ``status``).
        BackendError: the store failed for the whole retry horizon.
    """
    tries = 0

    def attempt() -> RunRecord:
        nonlocal tries
        tries += 1
        try:
            return store.set_run_status(run_id, status, error_details=error_details)
        except InvalidStateError:
            if tries > 1:
                record = store.get_run(run_id)
                if record.status is status:
                    return record
            raise

    return retrying_backend(attempt, what=f"set the status of run {run_id} to {status.value}")


class MetricQueue:
    """The points logged to one run and not yet stored.

    ``pending.append`` is lock-free (deque appends and pops are atomic, so a point logged
    while a batch is being taken is never lost); ``flush`` holds a re-entrant lock so the
    batches of one run are stored in order.
    """

    __slots__ = ("_flush_lock", "_store", "_unsent", "pending", "registered", "run_id")

    def __init__(self, store: MetadataStore, run_id: str) -> None:
        self._store = store
        self.run_id = run_id
        self.pending: collections.deque[Metric] = collections.deque()
        self.registered = False
        self._flush_lock = threading.RLock()
        # A batch whose write failed: sent again as it was, before anything newer, so that
        # the store can tell a retry of a batch it did store (a lost answer) and skip it.
        self._unsent: list[Metric] = []

    @property
    def unstored(self) -> int:
        """How many points logged to this run are not stored yet."""
        return len(self._unsent) + len(self.pending)

    def flush(self) -> None:
        """Store every pending point.

        Raises:
            RunlabError: the store failed; the points that were not stored stay queued.
        """
        with self._flush_lock:
            pending = self.pending
            while self._unsent or pending:
                if not self._unsent:
                    popleft = pending.popleft
                    self._unsent = [popleft() for _ in range(min(len(pending), _BATCH))]
                self._store.log_metrics(self.run_id, self._unsent)
                self._unsent = []


class _Flusher:
    """The process's one background writer, and its exit hooks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[int, MetricQueue] = {}
        self._owned: dict[str, Callable[[RunStatus, dict[str, Any] | None], None]] = {}
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self._wake = threading.Event()
        self._hooks_installed = False
        self._uncaught: BaseException | None = None
        self._last_error: dict[str, str] = {}

    def register(self, queue: MetricQueue) -> None:
        """Have ``queue`` flushed in the background until the process ends."""
        with self._lock:
            self._ensure_started()
            self._queues[id(queue)] = queue
            queue.registered = True

    def unregister(self, queue: MetricQueue) -> None:
        """Stop flushing ``queue`` (its run has ended); flushes it first.

        Raises:
            RunlabError: the final flush failed; the queue stays registered.
        """
        queue.flush()
        with self._lock:
            self._queues.pop(id(queue), None)
            queue.registered = False

    def own(self, run_id: str, finish: Callable[[RunStatus, dict[str, Any] | None], None]) -> None:
        """Give run ``run_id`` a final state through ``finish`` if the process ends first."""
        with self._lock:
            self._ensure_started()
            self._owned[run_id] = finish

    def disown(self, run_id: str) -> None:
        """Forget an owned run (it has reached its final state)."""
        with self._lock:
            self._owned.pop(run_id, None)

    def flush_all(self) -> None:
        """Store every pending point of every run of this process, reporting failures."""
        with self._lock:
            queues = list(self._queues.values())
        for queue in queues:
            try:
                queue.flush()
            except RunlabError as error:
                # The points stay queued and are tried again; say so once per new error.
                message = f"runlab: could not store metrics of {queue.run_id} (will retry): {error}"
                if message != self._last_error.get(queue.run_id):
                    self._last_error[queue.run_id] = message
                    print(message, file=sys.stderr)

    def _ensure_started(self) -> None:
        if self._pid != os.getpid():
            # A forked child inherits the parent's queues but not its thread.
            self._queues.clear()
            self._owned.clear()
            self._thread = None
            self._pid = os.getpid()
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._loop, name="runlab-metric-flusher", daemon=True
            )
            self._thread.start()
        if not self._hooks_installed:
            self._install_hooks()

    def _loop(self) -> None:
        while True:
            self._wake.wait(FLUSH_INTERVAL_S)
            self._wake.clear()
            self.flush_all()

    # -- exit paths ----------------------------------------------------------------------

    def _install_hooks(self) -> None:
        self._hooks_installed = True
        atexit.register(self._at_exit)
        previous_hook = sys.excepthook

        def excepthook(
            kind: type[BaseException], error: BaseException, tb: TracebackType | None
        ) -> None:
            self._uncaught = error
            previous_hook(kind, error, tb)

        sys.excepthook = excepthook
        # Only the main thread may set handlers, and a handler the program set stays.
        if threading.current_thread() is threading.main_thread():
            for signum in _termination_signals():
                try:
                    if signal.getsignal(signum) in (signal.SIG_DFL, None):
                        signal.signal(signum, self._on_sigterm)
                except ValueError:  # not the main interpreter
                    pass

    def _flush_before_exit(self) -> None:
        """Flush every queue, again while points stay unstored, for the retry horizon; then
        say how many points are lost."""
        deadline = time.monotonic() + retry_horizon_s()
        pause = 0.2
        while True:
            self.flush_all()
            with self._lock:
                queues = list(self._queues.values())
            unstored = {queue.run_id: queue.unstored for queue in queues if queue.unstored}
            if not unstored:
                return
            if time.monotonic() + pause > deadline:
                for run_id, count in unstored.items():
                    print(f"runlab: {count} points of {run_id} could not be stored and are lost",
                          file=sys.stderr)  # fmt: skip
                return
            time.sleep(pause)
            pause = min(pause * 2, 5.0)

    def _finish_owned(self, status: RunStatus, details: dict[str, Any] | None) -> None:
        self._flush_before_exit()
        with self._lock:
            owned = list(self._owned.items())
            self._owned.clear()
        for run_id, finish in owned:
            try:
                retrying_backend(
                    functools.partial(finish, status, details), what=f"finish run {run_id}"
                )
            except RunlabError as error:
                print(f"runlab: could not finish run {run_id}: {error}", file=sys.stderr)

    def _at_exit(self) -> None:
        if self._pid != os.getpid():
            return
        if self._uncaught is not None:
            error = self._uncaught
            text = "".join(traceback.format_exception(error)).rstrip()
            self._finish_owned(
                RunStatus.FAILED,
                {"message": f"{type(error).__name__}: {error}", "traceback": text},
            )
        else:
            self._finish_owned(RunStatus.COMPLETED, None)

    def _on_sigterm(self, signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        self._finish_owned(RunStatus.CANCELED, {"message": f"the process was terminated ({name})"})
        # End the way the signal ends a process, so the parent sees the usual status.
        signal.signal(signum, signal.SIG_DFL)
        signal.raise_signal(signum)


def _termination_signals() -> list[signal.Signals]:
    """The signals that ask this process to end, where the platform has them: SIGTERM, and on
    Windows SIGBREAK (a ``CTRL_BREAK_EVENT`` to its process group, how a local job's cancel
    reaches it there). Interpreter exit is covered by ``atexit`` everywhere. (The same list as
    :func:`runlab.compute.processes.termination_signals`, kept here so that logging a metric
    never loads the compute layer.)"""
    return [getattr(signal, name) for name in ("SIGTERM", "SIGBREAK") if hasattr(signal, name)]


flusher = _Flusher()
"""The process's one metric flusher."""
