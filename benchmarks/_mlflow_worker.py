"""Run one tracking workload on MLflow (SQLite backend) and print its figures as one line of
JSON: the reference half of ``benchmarks/tracking.py``.

It runs with the interpreter of ``benchmarks/.venv-mlflow`` (see ``setup-mlflow-env.sh``), so
it imports nothing from runlab; its workloads mirror those of ``_runlab_worker.py``.

    benchmarks/.venv-mlflow/bin/python benchmarks/_mlflow_worker.py log --calls 2000
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

# MLflow 3 reports usage in the background; this machine may have no network, and the
# benchmark should time tracking only.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

import mlflow
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient

T = TypeVar("T")

METRIC = "m"
LEARNING_RATES = ("0.1", "0.01", "0.001", "0.0001")
MAX_BATCH = 1_000  # MLflow refuses more metrics in one log_batch


def best_of(repeat: int, operation: Callable[[], T]) -> tuple[float, T]:
    """The shortest of ``repeat`` timed calls of ``operation``, and its last result."""
    best = float("inf")
    result: Any = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = operation()
        best = min(best, time.perf_counter() - start)
    return best, result


def open_tracking(folder: Path) -> tuple[MlflowClient, str]:
    """Point MLflow at a new SQLite file in ``folder``; returns a client and an experiment id.

    Creating the experiment also creates and migrates the database, which takes seconds and
    is kept out of every timing.
    """
    mlflow.set_tracking_uri(f"sqlite:///{folder / 'mlflow.db'}")
    client = MlflowClient()
    experiment_id = client.create_experiment("bench", artifact_location=str(folder / "artifacts"))
    mlflow.set_experiment(experiment_id=experiment_id)
    return client, experiment_id


def log_points(client: MlflowClient, run_id: str, points: int, batch_size: int) -> float:
    """Store ``points`` steps of one metric with ``log_batch``; returns the seconds taken."""
    now = int(time.time() * 1000)
    batches = [
        [
            Metric(METRIC, float(step), now, step)
            for step in range(start, min(start + batch_size, points))
        ]
        for start in range(0, points, batch_size)
    ]
    start = time.perf_counter()
    for batch in batches:
        client.log_batch(run_id, metrics=batch)
    return time.perf_counter() - start


def check(condition: bool, message: str) -> None:
    """Stop the workload when a result is wrong."""
    if not condition:
        raise SystemExit(f"mlflow worker: {message}")


# -- workloads ---------------------------------------------------------------------------


def single_calls(folder: Path, options: argparse.Namespace) -> dict[str, Any]:
    """``mlflow.log_metric`` in a loop (synchronous: each call has stored its point)."""
    client, _experiment_id = open_tracking(folder)
    calls = options.calls
    with mlflow.start_run() as run:
        log_metric = mlflow.log_metric
        start = time.perf_counter()
        for step in range(calls):
            log_metric(METRIC, float(step), step=step)
        calls_s = time.perf_counter() - start
    stored = client.get_metric_history(run.info.run_id, METRIC)
    check(len(stored) == calls, f"{len(stored)} points stored, not {calls}")
    return {
        "calls": calls,
        "calls_s": calls_s,
        "calls_per_s": calls / calls_s,
        "flush_s": 0.0,
        "stored": len(stored),
    }


def batch_throughput(folder: Path, options: argparse.Namespace) -> dict[str, Any]:
    """``MlflowClient.log_batch`` with prebuilt batches of at most 1,000 points."""
    client, experiment_id = open_tracking(folder)
    run_id = client.create_run(experiment_id).info.run_id
    batch_size = min(options.batch_size, MAX_BATCH)
    seconds = log_points(client, run_id, options.points, batch_size)
    stored = len(client.get_metric_history(run_id, METRIC))
    check(stored == options.points, f"{stored} points stored, not {options.points}")
    return {
        "points": options.points,
        "batch_size": batch_size,
        "seconds": seconds,
        "points_per_s": options.points / seconds,
    }


def history_read(folder: Path, options: argparse.Namespace) -> dict[str, Any]:
    """Read back a long history of one metric with ``get_metric_history``."""
    client, experiment_id = open_tracking(folder)
    run_id = client.create_run(experiment_id).info.run_id
    log_points(client, run_id, options.points, MAX_BATCH)
    seconds, history = best_of(options.repeat, lambda: client.get_metric_history(run_id, METRIC))
    check(len(history) == options.points, f"get_metric_history gave {len(history)} points")
    return {"points": options.points, "get_metric_history_s": seconds}


def run_listing(folder: Path, options: argparse.Namespace) -> dict[str, Any]:
    """Create runs, then search a filtered, ordered subset and all of them ordered."""
    client, experiment_id = open_tracking(folder)
    count = options.runs
    start = time.perf_counter()
    for index in range(count):
        run = client.create_run(
            experiment_id, tags={"lr": LEARNING_RATES[(index // 2) % len(LEARNING_RATES)]}
        )
        if index % 2 == 0:
            client.set_terminated(run.info.run_id, "FINISHED")
    create_s = time.perf_counter() - start
    expected = sum(
        1
        for index in range(count)
        if index % 2 == 0 and LEARNING_RATES[(index // 2) % len(LEARNING_RATES)] == "0.1"
    )
    filtered_s, matches = best_of(
        options.repeat,
        lambda: mlflow.search_runs(
            experiment_ids=[experiment_id],
            filter_string="tags.lr = '0.1' and attributes.status = 'FINISHED'",
            order_by=["attributes.start_time DESC"],
        ),
    )
    check(len(matches) == expected, f"the filtered search found {len(matches)}, not {expected}")
    all_s, every = best_of(
        options.repeat,
        lambda: mlflow.search_runs(
            experiment_ids=[experiment_id], order_by=["attributes.start_time DESC"]
        ),
    )
    check(len(every) == count, f"the unfiltered search found {len(every)}, not {count}")
    return {
        "runs": count,
        "create_s": create_s,
        "runs_created_per_s": count / create_s,
        "matches": len(matches),
        "filtered_s": filtered_s,
        "all_ordered_s": all_s,
    }


WORKLOADS: dict[str, Callable[[Path, argparse.Namespace], dict[str, Any]]] = {
    "log": single_calls,
    "batch": batch_throughput,
    "history": history_read,
    "search": run_listing,
}


def main(argv: list[str] | None = None) -> int:
    """Run the workload named on the command line and print its figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=sorted(WORKLOADS))
    parser.add_argument("--calls", type=int, default=2_000, help="log_metric calls (log)")
    parser.add_argument("--points", type=int, default=100_000, help="points (batch, history)")
    parser.add_argument("--batch-size", type=int, default=MAX_BATCH, help="points a batch")
    parser.add_argument("--runs", type=int, default=1_000, help="runs to create (search)")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many reads")
    options = parser.parse_args(argv)
    # MLflow logs and warns on stderr; keep stdout for the one JSON line.
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory(prefix=f"mlflow-bench-{options.workload}-") as folder:
        figures = WORKLOADS[options.workload](Path(folder), options)
    figures["mlflow_version"] = mlflow.__version__
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
