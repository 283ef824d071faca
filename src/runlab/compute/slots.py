"""The queue of local jobs: N slots, each a file lock, shared by every workspace here."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType

import filelock

from runlab.compute.local import job_root

__all__ = ["LocalSlot"]

POLL_S = 0.2


class LocalSlot:
    """Hold one of ``count`` machine-wide job slots while in the ``with`` block.

    Waiting polls the slots, calling ``check`` between tries so a canceled job stops
    waiting. A ``count`` of 0 means no limit (the target schedules jobs itself). A slot is
    released when its holder exits or dies, since the operating system drops the lock.

    Args:
        count: how many jobs may run at once.
        check: called while waiting; raise from it to stop waiting.
    """

    def __init__(self, count: int, check: Callable[[], None]) -> None:
        self._count = count
        self._check = check
        self._lock: filelock.BaseFileLock | None = None

    def __enter__(self) -> LocalSlot:
        if self._count <= 0:
            return self
        folder = job_root() / "slots"
        folder.mkdir(parents=True, exist_ok=True)
        locks = [filelock.FileLock(folder / f"slot-{index}.lock") for index in range(self._count)]
        while True:
            for lock in locks:
                try:
                    lock.acquire(timeout=0)
                except filelock.Timeout:
                    continue
                self._lock = lock
                return self
            self._check()
            time.sleep(POLL_S)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None
