"""``runlab datastore ...``: register datastores, list them, upload to and download from them."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from runlab.cli.options import WorkspaceOption, open_workspace
from runlab.cli.output import console, data_table, format_short_time, format_size, heading, say
from runlab.data import Datastore
from runlab.data.credentials import environment_variable, is_secret_option, split_options
from runlab.errors import ValidationError
from runlab.tracking import Workspace

__all__ = ["datastore_app"]

datastore_app = typer.Typer(
    help="Datastores: where data lives. Register them, list them, upload and download files.",
    no_args_is_help=True,
)

DatastoreOption = Annotated[
    str | None,
    typer.Option(
        "--datastore",
        "-d",
        help="The datastore's name. Default: the workspace's default datastore.",
        show_default=False,
    ),
]
OverwriteOption = Annotated[
    bool, typer.Option("--overwrite", help="Replace files that are already there.")
]

_CREDENTIALS_HELP = (
    "Credentials never go on the command line (shell history, the process list): runlab reads"
    " them from environment variables named RUNLAB_DATASTORE_<NAME>_<OPTION>, e.g."
    " RUNLAB_DATASTORE_RAW_KEY and RUNLAB_DATASTORE_RAW_SECRET for an s3:// datastore named raw"
    " (also TOKEN, PASSWORD, ACCOUNT_KEY, SAS_TOKEN, CONNECTION_STRING, CLIENT_SECRET), and keeps"
    " them in the workspace's .runlab/secrets.json (mode 0600), never in the metadata store."
    " The same variables, when set later, override what was kept."
)


def _open_datastore(workspace: Workspace, name: str | None) -> Datastore:
    return Datastore.get(workspace, name) if name else workspace.get_default_datastore()


def _option_value(text: str) -> Any:
    """A ``--option`` value: JSON when it parses (numbers, booleans, objects), else text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _options(pairs: list[str] | None, name: str) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for pair in pairs or []:
        key, equals, value = pair.partition("=")
        if not equals or not key:
            raise ValidationError(f"bad --option {pair!r}: use KEY=VALUE")
        parsed = _option_value(value)
        if is_secret_option(key) or split_options(name, {key: parsed})[1]:
            raise ValidationError(
                f"--option {key} is or holds a credential: set it in the environment variable"
                f" {environment_variable(name, (key,))} instead of the command line"
            )
        options[key] = parsed
    return options


def _credentials_from_environment(name: str) -> dict[str, str]:
    """The ``RUNLAB_DATASTORE_<NAME>_<OPTION>`` variables set now whose option is a credential."""
    prefix = environment_variable(name, ()) + "_"
    found = {}
    for variable, value in os.environ.items():
        option = variable[len(prefix) :].lower() if variable.startswith(prefix) else ""
        if option and is_secret_option(option):
            found[option] = value
    return found


@datastore_app.command("register")
def register_datastore(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(help="Its name: letters, digits and '_'.", show_default=False)
    ],
    url: Annotated[
        str,
        typer.Argument(
            help="A local folder, s3://bucket/prefix (needs s3fs), or any fsspec URL.",
            show_default=False,
        ),
    ],
    options: Annotated[
        list[str] | None,
        typer.Option(
            "--option",
            "-o",
            help="A storage option KEY=VALUE (VALUE as JSON where it parses, e.g."
            ' client_kwargs=\'{"endpoint_url": "http://127.0.0.1:9000"}\'); repeat for more.'
            " Not for credentials.",
            show_default=False,
        ),
    ] = None,
    make_default: Annotated[
        bool, typer.Option("--default", help="Make it the workspace's default datastore.")
    ] = False,
    workspace_path: WorkspaceOption = None,
) -> None:
    """Register a datastore NAME for the data at URL."""
    storage_options = _options(options, name)
    credentials = _credentials_from_environment(name)
    workspace = open_workspace(ctx, workspace_path)
    datastore = Datastore.register(workspace, name, url, **storage_options, **credentials)
    if make_default:
        workspace.set_default_datastore(datastore.name)
    say(f"Registered datastore {datastore.name} at {datastore.url}")
    if credentials:
        names = ", ".join(environment_variable(name, (option,)) for option in sorted(credentials))
        say(f"Kept the credentials from {names} in the workspace's secrets file")


register_datastore.__doc__ = f"{register_datastore.__doc__}\n\n{_CREDENTIALS_HELP}"


@datastore_app.command("list")
def list_datastores(ctx: typer.Context, workspace_path: WorkspaceOption = None) -> None:
    """List the workspace's datastores; the default is marked with *."""
    workspace = open_workspace(ctx, workspace_path)
    datastores = workspace.datastores
    heading(f"Datastores of workspace {workspace.name}")
    table = data_table(["", "Name", "URL", "Registered", "Options"])
    table.columns[2].overflow = "fold"
    for datastore in datastores.values():
        options = (
            json.dumps(datastore.options, separators=(", ", ": ")) if datastore.options else ""
        )
        table.add_row(
            "*" if datastore.is_default else "",
            Text(datastore.name),
            Text(datastore.url),
            format_short_time(datastore.created_time.timestamp()),
            Text(options),
        )
    console().print(table)


@datastore_app.command("set-default")
def set_default_datastore(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The datastore's name.", show_default=False)],
    workspace_path: WorkspaceOption = None,
) -> None:
    """Make NAME the workspace's default datastore."""
    workspace = open_workspace(ctx, workspace_path)
    workspace.set_default_datastore(name)
    say(f"Datastore {name} is now the default")


@datastore_app.command("upload")
def upload(
    ctx: typer.Context,
    src: Annotated[
        Path,
        typer.Argument(help="A local folder (or file) to upload.", exists=True, show_default=False),
    ],
    datastore_name: DatastoreOption = None,
    target: Annotated[
        str | None,
        typer.Option(
            "--target",
            "-t",
            help="The folder in the datastore. Default: its root.",
            show_default=False,
        ),
    ] = None,
    overwrite: OverwriteOption = False,
    workspace_path: WorkspaceOption = None,
) -> None:
    """Upload SRC into a datastore, with a progress bar; records the sha256 of every file."""
    workspace = open_workspace(ctx, workspace_path)
    datastore = _open_datastore(workspace, datastore_name)
    if src.is_dir():
        manifest = datastore.upload(src, target_path=target, overwrite=overwrite)
    else:
        manifest = datastore.upload_files([src], target_path=target, overwrite=overwrite)
    where = f" at {manifest.target_path}" if manifest.target_path else ""
    say(
        f"Uploaded {len(manifest.files)} files ({format_size(manifest.total_bytes)}) to datastore"
        f" {datastore.name}{where}; their sha256 are in {manifest.location}"
    )


@datastore_app.command("download")
def download(
    ctx: typer.Context,
    target: Annotated[
        Path, typer.Argument(help="The local folder to write into; created if missing.")
    ],
    datastore_name: DatastoreOption = None,
    prefix: Annotated[
        str | None,
        typer.Option(
            "--prefix",
            "-p",
            help="Only what is below this folder (or this file). Default: everything.",
            show_default=False,
        ),
    ] = None,
    overwrite: OverwriteOption = False,
    workspace_path: WorkspaceOption = None,
) -> None:
    """Download a datastore's files (below --prefix) into TARGET, keeping their paths."""
    workspace = open_workspace(ctx, workspace_path)
    datastore = _open_datastore(workspace, datastore_name)
    written = datastore.download(target, prefix=prefix, overwrite=overwrite)
    size = sum(path.stat().st_size for path in written)
    say(
        f"Downloaded {len(written)} files ({format_size(size)}) from datastore {datastore.name}"
        f" to {target}"
    )
