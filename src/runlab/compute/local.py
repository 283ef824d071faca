"""``LocalCompute``: jobs as detached processes on this machine."""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from runlab._files import write_atomic
from runlab.compute.base import ComputeTarget
from runlab.compute.processes import group_alive
from runlab.entities import JobSpec
from runlab.errors import BackendError, ValidationError

__all__ = ["LocalCompute", "job_root"]

CANCEL_GRACE_S = 3.0
"""How long a canceled job has to end after SIGTERM before its processes get SIGKILL."""


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


def _is_our_job(pid: int, run_id: str) -> bool:
    """Whether ``pid`` is still the entry of ``run_id`` (pids are reused)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return group_alive(pid)
    return b"runlab.jobs.entry" in command and run_id.encode() in command


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
        smi = shutil.which("nvidia-smi")
        if smi is None:
            return False
        try:
            listed = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.SubprocessError):
            return False
        return listed.returncode == 0 and "GPU" in listed.stdout

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
                process = subprocess.Popen(
                    [sys.executable, "-m", "runlab.jobs.entry", str(spec_file)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # its own process group: cancel reaches all of it
                    close_fds=True,
                )
        except OSError as error:
            raise BackendError(f"cannot start the job of run {spec.run_id}: {error}") from error
        # Reap the entry when it ends, so a long-lived submitter collects no zombies.
        threading.Thread(target=process.wait, name="runlab-job-reaper", daemon=True).start()
        return {"pid": process.pid, "host": socket.gethostname(), "run_id": spec.run_id}

    def cancel(self, handle: dict[str, Any]) -> None:
        """SIGTERM to the job's process group, SIGKILL after a grace period.

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
        for signum, wait_s in ((signal.SIGTERM, CANCEL_GRACE_S), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(pid, signum)
            except ProcessLookupError:
                return
            deadline = time.monotonic() + wait_s
            while time.monotonic() < deadline:
                if not group_alive(pid):
                    return
                time.sleep(0.05)
