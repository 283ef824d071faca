"""Running many file copies at once, with progress, and saying which made it when one fails."""

from __future__ import annotations

import collections
import dataclasses
import threading
import time
from collections.abc import Callable, Sequence
from types import TracebackType

from runlab.data._copy import Advance
from runlab.errors import BackendError, RunlabError

__all__ = ["Copy", "TransferError", "TransferProgress", "run_copies"]

# The most threads a transfer grows to (see _GrowingPool): an object store's round trips hide
# behind many at once; a local disk stops gaining after a few per core.
REMOTE_WORKERS = 16
LOCAL_WORKERS = 8
_SHOWN = 3
# Small files share a thread's task, up to this many or this many bytes.
_BATCH_FILES = 32
_BATCH_BYTES = 8 * 1024 * 1024
# A batch that took longer than this, at more than _SLOW_FILE_S a file, starts more threads.
_GROW_AFTER_S = 0.002
_SLOW_FILE_S = 0.0002


class TransferError(BackendError):
    """An upload or download stopped part way.

    The files that made it are whole (each was written under a temporary name and renamed);
    the others were not written.

    Attributes:
        completed: the files copied whole, as the operation names them (paths in the
            datastore for an upload, relative paths for a download), sorted.
        failed: the file whose copy failed.
    """

    def __init__(self, message: str, completed: Sequence[str] = (), failed: str = "") -> None:
        super().__init__(message)
        self.completed = tuple(sorted(completed))
        self.failed = failed


@dataclasses.dataclass(frozen=True, slots=True)
class Copy:
    """One file to copy.

    Attributes:
        name: how messages name it.
        size: its size in bytes, for progress.
        run: does the copy, telling progress as bytes move; returns the sha256 or None.
    """

    name: str
    size: int
    run: Callable[[Advance], str | None]


class TransferProgress:
    """A Rich progress bar over bytes and files on standard error, or nothing.

    Safe to advance from many threads (Rich's progress takes its own lock). On a terminal it
    redraws as the copies go; in a Jupyter notebook it is an output that updates in place
    (:class:`runlab._progress.Progress`); into a pipe or a log it prints the final state once.
    """

    def __init__(self, show: bool, title: str, files: int, total_bytes: int) -> None:
        self._files = files
        self._done = 0
        self._lock = threading.Lock()
        self._progress = None
        self._task = None
        if show:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            from runlab._progress import Progress

            # Into a pipe or a log Rich would wrap the line at 80 columns; 120 keeps it one line.
            console = Console(stderr=True, highlight=False)
            if not console.is_terminal:
                console.width = max(console.width, 120)
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(bar_width=30),
                TextColumn("{task.fields[files]}"),
                DownloadColumn(binary_units=True),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=console,
            )
            self._task = self._progress.add_task(
                title, total=max(total_bytes, 1), files=self._files_text()
            )

    def _files_text(self) -> str:
        return f"{self._done}/{self._files} files"

    def __enter__(self) -> TransferProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            # The last frame drawn may be up to a refresh old: end on the final counts.
            self._progress.refresh()
            self._progress.stop()

    def advance(self, count: int) -> None:
        """Count ``count`` more bytes as moved."""
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, count)

    def file_done(self) -> None:
        """Count one more file as copied."""
        with self._lock:
            self._done += 1
            text = self._files_text()
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, files=text)


def _summary(names: Sequence[str]) -> str:
    shown = ", ".join(repr(name) for name in sorted(names)[:_SHOWN])
    more = f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
    return shown + more


def _batches(copies: Sequence[Copy], workers: int) -> list[list[int]]:
    """The copies' indices in batches, one thread task each: small files share a task (a task
    costs more than copying a 4 KiB file), big files get one each."""
    per_task = max(1, min(_BATCH_FILES, len(copies) // (workers * 4)))
    batches: list[list[int]] = []
    batch: list[int] = []
    batch_bytes = 0
    for index, copy in enumerate(copies):
        if batch and (len(batch) >= per_task or batch_bytes + copy.size > _BATCH_BYTES):
            batches.append(batch)
            batch, batch_bytes = [], 0
        batch.append(index)
        batch_bytes += copy.size
    if batch:
        batches.append(batch)
    return batches


class _GrowingPool:
    """Threads that take batches from a queue: one thread at first, twice as many each time a
    batch shows that files are slow to copy, up to ``limit``.

    A slow file (over :data:`_SLOW_FILE_S` on average) spends its time outside Python, where
    the GIL is free: in the kernel (a disk's journal), waiting on the network (an object
    store), or hashing a big file; more threads then overlap that time. A fast file is mostly
    a handful of short system calls, and threads that take the GIL back after each of them
    queue for it, so that several go slower together than one alone (on 2 cores, 1,000 4 KiB
    files took twice as long in 2 threads as in one).
    """

    def __init__(self, batches: list[list[int]], work: Callable[[list[int]], None], limit: int):
        self._pending = collections.deque(batches)
        self._work = work
        self._limit = limit
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.stop = threading.Event()

    def run(self) -> None:
        """Run every batch (or until :attr:`stop` is set) and wait for the threads."""
        try:
            with self._lock:
                self._start(1)
            joined = 0
            while True:
                with self._lock:
                    if joined == len(self._threads):
                        break
                    thread = self._threads[joined]
                thread.join()
                joined += 1
        finally:
            self.stop.set()
            for thread in list(self._threads):
                thread.join()

    def _start(self, count: int) -> None:
        for _ in range(count):
            thread = threading.Thread(target=self._loop, name="runlab-transfer", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _loop(self) -> None:
        while not self.stop.is_set():
            with self._lock:
                if not self._pending:
                    return
                batch = self._pending.popleft()
            started = time.perf_counter()
            self._work(batch)
            seconds = time.perf_counter() - started
            if seconds > _GROW_AFTER_S and seconds > _SLOW_FILE_S * len(batch):
                with self._lock:
                    room = min(self._limit, len(self._pending) + 1) - len(self._threads)
                    self._start(max(0, min(room, len(self._threads))))


def run_copies(
    copies: Sequence[Copy], *, what: str, progress: TransferProgress, workers: int
) -> list[str | None]:
    """Run the copies on up to ``workers`` threads and return their results in order.

    On the first failure no further copy starts; those under way finish. Ctrl-C does the
    same, then goes on as KeyboardInterrupt.

    Args:
        copies: what to copy.
        what: the operation for messages, e.g. ``"upload to datastore 'raw'"``.
        progress: where bytes and files are counted.
        workers: the most copies at once (:data:`LOCAL_WORKERS`, :data:`REMOTE_WORKERS`).

    Raises:
        TransferError: a copy failed; the message and ``completed`` say which made it.
    """
    results: list[str | None] = [None] * len(copies)
    completed: list[str] = []
    failures: list[tuple[Copy, BaseException]] = []
    lock = threading.Lock()

    def run_batch(indices: list[int]) -> None:
        for index in indices:
            if pool.stop.is_set():
                return
            copy = copies[index]
            try:
                results[index] = copy.run(progress.advance)
            except BaseException as error:  # reported by the calling thread, below
                with lock:
                    failures.append((copy, error))
                pool.stop.set()
                return
            with lock:
                completed.append(copy.name)
            progress.file_done()

    pool = _GrowingPool(_batches(copies, workers), run_batch, workers)
    pool.run()
    if not failures:
        return results
    failed, error = failures[0]
    reason = error.message if isinstance(error, RunlabError) else f"{type(error).__name__}: {error}"
    made_it = (
        f"{len(completed)} of {len(copies)} files made it whole ({_summary(completed)};"
        " TransferError.completed lists them)"
        if completed
        else f"none of the {len(copies)} files was written"
    )
    raise TransferError(
        f"{what} stopped at {failed.name!r}: {reason}. {made_it}; no other file was written",
        completed,
        failed.name,
    ) from error
