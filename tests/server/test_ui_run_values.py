"""The run page in a real Chromium: every kind of logged value in its section (asserted on
the DOM: table cells, chart traces, images, parameters), the file previews, and a tried set
of script-carrying names, tags, metric names and files that must never run.

Screenshots go under each test's ``tmp_path`` (``screens/``) and ``/tmp/runlab-ui-screens/``.
"""

# ruff: noqa: E402 - the extras are checked before anything needing them is imported
from __future__ import annotations

from live_server import require_server_extra

require_server_extra()

from browsing import browser, page, problems, require_browser, screenshot, wait_js

require_browser()

from pathlib import Path
from typing import Any

from uiruns import SCRIPT_FILES, SPIKE_STEP, every_kind_run, long_run, script_run

from runlab.tracking import Experiment, Workspace

__all__ = ["browser", "page", "problems"]  # the fixtures the tests use

LOADED = "() => document.getElementById('run').dataset.loaded === 'true'"


def _cells(page: Any, selector: str) -> list[list[str]]:
    return page.evaluate(
        "s => Array.from(document.querySelectorAll(s + ' tbody tr')).map("
        "r => Array.from(r.cells).map(c => c.textContent))",
        selector,
    )


def test_the_run_page_shows_every_kind_of_value(
    page: Any, server_url: str, served_workspace: Workspace, tmp_path: Path
) -> None:
    run = every_kind_run(served_workspace, tmp_path)
    page.goto(f"{server_url}/ui/runs/{run.id}")
    wait_js(page, LOADED)
    wait_js(page, "() => document.querySelector('#images img') !== null")

    # parameters, tags and properties, each apart
    assert _cells(page, "#parameters") == [["batch", "64"], ["lr", "0.01"]]
    assert _cells(page, "#tags") == [["stage", ""], ["team", "vision"]]
    properties = dict(map(tuple, _cells(page, "#properties")))
    assert properties["owner.note"] == "kept apart" and "param.lr" not in properties

    # a scalar series as a chart, a string metric as text
    assert page.evaluate("document.getElementById('chart-loss').data[0].y.length") == 5
    assert _cells(page, "#texts") == [["phase", "0", "training"]]

    # a list: the chart of the last one, a slider over its steps
    lists = "#lists .value-item[data-name='weights']"
    assert page.evaluate(f'document.querySelector("{lists} .chart").data[0].y') == [
        0.2,
        0.4,
        0.3,
    ]
    page.locator(f"{lists} input[type=range]").fill("0")
    assert page.evaluate(f'document.querySelector("{lists} .chart").data[0].y') == [
        0.1,
        0.5,
        0.2,
    ]

    # rows: a growing table and a chart of a chosen column
    rows = "#rows .value-item[data-name='per_epoch']"
    assert _cells(page, rows) == [["0", "0.5", "e0"], ["1", "0.6", "e1"], ["2", "0.7", "e2"]]
    assert page.evaluate(f'document.querySelector("{rows} .chart").data[0].y') == [
        0,
        1,
        2,
    ]
    page.select_option(f"{rows} select", "accuracy")
    assert page.evaluate(f'document.querySelector("{rows} .chart").data[0].y') == [
        0.5,
        0.6,
        0.7,
    ]

    # a table, with a chart of two chosen columns
    table = "#tables .value-item[data-name='confusion']"
    assert _cells(page, table) == [["cat", "7", "0.7"], ["dog", "9", "0.9"]]
    trace = page.evaluate(f'document.querySelector("{table} .chart").data[0]')
    assert trace["x"] == ["cat", "dog"] and trace["y"] == [7, 9]

    # images: inline, with a step slider
    images = "#images .value-item[data-name='samples']"
    source = page.get_attribute(f"{images} img", "src")
    assert source is not None and source.endswith("samples_1.png")
    wait_js(page, f'() => document.querySelector("{images} img").naturalWidth === 16')
    page.locator(f"{images} input[type=range]").fill("0")
    assert (page.get_attribute(f"{images} img", "src") or "").endswith("samples_0.png")
    # several image names: a gallery, side by side in a grid
    gallery = page.evaluate(
        "() => { const g = document.querySelector('#images .gallery');"
        " return {display: getComputedStyle(g).display,"
        " cells: Array.from(g.children).map(c => [c.dataset.name, c.offsetTop, c.offsetLeft])}; }"
    )
    assert gallery["display"] == "grid"
    (first, first_top, first_left), (second, second_top, second_left) = gallery["cells"]
    assert (first, second) == ("masks", "samples")
    assert first_top == second_top and second_left > first_left
    wait_js(
        page,
        "() => document.querySelector(\"#images [data-name='masks'] img\").naturalWidth === 16",
    )

    # the log's tail, the file browser, the child run
    wait_js(page, "() => document.getElementById('log').textContent.includes('line 59999')")
    folders = page.inner_text("#files")
    assert "outputs/" in folders and "metrics.json" in folders and "history.csv" in folders
    assert "fold-1" in page.inner_text("#children")
    assert page.locator("#error").count() == 0
    screenshot(page, tmp_path, "run-every-kind")


def test_the_file_previews_show_without_running_anything(
    page: Any, server_url: str, served_workspace: Workspace, tmp_path: Path
) -> None:
    run = every_kind_run(served_workspace, tmp_path)
    base = f"{server_url}/ui/runs/{run.id}"
    page.goto(base)
    page.click("#files a.preview-link:text-is('history.csv')")
    page.wait_for_url("**/preview/outputs/history.csv")
    assert page.inner_text("#preview-table thead").split() == ["epoch", "accuracy"]
    assert page.inner_text("#partial") == "showing the first 200 rows"
    assert page.locator("#preview-table tbody tr").count() == 200
    assert _cells(page, "#preview-table")[2] == ["2", "0.02"]
    screenshot(page, tmp_path, "preview-csv")

    page.goto(f"{base}/preview/outputs/metrics.json")
    assert '"accuracy": 0.9' in page.inner_text("#preview-text")
    page.goto(f"{base}/preview/outputs/config.yaml")
    assert "layers:\n  - 64" in page.inner_text("#preview-text")
    page.goto(f"{base}/preview/logs/driver.log")
    assert "the last 256 KiB" in page.inner_text("#partial")
    assert page.inner_text("#preview-text").rstrip().endswith("line 59999")
    page.goto(f"{base}/preview/images/samples_0.png")
    wait_js(page, "() => document.getElementById('preview-image').naturalHeight === 12")
    screenshot(page, tmp_path, "preview-image")
    page.goto(f"{base}/preview/outputs/model.bin")
    assert page.locator("#preview-binary").count() == 1


def test_script_carrying_names_tags_metrics_and_files_never_run(
    page: Any, server_url: str, served_workspace: Workspace, tmp_path: Path
) -> None:
    run = script_run(served_workspace)
    page.goto(f"{server_url}/ui/runs/{run.id}")
    wait_js(page, LOADED)
    wait_js(page, "() => document.querySelectorAll('#rows .value-item').length === 6")
    assert "<script>" in page.inner_text("h1")  # shown as text
    assert "onerror" in page.inner_text("#error .error-message")
    assert len(page.evaluate("Array.from(document.querySelectorAll('#charts .chart'))")) == 6
    for name in SCRIPT_FILES:
        page.goto(f"{server_url}/ui/runs/{run.id}/preview/{name}")
        assert page.locator("#preview-text").count() == 1, name
        assert "__pwned" in page.inner_text("#preview-text")
    page.goto(f"{server_url}/ui/experiments/scripts")
    page.goto(f"{server_url}/ui/")
    screenshot(page, tmp_path, "scripts-home")
    assert page.evaluate("window.__pwned") is None
    page.goto(f"{server_url}/ui/runs/{run.id}")
    wait_js(page, LOADED)
    assert page.evaluate("window.__pwned") is None
    screenshot(page, tmp_path, "scripts-run")


def test_a_run_of_20_metrics_of_100000_steps_loads_downsampled_and_zooms_finer(
    page: Any, server_url: str, served_workspace: Workspace, tmp_path: Path
) -> None:
    run = long_run(served_workspace, metrics=20, steps=100_000)
    page.goto(f"{server_url}/ui/runs/{run.id}")
    wait_js(page, LOADED, timeout=120)
    charts = page.evaluate(
        "Array.from(document.querySelectorAll('#charts .chart')).map("
        "c => [c.dataset.metric, c.dataset.sampled, c.data[0].x.length])"
    )
    assert len(charts) == 20
    assert all(sampled == "true" and 1000 <= points <= 2000 for _, sampled, points in charts)
    assert 50.0 in page.evaluate("document.getElementById('chart-m0').data[0].y")
    screenshot(page, tmp_path, "run-long")

    page.evaluate(
        "s => Plotly.relayout('chart-m0', {'xaxis.range': [s - 500, s + 500]})", SPIKE_STEP
    )
    wait_js(page, "() => document.getElementById('chart-m0').dataset.zoomPoints !== undefined")
    chart = page.evaluate(
        "(() => { const c = document.getElementById('chart-m0');"
        " return [c.dataset.sampled, c.data[0].x[0], c.data[0].x.length]; })()"
    )
    assert chart == ["false", SPIKE_STEP - 501, 1003], "the zoomed view has every point"
    screenshot(page, tmp_path, "run-long-zoomed")


def test_the_experiment_page_overlays_a_metric_and_plots_it_against_a_parameter(
    page: Any, server_url: str, served_workspace: Workspace, tmp_path: Path
) -> None:
    experiment = Experiment(served_workspace, "sweep-page")
    for lr, losses in ((0.1, [1.0, 0.4]), (0.01, [1.0, 0.8]), (0.001, [1.0, 0.9])):
        run = experiment.start_logging()
        run.add_properties({"param.lr": str(lr)})
        for loss in losses:
            run.log("loss", loss)
            run.log("accuracy", 1 - loss)
        run.complete()

    page.goto(f"{server_url}/ui/experiments/sweep-page?metric=loss,accuracy")
    overlay = "document.getElementById('runs-overlay')"
    wait_js(page, f"() => {overlay}.data && {overlay}.data.length === 3")
    assert page.evaluate(f"{overlay}.data.map(t => t.y[1]).sort()") == [0.4, 0.8, 0.9]
    scatter = page.evaluate("document.getElementById('runs-scatter').data[0]")
    assert sorted(zip(scatter["x"], scatter["y"], strict=True)) == [
        (0.001, 0.9),
        (0.01, 0.8),
        (0.1, 0.4),
    ]
    page.select_option("#chart-metric", "accuracy")
    wait_js(page, f"() => {overlay}.layout.title.text === 'accuracy by step'")
    assert "chart=accuracy" in page.url and "param=lr" in page.url
    page.click("th.metric-col a:text-is('accuracy')")  # sort by the column
    page.wait_for_url("**sort=metric%3Aaccuracy**")
    assert "chart=accuracy" in page.url
    numbers = page.evaluate(
        "Array.from(document.querySelectorAll('#runs tbody tr')).map(r => r.dataset.runId)"
    )
    assert len(numbers) == 3
    screenshot(page, tmp_path, "experiment-charts")
