"""Fixtures for Ray tests: a real Ray head per cluster, torn down with no process left."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from runlab.compute.processes import process_environ
from runlab.compute.ray._processes import cluster_pids, free_ports, stop_cluster_processes

SESSION_VARIABLE = "RUNLAB_TEST_SESSION"
"""Set in this test process for the whole session, so every process it starts (Ray's heads,
nodes and workers inherit it) can be told from those of other test sessions on the machine."""


def ray_cluster_pids(session: str) -> list[int]:
    """Every live process of a runlab cluster that the test session ``session`` started."""
    started_here = []
    for pid in cluster_pids(None):
        environment = process_environ(pid)  # None: gone meanwhile
        if environment is not None and environment.get(SESSION_VARIABLE) == session:
            started_here.append(pid)
    return started_here


@pytest.fixture(scope="session")
def ray_installed() -> None:
    """Skip, saying why, when Ray is not importable."""
    if importlib.util.find_spec("ray") is None:
        pytest.skip('Ray is not installed (pip install "runlab[ray]")')


@pytest.fixture(scope="session", autouse=True)
def no_ray_process_survives() -> Iterator[None]:
    """After every Ray test, no process of a runlab cluster this session started is left;
    clusters of other test sessions running on the same machine meanwhile do not count."""
    session = uuid.uuid4().hex
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(SESSION_VARIABLE, session)
        yield
    left = ray_cluster_pids(session)
    assert not left, f"Ray processes of runlab clusters survived the tests: {sorted(left)}"


@pytest.fixture
def own_head(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Ray head the test starts itself, without runlab, with 2 CPUs and no auth."""
    temp_dir = Path("/tmp") / f"rt-{os.getpid()}"
    gcs, dashboard, client, agent, grpc, metrics, runtime = free_ports(7)
    marker = f"test-{os.getpid()}"
    environment = os.environ | {
        "RAY_TMPDIR": str(temp_dir),
        "RAY_AUTH_MODE": "disabled",
        "RUNLAB_RAY_CLUSTER": marker,
        "RAY_USAGE_STATS_ENABLED": "0",
        # Without auth: at least keep it off the network (see runlab.compute.ray._head).
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    head = subprocess.Popen(
        [str(Path(sys.executable).parent / "ray"), "start", "--head", "--block",
         "--node-ip-address=127.0.0.1", f"--port={gcs}", "--dashboard-host=127.0.0.1",
         f"--dashboard-port={dashboard}", f"--ray-client-server-port={client}",
         f"--dashboard-agent-listen-port={agent}", f"--dashboard-agent-grpc-port={grpc}",
         f"--metrics-export-port={metrics}", f"--runtime-env-agent-port={runtime}",
         f"--temp-dir={temp_dir}", "--num-cpus=2"],
        env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        from runlab.compute.ray._head import wait_for_jobs_api

        wait_for_jobs_api(f"http://127.0.0.1:{dashboard}", None, 60)
        yield f"http://127.0.0.1:{dashboard}"
        assert head.poll() is None, "detaching must leave the head running"
    finally:
        assert stop_cluster_processes(marker, [head.pid]) == []
        head.wait()
        subprocess.run(["rm", "-rf", str(temp_dir)], check=False)
