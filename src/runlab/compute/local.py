"""``LocalCompute``: jobs as detached processes on this machine."""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from runlab._files import write_atomic
from runlab.compute.base import ComputeTarget
from runlab.compute.processes import process_cmdline, start_detached, terminate_tree, tree_alive
from runlab.entities import JobSpec
from runlab.errors import BackendError, ValidationError

__all__ = ["LocalCompute", "gpus_here", "job_root", "request_stop", "stop_request_file"]

CANCEL_GRACE_S = 3.0
"""How long a canceled job has to end after it is asked to before its processes are killed."""


def job_root() -> Path:
    """The folder of local jobs' working folders and queue slots (``RUNLAB_JOB_ROOT``)."""
    configured = os.environ.get("RUNLAB_JOB_ROOT")
    root = Path(configured) if configured else Path(tempfile.gettempdir()) / "runlab-jobs"
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BackendError(
            f"cannot use {root} for local jobs ({error}): set RUNLAB_JOB_ROOT to a writable folder"
        ) from error
    return root


def stop_request_file(run_id: str) -> Path:
    """The file whose appearance asks the local job of ``run_id`` to end: its entry watches
    for it and stops its script politely. It is how a cancel reaches a job on every platform,
    Windows included, where no signal from another console reaches a detached tree."""
    return job_root() / f"{run_id}.stop"


def request_stop(run_id: str) -> None:
    """Ask the local job of ``run_id`` to end (see :func:`stop_request_file`)."""
    try:
        stop_request_file(run_id).touch()
    except OSError as error:
        raise BackendError(f"cannot ask the job of run {run_id} to stop: {error}") from error


def _is_our_job(pid: int, run_id: str) -> bool:
    """Whether ``pid`` is still the entry of ``run_id`` (pids are reused)."""
    command = process_cmdline(pid)
    if command is None:  # ended (or not ours to read): what it started may still run
        return tree_alive(pid)
    joined = "\0".join(command)
    return "runlab.jobs.entry" in joined and run_id in joined


def gpus_here() -> int:
    """How many GPUs ``nvidia-smi -L`` lists on this machine; 0 without it or on its failure."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return 0
    try:
        listed = subprocess.run(
            [smi, "-L"], capture_output=True, text=True, encoding="utf-8", timeout=20
        )
    except (OSError, subprocess.SubprocessError):
        return 0
    return listed.stdout.count("GPU ") if listed.returncode == 0 else 0


class LocalCompute(ComputeTarget):
    """Runs each job's entry as a detached process group on this machine.

    Jobs beyond ``max_concurrent_runs`` wait, Queued, for a free slot (slots are file locks
    shared by every workspace on the machine).

    Args:
        max_concurrent_runs: how many jobs run at once (default: the number of cores).
    """

    def __init__(self, max_concurrent_runs: int | None = None) -> None:
        count = max_concurrent_runs or os.cpu_count() or 1
        if count < 1:
            raise ValidationError("max_concurrent_runs must be at least 1")
        self.max_concurrent_runs = count

    @property
    def name(self) -> str:
        """Always ``local``."""
        return "local"

    def has_gpu(self) -> bool:
        """Whether ``nvidia-smi`` lists a GPU on this machine."""
        return gpus_here() > 0

    def submit(self, spec: JobSpec) -> dict[str, Any]:
        """Start the job's entry, detached; returns ``{"pid", "host"}``."""
        spec = dataclasses.replace(spec, max_concurrent_runs=self.max_concurrent_runs)
        root = job_root()
        spec_file = root / f"{spec.run_id}.json"
        entry_log = root / f"{spec.run_id}.entry.log"
        try:
            # 0600 from the start: a server-backed workspace's spec holds RUNLAB_TOKEN. No
            # fsync: a crash of the machine loses the job with its spec.
            write_atomic(spec_file, spec.to_json(), mode=0o600, sync=False)
            with entry_log.open("ab") as log:
                # Its own process group (or tree): cancel reaches all of it.
                process = start_detached(
                    [sys.executable, "-m", "runlab.jobs.entry", str(spec_file)], stdout=log
                )
        except OSError as error:
            raise BackendError(f"cannot start the job of run {spec.run_id}: {error}") from error
        # Reap the entry when it ends, so a long-lived submitter collects no zombies.
        threading.Thread(target=process.wait, name="runlab-job-reaper", daemon=True).start()
        return {"pid": process.pid, "host": socket.gethostname(), "run_id": spec.run_id}

    def cancel(self, handle: dict[str, Any]) -> None:
        """Ask the job's whole tree to end (a stop request its entry passes on to the script,
        and SIGTERM to its process group on POSIX), then kill what is left after a grace
        period (see :func:`runlab.compute.processes.terminate_tree`).

        Raises:
            ValidationError: the job runs on another machine.
        """
        pid, host, run_id = int(handle["pid"]), handle.get("host"), str(handle.get("run_id"))
        if host and host != socket.gethostname():
            raise ValidationError(
                f"run {run_id} runs on {host}; cancel it there (this is {socket.gethostname()})"
            )
        if not _is_our_job(pid, run_id):
            return
        request_stop(run_id)
        terminate_tree(pid, CANCEL_GRACE_S, kill_wait_s=5.0)
