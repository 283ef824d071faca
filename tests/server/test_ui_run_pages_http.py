"""The run and compare pages over plain HTTP (no browser): what they say of a run's log, its
duration, its parameters and its metrics, all from ``runlab.entities``."""

# ruff: noqa: E402 - the server extra is checked before anything needing it is imported
from __future__ import annotations

from live_server import require_server_extra

require_server_extra()

import io
import math

import pytest

pytest.importorskip("jinja2", reason="the web UI needs jinja2 (pip install jinja2)")

import httpx

from runlab.entities import RunStatus
from runlab.tracking import Experiment, Workspace


def test_the_run_page_names_its_log_and_shows_its_duration(
    server_url: str, served_workspace: Workspace
) -> None:
    run = Experiment(served_workspace, "pages").start_logging()
    run.upload_file("logs/driver.log", io.BytesIO(b"epoch 1\nepoch 2\n"))
    run.complete()
    record = served_workspace.store.get_run(run.id)

    page = httpx.get(f"{server_url}/ui/runs/{run.id}")
    assert page.status_code == 200
    assert "<small>logs/driver.log</small>" in page.text

    state = httpx.get(f"{server_url}/ui/api/runs/{run.id}").json()
    assert state["status"] == RunStatus.COMPLETED.value and state["terminal"] is True
    duration = record.duration()
    assert duration is not None and state["duration"] == f"{duration:.1f}s"

    log = httpx.get(f"{server_url}/ui/api/runs/{run.id}/log", params={"offset": 0}).json()
    assert log["text"] == "epoch 1\nepoch 2\n"


def test_the_compare_page_lists_each_runs_parameters(
    server_url: str, served_workspace: Workspace
) -> None:
    experiment = Experiment(served_workspace, "compare-http")
    runs = []
    for lr, losses in ((0.1, [1.0, math.nan, 0.2]), (0.01, [1.0, 0.7])):
        run = experiment.start_logging()
        run.add_properties({"param.lr": str(lr), "param.batch": "32", "runlab.other": "x"})
        for loss in losses:
            run.log("loss", loss)
        run.log("phase", "done")
        run.complete()
        runs.append(run)

    page = httpx.get(f"{server_url}/ui/compare", params=[("run", run.id) for run in runs])
    assert page.status_code == 200
    assert page.text.count('<span class="prop">lr=') == 2
    assert '<span class="prop">lr=0.1</span>' in page.text
    assert '<span class="prop">batch=32</span>' in page.text
    assert "other=" not in page.text

    charts = httpx.get(f"{server_url}/ui/api/runs/{runs[0].id}/metrics").json()
    assert charts == {
        "loss": {
            "steps": [0, 1, 2],
            "values": [1.0, None, 0.2],
            "count": 3,
            "last_step": 2,
            "sampled": False,
        }
    }
