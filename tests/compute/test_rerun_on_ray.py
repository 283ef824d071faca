"""The tutorial's cluster run re-run exactly with ``runlab run rerun``: on a real Ray cluster
(min 0, max 1 node), the same snapshot, environment lock and accuracy to the last digit, and
``--set`` changing one argument and nothing else."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from helpers import fresh_workspace
from runlab import Experiment, Workspace
from runlab.cli import app
from runlab.compute.ray import RayCompute
from runlab.compute.ray._processes import cluster_pids
from runlab.data import Dataset
from runlab.entities.run_layout import RERUN_OF_KEY
from runlab.jobs import ScriptRunConfig
from runlab.tracking import Run
from runlab.tutorial import scripts_folder

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("ray_installed", "job_root")]
runner = CliRunner(env={"RUNLAB_WORKSPACE_DIR": None, "COLUMNS": "200"})


def _cli(workspace: Workspace, *args: str) -> str:
    assert workspace.config_path is not None
    result = runner.invoke(app, ["-w", str(workspace.config_path), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def _run_id(output: str) -> str:
    """The new run's id from ``runlab run rerun``'s first line (``Submitted run ID, ...``)."""
    return output.split()[2].rstrip(",")


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    with fresh_workspace(tmp_path / "ws") as created:
        yield created


@pytest.fixture
def cluster(workspace: Workspace) -> Iterator[RayCompute]:
    """The tutorial's kind of cluster, with at most one node; deleted with no process left."""
    config = RayCompute.provisioning_configuration(
        "STANDARD_D2_V2", min_nodes=0, max_nodes=1, idle_seconds_before_scaledown=30
    )
    target = RayCompute.create(workspace, "cpu-cluster", config)
    cluster_id = target._record.state["cluster_id"]
    try:
        yield target
    finally:
        target.delete()
        assert cluster_pids(cluster_id) == []


def test_the_tutorial_cluster_run_reruns_exactly_and_a_set_shows_in_the_diff(
    workspace: Workspace, cluster: RayCompute, tmp_path: Path
) -> None:
    pytest.importorskip("sklearn", reason="the tutorial's train.py needs scikit-learn")
    from runlab.tutorial.data import write_digits

    datastore = workspace.get_default_datastore()
    datastore.upload(write_digits(tmp_path / "digits"), target_path="mnist", show_progress=False)
    mnist = Dataset.File.from_files((datastore, "mnist/*.gz")).register(workspace, "mnist")
    source = tmp_path / "sklearn-mnist"
    shutil.copytree(scripts_folder(), source)
    # 0.05 then 0.5: on the digits, accuracies that differ (0.8 and 0.5 give the same one).
    arguments = [
        "--data-folder",
        mnist.as_named_input("mnist").as_mount(),
        "--regularization",
        0.05,
    ]
    config = ScriptRunConfig(source, "train.py", arguments=arguments, compute_target=cluster)
    run = Experiment(workspace, "tutorial").submit(config)
    run.wait_for_completion(raise_on_error=True)
    assert run.get_details()["target"] == "cpu-cluster"

    again = Run.get(workspace, _run_id(_cli(workspace, "run", "rerun", run.id, "--wait")))
    assert again.get_details()["target"] == "cpu-cluster"  # the original's target, unless told
    assert again.get_properties()[RERUN_OF_KEY] == run.id
    assert again.get_snapshot_id() == run.get_snapshot_id()
    assert again.get_environment_lock() == run.get_environment_lock()
    assert again.get_metrics()["accuracy"] == run.get_metrics()["accuracy"]  # every digit

    changed = _run_id(
        _cli(workspace, "run", "rerun", run.id, "--set", "--regularization=0.5", "--wait")
    )
    assert Run.get(workspace, changed).get_details()["target"] == "cpu-cluster"
    diff = json.loads(_cli(workspace, "run", "diff", run.id, changed, "--json"))
    assert diff["parameters"] == {"regularization": ["0.05", "0.5"]}
    assert (diff["code"], diff["packages"], diff["datasets"]) == ({}, {}, {})
    before, after = diff["metrics"]["accuracy"]
    assert before != after
    assert diff["metrics"]["regularization rate"] == [0.05, 0.5]
