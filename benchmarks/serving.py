"""Scoring services side by side: runlab's local web service, a bare FastAPI app (the floor)
and ``mlflow models serve``, on the same scikit-learn model (logistic regression on the
digits), each with one uvicorn worker, under the same keep-alive httpx load generator.

Prints, for each server, the seconds from launch to its first answer (runlab: from
``Model.deploy`` to Healthy), then for each cell (rows per request x concurrent clients) the
requests per second with p50/p99 latency, and runlab's ratio to the bare app against the
target of 0.8.

    .venv/bin/python benchmarks/serving.py               # about 2 minutes on 2 cores
    .venv/bin/python benchmarks/serving.py --seconds 2 --rows 1 --clients 1 --no-mlflow

MLflow runs in its own environment, ``benchmarks/.venv-mlflow`` (``bash
benchmarks/setup-mlflow-env.sh``, then ``benchmarks/.venv-mlflow/bin/pip install
scikit-learn``); without it MLflow's column is left out and the line says how to add it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pickle
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
MLFLOW_PYTHON = HERE / ".venv-mlflow" / "bin" / "python"
TARGET_RATIO = 0.8
DEPLOY_TARGET_S = 3.0

SCORE_PY = """
import json
import pickle

import numpy as np

from runlab import Model

model = None


def init():
    global model
    with open(Model.get_model_path("digits"), "rb") as file:
        model = pickle.load(file)


def run(raw_data):
    return model.predict(np.array(json.loads(raw_data)["data"])).tolist()
"""

BARE_APP = """
import json
import os
import pickle

import numpy as np
from fastapi import FastAPI, Request

with open(os.environ["MODEL_FILE"], "rb") as file:
    model = pickle.load(file)
app = FastAPI()


@app.get("/")
def health():
    return {"status": "Healthy"}


@app.post("/score")
async def score(request: Request):
    data = json.loads(await request.body())["data"]
    return model.predict(np.array(data)).tolist()
"""

MLFLOW_SAVE = """
import sys

import mlflow.sklearn
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

features, labels = load_digits(return_X_y=True)
model = LogisticRegression(max_iter=1000).fit(features / 16.0, labels)
mlflow.sklearn.save_model(model, sys.argv[1])
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_answering(url: str, process: subprocess.Popen[bytes] | None, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"{url} did not answer within {timeout_s} s")


# -- the servers ---------------------------------------------------------------------------


@contextlib.contextmanager
def runlab_service(
    folder: Path, model: Any, packages: list[str] | None = None
) -> Iterator[tuple[str, float]]:
    """A runlab local service; yields (scoring URI, deploy-to-Healthy seconds). With
    ``packages`` it runs in an environment built with uv (time it once it is cached)."""
    from runlab import Model, Workspace
    from runlab.environments import Environment
    from runlab.serving import InferenceConfig, LocalWebservice

    os.environ["RUNLAB_SERVICE_ROOT"] = str(folder / "services")
    workspace = Workspace.create("bench", path=str(folder / "ws"))
    (folder / "model.pkl").write_bytes(pickle.dumps(model))
    registered = Model.register(workspace, folder / "model.pkl", "digits")
    source = folder / "src"
    source.mkdir()
    (source / "score.py").write_text(textwrap.dedent(SCORE_PY), encoding="utf-8")
    started = time.monotonic()
    service = Model.deploy(
        workspace,
        "digits-bench",
        [registered],
        InferenceConfig(
            "score.py",
            environment=Environment("bench", pip_packages=packages) if packages else None,
            source_directory=source,
        ),
        LocalWebservice.deploy_configuration(),
    )
    service.wait_for_deployment()
    took = time.monotonic() - started
    try:
        yield str(service.scoring_uri), took
    finally:
        service.delete()


@contextlib.contextmanager
def bare_app(folder: Path, model: Any) -> Iterator[tuple[str, float]]:
    """The floor: a FastAPI app calling model.predict, under uvicorn."""
    (folder / "model.pkl").write_bytes(pickle.dumps(model))
    (folder / "bare_app.py").write_text(textwrap.dedent(BARE_APP), encoding="utf-8")
    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(port),
         "--no-access-log", "--log-level", "warning"],
        cwd=folder, env=os.environ | {"MODEL_FILE": str(folder / "model.pkl")},
    )  # fmt: skip
    try:
        wait_answering(f"http://127.0.0.1:{port}/", process, 120)
        yield f"http://127.0.0.1:{port}/score", time.monotonic() - started
    finally:
        process.terminate()
        process.wait(10)


@contextlib.contextmanager
def mlflow_serve(folder: Path) -> Iterator[tuple[str, float]]:
    """``mlflow models serve`` of the same model, in MLflow's own environment."""
    model_dir = folder / "mlflow-model"
    subprocess.run([str(MLFLOW_PYTHON), "-c", MLFLOW_SAVE, str(model_dir)], check=True)
    port = free_port()
    mlflow_cli = MLFLOW_PYTHON.parent / "mlflow"
    started = time.monotonic()
    process = subprocess.Popen(
        [str(mlflow_cli), "models", "serve", "-m", str(model_dir), "-p", str(port),
         "--env-manager", "local", "--workers", "1"],
        cwd=folder, env=os.environ | {"PATH": f"{MLFLOW_PYTHON.parent}:{os.environ['PATH']}"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        wait_answering(f"http://127.0.0.1:{port}/ping", process, 180)
        yield f"http://127.0.0.1:{port}/invocations", time.monotonic() - started
    finally:
        os.killpg(process.pid, 15)
        process.wait(15)


# -- the load ------------------------------------------------------------------------------


def load(uri: str, body: bytes, clients: int, seconds: float) -> dict[str, Any]:
    """Keep-alive clients in threads, each sending requests one after the other."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    headers = {"Content-Type": "application/json"}

    def client() -> None:
        mine: list[float] = []
        with httpx.Client(timeout=30) as session:
            session.post(uri, content=body, headers=headers)  # warm the connection
            while True:  # at least one request, however short the burst
                begin = time.perf_counter()
                answer = session.post(uri, content=body, headers=headers)
                mine.append(time.perf_counter() - begin)
                if answer.status_code != 200:
                    errors[0] += 1
                if time.monotonic() >= stop:
                    break
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    return {"latencies": latencies, "elapsed": elapsed, "errors": errors[0]}


def merged(bursts: list[dict[str, Any]]) -> dict[str, float]:
    """Requests per second over all of a server's bursts, and their latency percentiles."""
    latencies = sorted(latency for burst in bursts for latency in burst["latencies"])
    return {
        "rps": len(latencies) / sum(burst["elapsed"] for burst in bursts),
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "errors": sum(burst["errors"] for burst in bursts),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0, help="load per cell and server")
    parser.add_argument("--rows", type=int, nargs="+", default=[1, 100])
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--rounds", type=int, default=5, help="turns per cell and server")
    parser.add_argument("--no-mlflow", action="store_true", help="leave MLflow out")
    parser.add_argument(
        "--built-env",
        action="store_true",
        help="serve runlab's service from a uv-built environment (scikit-learn, numpy),"
        " as a deployment with an Environment does; the cache is RUNLAB_ENV_CACHE's",
    )
    args = parser.parse_args()

    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression

    features, labels = load_digits(return_X_y=True)
    features = features / 16.0
    model = LogisticRegression(max_iter=1000).fit(features, labels)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; one uvicorn worker each")

    servers: dict[str, Callable[[Path], Any]] = {
        "runlab": lambda folder: runlab_service(
            folder, model, ["scikit-learn", "numpy"] if args.built_env else None
        ),
        "bare": lambda folder: bare_app(folder, model),
    }
    if args.no_mlflow:
        pass
    elif MLFLOW_PYTHON.exists():
        servers["mlflow"] = mlflow_serve
    else:
        print(
            "mlflow: left out; create its environment with `bash benchmarks/setup-mlflow-env.sh`"
            " and `benchmarks/.venv-mlflow/bin/pip install scikit-learn`"
        )
    results: dict[tuple[str, int, int], dict[str, float]] = {}
    with contextlib.ExitStack() as stack:
        uris = {}
        for server, start in servers.items():  # one after the other, so each start is alone
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            uri, took = stack.enter_context(start(folder))
            uris[server] = uri
            target = f" (target <= {DEPLOY_TARGET_S:g} s)" if server == "runlab" else ""
            print(f"{server}: answering {took:.2f} s after launch{target}", flush=True)
        # The servers take turns in short rounds, so a change in the machine's load (other
        # work on the same cores) falls on all of them alike rather than on one.
        for rows in args.rows:
            data = features[:rows].tolist()
            bodies = {
                server: json.dumps({"inputs": data} if server == "mlflow" else {"data": data})
                for server in servers
            }
            for server in servers:
                load(uris[server], bodies[server].encode(), 1, 0.5)  # warm up
            for clients in args.clients:
                rounds: dict[str, list[dict[str, Any]]] = {server: [] for server in servers}
                for _ in range(args.rounds):
                    for server in servers:
                        burst = load(
                            uris[server],
                            bodies[server].encode(),
                            clients,
                            args.seconds / args.rounds,
                        )
                        rounds[server].append(burst)
                for server, bursts in rounds.items():
                    results[(server, rows, clients)] = merged(bursts)

    print(f"\n{'rows':>4} {'clients':>7}  " + "  ".join(f"{s:>26}" for s in servers) + "  ratio")
    for rows in args.rows:
        for clients in args.clients:
            cells = []
            for server in servers:
                result = results[(server, rows, clients)]
                cells.append(
                    f"{result['rps']:7.0f} req/s {result['p50_ms']:5.1f}/{result['p99_ms']:5.1f} ms"
                    + ("!" if result["errors"] else " ")
                )
            ratio = (
                results[("runlab", rows, clients)]["rps"] / results[("bare", rows, clients)]["rps"]
            )
            verdict = "met" if ratio >= TARGET_RATIO else "NOT met"
            print(
                f"{rows:>4} {clients:>7}  "
                + "  ".join(f"{cell:>26}" for cell in cells)
                + f"  runlab/bare {ratio:.2f} (target >= {TARGET_RATIO}: {verdict})"
            )
    print("(req/s, then p50/p99 latency; '!' marks a cell with failed requests)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
