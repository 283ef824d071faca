"""Processes on this machine, on every platform: the one place runlab starts, reads and stops them.

Reading goes through psutil (a process's command line, environment, creation time, parent,
children), so it works on Linux, macOS and Windows alike. Starting and stopping a *tree* (a
detached job entry and everything it starts) has two paths:

* **process groups** (POSIX: Linux, macOS): :func:`start_detached` puts the child in a new
  session, so it leads its own process group; :func:`terminate_tree` sends SIGTERM to the
  whole group, then SIGKILL to what is left after a grace time. A group reaches grandchildren
  even after their parent has died.
* **the psutil tree** (Windows, and any POSIX system when ``RUNLAB_PLATFORM=generic``): the
  child is started in its own process group on Windows, on a console of its own that shows no
  window (``CREATE_NEW_PROCESS_GROUP | CREATE_NO_WINDOW``); stopping walks the live tree with
  psutil, asks each process to end (SIGTERM on POSIX; on Windows ``CTRL_BREAK_EVENT``, which
  reaches only a group on the sender's own console), then kills every process of the tree
  still alive after the grace time, including those seen earlier whose parent has died since.

Because a Windows canceller shares no console with a detached tree, the polite stop there
comes from inside the tree: the job entry watches for a stop request (a file the canceller
writes, see ``runlab.compute.local``) and passes it on to its script with :func:`interrupt`,
which on Windows is ``CTRL_BREAK_EVENT`` to the script's own group on the entry's console.

``RUNLAB_PLATFORM=generic`` forces the second path on POSIX, so CI on Linux exercises the
code Windows runs (only the Windows-only start flags and ``CTRL_BREAK_EVENT`` stay untested).

Zombies (ended, not yet reaped) count as gone everywhere: nothing runs in them any more. No
other module of runlab reads ``/proc``, sends a signal to another process or starts a
session; ``tests/compute/test_portability_scan.py`` checks that.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO

import psutil

__all__ = [
    "PLATFORM_VARIABLE",
    "can_fork",
    "child_creation_flags",
    "children",
    "fork_call",
    "interrupt",
    "kill",
    "parent_pid",
    "process_alive",
    "process_cmdline",
    "process_create_time",
    "process_environ",
    "processes",
    "signal_tree",
    "start_detached",
    "terminate",
    "terminate_tree",
    "termination_signals",
    "tree_alive",
    "uses_process_groups",
    "wait_exit_code",
    "wait_gone",
]

PLATFORM_VARIABLE = "RUNLAB_PLATFORM"
"""Set to ``generic`` to use only psutil's cross-platform calls (no process groups), as on
Windows; any other value, or none, picks the platform's own path."""

_WINDOWS = sys.platform == "win32"
_POLL_S = 0.05

_Gone = (psutil.NoSuchProcess, psutil.ZombieProcess)
_Unreadable = (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied, OSError)


def uses_process_groups() -> bool:
    """Whether trees are started and stopped as POSIX process groups here (not on Windows,
    nor with ``RUNLAB_PLATFORM=generic``)."""
    return not _WINDOWS and os.environ.get(PLATFORM_VARIABLE, "").lower() != "generic"


def termination_signals() -> tuple[int, ...]:
    """The signals by which a process is asked to end on this platform: SIGTERM, and on
    Windows also SIGBREAK (what ``CTRL_BREAK_EVENT`` to its group arrives as)."""
    found = (getattr(signal, name, None) for name in ("SIGTERM", "SIGBREAK"))
    return tuple(int(signum) for signum in found if signum is not None)


# -- reading -------------------------------------------------------------------------------


def processes() -> Iterator[int]:
    """The pids of every process on this machine."""
    yield from (int(pid) for pid in psutil.pids())


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except _Gone:
        return False
    except psutil.AccessDenied:
        return True  # another user's: it exists


def process_cmdline(pid: int) -> list[str] | None:
    """The command line of process ``pid``, or None when it is gone, a zombie, or not ours to
    read."""
    try:
        return [str(arg) for arg in psutil.Process(pid).cmdline()]
    except _Unreadable:
        return None


def process_environ(pid: int) -> dict[str, str] | None:
    """The environment process ``pid`` started with, or None when it is gone, a zombie, or
    not ours to read."""
    try:
        return {str(key): str(value) for key, value in psutil.Process(pid).environ().items()}
    except _Unreadable:
        return None


def process_create_time(pid: int) -> float | None:
    """When process ``pid`` started (seconds since the epoch), or None when there is none.

    With the pid it identifies a process for good: pids are reused, creation times not.
    """
    try:
        return float(psutil.Process(pid).create_time())
    except _Unreadable:
        return None


def parent_pid(pid: int) -> int | None:
    """The parent of process ``pid``, or None when it is gone."""
    try:
        return int(psutil.Process(pid).ppid())
    except _Unreadable:
        return None


def children(pid: int, recursive: bool = True) -> list[int]:
    """The live children of process ``pid`` (all its descendants when ``recursive``); empty
    when it is gone."""
    try:
        found = psutil.Process(pid).children(recursive=recursive)
    except _Unreadable:
        return []
    return [child.pid for child in found if process_alive(child.pid)]


def _tree(leader: int) -> list[int]:
    """``leader`` and its descendants that are alive."""
    return [pid for pid in (leader, *children(leader)) if process_alive(pid)]


def _group_members(pgid: int) -> list[int]:
    """The live processes of POSIX process group ``pgid``."""
    members = []
    for pid in psutil.pids():
        try:
            in_group = os.getpgid(pid) == pgid
        except OSError:
            continue
        if in_group and process_alive(pid):
            members.append(pid)
    return members


def tree_alive(leader: int) -> bool:
    """Whether anything :func:`start_detached` started as ``leader`` still runs: any process
    of its group with process groups, else the leader or one of its descendants."""
    if uses_process_groups():
        return bool(_group_members(leader))
    return bool(_tree(leader))


def wait_gone(pids: Iterable[int], timeout_s: float) -> list[int]:
    """Wait up to ``timeout_s`` for every one of ``pids`` to end; returns those still alive."""
    left = list(pids)
    deadline = time.monotonic() + timeout_s
    while True:
        left = [pid for pid in left if process_alive(pid)]
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(_POLL_S)


# -- starting ------------------------------------------------------------------------------


def start_detached(
    command: list[str],
    stdout: IO[bytes],
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``command`` detached from this process, leading a tree :func:`terminate_tree`
    stops whole: a new session (and process group) on POSIX, a new process group without a
    console on Windows. Its stdin is empty; its stdout and stderr go to ``stdout``.

    With ``RUNLAB_PLATFORM=generic`` on POSIX no session is made: the tree is found through
    psutil, as on Windows.

    Raises:
        OSError: the command cannot be started.
    """
    options: dict[str, object] = {}
    if _WINDOWS:
        # A console of its own (hidden), not DETACHED_PROCESS: CTRL_BREAK_EVENT needs one.
        options["creationflags"] = (
            subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.CREATE_NO_WINDOW  # type: ignore[attr-defined,unused-ignore]
        )
    elif uses_process_groups():
        options["start_new_session"] = True
    return subprocess.Popen(  # type: ignore[call-overload,no-any-return]
        command,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.STDOUT,
        close_fds=True,
        **options,
    )


def child_creation_flags() -> int:
    """``subprocess.Popen``'s ``creationflags`` for a child that :func:`interrupt` must reach
    politely: its own process group on Windows (so ``CTRL_BREAK_EVENT`` reaches it alone);
    0 elsewhere, where the child stays in its parent's group and tree."""
    if _WINDOWS:
        return int(subprocess.CREATE_NEW_PROCESS_GROUP)  # type: ignore[attr-defined,unused-ignore]
    return 0


# -- stopping ------------------------------------------------------------------------------


def interrupt(child: subprocess.Popen[bytes]) -> None:
    """Ask a child started with :func:`child_creation_flags` to end, the polite way its
    platform has: SIGTERM on POSIX, ``CTRL_BREAK_EVENT`` to its group on Windows (which
    Python turns into SIGBREAK, see :func:`termination_signals`). A child already gone is
    skipped."""
    if child.poll() is not None:
        return
    with contextlib.suppress(OSError):
        if _WINDOWS:
            child.send_signal(signal.CTRL_BREAK_EVENT)  # type: ignore[attr-defined,unused-ignore]
        else:
            child.terminate()


def _send(pids: Iterable[int], hard: bool) -> None:
    for pid in pids:
        with contextlib.suppress(*_Unreadable):
            process = psutil.Process(pid)
            process.kill() if hard else process.terminate()


def terminate(pids: Iterable[int]) -> None:
    """Ask each of ``pids`` to end (SIGTERM on POSIX; on Windows, where no polite signal
    reaches a single process, this ends it at once). Gone or foreign ones are skipped."""
    _send(pids, hard=False)


def kill(pids: Iterable[int]) -> None:
    """End each of ``pids`` at once (SIGKILL on POSIX, ``TerminateProcess`` on Windows).
    Gone or foreign ones are skipped."""
    _send(pids, hard=True)


def _ask_tree_to_end(leader: int) -> list[int]:
    """The polite stop to ``leader``'s tree; returns the pids seen in it (empty with process
    groups, which need no list)."""
    if uses_process_groups():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(leader, signal.SIGTERM)
        return []
    seen = _tree(leader)
    if _WINDOWS:
        with contextlib.suppress(OSError):  # reaches the group where it shares our console
            os.kill(leader, signal.CTRL_BREAK_EVENT)  # type: ignore[attr-defined,unused-ignore]
    else:
        terminate(seen)
    return seen


def _kill_tree(leader: int, seen: list[int]) -> list[int]:
    """Kill what is left of ``leader``'s tree; returns the pids to wait for."""
    if uses_process_groups():
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(leader, signal.SIGKILL)
        return []
    left = sorted({*seen, *_tree(leader)})
    kill(left)
    return left


def terminate_tree(leader: int, grace_s: float, kill_wait_s: float = 5.0) -> bool:
    """Stop everything :func:`start_detached` started as ``leader``: ask it to end, wait up
    to ``grace_s``, then kill what is left and wait up to ``kill_wait_s``.

    Args:
        leader: the pid :func:`start_detached` returned.
        grace_s: how long the tree has to end after the polite signal.
        kill_wait_s: how long to wait for killed processes to be gone.

    Returns:
        Whether the whole tree is gone.
    """
    seen = _ask_tree_to_end(leader)
    if _tree_gone(leader, seen, grace_s):
        return True
    seen = _kill_tree(leader, seen)
    return _tree_gone(leader, seen, kill_wait_s)


def _tree_gone(leader: int, seen: list[int], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while True:
        if not tree_alive(leader) and not any(process_alive(pid) for pid in seen):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(_POLL_S)


def signal_tree(leader: int) -> None:
    """The polite stop alone (see :func:`terminate_tree`), for a caller that waits itself."""
    _ask_tree_to_end(leader)


# -- forking (warm workers) ----------------------------------------------------------------


def can_fork() -> bool:
    """Whether :func:`fork_call` works here (POSIX; not on Windows, nor with
    ``RUNLAB_PLATFORM=generic``, where warm workers start a fresh interpreter per run)."""
    return hasattr(os, "fork") and uses_process_groups()


def fork_call(function: Callable[[], int]) -> int:
    """Run ``function`` in a forked copy of this process and return the copy's pid at once.

    The copy ends with ``function``'s return value as its exit status, without running this
    process's exit handlers (``os._exit``); an exception escaping ``function`` ends it with
    status 1 after printing the traceback to its stderr. Reap it with :func:`wait_exit_code`.
    Fork from a process with no other threads running.

    Raises:
        OSError: the fork failed, or forking is not possible here (see :func:`can_fork`).
    """
    if not can_fork():
        raise OSError("this platform cannot fork a process")
    pid = os.fork()
    if pid != 0:
        return pid
    status = 1
    try:
        status = function()
    except BaseException:  # the copy must end here whatever happens
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(status)


def wait_exit_code(pid: int) -> int:
    """Wait for this process's child ``pid`` to end and return its exit code (minus the
    signal's number when a signal ended it, as ``subprocess`` reports)."""
    _pid, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)
