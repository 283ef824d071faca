"""Ray clusters end to end: a real head on 127.0.0.1, real nodes from Ray's autoscaler."""

from __future__ import annotations

import contextlib
import os
import signal
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import eventually, fresh_workspace
from runlab import Experiment, Run, Workspace
from runlab.compute.processes import (
    children,
    parent_pid,
    process_alive,
    process_cmdline,
    processes,
)
from runlab.compute.ray import JobState, RayCompute
from runlab.compute.ray._monitor import RUN_ID_KEY
from runlab.compute.ray._processes import cluster_pids, free_ports
from runlab.errors import AlreadyExistsError, BackendError, NotFoundError, ValidationError
from runlab.jobs import ScriptRunConfig

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("ray_installed")]

TRAIN = """
import os, sys, time
from runlab import Run
run = Run.get_context()
for step in range(3):
    run.log("loss", 1.0 / (step + 1))
print("training on", os.getpid(), flush=True)
os.makedirs("outputs", exist_ok=True)
with open("outputs/model.txt", "w") as handle:
    handle.write("weights")
time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 0)
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    """One workspace for the module's tests, which share its cluster."""
    with fresh_workspace(tmp_path_factory.mktemp("ws")) as created:
        yield created


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("src")
    (folder / "train.py").write_text(textwrap.dedent(TRAIN))
    return folder


@pytest.fixture(scope="module")
def cluster(workspace: Workspace) -> Iterator[RayCompute]:
    config = RayCompute.provisioning_configuration(
        "STANDARD_D2_V2", min_nodes=0, max_nodes=2, idle_seconds_before_scaledown=5
    )
    target = RayCompute.create(workspace, "cpu-cluster", config)
    cluster_id = target._record.state["cluster_id"]
    try:
        yield target
    finally:
        target.delete()
        assert cluster_pids(cluster_id) == []


def test_runs_complete_and_nodes_scale_up_then_down(
    workspace: Workspace, source: Path, cluster: RayCompute
) -> None:
    experiment = Experiment(workspace, "scale")
    runs = [
        experiment.submit(ScriptRunConfig(source, "train.py", ["4"], compute_target="cpu-cluster"))
        for _ in range(3)
    ]
    most_nodes = 0

    def statuses() -> list[str]:
        nonlocal most_nodes
        most_nodes = max(most_nodes, cluster.get_status().current_node_count)
        return [Run.get(workspace, run.id).status for run in runs]

    eventually(
        statuses,
        until=lambda seen: all(status in ("Completed", "Failed") for status in seen),
        timeout=300,
        interval=0.5,
        message="the three runs to end",
    )
    for run in runs:
        details = run.wait_for_completion()
        assert details["status"] == "Completed"
        assert run.get_metrics()["loss"] == [1.0, 0.5, 1.0 / 3]
        assert "outputs/model.txt" in run.get_file_names()
        assert "logs/driver.log" in run.get_file_names()
    # 3 jobs of 1 CPU each on nodes of 2 CPUs: the autoscaler needed its second node.
    assert most_nodes == 2
    idle = eventually(
        cluster.get_status,
        until=lambda status: status.current_node_count == 0,
        timeout=180,
        interval=0.25,
        message="the cluster to scale back to min_nodes=0",
    )
    assert idle.serialize()["currentNodeCount"] == 0
    assert idle.serialize()["scaleSettings"]["maxNodeCount"] == 2


def test_the_target_is_found_by_name_everywhere(workspace: Workspace, cluster: RayCompute) -> None:
    from runlab import ComputeTarget

    found = ComputeTarget(workspace, "cpu-cluster")
    assert isinstance(found, RayCompute) and found.address == cluster.address
    assert list(workspace.compute_targets) == ["cpu-cluster"]
    with pytest.raises(NotFoundError):
        ComputeTarget(workspace, "gpu-cluster")


def test_a_dead_monitor_is_started_again(
    workspace: Workspace, source: Path, cluster: RayCompute
) -> None:
    old = RayCompute.get(workspace, "cpu-cluster")._record.state["monitor_pid"]
    os.kill(old, signal.SIGKILL)
    eventually(lambda: not process_alive(old), message="the monitor to die")
    run = Experiment(workspace, "monitor").submit(
        ScriptRunConfig(source, "train.py", compute_target="cpu-cluster")
    )
    new = RayCompute.get(workspace, "cpu-cluster")._record.state["monitor_pid"]
    assert new != old and process_alive(new)
    assert run.wait_for_completion()["status"] == "Completed"


def test_cancel_stops_the_ray_job(workspace: Workspace, source: Path, cluster: RayCompute) -> None:
    run = Experiment(workspace, "cancel").submit(
        ScriptRunConfig(source, "train.py", ["600"], compute_target="cpu-cluster")
    )
    eventually(run.get_status, until=lambda status: status == "Running", message="the run to start")
    run.cancel()
    assert run.get_status() == "Canceled"
    assert cluster.client.get_job_status(run.id) is JobState.STOPPED


def _raylet_of(pid: int) -> int:
    """The raylet (the node) that ``pid`` descends from."""
    while pid > 1:
        command = process_cmdline(pid)
        if command is not None and "raylet/raylet" in "\0".join(command):
            return pid
        parent = parent_pid(pid)
        assert parent is not None, f"process {pid} vanished"
        pid = parent
    raise AssertionError("the job runs under no raylet")


def _descendants(root: int) -> list[int]:
    return [root, *children(root)]


def test_a_killed_node_fails_its_run(
    workspace: Workspace, source: Path, cluster: RayCompute
) -> None:
    run = Experiment(workspace, "node-dies").submit(
        ScriptRunConfig(source, "train.py", ["600"], compute_target="cpu-cluster")
    )
    eventually(run.get_status, until=lambda status: status == "Running", message="the run to start")
    entry = next(
        pid
        for pid in processes()
        if "runlab.jobs.entry" in (command := "\0".join(process_cmdline(pid) or []))
        and run.id in command
    )
    for pid in _descendants(_raylet_of(entry)):  # the whole node, as if its machine died
        with contextlib.suppress(ProcessLookupError):  # gone with its parent already
            os.kill(pid, signal.SIGKILL)
    eventually(
        run.get_status,
        until=lambda status: status == "Failed",
        timeout=120,
        message="the run to fail",
    )
    error = run.get_details()["error"]["error"]
    # The monitor saw the Ray job fail (the heartbeat timeout, 60 s, is only the backstop).
    assert error["reason"] == "ray_job_failed", error
    assert "ended FAILED" in error["message"]


def test_bad_input_leaves_nothing(workspace: Workspace, cluster: RayCompute) -> None:
    with pytest.raises(ValidationError, match="min_nodes"):
        RayCompute.provisioning_configuration("STANDARD_D2_V2", min_nodes=3, max_nodes=2)
    with pytest.raises(ValidationError, match="unknown vm_size"):
        RayCompute.provisioning_configuration("STANDARD_X9000")
    config = RayCompute.provisioning_configuration("STANDARD_D2_V2", max_nodes=1)
    with pytest.raises(AlreadyExistsError):
        RayCompute.create(workspace, "cpu-cluster", config)
    assert cluster.get_status().provisioning_state == "Succeeded"  # the first one is intact
    (port,) = free_ports(1)
    with pytest.raises(BackendError, match="no Ray Jobs API answered"):
        RayCompute.attach(workspace, "nobody", f"http://127.0.0.1:{port}")
    with pytest.raises(ValidationError, match="runlab server"):
        RayCompute.attach(workspace, "far-away", "http://10.1.2.3:8265")
    assert [target for target in workspace.compute_targets] == ["cpu-cluster"]
    clusters = workspace.config_path.parent / "clusters"  # type: ignore[union-attr]
    assert sorted(path.name for path in clusters.iterdir()) == ["cpu-cluster"]


def test_attach_submit_detach(workspace: Workspace, source: Path, own_head: str) -> None:
    target = RayCompute.attach(workspace, "team-cluster", own_head)
    run = Experiment(workspace, "attached").submit(
        ScriptRunConfig(source, "train.py", compute_target="team-cluster")
    )
    assert run.wait_for_completion()["status"] == "Completed"
    assert run.get_metrics()["loss"][0] == 1.0
    assert target.get_status().current_node_count == 1

    # The Jobs API through runlab's client: runlab's own values and errors, not Ray's.
    jobs = target.client
    # The run is Completed a moment before its entry, the Ray job's entrypoint, exits.
    eventually(
        lambda: jobs.get_job_status(run.id),
        until=lambda status: status.is_terminal,
        message="the Ray job to end",
    )
    job = jobs.get_job(run.id)
    assert job.state is JobState.SUCCEEDED
    assert job.metadata[RUN_ID_KEY] == run.id and job.start_time is not None
    bare = jobs.submit_job("echo hello-from-ray", num_cpus=1)
    eventually(
        lambda: jobs.get_job_status(bare),
        until=lambda status: status.is_terminal,
        message="the bare job to end",
    )
    assert "hello-from-ray" in jobs.get_job_logs(bare)
    assert {run.id, bare} <= {listed.submission_id for listed in jobs.list_jobs()}
    assert [node.resources["CPU"] for node in jobs.alive_worker_nodes()] == [2.0]
    with pytest.raises(NotFoundError):
        jobs.get_job_status("no-such-job")
    with pytest.raises(NotFoundError):
        jobs.stop_job("no-such-job")
    target.cancel({"submission_id": "no-such-job"})  # a job the cluster forgot: nothing to stop
    target.detach()
    assert "team-cluster" not in workspace.compute_targets
    from runlab.compute.ray._head import wait_for_jobs_api

    wait_for_jobs_api(own_head, None, 60)  # still answering: detach stopped nothing


def test_a_job_pending_past_its_deadline_fails_and_update_scales(
    workspace: Workspace, source: Path
) -> None:
    # One node, up before the first job, and a deadline far above the time a job takes to
    # start on an idle node: on two busy cores a node started on demand, or the start of the
    # job's supervisor, takes several seconds, and the first job must not be the one that fails.
    config = RayCompute.provisioning_configuration(
        None, cpu=1, min_nodes=1, max_nodes=1, idle_seconds_before_scaledown=5,
        pending_timeout_s=20,
    )  # fmt: skip
    target = RayCompute.create(workspace, "tiny", config)
    cluster_id = target._record.state["cluster_id"]
    try:
        target.wait_for_completion(min_node_count=1, timeout_in_minutes=5)
        experiment = Experiment(workspace, "pending")
        long_job = ScriptRunConfig(source, "train.py", ["600"], compute_target="tiny")
        first = experiment.submit(long_job)
        eventually(
            first.get_status,
            until=lambda status: status == "Running",
            message="the first run to start",
        )
        second = experiment.submit(ScriptRunConfig(source, "train.py", compute_target="tiny"))
        eventually(
            second.get_status,
            until=lambda status: status == "Failed",
            timeout=120,
            message="the waiting run to fail",
        )
        assert second.get_details()["error"]["error"]["reason"] == "pending_timeout"
        # More nodes: the second job can start now, but its run has ended, so the monitor
        # stops it instead of letting it run.
        target.update(max_nodes=2)
        assert RayCompute.get(workspace, "tiny").provisioning.max_nodes == 2  # type: ignore[union-attr]
        jobs = target.client
        eventually(
            lambda: jobs.get_job_status(second.id),
            until=lambda status: status.is_terminal,
            message="the job to be stopped",
        )
        assert second.get_status() == "Failed"
        first.cancel()
        assert first.get_status() == "Canceled"
        assert target.list_nodes()[0]["resources"]["CPU"] == 1
    finally:
        target.delete()
        assert cluster_pids(cluster_id) == []
