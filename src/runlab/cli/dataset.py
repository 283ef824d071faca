"""``runlab dataset list|show|register|download``: registered, versioned datasets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from runlab.cli.options import WorkspaceOption, open_workspace
from runlab.cli.output import (
    console,
    data_table,
    error_console,
    format_short_time,
    format_size,
    heading,
    key_value_table,
    say,
)
from runlab.cli.sample_data import get_sample_data
from runlab.data import AbstractDataset, Dataset, Datastore, FileDataset
from runlab.entities.dataset import DatasetRecord
from runlab.entities.run_layout import DATASET_READ_PREFIX
from runlab.errors import ValidationError

__all__ = ["dataset_app"]

dataset_app = typer.Typer(
    help="Datasets: register versions of data on datastores or at URLs, list, show, download.",
    no_args_is_help=True,
)

VersionOption = Annotated[
    str,
    typer.Option("--version", "-v", help="A version number, or latest."),
]
_SHOWN_FILES = 20


@dataset_app.command("list")
def list_datasets(ctx: typer.Context, workspace_path: WorkspaceOption = None) -> None:
    """List registered datasets, each with its latest version."""
    workspace = open_workspace(ctx, workspace_path)
    datasets = Dataset.list(workspace)
    if not datasets:
        say("No datasets yet: runlab dataset register NAME PATH")
        return
    table = data_table(["Name", "Version", "Kind", "Files", "Size", "Snapshot", "Registered"])
    for column in (1, 3, 4):
        table.columns[column].justify = "right"
    for dataset in datasets:
        record = _record_of(dataset)
        table.add_row(
            Text(record.name),
            str(record.version),
            record.kind,
            str(len(record.files)),
            format_size(sum(int(item["size"]) for item in record.files)),
            "yes" if record.snapshot else "no",
            format_short_time(record.created_time),
        )
    console().print(table)


def _record_of(dataset: AbstractDataset) -> DatasetRecord:
    record = dataset._record
    if record is None:
        raise ValidationError("the dataset is not registered")
    return record


def _version(text: str) -> int | str:
    return int(text) if text.isdigit() else text


@dataset_app.command("show")
def show_dataset(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The dataset's name.")],
    version: VersionOption = "latest",
    workspace_path: WorkspaceOption = None,
) -> None:
    """Show a dataset version: what it pins, how it was made, and the runs that read it."""
    workspace = open_workspace(ctx, workspace_path)
    dataset = Dataset.get_by_name(workspace, name, _version(version))
    record = _record_of(dataset)
    versions = [item.version for item in workspace.store.list_dataset_versions(name)]
    sources = ", ".join(
        source.get("url") or f"{source['datastore']}:{source['path'] or '/'}"
        for source in record.definition.get("sources", [])
    )
    out = console()
    out.print(
        key_value_table(
            [
                ("Id", record.id),
                ("Kind", record.kind),
                ("Description", record.description or ""),
                ("Sources", sources),
                ("Files", str(len(record.files))),
                ("Size", format_size(sum(int(item["size"]) for item in record.files))),
                ("Content hash", record.content_hash),
                ("Snapshot", "yes" if record.snapshot else "no"),
                ("Registered", format_short_time(record.created_time)),
                ("Versions", ", ".join(map(str, versions))),
            ],
            title=f"Dataset {record.name} version {record.version}",
        )
    )
    if record.tags:
        out.print(key_value_table(sorted(record.tags.items()), title="Tags"))
    table = data_table(["File", "Size", "sha256"])
    table.columns[1].justify = "right"
    for item in record.files[:_SHOWN_FILES]:
        table.add_row(Text(item["path"]), format_size(int(item["size"])), item["sha256"][:16])
    if len(record.files) > _SHOWN_FILES:
        table.caption = f"the first {_SHOWN_FILES} of {len(record.files)} files"
    out.print(table)
    readers = workspace.store.search_runs(properties={DATASET_READ_PREFIX + record.id: None})
    if readers:
        heading(f"Runs that read {record.id}")
        runs = data_table(["Run id", "Experiment", "Status"])
        for run in readers:
            runs.add_row(Text(run.run_id), run.experiment_name, run.status.value)
        out.print(runs)


def _source(workspace: Any, datastore: str | None, path: str) -> Any:
    if path.startswith(("http://", "https://")):
        return path
    store = Datastore.get(workspace, datastore) if datastore else workspace.get_default_datastore()
    return (store, path)


@dataset_app.command("register")
def register_dataset(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The dataset's name.")],
    paths: Annotated[
        list[str],
        typer.Argument(
            help="Datastore paths (a file, a folder, a glob such as 'mnist/*.gz') or http(s) URLs."
        ),
    ],
    datastore: Annotated[
        str | None,
        typer.Option("--datastore", "-d", help="The datastore of the paths. Default: default."),
    ] = None,
    tabular: Annotated[
        str | None,
        typer.Option(
            "--tabular", help="Register rows of files: csv, parquet or json-lines.", metavar="FMT"
        ),
    ] = None,
    description: Annotated[str | None, typer.Option("--description", help="Free text.")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="KEY=VALUE (repeatable).")] = None,
    new_version: Annotated[
        bool, typer.Option("--new-version", help="Add a version to an existing name.")
    ] = False,
    snapshot: Annotated[
        bool,
        typer.Option("--snapshot", help="Copy the files into the workspace, so they last."),
    ] = False,
    workspace_path: WorkspaceOption = None,
) -> None:
    """Register files as a new dataset version, pinning each file's size and sha256."""
    workspace = open_workspace(ctx, workspace_path)
    sources = [_source(workspace, datastore, path) for path in paths]
    tags = {}
    for pair in tag or []:
        key, equals, value = pair.partition("=")
        if not equals or not key:
            raise ValidationError(f"bad --tag {pair!r}: use KEY=VALUE")
        tags[key] = value
    readers: dict[str | None, Callable[[Any], AbstractDataset]] = {
        None: Dataset.File.from_files,
        "csv": Dataset.Tabular.from_delimited_files,
        "parquet": Dataset.Tabular.from_parquet_files,
        "json-lines": Dataset.Tabular.from_json_lines_files,
    }
    if tabular not in readers:
        raise ValidationError(f"bad --tabular {tabular!r}: use csv, parquet or json-lines")
    with console().status(Text("Listing and hashing the files...")):
        dataset = readers[tabular](sources)
        registered = dataset.register(
            workspace,
            name,
            description=description,
            tags=tags,
            create_new_version=new_version,
            snapshot=snapshot,
        )
    files = registered.files
    size = format_size(sum(int(item["size"]) for item in files))
    say(f"Registered {registered.id}: {len(files)} files, {size}")


@dataset_app.command("download")
def download_dataset(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The dataset's name.")],
    dest: Annotated[Path, typer.Argument(help="The local folder; created if missing.")],
    version: VersionOption = "latest",
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace files there.")] = False,
    allow_changed: Annotated[
        bool,
        typer.Option("--allow-changed", help="Take files changed since registration as they are."),
    ] = False,
    workspace_path: WorkspaceOption = None,
) -> None:
    """Download a dataset version's files, each checked against its pinned sha256."""
    workspace = open_workspace(ctx, workspace_path)
    dataset = Dataset.get_by_name(workspace, name, _version(version), allow_changed=allow_changed)
    if not isinstance(dataset, FileDataset):
        raise ValidationError(f"{dataset.id} is tabular: read it with to_pandas_dataframe()")
    with console().status(Text(f"Downloading {dataset.id}...")):
        written = dataset.download(dest, overwrite=overwrite)
    say(f"Downloaded {len(written)} files of {dataset.id} to {dest}")


@dataset_app.command("get", hidden=True)
def get_moved(
    name: Annotated[str, typer.Argument(metavar="DATASET")],
    dest: Annotated[Path | None, typer.Option("--dest", "-d")] = None,
    source: Annotated[Path | None, typer.Option("--from")] = None,
) -> None:
    """Moved: `runlab sample-data get` (kept working under its old name)."""
    error_console().print(
        "Note: `runlab dataset get` is now `runlab sample-data get`; running that.",
        markup=False,
        soft_wrap=True,
    )
    get_sample_data(name, dest, source)
