"""``runlab run submit|logs|cancel`` against real jobs on the local target."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from helpers import eventually
from runlab import Run, Workspace
from runlab.cli import app

runner = CliRunner(env={"RUNLAB_WORKSPACE_DIR": None, "COLUMNS": None})


def invoke(*args: str | Path) -> Result:
    return runner.invoke(app, [str(arg) for arg in args])


pytestmark = pytest.mark.usefixtures("job_root")  # in tests/conftest.py


def _submitted_run_id(result: Result) -> str:
    assert result.exit_code == 0, result.output
    first = result.stdout.splitlines()[0]
    assert first.startswith("Submitted run ")
    return first.split()[2]


def test_submit_with_arguments_then_read_the_log(tmp_path: Path, workspace: Workspace) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "train.py").write_text("import sys\nprint('args:', sys.argv[1:])\n")
    ws_dir = tmp_path / "ws"
    result = invoke(
        "-w",
        ws_dir,
        "run",
        "submit",
        "-e",
        "cli",
        "--source",
        source,
        "--wait",
        "train.py",
        "--",
        "--regularization",
        "0.8",
    )
    run_id = _submitted_run_id(result)
    assert "args: ['--regularization', '0.8']" in result.stdout
    assert "Completed" in result.stdout
    logs = invoke("-w", ws_dir, "run", "logs", run_id)
    assert logs.exit_code == 0 and "args: ['--regularization', '0.8']" in logs.stdout
    assert Run.get(workspace, run_id).get_parameters() == {"regularization": "0.8"}


def test_follow_then_cancel(tmp_path: Path, workspace: Workspace) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "sleep.py").write_text("import time\nprint('sleeping', flush=True)\ntime.sleep(60)\n")
    ws_dir = tmp_path / "ws"
    run_id = _submitted_run_id(
        invoke("-w", ws_dir, "run", "submit", "-e", "cli", "-s", source, "sleep.py")
    )
    run = Run.get(workspace, run_id)
    eventually(run.get_status, until=lambda status: status == "Running", message="the run to start")
    canceled = invoke("-w", ws_dir, "run", "cancel", run_id)
    assert canceled.exit_code == 0 and "Canceled" in canceled.stdout
    followed = invoke("-w", ws_dir, "run", "logs", run_id, "--follow")
    assert followed.exit_code == 0 and "sleeping" in followed.stdout


def test_submit_errors_are_one_line(tmp_path: Path, workspace: Workspace) -> None:
    result = invoke("-w", tmp_path / "ws", "run", "submit", "-e", "cli", "-s", tmp_path, "nope.py")
    assert result.exit_code == 3
    assert result.stderr.strip().startswith("Error: there is no script 'nope.py'")
    assert "Traceback" not in result.output
