"""The web UI on long histories and big experiments: the run page at 1, 20 and 100 metrics of
``--steps`` steps (100,000), and the runs page at ``--runs`` runs (10,000).

For each run page it prints the server's time for the page and for its metrics answer (the
downsampled series), the bytes sent, and, when Playwright and Debian's chromium are there, the
browser's time to first render (first contentful paint) and to fully loaded (every chart drawn);
for the runs page, the server's time and bytes. Targets (issue 19): the run page fully loaded
in <= 1 s at 20 x 100,000 steps, with <= 2 MB sent.

    .venv/bin/python benchmarks/ui.py                              # the issue's sizes
    .venv/bin/python benchmarks/ui.py --steps 1000 --metrics 1 2 --runs 100   # tiny

The histories are written by bulk ``INSERT ... SELECT`` statements run by SQLite itself (as in
``benchmarks/runs_page.py``); the server is uvicorn serving the workspace from a thread of this
process, on 127.0.0.1. MLflow's UI is not driven here: its run page asks
``metrics/get-history`` for every point of each metric (100,000 per metric), which this script
does not reproduce; see ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TARGET_LOADED_S = 1.0
TARGET_BYTES = 2_000_000
CHROMIUM = "/usr/bin/chromium"
LOAD_LIMIT_S = 120.0


def _fill(store: Any, run_id: str, metrics: int, steps: int) -> None:
    names = " UNION ALL ".join(f"SELECT 'metric_{index}' AS name" for index in range(metrics))
    sql = f"""
        INSERT INTO metrics (run_pk, name, step, kind, number, text, timestamp, description)
        WITH RECURSIVE steps(step) AS (
            SELECT 0 UNION ALL SELECT step + 1 FROM steps WHERE step + 1 < ?
        )
        SELECT r.id, n.name, steps.step, 0,
               1.0 / (1 + steps.step) + (abs(random()) % 1000) / 100000.0,
               NULL, r.created_time + steps.step, NULL
        FROM runs AS r CROSS JOIN ({names}) AS n CROSS JOIN steps
        WHERE r.run_id = ?
    """
    with store.engine.begin() as connection:
        connection.exec_driver_sql(sql, (steps, run_id))


def build(
    folder: Path, metric_counts: list[int], steps: int, runs: int
) -> tuple[Any, dict[int, str]]:
    """A workspace with one run per metric count, and an experiment of ``runs`` runs."""
    from runlab.tracking import Experiment, Workspace

    workspace = Workspace.create("ui-bench", folder)
    run_ids = {}
    for count in metric_counts:
        run = Experiment(workspace, "long").start_logging(display_name=f"{count} metrics")
        run.complete()
        _fill(workspace.store, run.id, count, steps)
        run_ids[count] = run.id
    store: Any = workspace.store
    experiment_id = store.create_experiment("many").experiment_id
    now = time.time()
    rows = [
        (f"many_{n:05d}", experiment_id, n, f"run {n}", "Completed", "local", now + n, now + n,
         now + n + 1, "{}", '{"param.lr": "0.1"}')
        for n in range(1, runs + 1)
    ]  # fmt: skip
    with store.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO runs (run_id, experiment_id, number, display_name, status, target,"
            " created_time, start_time, end_time, tags, properties) VALUES"
            " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    return workspace, run_ids


def serve(workspace: Any) -> tuple[str, Callable[[], None]]:
    """uvicorn serving ``workspace`` from a thread; its URL and how to stop it."""
    import socket

    import uvicorn

    from runlab.server import create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(workspace), host="127.0.0.1", port=port, log_level="warning",
            lifespan="off",
        )
    )  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    return f"http://127.0.0.1:{port}", stop


def _timed_get(client: Any, url: str, repeat: int) -> tuple[float, int]:
    """The median seconds of ``repeat`` GETs of ``url`` and the bytes of its answer (the
    body as sent, compressed or not)."""
    times, size = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        answer = client.get(url)
        times.append(time.perf_counter() - started)
        answer.raise_for_status()
        size = len(answer.content)
    return statistics.median(times), size


def browser_times(url: str, charts: int, repeat: int) -> tuple[float, float, int] | None:
    """(first render s, fully loaded s, bytes received) of the page in chromium, or None
    without Playwright or the chromium, or when a load passed :data:`LOAD_LIMIT_S` (median
    of ``repeat`` loads)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not Path(CHROMIUM).exists():
        return None
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"]  # fmt: skip
    firsts, loadeds, sizes = [], [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        context = browser.new_context()
        page = context.new_page()
        page.goto(url.rsplit("/ui/", 1)[0] + "/ui/static/plotly.min.js")  # cached, as in use
        received: list[int] = []
        page.on("requestfinished", lambda request: received.append(_body_size(request)))
        for _ in range(repeat):
            received.clear()
            started = time.perf_counter()
            page.goto(url, wait_until="commit")
            wanted = (
                "n => document.getElementById('run').dataset.loaded === 'true' &&"
                " document.querySelectorAll('#charts .chart').length === n"
            )
            while not page.evaluate(wanted, charts):
                if time.perf_counter() - started > LOAD_LIMIT_S:
                    browser.close()
                    return None  # reported as not loaded within the limit
                time.sleep(0.005)
            loadeds.append(time.perf_counter() - started)
            paint = "performance.getEntriesByName('first-contentful-paint')[0].startTime"
            firsts.append(page.evaluate(paint) / 1000)
            sizes.append(sum(received))
        browser.close()
    return statistics.median(firsts), statistics.median(loadeds), int(statistics.median(sizes))


def _body_size(request: Any) -> int:
    """The bytes of the answer's body as received (0 when it came from the cache)."""
    size: int = request.sizes()["responseBodySize"]
    return max(size, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metrics", type=int, nargs="+", default=[1, 20, 100])
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-browser", action="store_true", help="server figures only")
    options = parser.parse_args()

    import httpx

    folder = Path(tempfile.mkdtemp(prefix="runlab-ui-bench-"))
    try:
        started = time.perf_counter()
        workspace, run_ids = build(folder, options.metrics, options.steps, options.runs)
        print(f"built in {time.perf_counter() - started:.1f} s")
        url, stop = serve(workspace)
        try:
            with httpx.Client(base_url=url, timeout=300) as client:
                for count, run_id in run_ids.items():
                    page_s, page_bytes = _timed_get(client, f"/ui/runs/{run_id}", options.repeat)
                    data_s, data_bytes = _timed_get(
                        client, f"/ui/api/runs/{run_id}/metrics", options.repeat
                    )
                    line = (
                        f"run page, {count} metrics x {options.steps} steps: server page"
                        f" {page_s * 1000:.0f} ms {page_bytes} B, metrics {data_s * 1000:.0f} ms"
                        f" {data_bytes} B"
                    )
                    times = None if options.no_browser else browser_times(
                        f"{url}/ui/runs/{run_id}", count, options.repeat
                    )  # fmt: skip
                    if times is None and not options.no_browser:
                        line += f"; browser: not fully loaded within {LOAD_LIMIT_S:.0f} s"
                    if times is not None:
                        first, loaded, received = times
                        line += (
                            f"; browser first render {first * 1000:.0f} ms, fully loaded"
                            f" {loaded * 1000:.0f} ms, {received} B received"
                        )
                    print(line)
                runs_s, runs_bytes = _timed_get(client, "/ui/experiments/many", options.repeat)
                print(
                    f"runs page, {options.runs} runs: server {runs_s * 1000:.0f} ms {runs_bytes} B"
                )
            print(
                f"targets: run page fully loaded <= {TARGET_LOADED_S:.1f} s at 20 x 100000,"
                f" payload <= {TARGET_BYTES} B"
            )
        finally:
            stop()
            workspace.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
