"""``runlab run submit|logs|cancel``: submitted jobs from the shell."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from runlab.cli.options import WorkspaceOption, open_workspace
from runlab.cli.output import say
from runlab.cli.run import RunIdArgument, run_app
from runlab.entities import DRIVER_LOG, ENVIRONMENT_LOG, RunStatus
from runlab.tracking import Experiment, Run
from runlab.tracking.monitoring import follow_log

__all__ = ["cancel_run", "run_logs", "submit_run"]


@run_app.command(
    "submit",
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def submit_run(
    ctx: typer.Context,
    script: Annotated[str, typer.Argument(help="The script, relative to --source.")],
    experiment: Annotated[
        str, typer.Option("--experiment", "-e", help="The experiment to run it in.")
    ],
    target: Annotated[str, typer.Option("--target", "-t", help="The compute target.")] = "local",
    source: Annotated[
        Path, typer.Option("--source", "-s", help="The source folder, snapshotted.")
    ] = Path("."),
    pip: Annotated[
        list[str] | None,
        typer.Option("--pip", help="A package to install (repeatable); none: this Python."),
    ] = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Stream the log until the run ends.")
    ] = False,
    workspace_path: WorkspaceOption = None,
) -> None:
    """Submit SCRIPT as a job; arguments after `--` go to the script.

    Example: runlab run submit -e mnist --pip scikit-learn train.py -- --regularization 0.8
    """
    from runlab.environments import Environment
    from runlab.jobs import ScriptRunConfig

    workspace = open_workspace(ctx, workspace_path)
    environment = Environment(f"cli-{Path(script).stem}", pip_packages=pip) if pip else None
    config = ScriptRunConfig(
        source, script, arguments=list(ctx.args), compute_target=target, environment=environment
    )
    run = Experiment(workspace, experiment).submit(config)
    say(f"Submitted run {run.id} ({run.get_status()})")
    if wait:
        details = run.wait_for_completion(show_output=True, raise_on_error=True)
        say(f"Run {run.id}: {details['status']}")
    else:
        say(f"Follow it with: runlab run logs {run.id} --follow")


@run_app.command("logs")
def run_logs(
    ctx: typer.Context,
    run_id: RunIdArgument,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing until the run ends.")
    ] = False,
    name: Annotated[
        str, typer.Option("--name", help=f"Which log: {DRIVER_LOG}, {ENVIRONMENT_LOG}.")
    ] = DRIVER_LOG,
    workspace_path: WorkspaceOption = None,
) -> None:
    """Print a run's log (the script's output), optionally as it grows."""
    workspace = open_workspace(ctx, workspace_path)
    run = Run.get(workspace, run_id)
    if name not in run.get_file_names() and not follow:
        say(f"Run {run_id} has no {name} (yet).")
        return
    for piece in follow_log(run, name, follow=follow):
        sys.stdout.write(piece)
        sys.stdout.flush()


@run_app.command("cancel")
def cancel_run(
    ctx: typer.Context, run_id: RunIdArgument, workspace_path: WorkspaceOption = None
) -> None:
    """Cancel a run: a job's processes are stopped, the run ends Canceled."""
    workspace = open_workspace(ctx, workspace_path)
    run = Run.get(workspace, run_id)
    run.cancel()
    status = RunStatus(run.get_status())
    say(f"Run {run_id}: {status.value}")
