"""Jobs of a workspace served by `runlab server`: the job reports over HTTP only.

A real `runlab server` process (its log captured) serves a workspace with a write token; the
test connects with `Workspace.connect(url, token=...)`, attaches a Ray head it starts itself
(`own_head`) and submits; the job's entry and script reach the server with the token they get
as RUNLAB_TOKEN, and the token shows up in no property, run file or server log line.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from helpers import eventually
from runlab import Experiment, Run, Workspace
from runlab.compute.ray import RayCompute
from runlab.compute.ray import compute as ray_compute
from runlab.compute.ray._monitor import RUN_ID_KEY
from runlab.entities import RunStatus
from runlab.errors import ValidationError
from runlab.jobs import ScriptRunConfig
from runlab.server.auth import TokenStore, tokens_file_of

pytestmark = [pytest.mark.slow]

SCRIPT = """
import os, sys, time
from runlab import Run
run = Run.get_context()
assert type(run).__name__ == "Run", type(run)
assert os.environ.get("RUNLAB_TOKEN"), "the token did not reach the script"
from runlab.errors import AccessDeniedError
try:  # the job's token is its run's own: it may not change anything outside the run
    run.experiment.workspace.store.create_experiment("not-the-runs")
except AccessDeniedError:
    print("outside the run: refused", flush=True)
else:
    raise SystemExit("the job's token wrote outside its run")
for step in range(3):
    run.log("loss", 1.0 / (step + 1))
print("hello from the job", flush=True)
os.makedirs("outputs", exist_ok=True)
with open("outputs/x.txt", "w") as handle:
    handle.write("x marks the spot")
time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 0)
"""


@dataclass
class Served:
    url: str
    token: str
    folder: Path
    log: Path


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`runlab server` as a child process over a fresh workspace that requires a token."""
    pytest.importorskip("uvicorn", reason="needs the server extra: pip install 'runlab[server]'")
    folder = tmp_path_factory.mktemp("served")
    backing = Workspace.create("served", folder)
    token, _record = TokenStore(tokens_file_of(backing.config_path)).create("write", "jobs")
    backing.close()
    port = _free_port()
    log = folder / "server.log"
    environment = {k: v for k, v in os.environ.items() if k != "RUNLAB_TOKEN"}
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "runlab.cli", "server", "--workspace", str(folder),
             "--host", "127.0.0.1", "--port", str(port), "--log-level", "info"],
            env=environment, stdin=subprocess.DEVNULL, stdout=output,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:

        def refuses_without_a_token() -> bool:
            assert server.poll() is None, log.read_text()
            return httpx.get(f"{url}/api/workspace", timeout=2).status_code == 401

        eventually(
            refuses_without_a_token, ignoring=(httpx.HTTPError,), message="the server to start"
        )
        yield Served(url, token, folder, log)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def connected(served: Served, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    # The token comes from the argument only: nothing in this process's environment.
    monkeypatch.delenv("RUNLAB_TOKEN", raising=False)
    workspace = Workspace.connect(served.url, token=served.token)
    yield workspace
    workspace.close()


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("src")
    (folder / "job.py").write_text(textwrap.dedent(SCRIPT))
    return folder


def _assert_run_token(token: str, run_id: str, served: Served) -> None:
    """``token`` is one the server made for ``run_id``'s job, not the submitter's."""
    assert token != served.token
    record = TokenStore(tokens_file_of(served.folder / ".runlab" / "config.json")).find(token)
    assert record is not None, "the job's token is not known to the server"
    assert (record.scope, record.run_id, record.name) == ("run", run_id, f"run-{run_id}")


def _check_run(run: Run, served: Served) -> None:
    """The run's metrics, driver log and outputs, through the server and straight from the
    backing workspace; the token in none of its properties or files, nor the server log."""
    assert run.get_status() == "Completed", run.get_details()
    assert run.get_metrics()["loss"] == [1.0, 0.5, 1.0 / 3]
    names = run.get_file_names()
    assert {"logs/driver.log", "outputs/x.txt"} <= set(names), names
    backing = Workspace.from_config(served.folder)
    try:
        direct = Run.get(backing, run.id)
        assert direct.get_status() == "Completed"
        assert direct.get_metrics()["loss"][0] == 1.0
        artifacts = backing.artifacts
        driver = artifacts.get_bytes(f"runs/{run.id}/logs/driver.log").decode()
        assert "hello from the job" in driver
        assert "outside the run: refused" in driver
        assert artifacts.get_bytes(f"runs/{run.id}/outputs/x.txt") == b"x marks the spot"
        for name in names:
            assert served.token.encode() not in artifacts.get_bytes(f"runs/{run.id}/{name}"), name
        properties = direct.get_properties()
        assert served.token not in repr(properties)
        assert served.token not in repr(direct.get_details())
        # The spec's workspace is the server's URL, never the server's local paths.
        assert str(served.folder) not in repr(properties)
    finally:
        backing.close()
    assert served.token not in served.log.read_text(errors="replace")
    assert served.token not in repr(run) and served.token not in repr(run.experiment.workspace)


@pytest.mark.usefixtures("ray_installed")
def test_a_job_on_an_attached_ray_cluster_reports_through_the_server(
    connected: Workspace,
    served: Served,
    source: Path,
    own_head: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert connected.server_url == served.url
    with pytest.raises(ValidationError, match="local folder"):
        RayCompute.create(connected, "owned", RayCompute.provisioning_configuration())
    target = RayCompute.attach(connected, "team-ray", own_head)
    try:
        folder = Path(target._record.state["cluster_dir"])
        assert not folder.is_relative_to(served.folder)
        experiment = Experiment(connected, "served-ray")
        run = experiment.submit(ScriptRunConfig(source, "job.py", compute_target="team-ray"))
        spec_file = folder / "jobs" / f"{run.id}.json"
        if spec_file.exists():  # the entry removes it when it ends
            assert spec_file.stat().st_mode & 0o777 == 0o600
        assert run.wait_for_completion()["status"] == "Completed"
        _check_run(run, served)

        # As if the cluster were on another machine: the spec travels with the Ray job (no
        # file of this machine), the token beside it in the job's environment only.
        with monkeypatch.context() as patch:
            patch.setattr(ray_compute, "_LOCAL_HOSTS", set())
            far = experiment.submit(ScriptRunConfig(source, "job.py", compute_target="team-ray"))
            assert not (folder / "jobs" / f"{far.id}.json").exists()
            env_vars = target.client.get_job(far.id).env_vars
            assert served.token not in env_vars["RUNLAB_JOB_SPEC"]
            _assert_run_token(env_vars["RUNLAB_TOKEN"], far.id, served)
            assert far.wait_for_completion()["status"] == "Completed"
            _check_run(far, served)

        # Cancel: the Ray job is stopped, the run Canceled.
        slow = experiment.submit(
            ScriptRunConfig(source, "job.py", ["600"], compute_target="team-ray")
        )
        eventually(
            slow.get_status,
            until=lambda status: status == "Running",
            message="the slow run to start",
        )
        slow.cancel()
        assert slow.get_status() == "Canceled"
        assert target.client.get_job_status(slow.id).is_terminal

        # The monitor reports over HTTP with the token: a Ray job of a run that ends before
        # any entry records an end fails the run, with Ray's log kept among its files.
        record = connected.store.create_run(
            "served-ray", "served-ray_monitor_check", status=RunStatus.QUEUED
        )
        target.client.submit_job(
            "echo broken-before-the-entry; exit 3",
            submission_id=record.run_id,
            metadata={RUN_ID_KEY: record.run_id},
        )
        orphan = Run.get(connected, record.run_id)
        eventually(
            orphan.get_status,
            until=lambda status: status == "Failed",
            message="the monitor to fail the run",
        )
        assert orphan.get_details()["error"]["error"]["reason"] == "ray_job_failed"
        assert "logs/ray_job.log" in orphan.get_file_names()
        monitor_log = (folder / "monitor.log").read_text()
        assert served.token not in monitor_log and "401" not in monitor_log
    finally:
        target.detach()
    assert "team-ray" not in connected.compute_targets
    assert not folder.exists()


def test_a_local_job_of_a_served_workspace_reports_through_the_server(
    connected: Workspace,
    served: Served,
    source: Path,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("RUNLAB_JOB_ROOT", str(tmp_path / "jobs"))
    monkeypatch.setenv("RUNLAB_KEEP_JOB_DIRS", "1")
    run = Experiment(connected, "served-local").submit(ScriptRunConfig(source, "job.py"))
    assert run.wait_for_completion()["status"] == "Completed"
    _check_run(run, served)
    spec_file = tmp_path / "jobs" / f"{run.id}.json"
    assert spec_file.stat().st_mode & 0o777 == 0o600
    # The spec's workspace names the server only; the token is in its environment alone.
    import json

    spec = json.loads(spec_file.read_text())
    assert spec["workspace"]["store_uri"] == served.url
    assert served.token not in json.dumps(spec["workspace"])
    _assert_run_token(spec["environment_variables"]["RUNLAB_TOKEN"], run.id, served)
