"""``runlab run lineage|rerun|diff``: where a run's result came from, running it again
exactly, and what differs between two runs."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.syntax import Syntax
from rich.text import Text

from runlab.cli.options import WorkspaceOption, open_workspace
from runlab.cli.output import console, data_table, format_value, heading, key_value_table, say
from runlab.cli.run import RunIdArgument, run_app
from runlab.errors import ValidationError
from runlab.tracking import Run

__all__ = ["diff_command", "lineage_command", "rerun_command"]

_SHOWN_PACKAGES = 12


def _print_lineage(lineage: dict[str, Any]) -> None:
    out = console()
    code, environment = lineage["code"], lineage["environment"]
    dirty = {None: None, True: "yes", False: "no"}[code["git_dirty"]]
    out.print(
        key_value_table(
            [
                ("Run id", lineage["run_id"]),
                ("Experiment", lineage["experiment"]),
                ("Status", lineage["status"]),
                ("Snapshot", code["snapshot_id"]),
                ("Script", code["script"]),
                ("Git commit", code["git_commit"]),
                ("Uncommitted changes", dirty),
                ("Compute target", lineage["compute_target"]),
                ("Parent run", lineage["parent"]),
                ("Child runs", ", ".join(lineage["children"]) or None),
                ("Re-run of", lineage["rerun_of"]),
                (
                    "Re-run changes",
                    json.dumps(lineage["rerun_changes"]) if lineage["rerun_changes"] else None,
                ),
                ("Models", ", ".join(lineage["models"]) or None),
            ],
            title=f"Lineage of run {lineage['run_id']}",
        )
    )
    packages = environment.get("packages") or {}
    out.print()
    out.print(
        key_value_table(
            [
                ("Name", environment["name"]),
                ("Spec hash", environment["spec_hash"]),
                ("Lock sha256", environment["lock_sha256"]),
                ("Python", environment.get("python")),
                ("Platform", environment.get("platform")),
                (
                    "User-managed",
                    {True: "yes", False: "no", None: None}[environment.get("user_managed")],
                ),
                ("Packages", str(len(packages)) if packages else None),
            ],
            title="Environment",
        )
    )
    if packages:
        shown = list(packages.items())[:_SHOWN_PACKAGES]
        more = len(packages) - len(shown)
        line = ", ".join(f"{name}=={version}" for name, version in shown)
        say(line + (f" ... and {more} more (Run.get_environment_lock())" if more > 0 else ""))
    if lineage["parameters"]:
        out.print()
        out.print(key_value_table(sorted(lineage["parameters"].items()), title="Parameters"))
    if lineage["datasets"]:
        heading("Input datasets")
        table = data_table(["Input", "Dataset", "Mode", "Files", "Content hash"])
        for item in lineage["datasets"]:
            table.add_row(
                Text(str(item["input_name"])),
                Text(str(item.get("id") or "unregistered")),
                str(item.get("mode")),
                str(item.get("files")),
                str(item.get("content_hash"))[:16],
            )
        out.print(table)
    if lineage["data_references"]:
        heading("Data references")
        table = data_table(["Datastore", "Path", "Mode", "Files", "Manifest sha256"])
        for item in lineage["data_references"]:
            table.add_row(
                Text(item["datastore"]),
                Text(item["path"] or "/"),
                item["mode"],
                str(item["files"]),
                item["manifest_sha256"][:16],
            )
        out.print(table)


@run_app.command("lineage")
def lineage_command(
    ctx: typer.Context,
    run_id: RunIdArgument,
    as_json: Annotated[bool, typer.Option("--json", help="Print it all as JSON.")] = False,
    workspace_path: WorkspaceOption = None,
) -> None:
    """Show what a run's result came from: code, environment lock, data, runs and models."""
    workspace = open_workspace(ctx, workspace_path)
    lineage = Run.get(workspace, run_id).get_lineage()
    if as_json:
        typer.echo(json.dumps(lineage, indent=2))
        return
    _print_lineage(lineage)


def _parse_sets(pairs: list[str] | None) -> dict[str, str]:
    changes = {}
    for pair in pairs or []:
        name, equals, value = pair.lstrip("-").partition("=")
        if not equals or not name:
            raise ValidationError(f"bad --set {pair!r}: use --set --name=value")
        changes[name] = value
    return changes


@run_app.command("rerun")
def rerun_command(
    ctx: typer.Context,
    run_id: RunIdArgument,
    sets: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="Change a named argument: --set --regularization=0.5 (repeatable).",
            metavar="--NAME=VALUE",
        ),
    ] = None,
    target: Annotated[
        str | None, typer.Option("--target", "-t", help="Run on this compute target instead.")
    ] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Stream the log until it ends.")] = False,
    workspace_path: WorkspaceOption = None,
) -> None:
    """Run a submitted run again, exactly: same snapshot, environment from its lock, same
    dataset versions; changed only by --set and --target."""
    workspace = open_workspace(ctx, workspace_path)
    original = Run.get(workspace, run_id)
    run = original.rerun(compute_target=target, parameters=_parse_sets(sets))
    say(f"Submitted run {run.id}, a re-run of {run_id} ({run.get_status()})")
    if wait:
        details = run.wait_for_completion(show_output=True, raise_on_error=True)
        say(f"Run {run.id}: {details['status']}")


@run_app.command("diff")
def diff_command(
    ctx: typer.Context,
    first: Annotated[str, typer.Argument(help="The first run's id.")],
    second: Annotated[str, typer.Argument(help="The second run's id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print it as JSON.")] = False,
    workspace_path: WorkspaceOption = None,
) -> None:
    """Show how two runs differ: code, packages, arguments, datasets; metrics side by side."""
    workspace = open_workspace(ctx, workspace_path)
    diff = Run.get(workspace, first).diff(Run.get(workspace, second))
    if as_json:
        typer.echo(json.dumps(diff.to_dict(), indent=2, allow_nan=True))
        return
    out = console()
    heading(f"{first} -> {second}")
    if diff.same_inputs:
        say("Same code, packages, arguments and datasets.")
    for path, text in diff.code.items():
        heading(f"Code: {path}")
        out.print(Syntax(text, "diff", word_wrap=True))
    packages = diff.packages
    if packages:
        table = data_table(["Package", first, second])
        for name, version in packages.get("added", {}).items():
            table.add_row(Text(name), "", version)
        for name, version in packages.get("removed", {}).items():
            table.add_row(Text(name), version, "")
        for name, (old, new) in packages.get("changed", {}).items():
            table.add_row(Text(name), old, new)
        if "python" in packages:
            table.add_row("python", *map(str, packages["python"]))
        heading("Packages")
        out.print(table)
    changed = [(f"--{name}", values) for name, values in diff.parameters.items()]
    changed += [(f"dataset {name}", values) for name, values in diff.datasets.items()]
    if changed:
        table = data_table(["What", first, second])
        for what, (old, new) in changed:
            table.add_row(Text(what), Text(str(old)), Text(str(new)))
        heading("Arguments and datasets")
        out.print(table)
    if diff.metrics:
        table = data_table(["Metric", first, second])
        for name, (old, new) in diff.metrics.items():
            table.add_row(
                Text(name),
                "" if old is None else format_value(old),
                "" if new is None else format_value(new),
            )
        heading("Metrics (last value)")
        out.print(table)
