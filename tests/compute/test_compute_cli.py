"""``runlab compute create|list|show|attach|delete`` with a real Ray head."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from runlab import Workspace
from runlab.cli import app
from runlab.compute.ray._processes import cluster_pids

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("ray_installed")]

runner = CliRunner(env={"RUNLAB_WORKSPACE_DIR": None, "COLUMNS": "200"})


def invoke(*args: str | Path) -> Result:
    return runner.invoke(app, [str(arg) for arg in args])


def test_create_list_show_delete(tmp_path: Path, workspace: Workspace) -> None:
    ws_dir = tmp_path / "ws"
    result = invoke("-w", ws_dir, "compute", "create", "cpu-cluster", "--vm-size",
                    "STANDARD_D2_V2", "--min-nodes", "1", "--max-nodes", "2")  # fmt: skip
    cluster_id = None
    try:
        assert result.exit_code == 0, result.output
        assert "Created compute target cpu-cluster" in result.output
        cluster_id = workspace.store.get_compute_target("cpu-cluster").state["cluster_id"]
        listed = invoke("-w", ws_dir, "compute", "list")
        assert listed.exit_code == 0 and "cpu-cluster" in listed.output
        assert "STANDARD_D2_V2" in listed.output
        shown = invoke("-w", ws_dir, "compute", "show", "cpu-cluster", "--json")
        assert shown.exit_code == 0, shown.output
        details = json.loads(shown.output)
        assert details["status"]["currentNodeCount"] == 1  # min 1: up before create returned
        assert details["properties"]["scaleSettings"]["maxNodeCount"] == 2
        duplicate = invoke("-w", ws_dir, "compute", "create", "cpu-cluster")
        assert duplicate.exit_code == 4 and "exists" in duplicate.output
        bad = invoke("-w", ws_dir, "compute", "create", "other", "--min-nodes", "3",
                     "--max-nodes", "2")  # fmt: skip
        assert bad.exit_code == 2 and "must not exceed" in bad.output
    finally:
        deleted = invoke("-w", ws_dir, "compute", "delete", "cpu-cluster")
    assert deleted.exit_code == 0, deleted.output
    assert "Deleted compute target cpu-cluster" in deleted.output
    assert cluster_id and cluster_pids(cluster_id) == []
    missing = invoke("-w", ws_dir, "compute", "show", "cpu-cluster")
    assert missing.exit_code == 3 and "no compute target named" in missing.output


def test_attach_then_delete_only_detaches(
    tmp_path: Path, workspace: Workspace, own_head: str
) -> None:
    ws_dir = tmp_path / "ws"
    attached = invoke("-w", ws_dir, "compute", "attach", "team", own_head)
    assert attached.exit_code == 0, attached.output
    listed = invoke("-w", ws_dir, "compute", "list")
    assert "team" in listed.output and "attached" in listed.output
    shown = invoke("-w", ws_dir, "compute", "show", "team")
    assert shown.exit_code == 0 and "Succeeded" in shown.output
    deleted = invoke("-w", ws_dir, "compute", "delete", "team")
    assert deleted.exit_code == 0 and "Detached compute target team" in deleted.output
    from runlab.compute.ray._head import wait_for_jobs_api

    wait_for_jobs_api(own_head, None, 5)  # the head still answers
    nobody = invoke("-w", ws_dir, "compute", "attach", "gone", "http://127.0.0.1:1")
    assert nobody.exit_code == 6 and "no Ray Jobs API answered" in nobody.output
