"""``runlab service ...``: deploy registered models as scoring web services, list, show,
read their logs and delete them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from runlab.cli.model import _open_model
from runlab.cli.options import WorkspaceOption, open_workspace
from runlab.cli.output import (
    console,
    data_table,
    format_short_time,
    format_time,
    heading,
    key_value_table,
    say,
)
from runlab.environments import Environment
from runlab.models import Model
from runlab.serving import InferenceConfig, LocalWebservice, Webservice

__all__ = ["service_app"]

service_app = typer.Typer(
    help="Web services: deploy registered models behind a scoring endpoint, list, show,"
    " read logs and delete them.",
    no_args_is_help=True,
)

NameArgument = Annotated[str, typer.Argument(help="The service's name.", show_default=False)]


@service_app.command("deploy")
def deploy_service(
    ctx: typer.Context,
    name: NameArgument,
    models: Annotated[
        list[str],
        typer.Option(
            "--model",
            "-m",
            help="A model to serve, NAME (newest version) or NAME:VERSION; repeat for more.",
            show_default=False,
        ),
    ],
    entry_script: Annotated[
        str,
        typer.Option(
            "--entry-script",
            "-e",
            help="The script with init() and run(raw_data), relative to --source-dir.",
        ),
    ] = "score.py",
    source_dir: Annotated[
        Path | None,
        typer.Option("--source-dir", "-s", help="A folder copied beside the script."),
    ] = None,
    pip_packages: Annotated[
        list[str] | None,
        typer.Option(
            "--pip",
            help="A package the script needs, built into a cached environment; repeat for"
            " more. Without any, the script runs with runlab's own interpreter.",
            show_default=False,
        ),
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", help="The port (default: a free one).")
    ] = None,
    auth: Annotated[bool, typer.Option("--auth", help="Requests need a key.")] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace a service of the same name.")
    ] = False,
    workspace_path: WorkspaceOption = None,
) -> None:
    """Deploy models as a web service on this machine and wait until it is Healthy."""
    workspace = open_workspace(ctx, workspace_path)
    served = [_open_model(workspace, reference) for reference in models]
    environment = Environment(f"{name}-env", pip_packages=pip_packages) if pip_packages else None
    config = InferenceConfig(entry_script, environment=environment, source_directory=source_dir)
    with console().status(Text(f"Deploying web service {name}...")):
        service = Model.deploy(
            workspace,
            name,
            served,
            config,
            LocalWebservice.deploy_configuration(port=port, auth_enabled=auth),
            overwrite=overwrite,
        )
        service.wait_for_deployment()
    say(f"Web service {name} is {service.state}: POST requests to {service.scoring_uri}")


@service_app.command("list")
def list_services(ctx: typer.Context, workspace_path: WorkspaceOption = None) -> None:
    """List the workspace's web services."""
    workspace = open_workspace(ctx, workspace_path)
    services = Webservice.list(workspace)
    if not services:
        say("No web services yet; `runlab service deploy` adds one.")
        return
    heading(f"Web services of workspace {workspace.name}")
    table = data_table(["Name", "State", "Models", "Scoring URI", "Updated"])
    for service in services:
        record = workspace.store.get_service(service.name)
        table.add_row(
            Text(service.name),
            Text(service.state),
            Text(", ".join(record.models)),
            Text(str(record.details.get("scoring_uri") or "-")),
            format_short_time(record.updated_time),
        )
    console().print(table)


@service_app.command("show")
def show_service(
    ctx: typer.Context, name: NameArgument, workspace_path: WorkspaceOption = None
) -> None:
    """Show a web service: its state, where it answers and the models it serves."""
    workspace = open_workspace(ctx, workspace_path)
    service = Webservice(workspace, name)
    record = workspace.store.get_service(name)
    console().print(
        key_value_table(
            [
                ("Name", service.name),
                ("State", service.state),
                ("Kind", service.compute_type),
                ("Scoring URI", service.scoring_uri),
                ("Swagger URI", service.swagger_uri),
                ("Models", ", ".join(record.models)),
                ("Auth", "keys needed" if service.auth_enabled else "off"),
                ("Restarts", str(record.details.get("restarts", 0))),
                ("Error", record.details.get("error")),
                ("Created", format_time(record.created_time, seconds=True)),
                ("Updated", format_time(record.updated_time, seconds=True)),
            ],
            title=f"Web service {name}",
        )
    )


@service_app.command("logs")
def service_logs(
    ctx: typer.Context,
    name: NameArgument,
    lines: Annotated[int, typer.Option("--lines", "-n", help="Only the last N lines.")] = 200,
    workspace_path: WorkspaceOption = None,
) -> None:
    """Print the end of a web service's log (starts, restarts, tracebacks)."""
    workspace = open_workspace(ctx, workspace_path)
    text = Webservice(workspace, name).get_logs(num_lines=lines)
    console().print(text.rstrip("\n"), markup=False, highlight=False, soft_wrap=True)


@service_app.command("delete")
def delete_service(
    ctx: typer.Context, name: NameArgument, workspace_path: WorkspaceOption = None
) -> None:
    """Stop a web service and forget it."""
    workspace = open_workspace(ctx, workspace_path)
    Webservice(workspace, name).delete()
    say(f"Deleted web service {name}")
