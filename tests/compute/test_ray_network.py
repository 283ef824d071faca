"""The embedded Ray cluster is closed to other machines: every socket it listens on is
loopback, and what a local stranger can reach (the Jobs API) refuses requests without the
cluster's token."""

from __future__ import annotations

import ipaddress
import textwrap
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from helpers import eventually, fresh_workspace
from runlab import Experiment, Run, Workspace
from runlab.compute.ray import RayCompute
from runlab.compute.ray._processes import cluster_pids
from runlab.jobs import ScriptRunConfig

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("ray_installed")]

SLEEPER = """
import time
from runlab import Run
Run.get_context().log("started", 1)
time.sleep(600)
"""


def is_loopback(host: str) -> bool:
    """Whether a socket bound to ``host`` is reachable from this machine only (an IPv4
    loopback address mapped into IPv6, ``::ffff:127.0.0.1``, counts as loopback)."""
    address = ipaddress.ip_address(host.split("%")[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def listening_sockets(pids: list[int]) -> list[tuple[int, str, str, int]]:
    """Every TCP socket in LISTEN state and every unconnected UDP socket of ``pids``:
    (pid, the process's name, address, port)."""
    found = []
    for pid in pids:
        try:
            process = psutil.Process(pid)
            name = process.name()
            connections = process.net_connections(kind="inet")
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            continue  # a worker that ended meanwhile
        for connection in connections:
            listening = connection.status == psutil.CONN_LISTEN
            unconnected_udp = connection.type == 2 and not connection.raddr  # SOCK_DGRAM
            if listening or unconnected_udp:
                found.append((pid, name, connection.laddr.ip, connection.laddr.port))
    return found


def test_loopback_check_knows_the_address_kinds() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("::ffff:127.0.0.1")
    assert not is_loopback("0.0.0.0") and not is_loopback("::")
    assert not is_loopback("192.0.2.2") and not is_loopback("::ffff:192.0.2.2")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    with fresh_workspace(tmp_path_factory.mktemp("ws")) as created:
        yield created


@pytest.fixture(scope="module")
def cluster(workspace: Workspace) -> Iterator[RayCompute]:
    config = RayCompute.provisioning_configuration("STANDARD_D2_V2", min_nodes=1, max_nodes=1)
    target = RayCompute.create(workspace, "closed-cluster", config)
    try:
        yield target
    finally:
        target.delete()


def test_every_socket_of_a_running_cluster_is_loopback(
    workspace: Workspace, cluster: RayCompute, tmp_path: Path
) -> None:
    (tmp_path / "sleep.py").write_text(textwrap.dedent(SLEEPER))
    config = ScriptRunConfig(tmp_path, "sleep.py", compute_target="closed-cluster")
    run = Experiment(workspace, "network").submit(config)
    try:
        # A running job: the head, a worker node, their agents, the job's supervisor and
        # its driver's core worker are all up and listening now.
        eventually(
            lambda: Run.get(workspace, run.id).get_metrics(),
            until=lambda metrics: "started" in metrics,
            timeout=300,
            interval=0.5,
            message="the job to run on the cluster",
        )
        pids = cluster_pids(cluster._record.state["cluster_id"])
        sockets = listening_sockets(pids)
        names = {name for _, name, _, _ in sockets}
        # The test sees what it must judge: the GCS, the raylets and the dashboard at least.
        assert {"gcs_server", "raylet"} <= names, sockets
        assert len(sockets) >= 8, sockets
        open_to_others = [entry for entry in sockets if not is_loopback(entry[2])]
        assert open_to_others == [], (
            f"sockets of the cluster reachable from other machines: {open_to_others}"
        )
    finally:
        run.cancel()


def test_the_jobs_api_refuses_requests_without_the_token(cluster: RayCompute) -> None:
    # Loopback keeps other machines out; other users of this machine meet Ray's token.
    address = cluster._record.state["address"]
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{address}/api/jobs/", timeout=30)
    assert refused.value.code == 401
    token = Path(cluster._record.state["token_file"]).read_text().strip()
    request = urllib.request.Request(
        f"{address}/api/jobs/", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 200
