"""The Ray head of a cluster runlab started, SIGKILLed with every process below it (as if
its machine died) while two runs are Running on it.

Each run ends Failed, with the reason, within its heartbeat timeout (30 s here, plus the time
to look); the ComputeTarget's status says the cluster is gone (``Failed``, with why); and
deleting the target afterwards leaves no process behind.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import eventually, fresh_workspace
from runlab import Experiment, Workspace
from runlab.compute.processes import children
from runlab.compute.ray import RayCompute
from runlab.compute.ray._processes import cluster_pids
from runlab.jobs import ScriptRunConfig

pytestmark = [pytest.mark.slow]

SCRIPT = """
import time
from runlab import Run
run = Run.get_context()
for step in range(600):
    run.log("step", step)
    time.sleep(1)
"""

HEARTBEAT_TIMEOUT_S = 30.0


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    if importlib.util.find_spec("ray") is None:
        pytest.skip('Ray is not installed (pip install "runlab[ray]")')
    with fresh_workspace(tmp_path / "ws") as created:
        yield created


def test_runs_fail_and_the_target_says_gone_when_the_ray_head_dies(
    tmp_path: Path, workspace: Workspace
) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "job.py").write_text(textwrap.dedent(SCRIPT))
    config = RayCompute.provisioning_configuration("STANDARD_D2_V2", min_nodes=1, max_nodes=1)
    target = RayCompute.create(workspace, "doomed", config)
    cluster_id = target._record.state["cluster_id"]
    try:
        experiment = Experiment(workspace, "head-dies")
        runs = [
            experiment.submit(
                ScriptRunConfig(
                    source,
                    "job.py",
                    compute_target="doomed",
                    heartbeat_timeout_s=HEARTBEAT_TIMEOUT_S,
                )
            )
            for _ in range(2)
        ]
        for run in runs:
            started = eventually(
                run.get_status,
                until=lambda status: status in ("Running", "Failed", "Completed", "Canceled"),
                timeout=300,
                message="the run to start on the cluster",
            )
            assert started == "Running", run.get_details().get("error")
            eventually(
                lambda run=run: run.get_metrics().get("step", []),  # type: ignore[misc]
                until=lambda steps: isinstance(steps, list) and len(steps) >= 2,
                message="the run's first points",
            )
        assert target.get_status().provisioning_state == "Succeeded"
        head = int(target._record.state["head_pid"])
        for pid in [head, *children(head)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for run in runs:
            eventually(
                run.get_status,
                until=lambda status: status == "Failed",
                timeout=HEARTBEAT_TIMEOUT_S + 60,
                message="the run to fail after its cluster's head died",
            )
            error = run.get_details()["error"]["error"]
            assert error["reason"] == "heartbeat_timeout", error
            assert "no heartbeat" in error["message"], error
            assert run.get_metrics()["step"][:2] == [0, 1]
        status = RayCompute.get(workspace, "doomed").get_status()
        assert status.provisioning_state == "Failed"
        assert status.errors and "127.0.0.1" in status.errors[0], status.errors
    finally:
        target.delete()
    assert cluster_pids(cluster_id) == []
