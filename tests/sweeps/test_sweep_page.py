"""The web UI's sweep page over HTTP, and the report behind it."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from sweep_scripts import CURVE_TRAIN

from runlab import Experiment, Workspace
from runlab.jobs import ScriptRunConfig
from runlab.sweeps import (
    BanditPolicy,
    HyperDriveConfig,
    PrimaryMetricGoal,
    RandomParameterSampling,
    choice,
)
from runlab.sweeps.report import sweep_report

pytest.importorskip("jinja2", reason="the web UI needs jinja2 (pip install jinja2)")
pytest.importorskip("fastapi", reason="the web UI needs the server extra")


def test_the_sweep_page_ranks_trials_and_marks_the_best_and_the_stopped(
    experiment: Experiment, workspace: Workspace, source: Callable[[str], Path]
) -> None:
    from fastapi.testclient import TestClient

    from runlab.server import create_app

    config = HyperDriveConfig(
        run_config=ScriptRunConfig(source(CURVE_TRAIN), "train.py", arguments=["--intervals", 5]),
        hyperparameter_sampling=RandomParameterSampling(
            {"--quality": choice(0.1, 0.9)}, properties={"rngSeed": 7}
        ),
        policy=BanditPolicy(evaluation_interval=1, slack_factor=0.2),
        primary_metric_name="accuracy",
        primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
        max_total_runs=6,
        max_concurrent_runs=2,
    )
    run = experiment.submit(config)
    run.wait_for_completion()
    report = sweep_report(run)
    best = run.get_best_run_by_primary_metric()
    assert best is not None and report["best"] == best.id
    values = [row["value"] for row in report["rows"] if row["value"] is not None]
    assert values == sorted(values, reverse=True)
    stopped = [row for row in report["rows"] if row["stopped_by"]]
    assert all(row["stopped_by"].startswith("BanditPolicy:") for row in stopped)
    assert set(report["curves"]) == {row["run_id"] for row in report["rows"]}
    labels = [dimension["label"] for dimension in report["parallel"]["dimensions"]]
    assert labels == ["--quality", "accuracy"]

    with TestClient(create_app(workspace)) as client:
        page = client.get(f"/ui/sweeps/{run.id}")
        assert page.status_code == 200
        rows = re.findall(r'<tr class="trial([^"]*)" data-run-id="([^"]+)"', page.text)
        assert [run_id for _classes, run_id in rows] == [row["run_id"] for row in report["rows"]]
        assert [run_id for classes, run_id in rows if "best" in classes] == [best.id]
        assert {run_id for classes, run_id in rows if "stopped" in classes} == {
            row["run_id"] for row in stopped
        }
        embedded = re.search(r'id="sweep-data">(.*?)</script>', page.text, re.S)
        assert embedded is not None and json.loads(embedded.group(1))["best"] == best.id
        assert "parcoords" in page.text
        not_a_sweep = client.get(f"/ui/sweeps/{best.id}")
        assert not_a_sweep.status_code == 400 or not_a_sweep.status_code == 422
        assert client.get("/ui/sweeps/no-such-run").status_code == 404

    # RunDetails(hd_run) shows the same table and charts.
    from runlab.widgets import RunDetails
    from runlab.widgets._sweep import sweep_figures

    text = RunDetails(run).text()
    assert "Trials by accuracy (max):" in text
    best_number = next(row["number"] for row in report["rows"] if row["run_id"] == best.id)
    assert any(
        line.strip().startswith(f"trial {best_number} ") and line.endswith("best")
        for line in text.splitlines()
    )
    assert all(f"stopped: {row['stopped_by']}" in text for row in stopped)
    curves, parallel = sweep_figures(report)
    assert len(curves.data) == len(report["rows"])
    assert parallel.data[0].type == "parcoords"
    pytest.importorskip("ipywidgets", reason="the widget needs ipywidgets")
    details = RunDetails(run)
    view = details.widget
    details.refresh()
    trials = [
        child.value
        for child in view.children
        if "<b>Trials</b>" in str(getattr(child, "value", ""))
    ]
    assert len(trials) == 1 and "best" in trials[0]
