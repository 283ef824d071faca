"""``runlab tutorial mnist``: the whole workflow on a real Ray cluster, on MNIST and offline."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from runlab import Model, Run, Workspace
from runlab.cli import app
from runlab.compute.ray._processes import cluster_pids
from runlab.datasets import mnist
from runlab.errors import NotFoundError
from runlab.tutorial import mnist as tutorial

pytestmark = pytest.mark.slow

REAL_MNIST = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "mnist"
needs_real_mnist = pytest.mark.skipif(
    not (REAL_MNIST / "train-images-idx3-ubyte.gz").is_file(),
    reason=f"the real MNIST files are not in {REAL_MNIST}",
)
runner = CliRunner(env={"RUNLAB_WORKSPACE_DIR": None, "COLUMNS": "120"})


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Own caches and job folders; no real mirror is ever asked (offline means offline)."""
    monkeypatch.setenv(mnist.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.setenv("RUNLAB_JOB_ROOT", str(tmp_path / "jobs"))
    monkeypatch.setattr(mnist, "MIRRORS", ("http://mnist.runlab-test.invalid/",))


@pytest.fixture
def no_cluster_left() -> Iterator[None]:
    """Fails the test if a process of a runlab Ray cluster outlives it."""
    before = set(cluster_pids(None))
    yield
    left = set(cluster_pids(None)) - before
    assert not left, f"the tutorial left Ray processes behind: {sorted(left)}"


def tutorial_runs(workdir: Path) -> dict[str, Run]:
    """The tutorial's runs in its workspace, newest first, by where they ran."""
    workspace = Workspace.from_config(workdir)
    runs: dict[str, Run] = {}
    for run in workspace.experiments[tutorial.EXPERIMENT_NAME].get_runs():
        runs.setdefault(run.get_tags()["where"], run)
    return runs


def assert_no_cluster(workdir: Path) -> None:
    workspace = Workspace.from_config(workdir)
    try:
        assert workspace.compute_targets == {}
        with pytest.raises(NotFoundError):
            workspace.store.get_compute_target(tutorial.CLUSTER_NAME)
    finally:
        workspace.close()


@needs_real_mnist
def test_the_tutorial_on_real_mnist(tmp_path: Path, no_cluster_left: object) -> None:
    workdir = tmp_path / "tutorial"
    command = [sys.executable, "-m", "runlab.cli", "tutorial", "mnist",
               "--data", str(REAL_MNIST), "--workdir", str(workdir)]  # fmt: skip
    for version in (1, 2):
        done = subprocess.run(
            command, cwd=tmp_path, env=os.environ | {"COLUMNS": "160"},
            capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        output = done.stdout
        for number, title in enumerate(tutorial.STAGES.values(), start=1):
            assert f"[{number}/11] {title}" in output
        assert "Test accuracy on MNIST" in output and "0.9202" in output and "0.9204" in output
        assert "Everything but the two fits" in output
        assert f"Registered sklearn_mnist, id sklearn_mnist:{version}, version {version}" in output
        assert "Traceback" not in done.stderr

        runs = tutorial_runs(workdir)
        local, remote = runs["local"], runs["cluster"]
        assert local.get_status() == remote.get_status() == "Completed"
        assert local.get_metrics()["accuracy"] >= 0.92
        metrics = remote.get_metrics()
        assert metrics["accuracy"] >= 0.92 and metrics["regularization rate"] == 0.8
        assert "outputs/sklearn_mnist_model.pkl" in remote.get_file_names()
        assert remote.get_parameters()["regularization"] == "0.8"
        model = Model(remote.experiment.workspace, "sklearn_mnist")
        assert model.version == version and model.run_id == remote.id
        assert f"runlab -w {workdir} run show {remote.id}" in output
        assert_no_cluster(workdir)
    assert (workdir / "mnist-sample.png").stat().st_size > 10_000
    assert (workdir / "sklearn-mnist" / "train.py").is_file()


def test_offline_the_tutorial_says_so_and_uses_the_digits(
    tmp_path: Path, no_cluster_left: object
) -> None:
    workdir = tmp_path / "tutorial"
    result = runner.invoke(app, ["tutorial", "mnist", "--workdir", str(workdir)])
    assert result.exit_code == 0, result.output
    output = " ".join(result.stdout.split())  # as one line, wherever Rich wrapped it
    assert "MNIST could not be downloaded" in output
    assert "scikit-learn's bundled 8x8 digits" in output and "--data DIR" in output
    assert "mnist.runlab-test.invalid" in output
    assert "Test accuracy on scikit-learn digits (offline fallback, not MNIST)" in output
    assert "0.9202 (other data)" in output
    assert "Registered sklearn_digits, id sklearn_digits:1, version 1" in output

    runs = tutorial_runs(workdir)
    assert runs["local"].get_metrics()["accuracy"] >= 0.9
    assert runs["cluster"].get_metrics()["accuracy"] >= 0.9
    assert runs["cluster"].get_tags()["dataset"].startswith("scikit-learn digits")
    assert (workdir / "digits-sample.png").is_file() and not (workdir / "mnist-sample.png").exists()
    image = runs["local"].get_metrics()["sample digits"]
    assert image  # the figure is among the local run's metrics
    assert_no_cluster(workdir)


def test_an_interrupted_tutorial_deletes_its_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_cluster_left: object
) -> None:
    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(tutorial, "_train_on_cluster", interrupted)
    workdir = tmp_path / "tutorial"
    result = runner.invoke(app, ["tutorial", "mnist", "--workdir", str(workdir)])
    assert result.exit_code == 130, result.output
    assert "[11/11] Delete the cluster" in result.stdout
    assert_no_cluster(workdir)


def test_a_bad_data_folder_is_one_line_and_starts_nothing(
    tmp_path: Path, no_cluster_left: object
) -> None:
    workdir = tmp_path / "tutorial"
    result = runner.invoke(
        app, ["tutorial", "mnist", "--data", str(tmp_path / "nowhere"), "--workdir", str(workdir)]
    )
    assert result.exit_code == 3, result.output
    assert result.stderr.strip().splitlines() == [f"Error: no such folder: {tmp_path / 'nowhere'}"]
    assert_no_cluster(workdir)
