"""``runlab environment list|show|prune``: the cache of built environments, seen and bounded."""

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
    format_size,
    heading,
    key_value_table,
    say,
)
from runlab.entities import ENVIRONMENT_HASH_KEY
from runlab.environments import UvEnvironmentBuilder
from runlab.environments.cache import find_cached, list_cached, parse_size, prune_cache

__all__ = ["environment_app"]

environment_app = typer.Typer(
    help="Built environments: the cache uv builds jobs' environments into.",
    no_args_is_help=True,
)

CacheOption = Annotated[
    Path | None,
    typer.Option(
        "--cache",
        help="The environment cache; default $RUNLAB_ENV_CACHE, else ~/.cache/runlab/environments.",
        show_default=False,
    ),
]


def _cache(cache: Path | None) -> Path:
    return UvEnvironmentBuilder(cache).cache_dir


@environment_app.command("list")
def list_environments(cache: CacheOption = None) -> None:
    """List built environments, most recently used first: size, build, last use, packages."""
    folder = _cache(cache)
    cached = list_cached(folder)
    if not cached:
        say(f"No built environments in {folder}.")
        return
    heading(f"Built environments in {folder}")
    table = data_table(["Key", "Size", "Built", "Last used", "In use", "Packages"])
    for item in cached:
        table.add_row(
            item.key[:12],
            format_size(item.size_bytes),
            format_short_time(item.built_time),
            format_short_time(item.last_used_time),
            str(len(item.users)) if item.users else "",
            Text(", ".join(item.packages) or "(runlab only)"),
        )
    console().print(table)
    total = sum(item.size_bytes for item in cached)
    say(f"{len(cached)} environment(s), {format_size(total)} in all.")


@environment_app.command("show")
def show_environment(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="The start of its key, as `list` shows it.")],
    cache: CacheOption = None,
    workspace_path: WorkspaceOption = None,
) -> None:
    """Show one built environment and the workspace's runs that used it."""
    item = find_cached(_cache(cache), key)
    heading(f"Environment {item.key[:12]}")
    console().print(
        key_value_table(
            [
                ("Key", item.key),
                ("Folder", str(item.path)),
                ("Size", format_size(item.size_bytes)),
                ("Built", format_short_time(item.built_time)),
                ("Last used", format_short_time(item.last_used_time)),
                ("In use by", ", ".join(f"pid {pid}" for pid in item.users) or "nothing now"),
                ("Spec hash", item.spec_hash),
                ("Packages", ", ".join(item.packages) or "(runlab only)"),
            ]
        )
    )
    workspace = open_workspace(ctx, workspace_path)
    runs = workspace.store.search_runs(properties={ENVIRONMENT_HASH_KEY: item.spec_hash})
    if not runs:
        say(f"No run of workspace {workspace.name!r} used it.")
        return
    heading(f"Runs of workspace {workspace.name} that used it")
    table = data_table(["Run", "Experiment", "Status", "Created"])
    for run in runs:
        table.add_row(
            Text(run.run_id),
            Text(run.experiment_name),
            run.status.value,
            format_short_time(run.created_time),
        )
    console().print(table)


@environment_app.command("prune")
def prune_environments(
    unused_days: Annotated[
        float | None,
        typer.Option("--unused-days", help="Remove what no job used for this many days."),
    ] = None,
    max_size: Annotated[
        str | None,
        typer.Option(
            "--max-size",
            help="Then remove the least recently used until the cache fits (e.g. 2G).",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only say what would be removed.")
    ] = False,
    cache: CacheOption = None,
) -> None:
    """Remove built environments by age or total size; never one a job is running in."""
    removed = prune_cache(
        _cache(cache),
        unused_for_s=None if unused_days is None else unused_days * 86400,
        max_total_bytes=None if max_size is None else parse_size(max_size),
        dry_run=dry_run,
    )
    verb = "Would remove" if dry_run else "Removed"
    for item in removed:
        say(f"{verb} {item.key[:12]} ({format_size(item.size_bytes)})")
    freed = sum(item.size_bytes for item in removed)
    say(f"{verb} {len(removed)} environment(s), {format_size(freed)}.")
