"""``runlab init`` and ``runlab workspace ...``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from runlab.cli.options import WorkspaceOption, open_workspace
from runlab.cli.output import console, format_time, key_value_table, say
from runlab.errors import AlreadyExistsError
from runlab.tracking import Workspace
from runlab.tracking.workspace import CONFIG_DIR, CONFIG_FILE

__all__ = ["init_workspace", "workspace_app", "workspace_name_for"]

workspace_app = typer.Typer(
    help="Look at the workspace: where its metadata and files live.", no_args_is_help=True
)


def workspace_name_for(folder: Path) -> str:
    """A valid workspace name made from a folder's name.

    Characters other than letters, digits, ``-`` and ``_`` become ``-``; the name starts with
    a letter or digit and has at most 255 characters; ``workspace`` if nothing is left.

    Example:
        >>> workspace_name_for(Path("/home/me/My Project (2024)"))
        'My-Project-2024'
    """
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", folder.name)
    name = name.lstrip("-_")[:255].rstrip("-")
    return name or "workspace"


def init_workspace(
    path: Annotated[
        Path,
        typer.Argument(help="The folder the workspace belongs to; created if missing."),
    ] = Path("."),
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            "-n",
            help="The workspace's name (letters, digits, '-', '_'). Default: the folder's name.",
            show_default=False,
        ),
    ] = None,
    exist_ok: Annotated[
        bool,
        typer.Option("--exist-ok", help="Reuse a workspace already in PATH instead of failing."),
    ] = False,
) -> None:
    """Create a workspace in PATH (default: the current folder).

    Its metadata (SQLite) and files are kept under PATH/.runlab; every runlab command run in
    PATH or below it finds the workspace from there.
    """
    folder = path.expanduser().resolve()
    config_file = folder / CONFIG_DIR / CONFIG_FILE
    existed = config_file.is_file()
    if existed and not exist_ok:
        # The library's message speaks of exist_ok=True; say what to type here instead.
        raise AlreadyExistsError(
            f"{folder} already holds a workspace ({config_file}); pass --exist-ok to reuse it"
        )
    if name is None:
        # With --exist-ok and no --name, reuse whatever name the existing workspace has.
        name = Workspace.from_config(config_file).name if existed else workspace_name_for(folder)
    workspace = Workspace.create(name, path=folder, exist_ok=exist_ok)
    try:
        out = console()
        verb = "Using the existing" if existed else "Created"
        say(Text.assemble(f"{verb} workspace ", (workspace.name, "bold"), f" in {folder}"))
        out.print(
            key_value_table(
                [
                    ("config", str(workspace.config_path)),
                    ("metadata", workspace.store_uri),
                    ("artifacts", workspace.artifact_uri),
                ]
            )
        )
        say(
            "Commands run in this folder or below it use this workspace;"
            " try `runlab tutorial mnist` for a first tour."
        )
    finally:
        workspace.close()


@workspace_app.command("show")
def show_workspace(ctx: typer.Context, workspace_path: WorkspaceOption = None) -> None:
    """Show the workspace's name, where its metadata and files are, and what it holds."""
    workspace = open_workspace(ctx, workspace_path)
    details = workspace.get_details()
    created = details.get("created_time")
    created_text = format_time(created, seconds=True) if isinstance(created, int | float) else None
    console().print(
        key_value_table(
            [
                ("Name", str(details["name"])),
                ("Location", str(details["location"])),
                ("Metadata store", str(details["store_uri"])),
                ("Artifacts", str(details["artifact_uri"])),
                ("Config file", details.get("config_path")),
                ("Created", created_text),
                ("Experiments", str(details["experiment_count"])),
            ],
            title="Workspace",
        )
    )
