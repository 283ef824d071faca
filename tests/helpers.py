"""Helpers that test modules import by name: waiting for a condition, and a fresh workspace.

pytest puts this folder on ``sys.path`` (it holds the top-level ``conftest.py`` and no
``__init__.py``), so any test module imports these as ``from helpers import eventually``,
as the server tests import ``serving``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from runlab import Workspace

__all__ = ["DEFAULT_TIMEOUT_S", "eventually", "fresh_workspace"]

T = TypeVar("T")

DEFAULT_TIMEOUT_S = 60.0
"""How long :func:`eventually` waits unless told: generous, since it only costs time when a
test is failing anyway, and two busy cores can stall a healthy process for seconds."""

_UNSEEN = object()


def eventually(
    condition: Callable[[], T],
    *,
    until: Callable[[T], object] = bool,
    timeout: float = DEFAULT_TIMEOUT_S,
    interval: float = 0.05,
    message: str | None = None,
    ignoring: tuple[type[BaseException], ...] = (),
) -> T:
    """Call ``condition`` until ``until`` holds for what it returns, and return that value.

    The condition is called at least once, and once more after the deadline, so a slow
    machine never fails a test whose condition holds by the time it is looked at.

    Args:
        condition: what to look at, e.g. ``run.get_status`` or ``lambda: pids.exists()``.
            An exception it raises ends the wait at once (an ``assert`` in it fails the test
            early, e.g. when the awaited process has died), unless listed in ``ignoring``.
        until: when the value is the awaited one; by default, when it is truthy.
        timeout: seconds to wait before failing.
        interval: seconds between two looks.
        message: what is awaited, for the failure, e.g. ``"the run to start"``.
        ignoring: exceptions that mean "not yet" (e.g. a server that does not answer yet).

    Returns:
        The value of ``condition`` that satisfied ``until``.

    Raises:
        AssertionError: after ``timeout`` seconds, saying what was awaited and the last value
            (or ignored exception) seen.

    Example:
        >>> eventually(run.get_status, until=lambda s: s == "Running", message="the start")
        'Running'
    """
    deadline = time.monotonic() + timeout
    last: Any = _UNSEEN
    while True:
        try:
            value = condition()
        except ignoring as error:
            last = error
        else:
            if until(value):
                return value
            last = value
        if time.monotonic() >= deadline:
            awaited = message or getattr(condition, "__qualname__", repr(condition))
            raise AssertionError(f"waited {timeout:g} s for {awaited}; last seen: {last!r}")
        time.sleep(interval)


@contextmanager
def fresh_workspace(folder: Path, name: str = "test") -> Iterator[Workspace]:
    """A new SQLite workspace in ``folder`` (which must not hold one), closed afterwards.

    The ``workspace`` fixture of ``tests/conftest.py`` is this in ``tmp_path / "ws"``; a
    fixture of another scope (say, a module's) opens its own with it.
    """
    workspace = Workspace.create(name, path=folder)
    try:
        yield workspace
    finally:
        workspace.close()
