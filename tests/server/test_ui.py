"""The web UI in a real Chromium (Debian's, driven by Playwright) against the live server.

Skipped, saying why, without the ``playwright`` package or ``/usr/bin/chromium``. Each test
saves screenshots under its ``tmp_path`` (``screens/``) and copies them to
``/tmp/runlab-ui-screens/`` to look at.
"""

# ruff: noqa: E402 - the extras are checked before anything needing them is imported
from __future__ import annotations

from live_server import require_server_extra

require_server_extra()

from browsing import browser, page, problems, require_browser, screenshot, wait_js

require_browser()

import io
from pathlib import Path
from typing import Any

from runlab.tracking import Experiment, Run, Workspace

__all__ = ["browser", "page", "problems"]  # the fixtures the tests use


def _trained_run(experiment: Experiment, lr: float, losses: list[float], team: str) -> Run:
    run = experiment.start_logging()
    run.add_properties({"param.lr": str(lr)})
    run.tag("team", team)
    for loss in losses:
        run.log("loss", loss)
    run.complete()
    return run


def test_runs_table_filters_and_opens_a_run(
    page: Any, server_url: str, served_workspace: Workspace, tmp_path: Path
) -> None:
    experiment = Experiment(served_workspace, "mnist")
    done = [_trained_run(experiment, lr, [1.0, 0.5], "vision") for lr in (0.1, 0.01)]
    running = experiment.start_logging()
    running.log("loss", 0.9)
    running.flush()

    page.goto(f"{server_url}/ui/")
    page.click("#experiments a:text-is('mnist')")
    rows = page.locator("#runs tr.run")
    rows.first.wait_for()
    assert rows.count() == 3
    assert page.inner_text("#run-total") == "3"
    table = page.inner_text("#runs")
    assert "Running" in table and "Completed" in table
    assert "loss" in page.inner_text("#runs thead") and "team" in page.inner_text("#runs thead")
    screenshot(page, tmp_path, "runs-table")

    running_status = page.locator(f"tr[data-run-id='{running.id}'] .status")
    assert running_status.inner_text() == "Running"
    running.complete()  # the table follows without a reload
    wait_js(
        page,
        "id => document.querySelector(`tr[data-run-id='${id}'] .status`).textContent"
        " === 'Completed'",
        running.id,
    )

    page.select_option("select[name=status]", "Completed")
    page.click("form.filters button")
    page.wait_for_url("**status=Completed**")
    shown = {row.get_attribute("data-run-id") for row in rows.all()}
    assert shown == {run.id for run in done} | {running.id}
    page.fill("input[name=tag]", "team=vision")
    page.click("form.filters button")
    page.wait_for_url("**tag=team%3Dvision**")
    shown = {row.get_attribute("data-run-id") for row in rows.all()}
    assert shown == {run.id for run in done}

    page.click(f"tr[data-run-id='{done[0].id}'] a.run-link")
    page.wait_for_url(f"**/ui/runs/{done[0].id}")
    assert page.inner_text("#run-status") == "Completed"


def test_a_point_logged_after_the_page_loaded_appears_without_a_reload(
    page: Any, server_url: str, served_workspace: Workspace, tmp_path: Path
) -> None:
    run = Experiment(served_workspace, "live").start_logging()
    run.add_properties({"runlab.snapshot_id": "0123abcd"})
    child = run.child_run("fold-1")
    run.log("loss", 1.5)
    run.upload_file("logs/driver.log", io.BytesIO(b"epoch 1 started\n"))
    run.flush()

    page.goto(f"{server_url}/ui/runs/{run.id}")
    points = (
        "() => { const c = document.getElementById('chart-loss');"
        " return c && c.data ? c.data[0].y.length : 0; }"
    )
    wait_js(page, f"() => ({points})() === 1")
    assert page.inner_text("#run-status") == "Running"
    assert page.inner_text("#snapshot-id") == "0123abcd"
    assert "fold-1" in page.inner_text("#children")
    page.evaluate("window.__loadedOnce = true")
    screenshot(page, tmp_path, "run-live-before")

    run.log("loss", 0.25)
    run.upload_file("logs/driver.log", io.BytesIO(b"epoch 1 started\nepoch 2 started\n"))
    run.flush()
    wait_js(page, f"() => ({points})() === 2")
    assert page.evaluate("document.getElementById('chart-loss').data[0].y") == [1.5, 0.25]
    assert page.evaluate("document.getElementById('chart-loss').data[0].x") == [0, 1]
    assert page.evaluate("window.__loadedOnce") is True, "the page was reloaded"
    wait_js(page, "() => document.getElementById('log').textContent.includes('epoch 2')")

    child.complete()
    run.complete()
    wait_js(page, "() => document.getElementById('run-status').textContent === 'Completed'")
    assert page.inner_text("#run-ended").endswith("UTC")
    assert page.evaluate("window.__loadedOnce") is True
    screenshot(page, tmp_path, "run-live-after")


def test_compare_two_runs(
    page: Any, server_url: str, served_workspace: Workspace, tmp_path: Path
) -> None:
    experiment = Experiment(served_workspace, "sweep")
    fast = _trained_run(experiment, 0.1, [1.0, 0.4, 0.2], "a")
    slow = _trained_run(experiment, 0.01, [1.0, 0.8, 0.7], "b")

    page.goto(f"{server_url}/ui/experiments/sweep")
    page.check(f"input[value='{fast.id}']")
    page.check(f"input[value='{slow.id}']")
    page.click("#compare-button")
    page.wait_for_url("**/ui/compare?**")
    wait_js(page, "() => document.getElementById('scatter').data !== undefined")

    lines = page.evaluate("document.getElementById('overlay').data.map(t => [t.name, t.x, t.y])")
    assert sorted(lines) == sorted(
        [[fast.id, [0, 1, 2], [1.0, 0.4, 0.2]], [slow.id, [0, 1, 2], [1.0, 0.8, 0.7]]]
    )
    scatter = page.evaluate("document.getElementById('scatter').data[0]")
    assert sorted(zip(scatter["x"], scatter["y"], strict=True)) == [(0.01, 0.7), (0.1, 0.2)]
    screenshot(page, tmp_path, "compare")


def test_download_a_file_of_a_run(
    page: Any, server_url: str, served_workspace: Workspace, tmp_path: Path
) -> None:
    run = Experiment(served_workspace, "files").start_logging()
    content = bytes(range(256)) * 40
    run.upload_file("outputs/model.bin", io.BytesIO(content))
    run.complete()

    page.goto(f"{server_url}/ui/runs/{run.id}")
    with page.expect_download() as download_info:
        page.click("#files a:text('outputs/model.bin')")
    download = download_info.value
    assert download.suggested_filename == "model.bin"
    assert Path(download.path()).read_bytes() == content
    screenshot(page, tmp_path, "run-files")


def test_models_compute_and_datastores_pages(
    page: Any, server_url: str, served_workspace: Workspace, tmp_path: Path
) -> None:
    run = Experiment(served_workspace, "reg").start_logging()
    run.upload_file("outputs/model.pkl", io.BytesIO(b"weights"))
    run.complete()
    run.register_model("digits", "outputs/model.pkl", tags={"stage": "test"})
    served_workspace.store.create_compute_target(
        "cpu-cluster", "ray", config={"min_nodes": 0, "max_nodes": 4}, state={"status": "idle"}
    )
    served_workspace.get_default_datastore()

    page.goto(f"{server_url}/ui/models")
    models = page.inner_text("#models")
    assert "digits" in models and "stage=test" in models and run.id in models
    page.click(f"#models a:text('{run.id}')")
    page.wait_for_url(f"**/ui/runs/{run.id}")
    page.goto(f"{server_url}/ui/compute")
    compute = page.inner_text("#compute")
    assert "cpu-cluster" in compute and "idle" in compute and "max 4" in compute
    page.goto(f"{server_url}/ui/datastores")
    assert "workspaceblobstore" in page.inner_text("#datastores")
    screenshot(page, tmp_path, "datastores")
