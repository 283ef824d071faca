"""Run one tracking workload on runlab and print its figures as one line of JSON.

``benchmarks/tracking.py`` starts this script once per workload, in a fresh interpreter and
a fresh temporary folder, so that every workload pays its own imports and finds cold caches.
Run it by hand to look at one workload, or to profile its timed part:

    .venv/bin/python benchmarks/_runlab_worker.py log --calls 100000 --profile /tmp/log.prof
    .venv/bin/python -m pstats /tmp/log.prof   # then: sort cumtime, stats 30

``--profile`` profiles only what is timed (cProfile), not the set-up.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from runlab import Experiment, RunStatus, Workspace
from runlab.entities import Metric

T = TypeVar("T")

METRIC = "m"
LEARNING_RATES = ("0.1", "0.01", "0.001", "0.0001")


class Timer:
    """Times sections of a workload, and profiles them when asked to."""

    def __init__(self, profile_path: str | None) -> None:
        self._profiler = cProfile.Profile() if profile_path else None
        self._profile_path = profile_path

    @contextmanager
    def section(self) -> Iterator[list[float]]:
        """Time the ``with`` block; the elapsed seconds land in the yielded list."""
        elapsed: list[float] = []
        if self._profiler is not None:
            self._profiler.enable()
        start = time.perf_counter()
        try:
            yield elapsed
        finally:
            elapsed.append(time.perf_counter() - start)
            if self._profiler is not None:
                self._profiler.disable()

    def best_of(self, repeat: int, operation: Callable[[], T]) -> tuple[float, T]:
        """The shortest of ``repeat`` timed calls of ``operation``, and its last result."""
        best = float("inf")
        result: T | None = None
        for _ in range(repeat):
            with self.section() as elapsed:
                result = operation()
            best = min(best, elapsed[0])
        assert result is not None  # repeat >= 1; a benchmark, not library code
        return best, result

    def save(self) -> None:
        """Write the profile, if one was asked for."""
        if self._profiler is not None and self._profile_path:
            self._profiler.dump_stats(self._profile_path)


def open_workspace(folder: Path) -> tuple[Workspace, Experiment]:
    """A new workspace in ``folder`` (SQLite file and artifact folder) and one experiment."""
    workspace = Workspace.create("bench", path=folder)
    return workspace, Experiment(workspace, "bench")


def metric_batches(points: int, batch_size: int) -> list[list[Metric]]:
    """``points`` steps of one metric, cut into batches, built before any timing."""
    now = time.time()
    return [
        [
            Metric(METRIC, float(step), step, now)
            for step in range(start, min(start + batch_size, points))
        ]
        for start in range(0, points, batch_size)
    ]


def check(condition: bool, message: str) -> None:
    """Stop the workload (and so the benchmark's row) when a result is wrong."""
    if not condition:
        raise SystemExit(f"runlab worker: {message}")


# -- workloads ---------------------------------------------------------------------------


def single_calls(folder: Path, options: argparse.Namespace, timer: Timer) -> dict[str, Any]:
    """``run.log`` in a loop, then ``run.flush`` until every point is stored."""
    workspace, experiment = open_workspace(folder)
    run = experiment.start_logging()
    log = run.log
    calls = options.calls
    with timer.section() as logging:
        for step in range(calls):
            log(METRIC, float(step))
    with timer.section() as flushing:
        run.flush()
    stored = run.get_metrics()[METRIC]
    check(len(stored) == calls, f"{len(stored)} points stored, not {calls}")
    check(stored[-1] == float(calls - 1), f"the last point stored is {stored[-1]!r}")
    run.complete()
    workspace.close()
    return {
        "calls": calls,
        "calls_s": logging[0],
        "calls_per_s": calls / logging[0],
        "flush_s": flushing[0],
        "stored": len(stored),
    }


def batch_throughput(folder: Path, options: argparse.Namespace, timer: Timer) -> dict[str, Any]:
    """``store.log_metrics`` with prebuilt batches."""
    workspace, experiment = open_workspace(folder)
    store = workspace.store
    run = experiment.start_logging()
    batches = metric_batches(options.points, options.batch_size)
    with timer.section() as storing:
        for batch in batches:
            store.log_metrics(run.id, batch)
    stored = len(store.get_metric_histories(run.id, METRIC)[METRIC].steps)
    check(stored == options.points, f"{stored} points stored, not {options.points}")
    run.complete()
    workspace.close()
    return {
        "points": options.points,
        "batch_size": options.batch_size,
        "seconds": storing[0],
        "points_per_s": options.points / storing[0],
    }


def history_read(folder: Path, options: argparse.Namespace, timer: Timer) -> dict[str, Any]:
    """Read back a long history of one metric, through the run and through the store."""
    workspace, experiment = open_workspace(folder)
    store = workspace.store
    run = experiment.start_logging()
    for batch in metric_batches(options.points, 10_000):
        store.log_metrics(run.id, batch)
    run.flush()
    run_s, shaped = timer.best_of(options.repeat, lambda: run.get_metrics(METRIC))
    check(len(shaped[METRIC]) == options.points, f"run.get_metrics gave {len(shaped[METRIC])}")
    store_s, histories = timer.best_of(
        options.repeat, lambda: store.get_metric_histories(run.id, METRIC)
    )
    steps = histories[METRIC].steps
    check(len(steps) == options.points, f"get_metric_histories gave {len(steps)} points")
    check(steps == sorted(steps), "the history is not in step order")
    run.complete()
    workspace.close()
    return {"points": options.points, "run_get_metrics_s": run_s, "store_histories_s": store_s}


def run_listing(folder: Path, options: argparse.Namespace, timer: Timer) -> dict[str, Any]:
    """Create many runs, then list a filtered, ordered subset and all of them ordered."""
    workspace, _experiment = open_workspace(folder)
    store = workspace.store
    store.create_experiment("search")
    count = options.runs
    start = time.perf_counter()
    for index in range(count):
        store.create_run(
            "search",
            f"search_{index:06d}",
            # Status and tag vary independently: a quarter of the Completed half matches.
            status=RunStatus.COMPLETED if index % 2 == 0 else RunStatus.RUNNING,
            tags={"lr": LEARNING_RATES[(index // 2) % len(LEARNING_RATES)]},
        )
    create_s = time.perf_counter() - start
    expected = sum(
        1
        for index in range(count)
        if index % 2 == 0 and LEARNING_RATES[(index // 2) % len(LEARNING_RATES)] == "0.1"
    )

    def filtered() -> list[Any]:
        return store.search_runs(
            experiment_name="search",
            statuses=[RunStatus.COMPLETED],
            tags={"lr": "0.1"},
            order_by="created_time desc",
        )

    filtered_s, matches = timer.best_of(options.repeat, filtered)
    check(len(matches) == expected, f"the filtered search found {len(matches)}, not {expected}")
    times = [record.created_time for record in matches]
    check(times == sorted(times, reverse=True), "the filtered search is not newest first")
    all_s, every = timer.best_of(
        options.repeat,
        lambda: store.search_runs(experiment_name="search", order_by="created_time desc"),
    )
    check(len(every) == count, f"the unfiltered search found {len(every)}, not {count}")
    workspace.close()
    return {
        "runs": count,
        "create_s": create_s,
        "runs_created_per_s": count / create_s,
        "matches": len(matches),
        "filtered_s": filtered_s,
        "all_ordered_s": all_s,
    }


WORKLOADS: dict[str, Callable[[Path, argparse.Namespace, Timer], dict[str, Any]]] = {
    "log": single_calls,
    "batch": batch_throughput,
    "history": history_read,
    "search": run_listing,
}


def main(argv: list[str] | None = None) -> int:
    """Run the workload named on the command line and print its figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=sorted(WORKLOADS))
    parser.add_argument("--calls", type=int, default=100_000, help="run.log calls (log)")
    parser.add_argument("--points", type=int, default=100_000, help="points (batch, history)")
    parser.add_argument("--batch-size", type=int, default=10_000, help="points a batch (batch)")
    parser.add_argument("--runs", type=int, default=10_000, help="runs to create (search)")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many reads")
    parser.add_argument("--profile", metavar="PATH", help="write a cProfile of the timed part")
    options = parser.parse_args(argv)
    timer = Timer(options.profile)
    with tempfile.TemporaryDirectory(prefix=f"runlab-bench-{options.workload}-") as folder:
        figures = WORKLOADS[options.workload](Path(folder), options, timer)
    timer.save()
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
