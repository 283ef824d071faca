"""``runlab compute ...``: create, attach, list, show and delete compute clusters (Ray)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from runlab.cli.options import WorkspaceOption, open_workspace
from runlab.cli.output import console, data_table, heading, key_value_table, say
from runlab.compute.ray import RayCompute

__all__ = ["compute_app"]

compute_app = typer.Typer(
    help="Compute clusters on Ray: create, attach, list, show and delete them.",
    no_args_is_help=True,
)

NameArgument = Annotated[str, typer.Argument(help="The compute target's name.", show_default=False)]


def _ray(workspace_target: object, name: str) -> RayCompute:
    if not isinstance(workspace_target, RayCompute):
        raise typer.BadParameter(f"{name!r} is not a Ray cluster")
    return workspace_target


@compute_app.command("create")
def create_compute(
    ctx: typer.Context,
    name: NameArgument,
    vm_size: Annotated[
        str, typer.Option("--vm-size", help="The node size, e.g. STANDARD_D2_V2.")
    ] = "STANDARD_D2_V2",
    min_nodes: Annotated[int, typer.Option("--min-nodes", help="Nodes kept when idle.")] = 0,
    max_nodes: Annotated[int, typer.Option("--max-nodes", help="Nodes at most.")] = 4,
    idle_seconds: Annotated[
        int, typer.Option("--idle-seconds", help="Idle time before a node is removed.")
    ] = 120,
    wait: Annotated[bool, typer.Option(help="Wait until min-nodes nodes are up.")] = True,
    workspace_path: WorkspaceOption = None,
) -> None:
    """Start a Ray cluster on this machine, owned by the workspace."""
    workspace = open_workspace(ctx, workspace_path)
    config = RayCompute.provisioning_configuration(
        vm_size,
        min_nodes=min_nodes,
        max_nodes=max_nodes,
        idle_seconds_before_scaledown=idle_seconds,
    )
    with console().status(Text(f"Starting cluster {name}...")):
        target = RayCompute.create(workspace, name, config)
        if wait:
            target.wait_for_completion(min_node_count=min_nodes, timeout_in_minutes=5)
    say(f"Created compute target {name} at {target.address}")


@compute_app.command("attach")
def attach_compute(
    ctx: typer.Context,
    name: NameArgument,
    address: Annotated[
        str, typer.Argument(help="The cluster's Jobs API address, http://HOST:8265.")
    ],
    token_file: Annotated[
        Path | None,
        typer.Option(
            "--token-file",
            help="A file with the cluster's auth token.",
            exists=True,
            show_default=False,
        ),
    ] = None,
    workspace_path: WorkspaceOption = None,
) -> None:
    """Record an existing Ray cluster by its address."""
    workspace = open_workspace(ctx, workspace_path)
    target = RayCompute.attach(workspace, name, address, token_file)
    say(f"Attached compute target {name} at {target.address}")


@compute_app.command("list")
def list_compute(ctx: typer.Context, workspace_path: WorkspaceOption = None) -> None:
    """List the workspace's compute targets."""
    workspace = open_workspace(ctx, workspace_path)
    targets = workspace.compute_targets
    if not targets:
        say("No compute targets yet; `runlab compute create NAME` starts one.")
        return
    heading(f"Compute targets of workspace {workspace.name}")
    table = data_table(["Name", "Kind", "Address", "Size", "Nodes", "State"])
    for name, found in targets.items():
        target = _ray(found, name)
        status = target.get_status()
        table.add_row(
            Text(name),
            "owned" if target.owned else "attached",
            Text(target.address),
            status.vm_size,
            str(status.current_node_count),
            status.provisioning_state,
        )
    console().print(table)


@compute_app.command("show")
def show_compute(
    ctx: typer.Context,
    name: NameArgument,
    as_json: Annotated[bool, typer.Option("--json", help="Print the SDK's dict as JSON.")] = False,
    workspace_path: WorkspaceOption = None,
) -> None:
    """Show a compute target: its scale settings, status and nodes."""
    workspace = open_workspace(ctx, workspace_path)
    target = RayCompute.get(workspace, name)
    details = target.serialize()
    if as_json:
        console().print_json(json.dumps(details))
        return
    status = details["status"]
    scale = details["properties"]["scaleSettings"]
    console().print(
        key_value_table(
            [
                ("Name", name),
                ("Kind", "owned" if target.owned else "attached"),
                ("Address", target.address),
                ("VM size", status["vmSize"]),
                (
                    "Min/max nodes",
                    f"{scale.get('minNodeCount', '-')}/{scale.get('maxNodeCount', '-')}",
                ),
                ("Provisioning", status["provisioningState"]),
                ("Allocation", status["allocationState"]),
                ("Nodes", f"{status['currentNodeCount']} (target {status['targetNodeCount']})"),
            ],
            title=f"Compute target {name}",
        )
    )
    for node in target.list_nodes():
        say(f"  node {node['nodeId']}: {node['nodeState']}")


@compute_app.command("delete")
def delete_compute(
    ctx: typer.Context, name: NameArgument, workspace_path: WorkspaceOption = None
) -> None:
    """Stop a cluster runlab started and forget it; an attached one is only detached."""
    workspace = open_workspace(ctx, workspace_path)
    target = RayCompute.get(workspace, name)
    owned = target.owned
    with console().status(Text(f"Deleting {name}...")):
        target.delete()
    say(f"{'Deleted' if owned else 'Detached'} compute target {name}")
