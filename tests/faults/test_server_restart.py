"""The runlab server killed (SIGKILL) and started again while a job logs through it.

A job on the local target of a workspace reached only over HTTP (``Workspace.connect``) logs
one point every few milliseconds. While it does, the server is killed, stays away for a while,
and comes back on the same port. Every point logged arrives exactly once, the driver log is
whole, the run ends Completed.

The retry horizon: while the job's process lives, points it cannot store stay queued in memory
and are tried again every flush (without limit); when the process ends, its final flush and the
job entry's last status are tried again for :data:`runlab.tracking.buffer.RETRY_HORIZON_S`
seconds (``RUNLAB_RETRY_HORIZON_S``). The second test takes the server away exactly when the
script ends, and brings it back within that horizon.
"""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pytest
from faulting import ServerProcess

from helpers import eventually
from runlab import Experiment, Workspace
from runlab.jobs import ScriptRunConfig

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("job_root")]

LOGGING_SCRIPT = """
import os, sys, time
from pathlib import Path
from runlab import Run

points, pause = int(sys.argv[1]), float(sys.argv[2])
run = Run.get_context()
for step in range(points):
    run.log("step", step)
    if step % 100 == 0:
        print(f"logged {step}", flush=True)
    time.sleep(pause)
os.makedirs("outputs", exist_ok=True)
Path("outputs/done.txt").write_text("all points logged")
print("done", flush=True)
"""


def _source(tmp_path: Path) -> Path:
    source = tmp_path / "src"
    source.mkdir()
    (source / "log.py").write_text(textwrap.dedent(LOGGING_SCRIPT))
    return source


def _stored_steps(workspace: Workspace, run_id: str) -> list[float]:
    from runlab import Run

    values = Run.get(workspace, run_id).get_metrics().get("step", [])
    return values if isinstance(values, list) else [values]


def test_points_survive_a_server_killed_and_restarted_mid_job(
    tmp_path: Path, server_process: ServerProcess
) -> None:
    server_process.start()
    points = 1500
    with Workspace.connect(server_process.url) as workspace:
        config = ScriptRunConfig(_source(tmp_path), "log.py", arguments=[points, 0.01])
        run = Experiment(workspace, "restart").submit(config)
        eventually(
            lambda: len(_stored_steps(workspace, run.id)),
            until=lambda stored: stored >= 50,
            message="the job to log its first points",
        )
        server_process.kill()
        time.sleep(5.0)  # the job keeps logging to no one
        server_process.start()
        run.wait_for_completion(raise_on_error=False)
        assert run.get_status() == "Completed", run.get_details()
        assert _stored_steps(workspace, run.id) == list(range(points))
        assert run.get_file_names().count("outputs/done.txt") == 1
        driver = workspace.artifacts.get_bytes(f"runs/{run.id}/logs/driver.log").decode()
        assert "logged 1400" in driver and driver.rstrip().endswith("done"), driver[-500:]


def test_points_logged_at_the_end_survive_a_server_down_when_the_script_ends(
    tmp_path: Path, server_process: ServerProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    server_process.start()
    with Workspace.connect(server_process.url) as workspace:
        config = ScriptRunConfig(_source(tmp_path), "log.py", arguments=[300, 0.01])
        run = Experiment(workspace, "restart").submit(config)
        eventually(
            lambda: len(_stored_steps(workspace, run.id)),
            until=lambda stored: stored >= 20,
            message="the job to log its first points",
        )
        # Gone before the script ends (300 points take 3 s or more), back well within the
        # retry horizon: the final flush and the entry's last calls wait for it.
        server_process.kill()
        time.sleep(8.0)
        server_process.start()
        run.wait_for_completion(raise_on_error=False)
        assert run.get_status() == "Completed", run.get_details()
        assert _stored_steps(workspace, run.id) == list(range(300))
