"""Processes of a Ray cluster runlab started: free ports, finding them by marker, stopping.

Every process of a cluster runlab starts (the ``ray start --head --block`` child, everything
Ray starts below it, the fake autoscaler's nodes, runlab's monitor) inherits the environment
variable :data:`CLUSTER_MARKER` with the cluster's id, so they can be found by reading
``/proc/<pid>/environ``, and stopped by pid, never by name (``ray stop`` would kill every Ray
process on the machine).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import signal
import socket
import time
from pathlib import Path

from runlab.compute.processes import process_alive, processes

__all__ = ["CLUSTER_MARKER", "cluster_pids", "free_ports", "stop_cluster_processes"]

CLUSTER_MARKER = "RUNLAB_RAY_CLUSTER"


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports free on 127.0.0.1 right now (held open until all are
    found, so no two are the same)."""
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def cluster_pids(cluster_id: str | None) -> list[int]:
    """The live processes (not zombies) that carry ``cluster_id``'s marker (any cluster's,
    for None)."""
    needle = f"{CLUSTER_MARKER}={cluster_id or ''}".encode()
    found = []
    for pid in processes():
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if cluster_id is None:
            marked = any(item.startswith(needle) for item in environ)
        else:
            marked = needle in environ
        if marked and process_alive(pid):
            found.append(pid)
    return found


def _is_ray_process(pid: int) -> bool:
    """Whether a process is one of Ray's own: the ``ray`` command, a program in Ray's
    package, or a process Ray named (``ray::JobSupervisor``, ``ray-dashboard-...``)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return True  # gone: nothing to wait for
    if argv[0].startswith(("ray::", "ray-dashboard-")):
        return True
    package = _ray_package()
    return any(
        os.path.basename(arg) == "ray" or (package and arg.startswith(package))
        for arg in argv[:4]  # the interpreter, its options, the program
    )


@functools.cache
def _ray_package() -> str:
    """The folder of the installed ``ray`` package, ending in a separator ("" if none)."""
    spec = importlib.util.find_spec("ray")
    locations = spec.submodule_search_locations if spec else None
    return os.path.join(locations[0], "") if locations else ""


def stop_cluster_processes(
    cluster_id: str, group_leaders: list[int], grace_s: float = 4.0, ray_grace_s: float = 1.0
) -> list[int]:
    """SIGTERM to each of ``group_leaders``' process groups and to every process of the
    cluster, then SIGKILL, by pid, to every one still alive after the grace time.

    runlab's own processes (job entries recording a canceled run, the monitor) get
    ``grace_s``. Ray's own take many seconds to shut down gracefully (the head, the GCS and
    the raylets wait on one another) although nothing is left to save, so once only they
    are left, they get ``ray_grace_s`` from the SIGTERM.

    Returns:
        The pids still alive at the end (empty when everything stopped).
    """
    if not cluster_id:
        return []
    # Only leaders that carry the marker: a recorded pid may have been reused since.
    marked = set(cluster_pids(cluster_id))
    group_leaders = [leader for leader in group_leaders if leader in marked]
    for leader in group_leaders:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(leader, signal.SIGTERM)
    # The head alone takes many seconds to stop the autoscaler's nodes (their processes are
    # in other process groups); every process of the cluster gets its SIGTERM at once.
    for pid in cluster_pids(cluster_id):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    start = time.monotonic()
    while (elapsed := time.monotonic() - start) < grace_s:
        left = cluster_pids(cluster_id)
        if not left and not any(process_alive(pid) for pid in group_leaders):
            return []
        if elapsed >= ray_grace_s and all(_is_ray_process(pid) for pid in left):
            break
        time.sleep(0.1)
    for pid in cluster_pids(cluster_id):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        left = cluster_pids(cluster_id)
        if not left:
            return []
        time.sleep(0.1)
    return cluster_pids(cluster_id)
