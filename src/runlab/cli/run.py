"""``runlab run ...``: list runs, look at one, its metrics and files, download its files."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Group, RenderableType
from rich.text import Text

from runlab.cli.options import WorkspaceOption, open_workspace
from runlab.cli.output import (
    console,
    data_table,
    format_duration,
    format_short_time,
    format_size,
    format_status,
    format_time,
    format_value,
    heading,
    key_value_table,
    say,
)
from runlab.entities import MetricHistory, MetricKind, RunStatus, last_values, run_file_key
from runlab.errors import NotFoundError
from runlab.tracking import Run

__all__ = ["run_app"]

run_app = typer.Typer(help="Runs: list them, look at one, get its files.", no_args_is_help=True)

_MIN_NAME_WIDTH = 8

RunIdArgument = Annotated[str, typer.Argument(help="The run's id (see `runlab run list`).")]


@run_app.command("list")
def list_runs(
    ctx: typer.Context,
    experiment: Annotated[
        str | None,
        typer.Option(
            "--experiment", "-e", help="Only runs of this experiment.", show_default=False
        ),
    ] = None,
    status: Annotated[
        RunStatus | None,
        typer.Option(
            "--status",
            "-s",
            help=f"Only runs in this state: {', '.join(status.value for status in RunStatus)}.",
            metavar="STATUS",
            case_sensitive=False,
            show_default=False,
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", min=0, help="Show at most N runs, newest first; 0: all.")
    ] = 50,
    run_filter: Annotated[
        str | None,
        typer.Option(
            "--filter",
            "-f",
            help="Only runs matching this filter (MLflow's search grammar), e.g."
            " \"params.lr = '0.1' AND metrics.acc > 0.9\".",
            show_default=False,
        ),
    ] = None,
    order_by: Annotated[
        str | None,
        typer.Option(
            "--order-by",
            help="Sort by these keys, e.g. 'metrics.acc DESC' (default: newest first).",
            show_default=False,
        ),
    ] = None,
    workspace_path: WorkspaceOption = None,
) -> None:
    """List runs, newest first (or as --order-by says)."""
    workspace = open_workspace(ctx, workspace_path)
    # The store directly, not Run objects: one query, fast on workspaces with many runs.
    records = workspace.store.search_runs(
        experiment_name=experiment,
        statuses=None if status is None else [status],
        query=run_filter,
        order_by=order_by or "created_time desc",
        limit=limit or None,
    )
    out = console()
    if not records:
        say("No runs match." if experiment or status or run_filter else "No runs yet.")
        return
    headers = ["Run id", "Experiment", "#", "Status", "Started", "Duration"]
    rows = [
        [
            record.run_id,
            record.experiment_name,
            str(record.number),
            record.status.value,
            format_short_time(record.start_time),
            format_duration(record.duration()),
        ]
        for record in records
    ]
    # Nothing but the display name may wrap or be cut: a cut id could not be pasted into
    # `runlab run show`. Display names come last, get what the terminal width leaves, and are
    # left out when a run has none or there is no room (`runlab run show` has them).
    fixed_width = sum(
        max(len(header), *(len(row[index]) for row in rows)) + 2
        for index, header in enumerate(headers)
    )
    room = out.width - fixed_width
    named = {r.run_id: r.display_name for r in records if r.display_name != r.run_id}
    show_names = bool(named) and room >= _MIN_NAME_WIDTH
    table = data_table([*headers, "Display name"] if show_names else headers)
    for column in table.columns:
        column.no_wrap = True
    table.columns[0].min_width = max(len(record.run_id) for record in records)
    table.columns[2].justify = "right"
    table.columns[5].justify = "right"
    if show_names:
        table.columns[-1].max_width = room
    for record, row in zip(records, rows, strict=True):
        cells: list[RenderableType] = [Text(cell) for cell in row]
        cells[3] = format_status(record.status)
        if show_names:
            cells.append(Text(named.get(record.run_id, "")))
        table.add_row(*cells)
    if limit and len(records) == limit:
        runs = "run" if limit == 1 else f"{limit} runs"
        table.caption = f"the newest {runs}; --limit N shows more, --limit 0 all"
    out.print(table)


@run_app.command("show")
def show_run(
    ctx: typer.Context, run_id: RunIdArgument, workspace_path: WorkspaceOption = None
) -> None:
    """Show a run: its state and times, tags, properties, error, and last metric values."""
    workspace = open_workspace(ctx, workspace_path)
    run = Run.get(workspace, run_id)
    details = run.get_details()
    # The times from the record, not reparsed from the details' ISO strings.
    record = workspace.store.get_run(run.id)
    out = console()
    out.print(
        key_value_table(
            [
                ("Run id", details["runId"]),
                ("Experiment", details["experimentName"]),
                ("Display name", details["displayName"]),
                ("Number", str(details["runNumber"])),
                ("Status", format_status(details["status"])),
                ("Target", details["target"]),
                ("Parent run", details["parentRunId"]),
                ("Created", format_time(record.created_time, seconds=True)),
                ("Started", format_time(record.start_time, seconds=True)),
                ("Ended", format_time(record.end_time, seconds=True)),
                ("Duration", format_duration(record.duration())),
            ],
            title=f"Run {run_id}",
        )
    )
    for title, values in (("Tags", details["tags"]), ("Properties", details["properties"])):
        if values:
            out.print()
            out.print(key_value_table(sorted(values.items()), title=title))
    error = details.get("error", {}).get("error")
    if error:
        out.print()
        out.print(
            key_value_table(
                [(key, Text(str(value), style="red")) for key, value in error.items()],
                title="Error",
            )
        )
    metrics = last_values(workspace.store.get_metric_histories(run.id))
    if metrics:
        out.print()
        out.print(
            key_value_table(
                [(name, format_value(value)) for name, value in metrics.items()],
                title="Metrics (last value)",
            )
        )
    if details["logFiles"]:
        out.print()
        out.print(Group(Text("Log files", style="italic"), *map(Text, details["logFiles"])))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _min_max(history: MetricHistory) -> tuple[str, str]:
    """The smallest and largest numbers of a scalar metric (NaN aside), or blanks."""
    if history.kind is not MetricKind.SCALAR:
        return "", ""
    numbers = [value for value in history.values if _is_number(value)]
    if not numbers:
        return "", ""
    comparable = [value for value in numbers if not math.isnan(value)]
    if not comparable:
        return "nan", "nan"
    return format_value(min(comparable)), format_value(max(comparable))


@run_app.command("metrics")
def show_metrics(
    ctx: typer.Context,
    run_id: RunIdArgument,
    name: Annotated[
        str | None,
        typer.Option("--name", help="Only this metric.", show_default=False),
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print every value as JSON, as Run.get_metrics() returns it."),
    ] = False,
    workspace_path: WorkspaceOption = None,
) -> None:
    """Show a run's metrics: last value, number of points, and min/max of numbers."""
    workspace = open_workspace(ctx, workspace_path)
    run = Run.get(workspace, run_id)
    histories = workspace.store.get_metric_histories(run.id, name)
    if name is not None and not histories:
        raise NotFoundError(f"run {run_id!r} has no metric {name!r}")
    if as_json:
        # Plain print, not Rich: the output is for programs, and Rich would wrap and colour it.
        # NaN and infinities come out as Python's json writes them (NaN, Infinity).
        typer.echo(json.dumps(run.get_metrics(name), indent=2, allow_nan=True))
        return
    out = console()
    if not histories:
        say(f"Run {run_id} has no metrics yet.")
        return
    heading(f"Metrics of run {run_id}")
    table = data_table(["Metric", "Kind", "Last", "Points", "Min", "Max"])
    for column in table.columns[2:]:
        column.justify = "right"
    last = last_values(histories)
    for metric_name, history in histories.items():
        low, high = _min_max(history)
        table.add_row(
            Text(metric_name),
            history.kind.value,
            Text(format_value(last[metric_name]) if metric_name in last else ""),
            str(len(history.values)),
            low,
            high,
        )
    out.print(table)


@run_app.command("files")
def list_files(
    ctx: typer.Context, run_id: RunIdArgument, workspace_path: WorkspaceOption = None
) -> None:
    """List a run's files and their sizes."""
    workspace = open_workspace(ctx, workspace_path)
    run = Run.get(workspace, run_id)
    names = run.get_file_names()
    out = console()
    if not names:
        say(f"Run {run_id} has no files.")
        return
    heading(f"Files of run {run_id}")
    table = data_table(["File", "Size"])
    table.columns[0].overflow = "fold"
    table.columns[1].justify = "right"
    total = 0
    for file_name in names:
        size = workspace.artifacts.size(run_file_key(run.id, file_name))
        total += size
        table.add_row(Text(file_name), format_size(size))
    table.caption = f"{len(names)} file{'s' if len(names) != 1 else ''}, {format_size(total)}"
    out.print(table)


@run_app.command("download")
def download_files(
    ctx: typer.Context,
    run_id: RunIdArgument,
    path: Annotated[
        Path, typer.Argument(help="The local folder to write into; created if missing.")
    ],
    prefix: Annotated[
        str | None,
        typer.Option(
            "--prefix", "-p", help="Only files under this folder, e.g. outputs.", show_default=False
        ),
    ] = None,
    workspace_path: WorkspaceOption = None,
) -> None:
    """Copy a run's files (or those under --prefix) into PATH, keeping their folders."""
    workspace = open_workspace(ctx, workspace_path)
    run = Run.get(workspace, run_id)
    out = console()
    with out.status(Text(f"Downloading the files of {run_id}...")):
        written = run.download_files(prefix, path)
    if not written:
        say(f"Run {run_id} has no files; nothing written.")
        return
    noun = "file" if len(written) == 1 else "files"
    say(f"Downloaded {len(written)} {noun} of run {run_id} to {path}")
