"""What ``RunDetails`` shows of a run, read at one moment, and the plain-text view of it."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from runlab.entities import (
    DRIVER_LOG,
    LOGS_DIR,
    last_values,
    numeric_histories,
    param_name,
    run_file_key,
    run_prefix,
)
from runlab.tracking.monitoring import read_log_from

if TYPE_CHECKING:
    from runlab.tracking import Run

__all__ = [
    "FIRST_INTERVAL_S",
    "LAST_INTERVAL_S",
    "LOG_TAIL_BYTES",
    "LOG_TAIL_LINES",
    "RunSnapshot",
    "refresh_interval",
    "take_snapshot",
    "text_view",
]

FIRST_INTERVAL_S = 5.0
LAST_INTERVAL_S = 60.0
EASE_OVER_S = 3600.0
LOG_TAIL_LINES = 20
LOG_TAIL_BYTES = 64 * 1024
"""How much of the log's end the first snapshot reads for its last lines."""


def refresh_interval(elapsed_s: float) -> float:
    """Seconds until the next refresh after watching for ``elapsed_s``: 5 s at first,
    easing linearly to 60 s over an hour, then 60 s (as the Azure ML SDK's widget did)."""
    share = min(max(elapsed_s, 0.0) / EASE_OVER_S, 1.0)
    return FIRST_INTERVAL_S + (LAST_INTERVAL_S - FIRST_INTERVAL_S) * share


@dataclasses.dataclass(frozen=True)
class RunSnapshot:
    """A run as ``RunDetails`` shows it.

    Attributes:
        run_id: the run's id.
        display_name: its name for people.
        status: its state, e.g. ``"Running"``.
        terminal: whether that state is final (refreshing stops).
        duration_s: seconds it has been running, or None before it started.
        metrics: each numeric scalar metric's ``(steps, values)``; values that are not
            finite numbers are None.
        last_values: the last logged value of every metric, whatever its kind.
        log_tail: the last lines of ``logs/driver.log`` ("" without one).
        children: ``(run_id, display_name, status)`` of each child run.
        tags: the run's tags.
        parameters: its ``param.*`` properties, by parameter name.
        properties: its other properties.
        logs: the run's log files (``logs/...``), for the log picker.
        log_offset: how far ``logs/driver.log`` was read, for the next snapshot to read on
            from (:func:`runlab.tracking.monitoring.read_log_from`).
    """

    run_id: str
    display_name: str
    status: str
    terminal: bool
    duration_s: float | None
    metrics: dict[str, tuple[list[int], list[float | None]]]
    last_values: dict[str, Any]
    log_tail: str
    children: list[tuple[str, str, str]]
    log_offset: int = 0
    tags: dict[str, str] = dataclasses.field(default_factory=dict)
    parameters: dict[str, str] = dataclasses.field(default_factory=dict)
    properties: dict[str, str] = dataclasses.field(default_factory=dict)
    logs: list[str] = dataclasses.field(default_factory=list)


def take_snapshot(
    run: Run, log_lines: int = LOG_TAIL_LINES, previous: RunSnapshot | None = None
) -> RunSnapshot:
    """Read the run's state, metrics, log tail and children now.

    What this process logged to the run and has not yet written is flushed first. The log is
    read from where ``previous`` (an earlier snapshot of the same run) stopped, or its last
    :data:`LOG_TAIL_BYTES` at first, so refreshing costs what the log grew, not its size.

    Raises:
        NotFoundError: the run no longer exists.
    """
    run.flush()
    workspace = run.experiment.workspace
    record = workspace.store.get_run(run.id)
    histories = dict(sorted(workspace.store.get_metric_histories(run.id).items()))
    metrics = {
        name: (history.steps, history.values)
        for name, history in numeric_histories(histories).items()
    }
    if previous is not None and previous.run_id == record.run_id:
        offset, before = previous.log_offset, previous.log_tail
    else:
        offset, before = -LOG_TAIL_BYTES, ""
    new_text, log_offset = read_log_from(
        workspace.artifacts, run.id, DRIVER_LOG, offset, ended=record.status.is_terminal
    )
    lines = (before + "\n" + new_text if before and new_text else before or new_text).splitlines()
    tail = "\n".join(lines[-log_lines:])
    children = [
        (child.run_id, child.display_name, child.status.value)
        for child in workspace.store.search_runs(parent_run_id=run.id, order_by="created_time asc")
    ]
    parameters = {
        name: value
        for key, value in sorted(record.properties.items())
        if (name := param_name(key)) is not None
    }
    logs_prefix = run_file_key(run.id, LOGS_DIR)
    logs = [key[len(run_prefix(run.id)) :] for key in workspace.artifacts.list_files(logs_prefix)]
    return RunSnapshot(
        tags=dict(sorted(record.tags.items())),
        parameters=parameters,
        properties={
            key: value
            for key, value in sorted(record.properties.items())
            if param_name(key) is None
        },
        logs=logs,
        run_id=record.run_id,
        display_name=record.display_name,
        status=record.status.value,
        terminal=record.status.is_terminal,
        duration_s=record.duration(),
        metrics=metrics,
        last_values=last_values(histories),
        log_tail=tail,
        children=children,
        log_offset=log_offset,
    )


def format_duration(seconds: float | None) -> str:
    """``1h 02m 03s``, ``2m 05s``, ``4.2s``, or ``"-"`` before the run started."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.1f}s"
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


def text_view(snapshot: RunSnapshot) -> str:
    """The snapshot as text, for a terminal (what ``show()`` prints outside a notebook)."""
    lines = [
        f"Run {snapshot.display_name} ({snapshot.run_id})",
        f"Status: {snapshot.status}",
        f"Duration: {format_duration(snapshot.duration_s)}",
        "",
        "Metrics:" if snapshot.last_values else "Metrics: none yet",
    ]
    width = max((len(name) for name in snapshot.last_values), default=0)
    for name, value in snapshot.last_values.items():
        count = len(snapshot.metrics[name][0]) if name in snapshot.metrics else None
        points = f"  ({count} points)" if count and count > 1 else ""
        lines.append(f"  {name.ljust(width)}  {value!r}{points}")
    if snapshot.children:
        lines += ["", "Child runs:"]
        lines += [f"  {name} ({run_id}): {status}" for run_id, name, status in snapshot.children]
    if snapshot.log_tail:
        lines += ["", f"Log ({DRIVER_LOG}, last lines):", snapshot.log_tail]
    return "\n".join(lines) + "\n"
