"""Time how long runlab takes to stop a job, and to give up on an S3 endpoint nobody answers.

These were timed assertions in the tests once (``run.cancel()`` under 5 s, a failed S3 call
under 15 s); the tests now check only what happens, and the times are measured here:

- cancel: a local job whose script has started a child process (both sleeping); the time
  ``run.cancel()`` takes to return, after which the run must be Canceled and the entry, the
  script and its child gone (a fast but wrong cancel fails the row instead of being reported).
- unreachable S3: a datastore registered on a port of 127.0.0.1 where nobody listens (with
  botocore's ``connect_timeout`` of 1 s and a single attempt, as a user would set them); the
  time until ``upload``, ``download`` and ``materialize`` each raise ``BackendError``. Needs
  s3fs and boto3 (no S3 server); without them these rows say so.

    .venv/bin/python benchmarks/failures.py            # about half a minute
    .venv/bin/python benchmarks/failures.py --repeat 5

Every figure is the median over ``--repeat`` tries, each in a fresh workspace.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import socket
import statistics
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

from tracking import render_table, say

TARGET_CANCEL_S = 5.0
TARGET_UNREACHABLE_S = 15.0
START_TIMEOUT_S = 120.0
HEADER = ("figure", "median", "max", "target", "met")

CANCELED_SCRIPT = """
import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
with open({pids!r}, "w") as handle:
    handle.write(f"{{os.getpid()}} {{child.pid}}")
time.sleep(300)
"""


def time_cancel(folder: Path) -> float:
    """Seconds ``run.cancel()`` takes on a running local job with a child process."""
    from runlab import Experiment, Workspace
    from runlab.compute.processes import process_alive
    from runlab.jobs import ScriptRunConfig

    os.environ["RUNLAB_JOB_ROOT"] = str(folder / "jobs")
    source = folder / "src"
    source.mkdir()
    pids = folder / "pids.txt"
    (source / "train.py").write_text(textwrap.dedent(CANCELED_SCRIPT.format(pids=str(pids))))
    workspace = Workspace.create("failures", path=folder / "ws")
    try:
        run = Experiment(workspace, "cancel").submit(ScriptRunConfig(source, "train.py"))
        deadline = time.monotonic() + START_TIMEOUT_S
        while not pids.exists() or len(pids.read_text().split()) < 2:
            if time.monotonic() > deadline:
                raise RuntimeError(f"the job did not start in {START_TIMEOUT_S:g} s")
            time.sleep(0.05)
        entry_pid = json.loads(run.get_properties()["runlab.job_handle"])["pid"]
        started = time.perf_counter()
        run.cancel()
        seconds = time.perf_counter() - started
        if run.get_status() != "Canceled":
            raise RuntimeError(f"the run is {run.get_status()} after cancel()")
        started_pids = [entry_pid, *map(int, pids.read_text().split())]
        alive = [pid for pid in started_pids if process_alive(pid)]
        if alive:
            raise RuntimeError(f"processes {alive} outlived cancel()")
        return seconds
    finally:
        workspace.close()


def time_unreachable(folder: Path) -> dict[str, float]:
    """Seconds until each datastore operation on a silent endpoint raises ``BackendError``."""
    from runlab import Workspace
    from runlab.data import Datastore, materialize
    from runlab.errors import BackendError

    with socket.socket() as probe:  # free a moment ago: nobody listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = folder / "src"
    source.mkdir()
    (source / "a.bin").write_bytes(os.urandom(1000))
    workspace = Workspace.create("failures", path=folder / "ws")
    try:
        datastore = Datastore.register(
            workspace,
            "gone",
            "s3://bucket/raw",
            key="k",
            secret="s",
            client_kwargs={"endpoint_url": f"http://127.0.0.1:{port}", "region_name": "us-east-1"},
            config_kwargs={"connect_timeout": 1, "retries": {"max_attempts": 1}},
        )
        attempts: dict[str, Callable[[], object]] = {
            "upload": lambda: datastore.upload(source, show_progress=False),
            "download": lambda: datastore.download(folder / "out", show_progress=False),
            "materialize": lambda: materialize(
                workspace, datastore.path("x").as_download(), folder / "job"
            ),
        }
        seconds: dict[str, float] = {}
        for name, attempt in attempts.items():
            started = time.perf_counter()
            try:
                attempt()
            except BackendError:
                seconds[name] = time.perf_counter() - started
            else:
                raise RuntimeError(f"{name} on an endpoint nobody answers did not fail")
        return seconds
    finally:
        workspace.close()


def row(label: str, samples: list[float], target: float) -> tuple[str, ...]:
    """A line of the table: the median and maximum of ``samples`` against ``target``."""
    median = statistics.median(samples)
    met = "yes" if median <= target else "NO"
    return (label, f"{median:.2f} s", f"{max(samples):.2f} s", f"<= {target:g} s", met)


def main(argv: list[str] | None = None) -> int:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="tries per figure (default 3)")
    options = parser.parse_args(argv)
    rows = []
    cancels: list[float] = []
    for attempt in range(options.repeat):
        say(f"cancel {attempt + 1}/{options.repeat}")
        with tempfile.TemporaryDirectory(prefix="bench-failures-") as temporary:
            cancels.append(time_cancel(Path(temporary)))
    rows.append(row("run.cancel() of a local job with a child", cancels, TARGET_CANCEL_S))
    missing = [name for name in ("s3fs", "boto3") if importlib.util.find_spec(name) is None]
    if missing:
        rows.append((f"unreachable S3 (needs {', '.join(missing)})", "-", "-", "-", "?"))
    else:
        failures: dict[str, list[float]] = {}
        for attempt in range(options.repeat):
            say(f"unreachable S3 {attempt + 1}/{options.repeat}")
            with tempfile.TemporaryDirectory(prefix="bench-failures-") as temporary:
                for name, seconds in time_unreachable(Path(temporary)).items():
                    failures.setdefault(name, []).append(seconds)
        for name, samples in failures.items():
            rows.append(row(f"S3 {name}, endpoint down: error", samples, TARGET_UNREACHABLE_S))
    import runlab

    print(f"runlab {runlab.__version__}; {os.cpu_count()} CPUs; median of {options.repeat}")
    print()
    print(render_table(HEADER, rows, right={1, 2}))
    print()
    unmet = [line[0] for line in rows if line[-1] == "NO"]
    print(f"targets not met: {', '.join(unmet) if unmet else 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
