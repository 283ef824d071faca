"""A sweep on a Ray cluster (min 0, max 2 nodes): trials on warm actors, nothing left after."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from sweep_scripts import SLEEPY_TRAIN

from helpers import fresh_workspace
from runlab import Experiment, Workspace
from runlab.compute.ray import RayCompute
from runlab.compute.ray._processes import cluster_pids
from runlab.jobs import ScriptRunConfig
from runlab.sweeps import HyperDriveConfig, PrimaryMetricGoal, RandomParameterSampling, uniform

pytestmark = [pytest.mark.slow]


@pytest.fixture
def ray_workspace(tmp_path: Path, job_root: Path) -> Iterator[Workspace]:
    pytest.importorskip("ray", reason='Ray is not installed (pip install "runlab[ray]")')
    with fresh_workspace(tmp_path / "ws") as created:
        yield created


def test_a_sweep_on_a_ray_cluster_completes_and_leaves_no_ray_process(
    ray_workspace: Workspace, tmp_path: Path
) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "train.py").write_text(textwrap.dedent(SLEEPY_TRAIN))
    config = RayCompute.provisioning_configuration(
        "STANDARD_D2_V2", min_nodes=0, max_nodes=2, idle_seconds_before_scaledown=5
    )
    cluster = RayCompute.create(ray_workspace, "sweep-cluster", config)
    cluster_id = cluster._record.state["cluster_id"]
    try:
        sweep = HyperDriveConfig(
            run_config=ScriptRunConfig(
                folder, "train.py", arguments=["--seconds", 0.2], compute_target="sweep-cluster"
            ),
            hyperparameter_sampling=RandomParameterSampling({"--x": uniform(0, 1)}, seed=5),
            primary_metric_name="score",
            primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
            max_total_runs=4,
            max_concurrent_runs=2,
        )
        run = Experiment(ray_workspace, "ray-sweep").submit(sweep)
        details = run.wait_for_completion(show_output=True)
        assert details["status"] == "Completed"
        children = list(run.get_children())
        assert len(children) == 4
        assert all(child.get_status() == "Completed" for child in children)
        assert all(child.get_metrics()["score"] <= 0 for child in children)
        assert all(child._refresh().target == "sweep-cluster" for child in children)
        assert run.get_best_run_by_primary_metric() is not None
    finally:
        cluster.delete()
    assert cluster_pids(cluster_id) == []
