"""The runlab server under load, against MLflow's tracking server on the same workloads.

For each server: how long until it answers after its start, its memory (every process it
started, summed: PSS where the system tells it, else RSS), points per second through its own
Python client, and N concurrent HTTP clients (httpx + asyncio) that for D seconds each log a
batch of points and read their run's history back, in turn: requests, p50/p99 latency, errors,
and whether every point acknowledged is stored at the end.

    .venv/bin/python benchmarks/server.py                     # 50 clients for 60 s, both servers
    .venv/bin/python benchmarks/server.py --clients 5 --seconds 3 --points 2000   # a smoke run
    .venv/bin/python benchmarks/server.py --no-mlflow --store-uri postgresql://...

MLflow runs from ``benchmarks/.venv-mlflow`` (``bash benchmarks/setup-mlflow-env.sh``); without
it only runlab is measured, and the report says so. See ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil

HERE = Path(__file__).resolve().parent
MLFLOW_PYTHON = HERE / ".venv-mlflow" / "bin" / "python"
MLFLOW_INSTALLED = HERE / ".venv-mlflow" / "bin" / "mlflow"
SETUP_HINT = "bash benchmarks/setup-mlflow-env.sh"
TARGETS = {
    "answers": "<= 2 s",
    "memory": "<= 250 MB",
    "client": ">= 50,000 /s",
    "p99": "<= 100 ms, 0 errors",
}

MLFLOW_CLIENT = """
import json, sys, time
import mlflow
mlflow.set_tracking_uri(sys.argv[1])
calls = int(sys.argv[2])
with mlflow.start_run() as run:
    start = time.perf_counter()
    for step in range(calls):
        mlflow.log_metric("m", float(step), step=step)
    elapsed = time.perf_counter() - start
    history = mlflow.MlflowClient().get_metric_history(run.info.run_id, "m")
print(json.dumps({"seconds": elapsed, "points": calls, "stored": len(history)}))
"""

RUNLAB_CLIENT = """
import json, sys, time
from runlab import Experiment, Workspace
workspace = Workspace.connect(sys.argv[1])
points = int(sys.argv[2])
run = Experiment(workspace, "bench-client").start_logging()
start = time.perf_counter()
for step in range(points):
    run.log("m", float(step))
run.flush()
elapsed = time.perf_counter() - start
stored = len(run.get_metrics()["m"])
run.complete()
print(json.dumps({"seconds": elapsed, "points": points, "stored": stored}))
"""


def say(message: str) -> None:
    """Progress on stderr; the report alone on stdout."""
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def tree_memory_mb(pid: int) -> tuple[float, int, str]:
    """Memory of a process and its descendants in MB, how many processes, and the measure
    (``PSS``: shared pages split between sharers; else ``RSS``)."""
    root = psutil.Process(pid)
    processes = [root, *root.children(recursive=True)]
    total, measure = 0, "PSS"
    for process in processes:
        with contextlib.suppress(psutil.Error):
            try:
                total += process.memory_full_info().pss
            except (psutil.AccessDenied, AttributeError):
                total += process.memory_info().rss
                measure = "RSS"
    return total / 1e6, len(processes), measure


@dataclass
class Figures:
    """What one server gave."""

    name: str
    answers_s: float | None = None
    memory_start: str = "-"
    memory_load: str = "-"
    client_rate: float | None = None
    client_note: str = ""
    requests: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    sent: int = 0
    stored: int = 0
    notes: list[str] = field(default_factory=list)

    def percentile(self, share: float) -> float | None:
        if not self.latencies_ms:
            return None
        ordered = sorted(self.latencies_ms)
        return ordered[min(int(share * len(ordered)), len(ordered) - 1)]


@contextlib.contextmanager
def started(command: list[str], probe: str, log: Path, env: dict[str, str]) -> Iterator[Any]:
    """Start a server; yield (process, seconds until ``probe`` answered 200); stop it."""
    with log.open("wb") as output:
        start = time.perf_counter()
        process = subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command[0]} exited: {log.read_text()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(probe, timeout=1).status_code == 200:
                    break
            if time.perf_counter() - start > 300:
                raise RuntimeError(f"{probe} did not answer within 300 s")
            time.sleep(0.02)
        yield process, time.perf_counter() - start
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 15)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


def client_rate(python: Path | str, code: str, url: str, points: int) -> dict[str, Any]:
    done = subprocess.run(
        [str(python), "-c", code, url, str(points)],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-2000:])
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# -- the concurrent clients --------------------------------------------------------------


@dataclass
class Api:
    """How one server is spoken to by the concurrent clients."""

    create_run: Callable[[httpx.AsyncClient, int], Awaitable[str]]
    log: Callable[[httpx.AsyncClient, str, int, int], Awaitable[httpx.Response]]
    read: Callable[[httpx.AsyncClient, str], Awaitable[httpx.Response]]
    count: Callable[[httpx.Client, str], int]


def runlab_api() -> Api:
    async def create_run(client: httpx.AsyncClient, index: int) -> str:
        await client.post("/api/experiments", json={"name": "bench"})
        response = await client.post(
            "/api/runs",
            json={
                "experiment_name": "bench",
                "run_id": f"bench_{index}_{os.getpid()}",
                "status": "Running",
            },
        )
        response.raise_for_status()
        return str(response.json()["run_id"])

    async def log(client: httpx.AsyncClient, run_id: str, first: int, size: int) -> httpx.Response:
        now = time.time()
        steps = list(range(first, first + size))
        body = {
            "names": ["m"] * size,
            "steps": steps,
            "timestamps": [now] * size,
            "kinds": ["scalar"] * size,
            "numbers": [float(s) for s in steps],
            "texts": [None] * size,
            "descriptions": [""] * size,
        }
        return await client.post(f"/api/runs/{run_id}/metrics", json=body)

    async def read(client: httpx.AsyncClient, run_id: str) -> httpx.Response:
        return await client.get(f"/api/runs/{run_id}/metrics", params={"name": "m"})

    def count(client: httpx.Client, run_id: str) -> int:
        histories = client.get(f"/api/runs/{run_id}/metrics", params={"name": "m"}).json()
        return len(histories["m"]["steps"]) if "m" in histories else 0

    return Api(create_run, log, read, count)


def mlflow_api() -> Api:
    async def create_run(client: httpx.AsyncClient, _index: int) -> str:
        response = await client.post("/api/2.0/mlflow/runs/create", json={"experiment_id": "0"})
        response.raise_for_status()
        return str(response.json()["run"]["info"]["run_id"])

    async def log(client: httpx.AsyncClient, run_id: str, first: int, size: int) -> httpx.Response:
        now = int(time.time() * 1000)
        metrics = [
            {"key": "m", "value": float(step), "timestamp": now, "step": step}
            for step in range(first, first + size)
        ]
        return await client.post(
            "/api/2.0/mlflow/runs/log-batch", json={"run_id": run_id, "metrics": metrics}
        )

    async def read(client: httpx.AsyncClient, run_id: str) -> httpx.Response:
        return await client.get(
            "/api/2.0/mlflow/metrics/get-history", params={"run_id": run_id, "metric_key": "m"}
        )

    def count(client: httpx.Client, run_id: str) -> int:
        response = client.get(
            "/api/2.0/mlflow/metrics/get-history",
            params={"run_id": run_id, "metric_key": "m", "max_results": 1_000_000},
        )
        return len(response.json().get("metrics", []))

    return Api(create_run, log, read, count)


async def _load(url: str, api: Api, figures: Figures, clients: int, seconds: float, batch: int):  # type: ignore[no-untyped-def]
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as client:
        run_ids = [await api.create_run(client, index) for index in range(clients)]
        deadline = time.perf_counter() + seconds
        sent = [0] * clients

        async def one(index: int) -> None:
            run_id = run_ids[index]
            while time.perf_counter() < deadline:
                for is_log, request in (
                    (True, lambda: api.log(client, run_id, sent[index], batch)),
                    (False, lambda: api.read(client, run_id)),
                ):
                    start = time.perf_counter()
                    try:
                        response = await request()
                        ok = response.status_code < 400
                    except httpx.HTTPError:
                        ok = False
                    figures.latencies_ms.append((time.perf_counter() - start) * 1000)
                    figures.requests += 1
                    if not ok:
                        figures.errors += 1
                    elif is_log:
                        sent[index] += batch

        await asyncio.gather(*(one(index) for index in range(clients)))
    figures.sent = sum(sent)
    with httpx.Client(base_url=url, timeout=120) as sync_client:
        figures.stored = sum(api.count(sync_client, run_id) for run_id in run_ids)


def measure(
    figures: Figures,
    command: list[str],
    probe: str,
    url: str,
    api: Api,
    client: tuple[Path | str, str, int],
    args: argparse.Namespace,
    folder: Path,
    env: dict[str, str],
) -> None:
    say(f"{figures.name}: starting the server")
    with started(command, probe, folder / f"{figures.name}.log", env) as (process, answered):
        figures.answers_s = answered
        time.sleep(1.0)  # let it settle (workers forked, caches warm) before weighing it
        mb, count, how = tree_memory_mb(process.pid)
        figures.memory_start = f"{mb:,.0f} MB ({count} processes, {how})"
        python, code, points = client
        say(f"{figures.name}: {points:,} points through its client")
        try:
            result = client_rate(python, code, url, points)
            figures.client_rate = result["points"] / result["seconds"]
            figures.client_note = f"{result['stored']:,} of {result['points']:,} stored"
        except RuntimeError as error:
            figures.notes.append(f"client: {error}")
        say(f"{figures.name}: {args.clients} clients for {args.seconds} s")
        asyncio.run(_load(url, api, figures, args.clients, args.seconds, args.batch))
        mb, count, how = tree_memory_mb(process.pid)
        figures.memory_load = f"{mb:,.0f} MB ({count} processes, {how})"


def report(results: list[Figures], args: argparse.Namespace) -> None:
    def number(value: float | None, form: str) -> str:
        return "-" if value is None else format(value, form)

    rows = [
        ("answers after start (s)", [number(f.answers_s, ".2f") for f in results], "answers"),
        ("memory after start", [f.memory_start for f in results], "memory"),
        ("memory after the load", [f.memory_load for f in results], "memory"),
        ("points/s through its client", [number(f.client_rate, ",.0f") for f in results], "client"),
        ("  (client check)", [f.client_note for f in results], ""),
        (f"{args.clients} clients: requests", [f"{f.requests:,}" for f in results], ""),
        ("  p50 latency (ms)", [number(f.percentile(0.5), ".1f") for f in results], ""),
        ("  p99 latency (ms)", [number(f.percentile(0.99), ".1f") for f in results], "p99"),
        ("  errors", [str(f.errors) for f in results], ""),
        ("  points acknowledged / stored", [f"{f.sent:,} / {f.stored:,}" for f in results], ""),
    ]
    names = [f.name for f in results]
    width = max(len(row[0]) for row in rows)
    columns = [max(len(n), *(len(r[1][i]) for r in rows)) for i, n in enumerate(names)]
    print(
        f"{'':<{width}}  "
        + "  ".join(f"{n:<{c}}" for n, c in zip(names, columns, strict=True))
        + "  target (runlab)"
    )
    for label, values, target in rows:
        cells = "  ".join(f"{v:<{c}}" for v, c in zip(values, columns, strict=True))
        print(f"{label:<{width}}  {cells}  {TARGETS.get(target, '')}")
    if results and results[0].latencies_ms:
        print(
            f"runlab mean latency {statistics.fmean(results[0].latencies_ms):.1f} ms;"
            f" {args.clients} clients x {args.seconds:g} s, batches of {args.batch} points"
        )
    for figures in results:
        for note in figures.notes:
            print(f"note ({figures.name}): {note}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (50)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long they run (60)")
    parser.add_argument("--batch", type=int, default=10, help="points per logging request (10)")
    parser.add_argument("--points", type=int, default=200_000, help="through runlab's client")
    parser.add_argument("--mlflow-points", type=int, default=500, help="mlflow.log_metric calls")
    parser.add_argument("--store-uri", help="runlab's metadata store (default: SQLite)")
    parser.add_argument("--no-mlflow", action="store_true", help="measure runlab alone")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    results: list[Figures] = []
    env = {k: v for k, v in os.environ.items() if k != "RUNLAB_TOKEN"}
    with tempfile.TemporaryDirectory(prefix="bench-server-") as scratch:
        folder = Path(scratch)
        from runlab import Workspace

        Workspace.create("bench", folder / "ws", store_uri=args.store_uri).close()
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        runlab = Figures("runlab")
        command = [
            sys.executable,
            "-m",
            "runlab.cli",
            "server",
            "--workspace",
            str(folder / "ws"),
            "--port",
            str(port),
            "--log-level",
            "warning",
        ]
        measure(
            runlab,
            command,
            f"{url}/api/workspace",
            url,
            runlab_api(),
            (sys.executable, RUNLAB_CLIENT, args.points),
            args,
            folder,
            env,
        )
        results.append(runlab)
        if args.no_mlflow:
            pass
        elif not MLFLOW_INSTALLED.exists():
            runlab.notes.append(f"MLflow not measured: no {MLFLOW_INSTALLED}; run {SETUP_HINT}")
        else:
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            mlflow = Figures("mlflow")
            command = [
                str(MLFLOW_PYTHON),
                "-m",
                "mlflow",
                "server",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--backend-store-uri",
                f"sqlite:///{folder / 'mlflow.db'}",
                "--default-artifact-root",
                str(folder / "mlartifacts"),
            ]
            measure(
                mlflow,
                command,
                f"{url}/health",
                url,
                mlflow_api(),
                (MLFLOW_PYTHON, MLFLOW_CLIENT, args.mlflow_points),
                args,
                folder,
                env,
            )
            results.append(mlflow)
    report(results, args)
    if args.json:
        args.json.write_text(json.dumps([f.__dict__ | {"latencies_ms": None} for f in results]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
