"""The MLflow client against ``runlab server`` and against ``mlflow server`` (SQLite backend),
same machine, same workloads: log_batch points/s, single log_metric calls/s,
get_metric_history of 100,000 steps, search_runs with a filter over 10,000 runs, and each
server's memory (resident set of its process tree) at the end.

Each workload runs in a fresh client process (``_mlflow_api_worker.py``) with an interpreter
that has MLflow (``bash benchmarks/setup-mlflow-env.sh`` makes ``benchmarks/.venv-mlflow``),
against one server per side that lives for the whole benchmark. Target: runlab at least 2x
MLflow's server on every throughput row, and at most 250 MB.

    .venv/bin/python benchmarks/mlflow_api.py                  # the sizes of the issue
    .venv/bin/python benchmarks/mlflow_api.py --tiny           # a quick look (CI runs this)
    .venv/bin/python benchmarks/mlflow_api.py --mlflow-python /path/to/python
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORKER = HERE / "_mlflow_api_worker.py"
DEFAULT_MLFLOW_PYTHON = HERE / ".venv-mlflow" / "bin" / "python"
TARGET_RATIO = 2.0
TARGET_MB = 250.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(
                f"the server stopped while starting ({url}): exit {process.returncode}"
            )
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=5):
            return
        time.sleep(0.3)
    raise SystemExit(f"no answer from {url} after {timeout:.0f} s")


def _memory_mb(pid: int) -> float:
    """The resident memory of a process and its children, in MB."""
    import psutil

    process = psutil.Process(pid)
    processes = [process, *process.children(recursive=True)]
    return sum(p.memory_info().rss for p in processes) / 1e6


@contextlib.contextmanager
def _server(kind: str, folder: Path, mlflow_python: Path) -> Iterator[tuple[str, int]]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    if kind == "runlab":
        from runlab import Workspace

        Workspace.create("bench", folder).close()
        command = [
            sys.executable, "-m", "runlab.cli", "-w", str(folder), "server",
            "--port", str(port), "--log-level", "warning",
        ]  # fmt: skip
        probe = f"{url}/api/2.0/mlflow/experiments/get?experiment_id=0"
    else:
        command = [
            str(mlflow_python), "-m", "mlflow", "server",
            "--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}",
            "--artifacts-destination", str(folder / "artifacts"),
            "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        ]  # fmt: skip
        probe = f"{url}/health"
    env = os.environ | {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    try:
        _wait_for(probe, process)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def _workload(mlflow_python: Path, name: str, url: str, size: int) -> dict[str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "PYTHON"))}
    done = subprocess.run(
        [str(mlflow_python), str(WORKER), name, "--url", url, "--size", str(size)],
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
        env=env,
    )
    if done.returncode != 0:
        raise SystemExit(f"workload {name} against {url} failed:\n{done.stderr[-3000:]}")
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--mlflow-python", type=Path, default=DEFAULT_MLFLOW_PYTHON)
    parser.add_argument("--points", type=int, default=100_000, help="log_batch points")
    parser.add_argument("--calls", type=int, default=2_000, help="single log_metric calls")
    parser.add_argument("--steps", type=int, default=100_000, help="metric history length")
    parser.add_argument("--runs", type=int, default=10_000, help="runs to search")
    parser.add_argument("--tiny", action="store_true", help="tiny sizes: does it run at all")
    parser.add_argument("--servers", nargs="+", default=["runlab", "mlflow"])
    arguments = parser.parse_args()
    if arguments.tiny:
        arguments.points, arguments.calls, arguments.steps, arguments.runs = 2_000, 20, 3_000, 40
    if not arguments.mlflow_python.exists():
        raise SystemExit(
            f"no MLflow interpreter at {arguments.mlflow_python}: run"
            " `bash benchmarks/setup-mlflow-env.sh` or pass --mlflow-python"
        )
    sizes = {
        "batch": arguments.points,
        "single": arguments.calls,
        "history": arguments.steps,
        "search": arguments.runs,
    }
    results: dict[str, dict[str, dict[str, float]]] = {}
    memory: dict[str, float] = {}
    for server in arguments.servers:
        with (
            tempfile.TemporaryDirectory(prefix=f"bench-{server}-") as folder,
            _server(server, Path(folder), arguments.mlflow_python) as (url, pid),
        ):
            results[server] = {
                name: _workload(arguments.mlflow_python, name, url, size)
                for name, size in sizes.items()
            }
            memory[server] = _memory_mb(pid)
    rows = [
        ("log_batch", f"{sizes['batch']:,} points", "points/s", "batch", "points_per_s", True),
        ("log_metric", f"{sizes['single']:,} calls", "calls/s", "single", "calls_per_s", True),
        ("get_metric_history", f"{sizes['history']:,} steps", "s", "history", "seconds", False),
        ("search_runs filter", f"{sizes['search']:,} runs", "s", "search", "seconds", False),
    ]
    print(f"{'workload':<20} {'size':>16} {'runlab':>12} {'mlflow':>12} {'ratio':>7}  target")
    for label, size, unit, name, key, higher_better in rows:
        runlab = results.get("runlab", {}).get(name, {}).get(key)
        mlflow = results.get("mlflow", {}).get(name, {}).get(key)
        ratio = None
        if runlab and mlflow:
            ratio = runlab / mlflow if higher_better else mlflow / runlab
        verdict = "" if ratio is None else ("met" if ratio >= TARGET_RATIO else "NOT met")
        print(
            f"{label:<20} {size:>16} {_fmt(runlab, unit):>12} {_fmt(mlflow, unit):>12}"
            f" {'' if ratio is None else f'{ratio:.1f}x':>7}  >= {TARGET_RATIO:.0f}x {verdict}"
        )
    for server, megabytes in memory.items():
        verdict = "met" if server != "runlab" or megabytes <= TARGET_MB else "NOT met"
        target = f"<= {TARGET_MB:.0f} MB {verdict}" if server == "runlab" else ""
        print(f"{'server memory':<20} {server:>16} {megabytes:>10.0f} MB  {target}")


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return f"{value:.3f} s" if unit == "s" else f"{value:,.0f}/s"


if __name__ == "__main__":
    main()
