"""The ``--workspace`` option and how a command finds its workspace."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import typer

from runlab.tracking import Workspace

__all__ = ["WORKSPACE_ENV", "WORKSPACE_HELP", "CliState", "WorkspaceOption", "open_workspace"]

WORKSPACE_ENV = "RUNLAB_WORKSPACE_DIR"
"""The environment variable that names the workspace folder when ``--workspace`` is not given."""

WORKSPACE_HELP = (
    "The workspace folder (or its config file); runlab looks for .runlab/config.json there and"
    " in its parents. Default: the current folder."
)

# Also accepted after the subcommand (`runlab run show ID -w DIR`), where people type it; it
# reads no environment variable so that an explicit global `-w` is never overridden by one.
WorkspaceOption = Annotated[
    Path | None,
    typer.Option(
        "--workspace",
        "-w",
        help="The workspace folder or config file, as the global --workspace.",
        exists=True,
        show_default=False,
    ),
]


@dataclasses.dataclass
class CliState:
    """What the top-level options decided, kept in ``ctx.obj`` for the commands.

    Attributes:
        workspace_path: the folder or config file given with the global ``--workspace`` (or
            ``RUNLAB_WORKSPACE_DIR``), or None for the current folder.
    """

    workspace_path: Path | None = None


def open_workspace(ctx: typer.Context, workspace_path: Path | None = None) -> Workspace:
    """Open the workspace a command works on, closed again when the command ends.

    Args:
        ctx: the command's context (holds the global ``--workspace``).
        workspace_path: the command's own ``--workspace``, which wins over the global one.

    Raises:
        NotFoundError: no workspace config was found; the message lists where runlab looked.
        ValidationError: the config is malformed.
    """
    if workspace_path is None and isinstance(ctx.obj, CliState):
        workspace_path = ctx.obj.workspace_path
    workspace = Workspace.from_config(workspace_path)
    ctx.call_on_close(workspace.close)
    return workspace
