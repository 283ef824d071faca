"""One workload of ``benchmarks/mlflow_api.py`` with the MLflow client against a tracking
server at ``--url`` (runlab's or MLflow's); prints its figures as one line of JSON.

It runs with an interpreter that has MLflow and imports nothing from runlab.

    .venv-mlflow/bin/python benchmarks/_mlflow_api_worker.py batch \\
        --url http://127.0.0.1:8765 --size 10000
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

from mlflow.entities import Metric, Param
from mlflow.tracking import MlflowClient

BATCH = 1_000  # MLflow's limit of metrics per log_batch


def _run(client: MlflowClient, name: str) -> str:
    experiment = client.get_experiment_by_name(name)
    experiment_id = (
        experiment.experiment_id if experiment is not None else client.create_experiment(name)
    )
    return str(client.create_run(experiment_id).info.run_id)


def _log_points(client: MlflowClient, run_id: str, points: int) -> None:
    now = int(time.time() * 1000)
    for start in range(0, points, BATCH):
        metrics = [
            Metric("m", step * 0.001, now, step)
            for step in range(start, min(start + BATCH, points))
        ]
        client.log_batch(run_id, metrics=metrics)


def batch(client: MlflowClient, size: int) -> dict[str, float]:
    """log_batch of ``size`` points, 1,000 at a time: points per second."""
    run_id = _run(client, "bench-batch")
    started = time.perf_counter()
    _log_points(client, run_id, size)
    return {"points_per_s": size / (time.perf_counter() - started)}


def single(client: MlflowClient, size: int) -> dict[str, float]:
    """``size`` log_metric calls: calls per second."""
    run_id = _run(client, "bench-single")
    started = time.perf_counter()
    for step in range(size):
        client.log_metric(run_id, "m", step * 0.5, step=step)
    return {"calls_per_s": size / (time.perf_counter() - started)}


def history(client: MlflowClient, size: int) -> dict[str, float]:
    """get_metric_history of ``size`` steps (logged first, not timed): seconds."""
    run_id = _run(client, "bench-history")
    _log_points(client, run_id, size)
    started = time.perf_counter()
    points = client.get_metric_history(run_id, "m")
    seconds = time.perf_counter() - started
    if len(points) != size:
        raise SystemExit(f"get_metric_history gave {len(points)} points, not {size}")
    return {"seconds": seconds, "points_per_s": size / seconds}


def search(client: MlflowClient, size: int) -> dict[str, float]:
    """search_runs with a filter and an order over ``size`` runs (made first, not timed):
    seconds for all pages of the matching quarter."""
    experiment_id = client.create_experiment("bench-search")
    rates = ("0.1", "0.01", "0.001", "0.0001")
    for index in range(size):
        run_id = client.create_run(experiment_id).info.run_id
        client.log_batch(
            run_id,
            metrics=[Metric("acc", index / size, int(time.time() * 1000), 0)],
            params=[Param("lr", rates[index % 4])],
        )
    started = time.perf_counter()
    found = client.search_runs(
        [experiment_id],
        "params.lr = '0.01' and metrics.acc > 0.5",
        order_by=["metrics.acc DESC"],
        max_results=50_000,
    )
    seconds = time.perf_counter() - started
    expected = sum(1 for index in range(size) if index % 4 == 1 and index / size > 0.5)
    if len(found) != expected:
        raise SystemExit(f"search_runs found {len(found)} runs, not {expected}")
    return {"seconds": seconds, "runs": float(size)}


WORKLOADS = {"batch": batch, "single": single, "history": history, "search": search}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workload", choices=sorted(WORKLOADS))
    parser.add_argument("--url", required=True)
    parser.add_argument("--size", type=int, required=True)
    arguments = parser.parse_args()
    client = MlflowClient(tracking_uri=arguments.url)
    print(json.dumps(WORKLOADS[arguments.workload](client, arguments.size)))


if __name__ == "__main__":
    main()
