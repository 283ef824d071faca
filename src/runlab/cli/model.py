"""``runlab model ...``: register models, list and show them, download and delete them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

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
from runlab.errors import ValidationError
from runlab.models import Model, check_model_name, parse_model_id
from runlab.tracking import Run, Workspace

__all__ = ["model_app"]

model_app = typer.Typer(
    help="Models: register versions, list, show, download and delete them.",
    no_args_is_help=True,
)

ModelArgument = Annotated[
    str,
    typer.Argument(
        help="The model: NAME for its newest version, or NAME:VERSION.",
        metavar="NAME[:VERSION]",
        show_default=False,
    ),
]


def _key_values(pairs: list[str] | None, option: str) -> dict[str, str]:
    """``["k=v", ...]`` from a repeated option as a dict."""
    values: dict[str, str] = {}
    for pair in pairs or []:
        key, equals, value = pair.partition("=")
        if not equals or not key:
            raise ValidationError(f"bad {option} {pair!r}: use KEY=VALUE")
        values[key] = value
    return values


def _open_model(workspace: Workspace, reference: str, *, need_version: bool = False) -> Model:
    """The model version ``NAME`` (newest) or ``NAME:VERSION`` names."""
    if ":" in reference:
        name, version = parse_model_id(reference)
        return Model(workspace, name, version=version)
    if need_version:
        raise ValidationError(f"say which version of {reference!r}: use {reference}:VERSION")
    return Model(workspace, check_model_name(reference))


@model_app.command("register")
def register_model(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The model's name.", show_default=False)],
    path: Annotated[
        str,
        typer.Argument(
            help="A local file or folder; with --run, a file or folder among the run's files,"
            " e.g. outputs/model.pkl.",
            show_default=False,
        ),
    ],
    run_id: Annotated[
        str | None,
        typer.Option(
            "--run", "-r", help="Register PATH from this run's files.", show_default=False
        ),
    ] = None,
    tags: Annotated[
        list[str] | None,
        typer.Option("--tag", "-t", help="A tag KEY=VALUE; repeat for more.", show_default=False),
    ] = None,
    properties: Annotated[
        list[str] | None,
        typer.Option(
            "--property", "-p", help="A property KEY=VALUE; repeat for more.", show_default=False
        ),
    ] = None,
    description: Annotated[
        str | None,
        typer.Option("--description", "-d", help="Free text about the model.", show_default=False),
    ] = None,
    workspace_path: WorkspaceOption = None,
) -> None:
    """Register a local file or folder (or, with --run, a run's) as the next version of NAME."""
    tag_values = _key_values(tags, "--tag")
    property_values = _key_values(properties, "--property")
    workspace = open_workspace(ctx, workspace_path)
    with console().status(Text(f"Registering {path} as model {name}...")):
        if run_id is None:
            model = Model.register(
                workspace, path, name, tag_values, property_values, description=description
            )
        else:
            model = Run.get(workspace, run_id).register_model(
                name, path, tag_values, property_values, description=description
            )
    source = f" from run {run_id}" if run_id else ""
    say(f"Registered model {model.id} (name {model.name}, version {model.version}){source}")


@model_app.command("list")
def list_models(
    ctx: typer.Context,
    name: Annotated[
        str | None,
        typer.Option("--name", "-n", help="Only versions of this model.", show_default=False),
    ] = None,
    latest: Annotated[
        bool, typer.Option("--latest", help="Only the newest version of each model.")
    ] = False,
    workspace_path: WorkspaceOption = None,
) -> None:
    """List model versions by name, newest version first."""
    workspace = open_workspace(ctx, workspace_path)
    models = Model.list(workspace, name=name, latest=latest)
    if not models:
        say("No models match." if name else "No models yet; `runlab model register` adds one.")
        return
    heading(f"Models of workspace {workspace.name}")
    table = data_table(["Id", "Created", "Run", "Description"])
    for column in table.columns[:3]:
        column.no_wrap = True
    table.columns[3].overflow = "ellipsis"
    for model in models:
        table.add_row(
            Text(model.id),
            format_short_time(model.created_time.timestamp()),
            Text(model.run_id or "-"),
            Text(model.description or ""),
        )
    console().print(table)


@model_app.command("show")
def show_model(
    ctx: typer.Context, model: ModelArgument, workspace_path: WorkspaceOption = None
) -> None:
    """Show a model version: where it came from, its files, tags and properties."""
    workspace = open_workspace(ctx, workspace_path)
    found = _open_model(workspace, model)
    out = console()
    out.print(
        key_value_table(
            [
                ("Id", found.id),
                ("Name", found.name),
                ("Version", str(found.version)),
                ("Created", format_time(found.created_time.timestamp(), seconds=True)),
                ("Description", found.description),
                ("Run", found.run_id),
                ("Experiment", found.experiment_name),
                ("Content hash", found.content_hash),
            ],
            title=f"Model {found.id}",
        )
    )
    for title, values in (("Tags", found.tags), ("Properties", found.properties)):
        if values:
            out.print()
            out.print(key_value_table(sorted(values.items()), title=title))
    out.print()
    out.print(Text("Files", style="italic"))
    for file_name in found.file_names:
        out.print(Text(file_name))


@model_app.command("download")
def download_model(
    ctx: typer.Context,
    model: ModelArgument,
    path: Annotated[
        Path, typer.Argument(help="The local folder to write into; created if missing.")
    ] = Path("."),
    exist_ok: Annotated[
        bool, typer.Option("--exist-ok", help="Replace files that are already there.")
    ] = False,
    workspace_path: WorkspaceOption = None,
) -> None:
    """Copy a model version's file or folder into PATH (default: the current folder)."""
    workspace = open_workspace(ctx, workspace_path)
    found = _open_model(workspace, model)
    with console().status(Text(f"Downloading model {found.id}...")):
        written = found.download(path, exist_ok=exist_ok)
    say(f"Downloaded model {found.id} to {written}")


@model_app.command("delete")
def delete_model(
    ctx: typer.Context,
    model: Annotated[
        str,
        typer.Argument(help="The version to delete, as NAME:VERSION.", metavar="NAME:VERSION"),
    ],
    workspace_path: WorkspaceOption = None,
) -> None:
    """Delete a model version and its files; its number is not given out again."""
    workspace = open_workspace(ctx, workspace_path)
    found = _open_model(workspace, model, need_version=True)
    found.delete()
    say(f"Deleted model {found.id}")
