"""Reading processes on this machine from ``/proc``: the one place that parses it.

Zombies (ended, not yet reaped) count as gone everywhere: nothing runs in them any more.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["group_alive", "process_alive", "process_stat", "processes"]

_PROC = Path("/proc")


def process_stat(pid: int | str) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (state first, then the
    parent pid, the process group, ...), or None when there is no such process."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces or parentheses itself.
    return stat[stat.rfind(")") + 2 :].split()


def processes() -> Iterator[int]:
    """The pids of every process on this machine."""
    for entry in _PROC.iterdir():
        if entry.name.isdigit():
            yield int(entry.name)


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    fields = process_stat(pid)
    return fields is not None and fields[0] != "Z"


def group_alive(pgid: int) -> bool:
    """Whether any process of group ``pgid`` still runs."""
    if not _PROC.is_dir():  # not Linux: ask the kernel, zombies included
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    for pid in processes():
        fields = process_stat(pid)
        if fields is not None and fields[0] != "Z" and int(fields[2]) == pgid:
            return True
    return False
