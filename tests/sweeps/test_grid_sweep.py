"""A grid sweep over ``--regularization`` on scikit-learn's digits, on the local target."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from sweep_scripts import DIGITS_TRAIN

from runlab import Experiment
from runlab.jobs import ScriptRunConfig
from runlab.sweeps import (
    GridParameterSampling,
    HyperDriveConfig,
    HyperDriveRun,
    PrimaryMetricGoal,
    choice,
)

pytest.importorskip("sklearn")


def test_every_combination_runs_once_and_the_best_is_right(
    experiment: Experiment, source: Callable[[str], Path]
) -> None:
    folder = source(DIGITS_TRAIN)
    values = [0.01, 0.1, 1.0, 10.0, 1000.0]
    config = HyperDriveConfig(
        run_config=ScriptRunConfig(folder, "train.py", arguments=["--regularization", 1.0]),
        hyperparameter_sampling=GridParameterSampling({"--regularization": choice(values)}),
        primary_metric_name="accuracy",
        primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
        max_total_runs=10,
        max_concurrent_runs=2,
    )
    run = experiment.submit(config)
    assert isinstance(run, HyperDriveRun)
    out = io.StringIO()
    details = run.wait_for_completion(show_output=True, out=out)
    assert details["status"] == "Completed", out.getvalue()

    children = list(run.get_children())
    assert len(children) == len(values)  # the grid has 5 points: max_total_runs=10 is not reached
    assert all(child.get_status() == "Completed" for child in children)
    assert sorted(params["--regularization"] for params in run.get_hyperparameters().values()) == (
        sorted(values)
    )
    metrics = run.get_metrics()
    assert set(metrics) == {child.id for child in children}
    accuracy = {run_id: found["accuracy"] for run_id, found in metrics.items()}
    best = run.get_best_run_by_primary_metric()
    assert best is not None
    assert accuracy[best.id] == max(accuracy.values())
    assert best.get_parameters()["regularization"] in {str(value) for value in values}
    # Each trial keeps what a job's run has: its log, its outputs, its snapshot.
    names = best.get_file_names()
    assert "outputs/model.pkl" in names
    assert any(name.endswith("driver.log") for name in names)
    assert best.get_snapshot_id() == run.get_snapshot_id()
    sorted_rows = run.get_children_sorted_by_primary_metric()
    assert sorted_rows[0]["run_id"] == best.id
    assert [row["best_primary_metric"] for row in sorted_rows] == sorted(
        accuracy.values(), reverse=True
    )
    printed = out.getvalue()
    assert printed.count("trial ") >= len(values)
    assert f"Best: {best.id}" in printed
