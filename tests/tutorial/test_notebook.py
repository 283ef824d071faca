"""examples/tutorial.ipynb: the Azure ML SDK v1 MNIST tutorial, run top to bottom in a kernel.

The notebook creates a workspace, a Ray cluster (deleted at its end), trains here and on the
cluster, and registers the model. It runs on real MNIST when ``../shared/data/mnist`` is there,
else on what :func:`runlab.tutorial.get_data` gets (MNIST from a mirror, or scikit-learn's
digits offline). Its uv environment is built once into a cache kept between test runs.
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path
from typing import Any

import pytest

from runlab import Experiment, Workspace
from runlab.compute.ray._processes import cluster_pids
from runlab.datasets import mnist
from runlab.models import Model

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "examples" / "tutorial.ipynb"
SHARED_MNIST = REPO.parent / "shared" / "data" / "mnist"
# The cluster's run gets an environment built with uv from PyPI (scikit-learn and runlab,
# about 280 MB): keep it, and uv's download cache, in an ignored folder of the checkout, so
# that only the first test run builds it and later ones need no network (CI may set
# RUNLAB_ENV_CACHE and UV_CACHE_DIR to caches of its own). `pytest --cache-clear` deletes them
# with the rest of .pytest_cache.
TEST_CACHE = REPO / ".pytest_cache"
ENV_CACHE = Path(os.environ.get("RUNLAB_ENV_CACHE") or TEST_CACHE / "runlab-environments")
UV_CACHE = Path(os.environ.get("UV_CACHE_DIR") or TEST_CACHE / "uv")
CELL_TIMEOUT_S = 900
# The 2018 tutorial printed 0.9202 locally; the digits, 8x8 and fewer, reach about 0.95.
MIN_ACCURACY = {"mnist": 0.92, "digits": 0.9}
EXPERIMENT = "Tutorial-sklearn-mnist"
ACCURACY_CELL = "print(np.average(y_hat == y_test))"
FIGURE_CELL = 'plt.suptitle(f"{data.label}'


@pytest.fixture(scope="module", autouse=True)
def notebook_tools() -> None:
    """Skip, saying why, when the notebook cannot be run here."""
    for module, package in (
        ("nbclient", "nbclient"),
        ("nbformat", "nbformat"),
        ("ipykernel", "ipykernel"),
    ):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"running the notebook needs {package}: pip install {package}")


@pytest.fixture
def kernel_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Variables for the kernel (it inherits this process's environment) that keep the
    notebook's caches and jobs out of the user's home, with MNIST in its data cache when
    ../shared has it."""
    cache = tmp_path / "data-cache"
    if SHARED_MNIST.is_dir():
        mnist.from_folder(SHARED_MNIST, cache / "mnist")
    for name, value in {
        mnist.CACHE_ENV: cache,
        "RUNLAB_ENV_CACHE": ENV_CACHE,
        "UV_CACHE_DIR": UV_CACHE,
        "RUNLAB_JOB_ROOT": tmp_path / "jobs",
        "MPLCONFIGDIR": tmp_path / "matplotlib",
        "IPYTHONDIR": tmp_path / "ipython",
    }.items():
        monkeypatch.setenv(name, str(value))


class Clusters:
    """The Ray clusters of the notebook's workspace: the ids of every one seen, to look for
    their processes once they are deleted."""

    def __init__(self, workspace_folder: Path) -> None:
        self.workspace_folder = workspace_folder
        self.seen: set[str] = set()

    def look(self, delete: bool = False, **_: Any) -> None:
        """Note the clusters recorded now (an nbclient ``on_cell_executed`` hook), deleting
        them when asked."""
        if not (self.workspace_folder / ".runlab" / "config.json").is_file():
            return
        workspace = Workspace.from_config(self.workspace_folder)
        try:
            for record in workspace.store.list_compute_targets():
                self.seen.add(record.state["cluster_id"])
            if delete:
                for target in workspace.compute_targets.values():
                    target.delete()
        finally:
            workspace.close()

    def processes(self) -> list[int]:
        """The live processes of every cluster seen."""
        return sorted(pid for cluster_id in self.seen for pid in cluster_pids(cluster_id))


def outputs_of(notebook: Any, source: str) -> list[Any]:
    """The outputs of the code cell whose source contains ``source``."""
    for cell in notebook.cells:
        if cell.cell_type == "code" and source in cell.source:
            return list(cell.outputs)
    raise AssertionError(f"no cell of the notebook runs {source!r}")


def stdout_of(notebook: Any, source: str) -> str:
    """What the code cell whose source contains ``source`` printed."""
    return "".join(
        output.get("text", "")
        for output in outputs_of(notebook, source)
        if output.output_type == "stream" and output.name == "stdout"
    )


@pytest.mark.usefixtures("kernel_environment")
def test_the_tutorial_notebook_runs_end_to_end(tmp_path: Path) -> None:
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    workspace_folder = tmp_path / "runlab-tutorial"
    clusters = Clusters(workspace_folder)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
        on_cell_executed=clusters.look,
    )
    try:
        client.execute()
    finally:
        clusters.look(delete=True)  # what a notebook that failed mid-way left running
    assert len(clusters.seen) == 1, "the notebook creates one cluster"
    assert clusters.processes() == []

    offline = (tmp_path / "data" / "digits").is_dir()
    if SHARED_MNIST.is_dir():
        assert not offline, "the notebook must use the MNIST given in its cache"
    least = MIN_ACCURACY["digits" if offline else "mnist"]
    figures = [
        output
        for output in outputs_of(notebook, FIGURE_CELL)
        if "image/png" in output.get("data", {})
    ]
    assert len(figures) == 1, "the cell of sample digits draws one figure"
    printed = re.findall(r"^(0\.\d+|1\.0)$", stdout_of(notebook, ACCURACY_CELL), re.MULTILINE)
    assert len(printed) == 1 and float(printed[0]) >= least, printed

    workspace = Workspace.from_config(workspace_folder)
    try:
        model = Model(workspace, "sklearn_mnist")
        assert model.version == 1 and model.id == "sklearn_mnist:1"
        remote_run = model.run
        assert remote_run is not None and remote_run.get_status() == "Completed"
        assert "outputs/sklearn_mnist_model.pkl" in remote_run.get_file_names()
        remote = remote_run.get_metrics()
        assert remote["accuracy"] >= least and remote["regularization rate"] == 0.8
        runs = list(Experiment(workspace, EXPERIMENT).get_runs())
        assert len(runs) == 2 and {run.get_status() for run in runs} == {"Completed"}
        local = next(run for run in runs if run.id != model.run_id)
        assert local.get_metrics()["accuracy"] == pytest.approx(float(printed[0]))
        assert workspace.compute_targets == {}
    finally:
        workspace.close()
