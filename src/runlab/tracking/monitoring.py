"""Watching a run from outside: follow its log, wait for its end, print its summary."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TextIO

from runlab.entities import DRIVER_LOG, RunStatus
from runlab.errors import JobFailedError, NotFoundError

if TYPE_CHECKING:
    from runlab.tracking.run import Run

__all__ = ["DRIVER_LOG", "follow_log", "wait_for_completion"]

POLL_S = 0.5


def follow_log(
    run: Run, name: str = DRIVER_LOG, *, follow: bool = True, poll_s: float = POLL_S
) -> Iterator[str]:
    """The text of the run's log file ``name`` as it grows.

    Yields each new piece as it appears; with ``follow`` it keeps going until the run has
    ended and everything was read, otherwise it yields what is there now and stops.
    """
    offset = 0
    while True:
        ended = RunStatus(run.get_status()).is_terminal
        try:
            data = run._files.read_bytes(name)
        except NotFoundError:
            data = b""
        if len(data) > offset:
            # Only whole lines, so a line is never split between two pieces.
            end = len(data) if ended or not follow else data.rfind(b"\n", offset) + 1
            if end > offset:
                yield data[offset:end].decode("utf-8", errors="replace")
                offset = end
        if not follow or (ended and offset >= len(data)):
            return
        time.sleep(poll_s)


def summary(details: dict[str, Any]) -> str:
    """The execution summary ``wait_for_completion(show_output=True)`` prints at the end."""
    lines = [
        "",
        "Execution Summary",
        "=================",
        f"RunId: {details['runId']}",
        f"Status: {details['status']}",
        f"Started: {details['startTimeUtc']}",
        f"Ended: {details['endTimeUtc']}",
    ]
    error = details.get("error", {}).get("error")
    if error:
        lines.append(f"Error: {error.get('message', '')}")
        if error.get("stderr_tail"):
            lines += ["stderr (last lines):", error["stderr_tail"]]
    return "\n".join(lines) + "\n"


def wait_for_completion(
    run: Run,
    show_output: bool = False,
    raise_on_error: bool = True,
    *,
    out: TextIO | None = None,
    poll_s: float = POLL_S,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Wait until the run has ended; see :meth:`runlab.Run.wait_for_completion`."""
    stream = out or sys.stdout
    if show_output:
        print(f"RunId: {run.id}", file=stream)
        for piece in follow_log(run, poll_s=poll_s):
            stream.write(piece)
            stream.flush()
    else:
        while not RunStatus(run.get_status()).is_terminal:
            sleep(poll_s)
    details = run.get_details()
    if show_output:
        stream.write(summary(details))
        stream.flush()
    if raise_on_error and details["status"] == RunStatus.FAILED.value:
        error = details.get("error", {}).get("error", {})
        raise JobFailedError(
            f"run {run.id} failed: {error.get('message', 'no details')}", details=details
        )
    return details
