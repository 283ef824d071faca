"""``runlab experiment ...``."""

from __future__ import annotations

import typer
from rich.text import Text

from runlab.cli.options import WorkspaceOption, open_workspace
from runlab.cli.output import console, data_table, format_short_time, heading, say

__all__ = ["experiment_app"]

experiment_app = typer.Typer(help="Experiments: named groups of runs.", no_args_is_help=True)


@experiment_app.command("list")
def list_experiments(ctx: typer.Context, workspace_path: WorkspaceOption = None) -> None:
    """List the workspace's experiments with their number of runs."""
    workspace = open_workspace(ctx, workspace_path)
    store = workspace.store
    experiments = store.list_experiments()
    out = console()
    if not experiments:
        say(
            f"No experiments yet in workspace {workspace.name!r};"
            " `runlab tutorial mnist` makes a first one."
        )
        return
    heading(f"Experiments of workspace {workspace.name}")
    table = data_table(["Experiment", "Runs", "Created"])
    table.columns[1].justify = "right"
    for experiment in experiments:
        # Child runs count too: they are runs of the experiment.
        run_count = store.count_runs(experiment_name=experiment.name)
        table.add_row(
            Text(experiment.name), str(run_count), format_short_time(experiment.created_time)
        )
    out.print(table)
