"""The SDK's HyperDrive import paths, a HyperDrive notebook's code, and ``runlab sweep``."""

from __future__ import annotations

import importlib
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sweep_scripts import CURVE_TRAIN
from typer.testing import CliRunner

import runlab.sweeps as sweeps
from runlab import Workspace
from runlab.cli.app import app

ALIASES = [
    ("train.hyperdrive", name)
    for name in ("HyperDriveConfig", "RandomParameterSampling", "BanditPolicy", "choice")
] + [
    ("train.hyperdrive.parameter_expressions", "loguniform"),
    ("train.hyperdrive.parameter_expressions", "quniform"),
    ("train.hyperdrive.policy", "MedianStoppingPolicy"),
    ("train.hyperdrive.policy", "TruncationSelectionPolicy"),
    ("train.hyperdrive.policy", "NoTerminationPolicy"),
    ("train.hyperdrive.sampling", "GridParameterSampling"),
    ("train.hyperdrive.sampling", "BayesianParameterSampling"),
    ("train.hyperdrive.run", "PrimaryMetricGoal"),
    ("train.hyperdrive.run", "HyperDriveRun"),
    ("train.hyperdrive.runconfig", "HyperDriveConfig"),
]


@pytest.mark.parametrize(("module", "name"), ALIASES)
def test_each_hyperdrive_path_gives_the_runlab_object(module: str, name: str) -> None:
    imported = importlib.import_module(f"runlab.compat.azureml.{module}")
    assert getattr(imported, name) is getattr(sweeps, name)
    assert name in imported.__all__
    assert imported.__doc__ and "Mirrors" in imported.__doc__


def test_a_hyperdrive_notebook_runs_with_its_imports_changed(
    workspace: Workspace, job_root: Path, source: Callable[[str], Path]
) -> None:
    folder = source(CURVE_TRAIN)
    out = io.StringIO()
    # The SDK notebook's cells, with only the import lines changed.
    from runlab.compat.azureml.core import Experiment, ScriptRunConfig
    from runlab.compat.azureml.train.hyperdrive import (
        BanditPolicy,
        HyperDriveConfig,
        PrimaryMetricGoal,
        RandomParameterSampling,
        choice,
    )

    experiment = Experiment(workspace=workspace, name="hd-notebook")
    src = ScriptRunConfig(
        source_directory=str(folder), script="train.py", arguments=["--intervals", 3]
    )
    param_sampling = RandomParameterSampling({"--quality": choice(0.5, 0.9)})
    early_termination_policy = BanditPolicy(
        slack_factor=0.15, evaluation_interval=1, delay_evaluation=2
    )
    hd_config = HyperDriveConfig(
        run_config=src,
        hyperparameter_sampling=param_sampling,
        policy=early_termination_policy,
        primary_metric_name="accuracy",
        primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
        max_total_runs=4,
        max_concurrent_runs=2,
    )
    hd_run = experiment.submit(hd_config)
    hd_run.wait_for_completion(show_output=True, out=out)
    assert hd_run.get_status() == "Completed"
    best_run = hd_run.get_best_run_by_primary_metric()
    best_run_metrics = best_run.get_metrics()
    parameter_values = best_run.get_details()["runDefinition"]["arguments"]
    assert "--quality" in parameter_values
    assert parameter_values[parameter_values.index("--quality") + 1] == "0.9" or (
        best_run_metrics["accuracy"][-1] < 0.9
    )
    assert "Sweep Summary" in out.getvalue()

    # And the shell's view of it.
    def invoke(*args: str) -> Any:
        runner = CliRunner(env={"RUNLAB_WORKSPACE_DIR": None, "COLUMNS": "200"})
        assert workspace.config_path is not None
        root = str(workspace.config_path.parent.parent)
        return runner.invoke(app, [*args, "--workspace", root])

    listed = invoke("sweep", "list")
    assert listed.exit_code == 0, listed.output
    assert hd_run.id in listed.output and "accuracy=" in listed.output
    shown = invoke("sweep", "show", hd_run.id)
    assert shown.exit_code == 0, shown.output
    assert "random" in shown.output and "bandit" in shown.output
    assert all(child.id in shown.output for child in hd_run.get_children())
    best = invoke("sweep", "best", hd_run.id)
    assert best.exit_code == 0, best.output
    assert best.output.startswith(best_run.id)
    canceled = invoke("sweep", "cancel", hd_run.id)
    assert canceled.exit_code != 0  # it has ended already: one readable line
    assert "already ended" in canceled.output
    missing = invoke("sweep", "show", "no-such-run")
    assert missing.exit_code != 0 and "no-such-run" in missing.output
