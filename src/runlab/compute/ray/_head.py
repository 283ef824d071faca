"""Start a Ray head on this machine as a child process, owned by a workspace.

The head runs ``ray start --head --block`` in its own session (so its process group is
its own), every listening socket of every node bound to 127.0.0.1 (``--node-ip-address``
alone does not do it: see :func:`start_head`; ``tests/compute/test_ray_network.py`` checks
it) with explicit free ports, its temporary and session folders in
the cluster's folder, token authentication on (``RAY_AUTH_MODE=token``, the token in a 0600
file). Its nodes come from Ray's own autoscaler with the fake multi-node provider
(``RAY_FAKE_CLUSTER=1``): the head has no CPUs, and the autoscaler starts and stops worker
nodes of the configured shape between min and max nodes, on this machine.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from runlab._files import write_atomic
from runlab.compute.local import gpus_here
from runlab.compute.processes import start_detached
from runlab.compute.ray._processes import CLUSTER_MARKER, free_ports, stop_cluster_processes
from runlab.compute.ray.provisioning import RayProvisioningConfiguration
from runlab.errors import BackendError

ONE_MACHINE_CLUSTER = {"RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0"}
"""What every process of an embedded cluster, and every driver that joins it, needs in its
environment. `ray start` (and ``ray.init``) turn 127.0.0.1 into this machine's outward address,
so servers listen on every interface and drivers dial that address, unless Ray is told this is
a one-machine cluster; with it, every node, server, agent and driver stays on loopback."""

__all__ = [
    "autoscaling_config",
    "rewrite_autoscaling_config",
    "start_head",
    "wait_for_jobs_api",
]

HEAD_START_TIMEOUT_S = 60.0
# Unix socket paths must stay under 108 bytes; Ray puts them in <temp>/session_<date>/sockets.
_MAX_TEMP_DIR_CHARS = 28


def autoscaling_config(
    config: RayProvisioningConfiguration, gcs_address: str, cluster_id: str, gpus: int
) -> dict[str, Any]:
    """The autoscaler's cluster config: a head without CPUs, one worker type of the node
    shape, kept between min and max nodes; GPUs only as many as this machine has."""
    # Ray refuses "memory" among a fake node's resources; the shape's memory is recorded only.
    resources: dict[str, Any] = {"CPU": config.node.cpu}
    if min(config.node.gpu, gpus):
        resources["GPU"] = min(config.node.gpu, gpus)
    return {
        "cluster_name": f"runlab-{cluster_id}",
        "max_workers": config.max_nodes,
        "upscaling_speed": float(config.max_nodes),
        "idle_timeout_minutes": config.idle_seconds_before_scaledown / 60.0,
        "provider": {
            "type": "fake_multinode",
            "use_node_id_as_ip": True,
            "disable_node_updaters": True,
            "disable_launch_config_check": True,
            "gcs_address": gcs_address,
        },
        "available_node_types": {
            "ray.head.default": {"resources": {"CPU": 0}, "node_config": {}, "max_workers": 0},
            "ray.worker.default": {
                "resources": resources,
                "node_config": {},
                "min_workers": config.min_nodes,
                "max_workers": config.max_nodes,
            },
        },
        "head_node_type": "ray.head.default",
        "auth": {},
        "file_mounts": {},
        "cluster_synced_files": [],
        "file_mounts_sync_continuously": False,
        "initialization_commands": [],
        "setup_commands": [],
        "head_setup_commands": [],
        "worker_setup_commands": [],
        "head_start_ray_commands": [],
        "worker_start_ray_commands": [],
    }


def rewrite_autoscaling_config(cluster_dir: Path, config: RayProvisioningConfiguration) -> None:
    """Write the changed scale settings where the autoscaler reads them again (it rereads its
    config file on every update), atomically."""
    scaling_file = cluster_dir / "autoscaling.json"
    current = json.loads(scaling_file.read_text(encoding="utf-8"))
    worker = current["available_node_types"]["ray.worker.default"]
    worker["min_workers"], worker["max_workers"] = config.min_nodes, config.max_nodes
    current["max_workers"] = config.max_nodes
    current["upscaling_speed"] = float(config.max_nodes)
    current["idle_timeout_minutes"] = config.idle_seconds_before_scaledown / 60.0
    write_atomic(scaling_file, json.dumps(current, indent=1))


def temp_dir_for(cluster_dir: Path, cluster_id: str) -> Path:
    """Where the cluster's Ray temporary and session folders go: inside the cluster's folder
    when its path is short enough for Ray's sockets, else ``runlab-ray-<id>`` in the system's
    temporary folder (linked from the cluster's folder as ``ray``)."""
    inside = cluster_dir / "ray"
    if len(str(inside)) <= _MAX_TEMP_DIR_CHARS:
        return inside
    short = Path(tempfile.gettempdir()) / f"runlab-ray-{cluster_id}"
    if len(str(short)) <= _MAX_TEMP_DIR_CHARS or os.name != "posix":
        return short
    # macOS's per-user temporary folder is too long for Ray's socket paths; Ray itself falls
    # back to the root temporary folder there, and so do we.
    return Path("/", "tmp", f"runlab-ray-{cluster_id}")


def wait_for_jobs_api(address: str, token: str | None, timeout_s: float) -> None:
    """Wait until the Jobs API at ``address`` answers.

    Raises:
        BackendError: it did not answer within ``timeout_s``.
    """
    request = urllib.request.Request(f"{address}/api/version")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    deadline = time.monotonic() + timeout_s
    last_error = "no answer"
    while True:
        try:
            with urllib.request.urlopen(request, timeout=2.0) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError as error:
            last_error = f"HTTP {error.code}"
            if error.code in (401, 403):
                raise BackendError(
                    f"the Ray cluster at {address} refused runlab's token ({last_error})"
                ) from error
        except (OSError, ValueError) as error:
            last_error = str(error)
        if time.monotonic() >= deadline:
            raise BackendError(
                f"no Ray Jobs API answered at {address} within {timeout_s:.0f} s: {last_error}"
            )
        time.sleep(0.2)


def start_head(
    cluster_dir: Path, cluster_id: str, config: RayProvisioningConfiguration
) -> dict[str, Any]:
    """Start the head and wait until its Jobs API answers; returns the state to record
    (pids, ports, addresses, folders). On any failure everything started is stopped again.

    Raises:
        BackendError: Ray is missing, or the head did not come up.
    """
    ray_cli = Path(sys.executable).parent / "ray"
    if not ray_cli.exists():
        raise BackendError(f"the ray command is missing beside {sys.executable}")
    cluster_dir.mkdir(parents=True, exist_ok=True)
    temp_dir = temp_dir_for(cluster_dir, cluster_id)
    temp_dir.mkdir(parents=True, exist_ok=True)
    if temp_dir != cluster_dir / "ray" and not (cluster_dir / "ray").exists():
        (cluster_dir / "ray").symlink_to(temp_dir)
    token = secrets.token_hex(32)
    token_file = cluster_dir / "auth_token"
    write_atomic(token_file, token, mode=0o600)
    gcs, dashboard, client, agent_http, agent_grpc, metrics, runtime_env = free_ports(7)
    gcs_address = f"127.0.0.1:{gcs}"
    scaling_file = cluster_dir / "autoscaling.json"
    gpus = gpus_here()
    scaling_file.write_text(
        json.dumps(autoscaling_config(config, gcs_address, cluster_id, gpus), indent=1),
        encoding="utf-8",
    )
    environment = os.environ | {
        CLUSTER_MARKER: cluster_id,
        "RAY_TMPDIR": str(temp_dir),
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN_PATH": str(token_file),
        "RAY_FAKE_CLUSTER": "1",
        "AUTOSCALER_UPDATE_INTERVAL_S": "1",
        "RAY_USAGE_STATS_ENABLED": "0",
        # The job entry's interpreter first on the nodes' PATH.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    environment |= ONE_MACHINE_CLUSTER
    environment.pop("RAY_ADDRESS", None)
    command = [
        str(ray_cli), "start", "--head", "--block",
        "--node-ip-address=127.0.0.1",
        f"--port={gcs}",
        "--dashboard-host=127.0.0.1",
        f"--dashboard-port={dashboard}",
        f"--ray-client-server-port={client}",
        f"--dashboard-agent-listen-port={agent_http}",
        f"--dashboard-agent-grpc-port={agent_grpc}",
        f"--metrics-export-port={metrics}",
        f"--runtime-env-agent-port={runtime_env}",
        f"--temp-dir={temp_dir}",
        "--num-cpus=0",
        "--num-gpus=0",
        f"--autoscaling-config={scaling_file}",
        "--disable-usage-stats",
    ]  # fmt: skip
    head_log = cluster_dir / "head.log"
    with head_log.open("ab") as log:
        try:
            head = start_detached(command, stdout=log, env=environment, cwd=cluster_dir)
        except OSError as error:
            raise BackendError(f"cannot start a Ray head: {error}") from error
    address = f"http://127.0.0.1:{dashboard}"
    try:
        wait_for_jobs_api(address, token, HEAD_START_TIMEOUT_S)
        if head.poll() is not None:
            raise BackendError(f"the Ray head exited with code {head.returncode}")
    except BackendError as error:
        stop_cluster_processes(cluster_id, [head.pid])
        tail = head_log.read_text(encoding="utf-8", errors="replace")[-2000:]
        raise BackendError(f"{error.message}; the head's log ends:\n{tail}") from error
    return {
        "owned": True,
        "cluster_id": cluster_id,
        "address": address,
        "gcs_address": gcs_address,
        "head_pid": head.pid,
        "cluster_dir": str(cluster_dir),
        "temp_dir": str(temp_dir),
        "token_file": str(token_file),
        "node_gpus": min(config.node.gpu, gpus),
        "started_time": time.time(),
    }
