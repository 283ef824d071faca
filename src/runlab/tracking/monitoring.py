"""Watching a run from outside: follow its log, wait for its end, print its summary."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TextIO

from runlab.entities import DRIVER_LOG, RunStatus
from runlab.errors import JobFailedError, NotFoundError
from runlab.tracking.files import RunFiles

if TYPE_CHECKING:
    from runlab.artifacts import ArtifactStore
    from runlab.tracking.run import Run

__all__ = ["DRIVER_LOG", "follow_log", "read_log_from", "wait_for_completion"]

POLL_S = 0.5


LONG_LINE_BYTES = 64 * 1024
"""A line still unfinished after this many bytes is passed on in pieces, cut between characters."""


def read_log_from(
    artifacts: ArtifactStore, run_id: str, name: str, offset: int, *, ended: bool = False
) -> tuple[str, int]:
    """Read the run's log file ``name`` from byte ``offset`` on: the new text and the next offset.

    This is the one way runlab follows a log (``wait_for_completion(show_output=True)``,
    ``runlab run logs -f``, the web UI and ``RunDetails``): it reads only the bytes from
    ``offset`` to the end (:meth:`ArtifactStore.get_bytes` with a range), so following a log
    costs about its size in all, however often it is polled.

    While the run goes on (``ended`` false) only whole lines are returned, and the next offset
    is just after the last newline read; a line longer than :data:`LONG_LINE_BYTES` is
    returned in pieces cut between UTF-8 characters. Once the run has ended everything up to
    the end is returned, a cut character as U+FFFD. A negative ``offset`` asks for the last
    ``-offset`` bytes, starting at the first whole line in them (a tail).

    Args:
        artifacts: the workspace's artifact store.
        run_id: the run.
        name: the log, relative to the run, e.g. ``"logs/driver.log"``.
        offset: the byte to read from (the previous call's next offset, 0 at first), or a
            negative number for a tail.
        ended: whether the run has ended, so the log is complete.

    Returns:
        ``(text, next_offset)``; ``("", offset)`` when nothing is new or the log is missing.

    Raises:
        ValidationError: if ``name`` is not a safe relative path.
        BackendError: if the artifact store fails.

    Example:
        >>> log = "logs/driver.log"
        >>> text, offset = read_log_from(artifacts, run_id, log, 0)  # doctest: +SKIP
        >>> more, offset = read_log_from(artifacts, run_id, log, offset)  # doctest: +SKIP
    """
    key = RunFiles(artifacts, run_id).key(name)
    start, skip_to_line = offset, False
    try:
        if offset < 0:
            start = max(artifacts.size(key) + offset, 0)
            skip_to_line = start > 0
        data = artifacts.get_bytes(key, start)
    except NotFoundError:
        return "", max(offset, 0)
    if skip_to_line:
        # A tail starts with the first line that begins inside it.
        first_line = data.find(b"\n") + 1
        skip = first_line if first_line else _character_start(data)
        data, start = data[skip:], start + skip
    if ended:
        end = len(data)
    else:
        end = data.rfind(b"\n") + 1
        if not end and len(data) >= LONG_LINE_BYTES:
            end = _complete_characters(data)
    return data[:end].decode("utf-8", errors="replace"), start + end


def _complete_characters(data: bytes) -> int:
    """How many bytes at the start of ``data`` hold whole UTF-8 characters: all of it, less a
    sequence cut at the end."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 != 0x80:  # the first byte of a character
            length = (
                1 if byte < 0x80 else 2 if byte >> 5 == 0b110 else 3 if byte >> 4 == 0b1110 else 4
            )
            return len(data) if back >= length else len(data) - back
    return len(data)


def _character_start(data: bytes) -> int:
    """Where the first character begins in ``data`` (past continuation bytes of a cut one)."""
    for index, byte in enumerate(data[:4]):
        if byte & 0xC0 != 0x80:
            return index
    return 0


def follow_log(
    run: Run, name: str = DRIVER_LOG, *, follow: bool = True, poll_s: float = POLL_S
) -> Iterator[str]:
    """The text of the run's log file ``name`` as it grows, read with :func:`read_log_from`.

    Yields each new piece as it appears; with ``follow`` it keeps going until the run has
    ended and everything was read, otherwise it yields what is there now and stops.
    """
    artifacts = run.experiment.workspace.artifacts
    offset = 0
    while True:
        # The entry uploads the last of the log before it sets the final state, so the log
        # is complete once the state read before the read is terminal.
        ended = RunStatus(run.get_status()).is_terminal
        text, offset = read_log_from(artifacts, run.id, name, offset, ended=ended or not follow)
        if text:
            yield text
        if not follow or ended:
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
