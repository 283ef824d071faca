"""The web UI's runs page on a big experiment: server time against the 300 ms target.

Builds a workspace whose experiment holds ``--runs`` runs (10,000) with ``--metrics`` metrics
(5) of ``--steps`` steps (10,000) each, in a SQLite file, then asks the server's app for the
runs page with three metric columns, sorted by the last value of one of them, and prints the
server time (the request through the ASGI app in this process: routing, the store's queries,
rendering; no network), the target, and the old way's figure (each cell's whole history read)
for comparison.

    .venv/bin/python benchmarks/runs_page.py                     # the issue's size
    .venv/bin/python benchmarks/runs_page.py --steps 1000        # a tenth of the points
    .venv/bin/python benchmarks/runs_page.py --folder /tmp/rp --keep   # reuse a build

The points (``runs * metrics * steps`` rows: 500 million at the issue's size) are written by
bulk ``INSERT ... SELECT`` statements run by SQLite itself through the store's engine, a few
runs per transaction (``log_metrics`` at its 100,000 points/s would need over an hour). The
build's time and the file's size are printed; when the full size does not fit the time or the
disk at hand, run a smaller ``--steps`` and read the extrapolation the script prints. The page reads
one point per run and metric through the metrics' index (run, name, step, id, number), so its
time grows with the logarithm of the steps, not with them. See ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

TARGET_S = 0.300
EXPERIMENT = "runs-page"
PAGE = 50
RUNS_PER_TRANSACTION = 20


def _metric_names(count: int) -> list[str]:
    return [f"metric_{index}" for index in range(count)]


def _last_value(run_pk: int, metric_index: int, steps: int) -> float:
    """The value the build writes at a run's last step (the SQL below, in Python)."""
    return 1.0 / steps + ((run_pk * 2654435761 + metric_index * 40503) % 1000003) / 1000003.0


def _points_sql(names: list[str]) -> str:
    wanted = " UNION ALL ".join(
        f"SELECT '{name}' AS name, {index} AS k" for index, name in enumerate(names)
    )
    # The value: a curve falling with the step, plus a per-run, per-metric offset, so that
    # the runs' last values differ and an earlier step never holds the last value by chance.
    return f"""
        INSERT INTO metrics (run_pk, name, step, kind, number, text, timestamp, description)
        WITH RECURSIVE steps(step) AS (
            SELECT 0 UNION ALL SELECT step + 1 FROM steps WHERE step + 1 < ?
        )
        SELECT r.id, n.name, steps.step, 0,
               1.0 / (1 + steps.step) + ((r.id * 2654435761 + n.k * 40503) % 1000003) / 1000003.0,
               NULL, r.created_time + steps.step, NULL
        FROM runs AS r CROSS JOIN ({wanted}) AS n CROSS JOIN steps
        WHERE r.id BETWEEN ? AND ?
    """


def build(folder: Path, runs: int, metrics: int, steps: int) -> float:
    """Create the workspace and its data in ``folder``; return the seconds it took."""
    from runlab.store.sql import SqlMetadataStore
    from runlab.tracking import Workspace

    started = time.perf_counter()
    workspace = Workspace.create("runs-page-bench", folder)
    store = workspace.store
    if not isinstance(store, SqlMetadataStore):
        raise SystemExit("the benchmark needs the workspace's SQLite store")
    experiment_id = store.create_experiment(EXPERIMENT).experiment_id
    now = time.time()
    rows = [
        (
            f"{EXPERIMENT}_{number:05d}",
            experiment_id,
            number,
            f"run {number}",
            "Completed",
            "local",
            now - runs + number,
            now - runs + number,
            now - runs + number + steps,
            "{}",
            "{}",
        )
        for number in range(1, runs + 1)
    ]
    insert_runs = (
        "INSERT INTO runs (run_id, experiment_id, number, display_name, status, target,"
        " created_time, start_time, end_time, tags, properties) VALUES"
        " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    with store.engine.begin() as connection:
        connection.exec_driver_sql(insert_runs, rows)
        first, last = connection.exec_driver_sql("SELECT MIN(id), MAX(id) FROM runs").one()
    sql = _points_sql(_metric_names(metrics))
    total = runs * metrics * steps
    for start in range(first, last + 1, RUNS_PER_TRANSACTION):
        end = min(start + RUNS_PER_TRANSACTION - 1, last)
        with store.engine.begin() as connection:
            connection.exec_driver_sql(sql, (steps, start, end))
        done = (end - first + 1) * metrics * steps
        elapsed = time.perf_counter() - started
        print(
            f"\r  built {done:,} of {total:,} points in {elapsed:.0f} s"
            f" ({done / elapsed / 1e6:.2f} M/s)",
            end="",
            file=sys.stderr,
            flush=True,
        )
    print(file=sys.stderr)
    with store.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.exec_driver_sql("ANALYZE")
    store.close()
    return time.perf_counter() - started


def _timed(call: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """(first, median of the rest, result of the last)."""
    times = []
    result = None
    for _ in range(repeat + 1):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    return times[0], statistics.median(times[1:]), result


@contextlib.contextmanager
def _folder(path: str | None, keep: bool) -> Iterator[Path]:
    if path is not None:
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        yield folder
        return
    folder = Path(tempfile.mkdtemp(prefix="runlab-runs-page-"))
    try:
        yield folder
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


def measure(folder: Path, runs: int, metrics: int, steps: int, repeat: int) -> dict[str, Any]:
    """Time the runs page (the new way) and the old way's cell reads over the built data."""
    from fastapi.testclient import TestClient

    from runlab.entities import last_values
    from runlab.server import create_app
    from runlab.server.ui import views
    from runlab.tracking import Workspace

    workspace = Workspace.from_config(folder)
    store = workspace.store
    names = _metric_names(metrics)[:3]
    sort_by = names[1]
    client = TestClient(create_app(workspace))
    client.__enter__()  # one event loop thread for every request, as a server has
    params: dict[str, Any] = {"metric": names, "sort": f"metric:{sort_by} desc", "limit": PAGE}

    def page() -> Any:
        answer = client.get(f"/ui/experiments/{EXPERIMENT}", params=params)
        answer.raise_for_status()
        return answer

    first_s, page_s, answer = _timed(page, repeat)
    # The page must be right, not only fast: the runs with the highest last values, in order.
    expected = sorted(range(1, runs + 1), key=lambda pk: (-_last_value(pk, 1, steps), -pk))[:PAGE]
    shown = [
        int(part.split('"')[0]) for part in answer.text.split(f'data-run-id="{EXPERIMENT}_')[1:]
    ]
    if shown != expected:
        raise SystemExit(f"the page shows the wrong runs: {shown[:5]}... not {expected[:5]}...")

    query = views.RunsQuery(
        experiment_name=EXPERIMENT, order_by=f"metric:{sort_by} desc", metrics=tuple(names)
    )
    _first, views_s, _page = _timed(lambda: views.runs_page(store, query), repeat)

    # The old way: the page in the store's default order, then each cell's whole history.
    records = store.search_runs(experiment_name=EXPERIMENT, limit=PAGE)

    def old_cells() -> None:
        for record in records:
            for name in names:
                last_values(store.get_metric_histories(record.run_id, name))

    _first, old_cells_s, _none = _timed(old_cells, 1)
    # Sorting the old way needs every run's last value: every run's history of that metric.
    one_history_s = old_cells_s / (len(records) * len(names))
    old_sorted_s = one_history_s * runs + old_cells_s
    client.__exit__(None, None, None)
    store.close()
    return {
        "page_first_s": first_s,
        "page_s": page_s,
        "views_s": views_s,
        "old_cells_s": old_cells_s,
        "old_sorted_s": old_sorted_s,
    }


def main(argv: list[str] | None = None) -> int:
    """Build (unless ``--folder`` holds a build), measure, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--metrics", type=int, default=5)
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5, help="timed requests after the first")
    parser.add_argument("--folder", help="build here, or reuse the build found here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary build")
    options = parser.parse_args(argv)
    if options.metrics < 3:
        parser.error("the page shows three metric columns: give --metrics 3 or more")
    full = 10_000 * 5 * 10_000
    points = options.runs * options.metrics * options.steps
    with _folder(options.folder, options.keep) as folder:
        database = folder / ".runlab" / "metadata.db"
        if database.exists():
            print(f"reusing the build in {folder}")
            build_s = math.nan
        else:
            print(
                f"building {options.runs:,} runs x {options.metrics} metrics x"
                f" {options.steps:,} steps = {points:,} points in {folder} ..."
            )
            build_s = build(folder, options.runs, options.metrics, options.steps)
        size = database.stat().st_size
        figures = measure(folder, options.runs, options.metrics, options.steps, options.repeat)
        if options.keep or options.folder:
            print(f"the build stays in {folder}")

    print()
    print(f"{'size':<34} {options.runs:,} runs x {options.metrics} x {options.steps:,} steps")
    if not math.isnan(build_s):
        rate = points / build_s / 1e6
        print(f"{'build (bulk SQL inserts)':<34} {build_s:8.1f} s  ({rate:.2f} M points/s)")
    print(f"{'SQLite file':<34} {size / 1e9:8.2f} GB")
    if points != full and not math.isnan(build_s):
        factor = full / points
        print(
            f"{'  scaled down; the full size':<34} about {build_s * factor / 60:.0f} min to build,"
            f" {size * factor / 1e9:.0f} GB (x{factor:g}, linear)"
        )
    verdict = "met" if figures["page_s"] <= TARGET_S else "NOT met"
    print(
        f"{'runs page, 3 metrics, sorted by one':<34} {figures['page_s'] * 1e3:8.1f} ms"
        f"  (median of {options.repeat}; first {figures['page_first_s'] * 1e3:.1f} ms)"
        f"  target <= {TARGET_S * 1e3:.0f} ms: {verdict}"
    )
    print(f"{'  of which views.runs_page':<34} {figures['views_s'] * 1e3:8.1f} ms")
    print(
        f"{'old way: 150 cells by history':<34} {figures['old_cells_s'] * 1e3:8.1f} ms"
        "  (unsorted page: each cell's whole history read)"
    )
    print(
        f"{'old way: sorted by a metric':<34} {figures['old_sorted_s']:8.1f} s"
        f"  (estimate: every run's history of the metric, {options.runs:,} reads)"
    )
    if points != full:
        print(
            "  (the page reads one point per run and metric through the index: its time grows"
            " with log(steps); the old way's grows with steps)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
