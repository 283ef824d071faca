"""examples/tutorial-part2.ipynb runs end to end over the compat names, on real MNIST."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from runlab import Model, Workspace
from runlab.datasets import mnist

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "examples" / "tutorial-part2.ipynb"
# ../shared beside the checkout (as the part 1 notebook's test has it), else the machine's.
SHARED_MNIST = next(
    (
        folder
        for folder in (REPO.parent / "shared" / "data" / "mnist", Path("/work/shared/data/mnist"))
        if folder.is_dir()
    ),
    REPO.parent / "shared" / "data" / "mnist",
)
NOTEBOOK_TOOLS = ("nbclient", "nbformat", "ipykernel")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason=f"real MNIST is not at {SHARED_MNIST}"),
    pytest.mark.skipif(
        any(
            importlib.util.find_spec(name) is None for name in ("nbclient", "nbformat", "ipykernel")
        ),
        reason="running the notebook needs nbclient, nbformat and ipykernel",
    ),
]


def stdout_of(notebook: object, source: str) -> str:
    """What the code cell whose source contains ``source`` printed."""
    for cell in notebook.cells:  # type: ignore[attr-defined]
        if cell.cell_type == "code" and source in cell.source:
            return "".join(
                output.get("text", "")
                for output in cell.outputs
                if output.output_type == "stream" and output.name == "stdout"
            )
    raise AssertionError(f"no cell runs {source!r}")


def test_part_two_notebook_deploys_scores_and_deletes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import joblib
    import nbformat
    from nbclient import NotebookClient
    from sklearn.linear_model import LogisticRegression

    cache = tmp_path / "data-cache"
    mnist.from_folder(SHARED_MNIST, cache / "mnist")
    for name, value in {
        mnist.CACHE_ENV: cache,
        "MPLCONFIGDIR": tmp_path / "matplotlib",
        "IPYTHONDIR": tmp_path / "ipython",
    }.items():
        monkeypatch.setenv(name, str(value))
    # What part 1 leaves: the workspace beside the notebook, with sklearn_mnist registered
    # (fitted here on a part of the training set, to keep the test short).
    x_train, y_train, _, _ = mnist.load(SHARED_MNIST)
    model = LogisticRegression(max_iter=100).fit(x_train[:5000], y_train[:5000])
    joblib.dump(model, tmp_path / "sklearn_mnist_model.pkl")
    workspace = Workspace.create("runlab-tutorial", path=tmp_path / "runlab-tutorial")
    Model.register(workspace, tmp_path / "sklearn_mnist_model.pkl", "sklearn_mnist")
    (tmp_path / "sklearn_mnist_model.pkl").unlink()  # the notebook downloads its own

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    try:
        client.execute()
    finally:
        for service in Workspace.from_config(tmp_path / "runlab-tutorial").webservices.values():
            service.delete()  # what a notebook that failed mid-way left running
    assert "same predictions as here: True" in stdout_of(notebook, "served = []")
    assert "same as here: True" in stdout_of(notebook, "sample_indices")
    assert "Healthy" in stdout_of(notebook, "wait_for_deployment")
    assert stdout_of(notebook, "service.delete()").strip() == "[]"
    assert (tmp_path / "conf.png").is_file() and (tmp_path / "score.py").is_file()
