"""What a Ray target needs of its workspace, and the files and processes it keeps there."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

from runlab.compute.base import WorkspaceLike
from runlab.compute.processes import process_cmdline, start_detached
from runlab.compute.ray._processes import CLUSTER_MARKER
from runlab.entities import workspace_config
from runlab.errors import BackendError, ValidationError

__all__ = [
    "WorkspaceLike",
    "check_name",
    "cluster_dir",
    "monitor_alive",
    "remove_folders",
    "server_url",
    "start_monitor",
]

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{1,31}$")


def server_url(workspace: WorkspaceLike) -> str | None:
    """The runlab server's URL when the workspace is served over HTTP, else None
    (:func:`runlab.entities.workspace_config.server_url`)."""
    return workspace_config.server_url(workspace.to_dict())


def cluster_dir(workspace: WorkspaceLike, name: str) -> Path:
    """The folder of the cluster's files: ``.runlab/clusters/<name>`` beside the config.

    A workspace served by a runlab server has no config folder here: an attached cluster's
    files (monitor settings and log, job specs) then go to a folder of this machine's job
    root, one per server and target name.
    """
    url = server_url(workspace)
    if workspace.config_path is None and url is not None:
        from runlab.compute.local import job_root

        key = hashlib.sha256(url.encode()).hexdigest()[:12]
        return job_root() / "clusters" / key / name
    if workspace.config_path is None:
        raise ValidationError(
            "a Ray compute target keeps its files beside the workspace's config: use a"
            " workspace made by Workspace.create or read by Workspace.from_config"
        )
    return workspace.config_path.parent / "clusters" / name


def check_name(name: object) -> str:
    """``name`` if it is a valid target name, else ``ValidationError``."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValidationError(
            f"bad compute target name {name!r}: 2 to 32 letters, digits and dashes,"
            " starting with a letter"
        )
    if name == "local":
        raise ValidationError("'local' is this machine's target; choose another name")
    return name


def start_monitor(
    workspace: WorkspaceLike, folder: Path, cluster_id: str, state: dict[str, Any]
) -> int:
    """Start the cluster's monitor, detached; returns its pid."""
    config = workspace.to_dict()
    settings = folder / "monitor.json"
    settings.write_text(
        json.dumps(
            {
                "address": state["address"],
                "token_file": state.get("token_file"),
                "store_uri": config["store_uri"],
                "artifact_uri": config["artifact_uri"],
            }
        ),
        encoding="utf-8",
    )
    with (folder / "monitor.log").open("ab") as log:
        try:
            process = start_detached(
                [sys.executable, "-m", "runlab.compute.ray._monitor", str(settings)],
                stdout=log,
                env=os.environ | {CLUSTER_MARKER: cluster_id} | _token_variable(workspace),
            )
        except OSError as error:
            raise BackendError(f"cannot start the cluster's monitor: {error}") from error
    return process.pid


def _token_variable(workspace: WorkspaceLike) -> dict[str, str]:
    """``RUNLAB_TOKEN`` for the monitor of a server-backed workspace: it opens the stores by
    URL, and the REST stores read their token from there (never from its settings file)."""
    job_token = getattr(workspace, "job_token", None)
    token = job_token() if callable(job_token) else None
    return {"RUNLAB_TOKEN": token} if isinstance(token, str) and token else {}


def monitor_alive(state: dict[str, Any]) -> bool:
    """Whether the cluster's monitor (``state["monitor_pid"]``) still runs."""
    pid = state.get("monitor_pid")
    if not pid:
        return False
    command = process_cmdline(int(pid))
    return command is not None and "runlab.compute.ray._monitor" in "\0".join(command)


def remove_folders(folder: Path, state: dict[str, Any]) -> None:
    """Remove the cluster's folder, and its Ray temporary folder where that lies outside."""
    temp_dir = state.get("temp_dir")
    if temp_dir and not Path(temp_dir).is_relative_to(folder):
        shutil.rmtree(temp_dir, ignore_errors=True)
    if folder.name:
        shutil.rmtree(folder, ignore_errors=True)
