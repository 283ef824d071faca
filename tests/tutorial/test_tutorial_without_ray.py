"""``runlab tutorial mnist`` where no Ray cluster can start: train.py runs as a local job."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from runlab import Model, Run, Workspace
from runlab.cli import app
from runlab.datasets import mnist
from runlab.errors import BackendError
from runlab.tutorial import mnist as tutorial

pytestmark = pytest.mark.slow

runner = CliRunner(env={"RUNLAB_WORKSPACE_DIR": None, "COLUMNS": "120"})


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Own caches and job folders; offline, so the tutorial runs quickly on the digits."""
    monkeypatch.setenv(mnist.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv("RUNLAB_JOB_ROOT", str(tmp_path / "jobs"))
    monkeypatch.setattr(mnist, "MIRRORS", ("http://mnist.runlab-test.invalid/",))


def _runs(workdir: Path) -> dict[str, Run]:
    workspace = Workspace.from_config(workdir)
    runs: dict[str, Run] = {}
    for run in workspace.experiments[tutorial.EXPERIMENT_NAME].get_runs():
        runs.setdefault(run.get_tags()["where"], run)
    return runs


def _assert_ran_as_a_local_job(output: str, workdir: Path, why: str) -> None:
    assert "No Ray cluster can start here, so train.py runs as a local job" in output
    assert f"Why: {why}" in output
    assert "To use a cluster, run on Linux or macOS with pip install 'runlab[ray]'." in output
    assert "train.py --regularization 0.8, local " in output
    assert "Registered sklearn_digits, id sklearn_digits:1, version 1" in output
    assert "Delete the cluster" not in output

    runs = _runs(workdir)
    assert set(runs) == {"local", "local job"}
    job = runs["local job"]
    assert job.get_status() == "Completed"
    assert job.get_metrics()["accuracy"] >= 0.9
    assert "outputs/sklearn_mnist_model.pkl" in job.get_file_names()
    workspace = Workspace.from_config(workdir)
    try:
        assert Model(workspace, "sklearn_digits").run_id == job.id
        assert workspace.compute_targets == {}
    finally:
        workspace.close()


def test_without_ray_installed_train_py_runs_as_a_local_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` fails, as without Ray
    assert tutorial.why_no_cluster() is not None
    workdir = tmp_path / "tutorial"
    result = runner.invoke(app, ["tutorial", "mnist", "--workdir", str(workdir)])
    assert result.exit_code == 0, result.output
    output = " ".join(result.stdout.split())  # as one line, wherever Rich wrapped it
    _assert_ran_as_a_local_job(output, workdir, "Ray is not installed (pip install 'runlab[ray]')")


def test_a_head_that_does_not_start_leaves_the_tutorial_to_a_local_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def head_fails(workspace: Workspace) -> object:
        raise BackendError("ray start --head exited with 1: no free port")

    monkeypatch.setattr(tutorial, "_create_cluster", head_fails)
    workdir = tmp_path / "tutorial"
    result = runner.invoke(app, ["tutorial", "mnist", "--workdir", str(workdir)])
    assert result.exit_code == 0, result.output
    output = " ".join(result.stdout.split())
    why = "the cluster's head did not start: ray start --head exited with 1: no free port"
    _assert_ran_as_a_local_job(output, workdir, why)


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
def test_ray_s_platforms_may_try_a_cluster(platform: str) -> None:
    assert tutorial.why_no_cluster(platform) is None  # Ray is installed here


def test_another_platform_gets_a_local_job_and_says_why() -> None:
    why = tutorial.why_no_cluster("sunos5")
    assert why == "Ray does not run on sunos5 (it runs on Linux, macOS, Windows (beta in Ray))"
