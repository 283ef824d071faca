"""``runlab sweep list|show|best|cancel``: sweeps (HyperDrive runs) from the shell."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from runlab.cli.options import WorkspaceOption, open_workspace
from runlab.cli.output import (
    console,
    data_table,
    format_status,
    format_time,
    format_value,
    heading,
    key_value_table,
    say,
)
from runlab.errors import NotFoundError
from runlab.sweeps import HyperDriveRun, is_sweep
from runlab.tracking import Experiment, Run, Workspace

__all__ = ["sweep_app"]

sweep_app = typer.Typer(help="Sweeps over hyperparameters (HyperDrive runs) and their trials.")

SweepIdArgument = Annotated[str, typer.Argument(help="The sweep's run id.")]


def _sweep(workspace: Workspace, run_id: str) -> HyperDriveRun:
    run = Run.get(workspace, run_id)
    return HyperDriveRun(run.experiment, run.id)


@sweep_app.command("list")
def list_sweeps(
    ctx: typer.Context,
    experiment: Annotated[
        str | None, typer.Option("--experiment", "-e", help="Only this experiment's sweeps.")
    ] = None,
    workspace_path: WorkspaceOption = None,
) -> None:
    """List the sweeps, newest first, with their best trial."""
    workspace = open_workspace(ctx, workspace_path)
    if experiment is not None and experiment not in workspace.experiments:
        raise NotFoundError(f"there is no experiment {experiment!r}")
    records = [
        record
        for record in workspace.store.search_runs(experiment_name=experiment, top_level_only=True)
        if is_sweep(record)
    ]
    if not records:
        say("No sweeps.")
        return
    table = data_table(["Sweep", "Experiment", "Status", "Started", "Trials", "Best"])
    for record in records:
        sweep = HyperDriveRun(Experiment(workspace, record.experiment_name), record.run_id)
        rows = sweep.get_children_sorted_by_primary_metric()
        best = next((row for row in rows if row["best_primary_metric"] is not None), None)
        table.add_row(
            record.run_id,
            record.experiment_name,
            format_status(record.status),
            format_time(record.start_time),
            str(len(rows)),
            "-"
            if best is None
            else f"{sweep.primary_metric_name}={format_value(best['best_primary_metric'])}",
        )
    console().print(table)


@sweep_app.command("show")
def show_sweep(
    ctx: typer.Context,
    run_id: SweepIdArgument,
    top: Annotated[int, typer.Option("--top", help="Show only the best N trials.")] = 0,
    workspace_path: WorkspaceOption = None,
) -> None:
    """Show a sweep's settings and its trials, best first."""
    workspace = open_workspace(ctx, workspace_path)
    sweep = _sweep(workspace, run_id)
    settings = sweep.settings
    heading(f"Sweep {sweep.id}")
    console().print(
        key_value_table(
            {
                "Status": sweep.get_status(),
                "Sampling": settings["sampling"]["kind"],
                "Policy": settings["policy"]["kind"],
                "Primary metric": f"{sweep.primary_metric_name}"
                f" ({settings['primary_metric_goal'].lower()})",
                "Trials": f"max {settings['max_total_runs']},"
                f" {settings['max_concurrent_runs']} at a time",
            }.items()
        )
    )
    table = data_table(["Trial", "Status", sweep.primary_metric_name, "Hyperparameters", "Note"])
    children = {child.id: child for child in sweep.get_children()}
    for row in sweep.get_children_sorted_by_primary_metric(top=top):
        child = children.get(row["run_id"])
        note = ""
        if child is not None and row["status"] == "Canceled":
            error = child.get_details().get("error", {}).get("error", {})
            note = str(error.get("message", ""))
        table.add_row(
            row["run_id"],
            format_status(row["status"]),
            "-" if row["best_primary_metric"] is None else format_value(row["best_primary_metric"]),
            json.dumps(row["hyperparameters"]),
            note,
        )
    console().print(table)


@sweep_app.command("best")
def best_trial(
    ctx: typer.Context, run_id: SweepIdArgument, workspace_path: WorkspaceOption = None
) -> None:
    """Print the sweep's best trial: its run id, primary metric and hyperparameters."""
    workspace = open_workspace(ctx, workspace_path)
    sweep = _sweep(workspace, run_id)
    best = sweep.get_best_run_by_primary_metric()
    if best is None:
        raise NotFoundError(
            f"no trial of sweep {run_id} has logged {sweep.primary_metric_name!r} yet"
        )
    value = sweep.get_children_sorted_by_primary_metric(top=1)[0]["best_primary_metric"]
    parameters = sweep.get_hyperparameters().get(best.id, {})
    say(f"{best.id} {sweep.primary_metric_name}={format_value(value)} {json.dumps(parameters)}")


@sweep_app.command("cancel")
def cancel_sweep(
    ctx: typer.Context, run_id: SweepIdArgument, workspace_path: WorkspaceOption = None
) -> None:
    """Cancel a sweep and every trial still running."""
    workspace = open_workspace(ctx, workspace_path)
    sweep = _sweep(workspace, run_id)
    sweep.cancel()
    say(f"Sweep {run_id}: {sweep.get_status()}")
