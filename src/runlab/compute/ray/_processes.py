"""Processes of a Ray cluster runlab started: free ports, finding them by marker, stopping.

Every process of a cluster runlab starts (the ``ray start --head --block`` child, everything
Ray starts below it, the fake autoscaler's nodes, runlab's monitor) inherits the environment
variable :data:`CLUSTER_MARKER` with the cluster's id, so they can be found by their
environment (:func:`runlab.compute.processes.process_environ`), and stopped by pid, never by
name (``ray stop`` would kill every Ray process on the machine).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import socket
import time

from runlab.compute.processes import (
    kill,
    process_alive,
    process_cmdline,
    process_environ,
    processes,
    signal_tree,
    terminate,
)

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
    found = []
    for pid in processes():
        environ = process_environ(pid)
        if environ is None or CLUSTER_MARKER not in environ:
            continue
        if (cluster_id is None or environ[CLUSTER_MARKER] == cluster_id) and process_alive(pid):
            found.append(pid)
    return found


def _is_ray_process(pid: int) -> bool:
    """Whether a process is one of Ray's own: the ``ray`` command, a program in Ray's
    package, or a process Ray named (``ray::JobSupervisor``, ``ray-dashboard-...``)."""
    argv = process_cmdline(pid)
    if not argv:
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
    """Ask each of ``group_leaders``' trees (their process groups on POSIX) and every process
    of the cluster to end, then kill, by pid, every one still alive after the grace time.

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
        signal_tree(leader)
    # The head alone takes many seconds to stop the autoscaler's nodes (their processes are
    # in other process groups); every process of the cluster gets its SIGTERM at once.
    terminate(cluster_pids(cluster_id))
    start = time.monotonic()
    while (elapsed := time.monotonic() - start) < grace_s:
        left = cluster_pids(cluster_id)
        if not left and not any(process_alive(pid) for pid in group_leaders):
            return []
        if elapsed >= ray_grace_s and all(_is_ray_process(pid) for pid in left):
            break
        time.sleep(0.1)
    kill(cluster_pids(cluster_id))
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        left = cluster_pids(cluster_id)
        if not left:
            return []
        time.sleep(0.1)
    return cluster_pids(cluster_id)
