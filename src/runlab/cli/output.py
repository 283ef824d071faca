"""Rich helpers shared by the commands: consoles, tables, and how times, durations, sizes,
statuses and metric values are shown."""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from rich import box
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from runlab.entities import RunStatus

__all__ = [
    "console",
    "data_table",
    "error_console",
    "format_duration",
    "format_short_time",
    "format_size",
    "format_status",
    "format_time",
    "format_value",
    "heading",
    "key_value_table",
    "print_error",
    "say",
]

_STATUS_STYLES = {
    RunStatus.COMPLETED: "green",
    RunStatus.FAILED: "bold red",
    RunStatus.CANCELED: "yellow",
    RunStatus.RUNNING: "cyan",
    RunStatus.FINALIZING: "cyan",
}
_VALUE_WIDTH = 60
_PIPE_WIDTH = 200


def console() -> Console:
    """A console on standard output.

    A new one per call, so it follows whatever ``sys.stdout`` is now (a terminal, a pipe, a
    test runner's buffer) and picks colours for that stream, not the one seen at import.
    Automatic highlighting is off: it would colour numbers inside user data at random.

    Into a pipe or a file (and with no ``COLUMNS`` set) tables may be 200 columns wide rather
    than Rich's 80, so ``runlab run list | grep ...`` sees whole rows.
    """
    piped = "COLUMNS" not in os.environ and not _isatty(sys.stdout)
    return Console(highlight=False, width=_PIPE_WIDTH if piped else None)


def _isatty(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except ValueError:  # a closed stream
        return False


def error_console() -> Console:
    """A console on standard error (see :func:`console`)."""
    return Console(stderr=True, highlight=False)


def say(message: str | Text) -> None:
    """Print a message line on standard output, as it is: no markup, never wrapped.

    People copy paths, ids and commands out of these lines, so a line break inside one would
    break it; the terminal wraps long lines visually anyway.
    """
    console().print(message, markup=False, soft_wrap=True)


def print_error(message: str) -> None:
    """Print ``Error: <message>`` on standard error as exactly one line.

    Newlines in the message are folded into spaces and Rich's wrapping is off, so scripts can
    rely on one line per error whatever the terminal width.
    """
    line = " ".join(message.split("\n"))
    text = Text.assemble(("Error:", "bold red"), " ", line)
    error_console().print(text, soft_wrap=True)


def format_time(timestamp: float | None, *, seconds: bool = False) -> str:
    """Seconds since the epoch as local time (``2024-05-01 12:34``), or ``-``.

    Minutes are precise enough to tell runs apart at a glance; ``runlab run show`` gives
    seconds (``seconds=True``).
    """
    if timestamp is None:
        return "-"
    pattern = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    return datetime.fromtimestamp(timestamp).strftime(pattern)


def format_short_time(timestamp: float | None) -> str:
    """Seconds since the epoch as ``ls -l`` shows them: ``Nov 26 23:09`` within the current
    year, ``Nov 26  2024`` before it, or ``-``. Short, for columns in lists."""
    if timestamp is None:
        return "-"
    moment = datetime.fromtimestamp(timestamp)
    if moment.year == datetime.now().year:
        return moment.strftime("%b %d %H:%M")
    return moment.strftime("%b %d  %Y")


def format_duration(seconds: float | None) -> str:
    """A duration for people: ``0.42s``, ``12s``, ``3m 05s``, ``2h 01m``, ``1d 03h``, or ``-``."""
    if seconds is None or seconds < 0 or math.isnan(seconds):
        return "-"
    if seconds < 10:
        return f"{seconds:.2f}s"
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours:02d}h"


def format_status(status: RunStatus | str) -> Text:
    """A run status, coloured by what it means (green done, red failed, ...)."""
    parsed = RunStatus.parse(status)
    return Text(parsed.value, style=_STATUS_STYLES.get(parsed, "blue"))


def format_size(size: int) -> str:
    """A size in bytes for people: ``512 B``, ``1.5 KiB``, ``3.2 MiB``."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover - the loop always returns


def format_value(value: Any) -> str:
    """A metric value in one short line: numbers to 6 significant digits, collections as
    compact JSON cut at 60 characters."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, separators=(", ", ": "), allow_nan=True, default=str)
    return text if len(text) <= _VALUE_WIDTH else text[: _VALUE_WIDTH - 1] + "…"


def key_value_table(
    rows: Iterable[tuple[str, RenderableType | str | None]], title: str | None = None
) -> Table:
    """A two-column table of names and values, as ``runlab workspace show`` prints.

    Plain strings are shown as they are (never read as Rich markup, since they are user
    data); long values fold onto the next line instead of being cut.
    """
    table = Table(title=title, show_header=False, title_justify="left", box=None, padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for name, value in rows:
        if value is None or isinstance(value, str):
            table.add_row(name, Text("-" if value is None else value))
        else:
            table.add_row(name, value)
    return table


def data_table(columns: Sequence[str]) -> Table:
    """An empty table with these column headers, for lists of things (runs, metrics, files).

    A line under the header and no borders leave room for ids and times in 80 columns; print
    a title with :func:`heading` (a table's own title would wrap at the table's width).
    """
    # Right padding only: with the box's blank divider that leaves two spaces between columns.
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 1, 0, 0))
    for column in columns:
        table.add_column(column)
    return table


def heading(text: str) -> None:
    """Print a bold title line above a table."""
    say(Text(text, style="bold"))
