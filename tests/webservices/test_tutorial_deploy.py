"""``runlab tutorial mnist-deploy``: part 2 continues from part 1's registered model."""

from __future__ import annotations

import pickle
from pathlib import Path

from typer.testing import CliRunner

from runlab import Model, Workspace
from runlab.cli import app
from runlab.tutorial.data import write_digits
from runlab.tutorial.deploy import SERVICE_NAME

runner = CliRunner(env={"RUNLAB_WORKSPACE_DIR": None, "COLUMNS": "200"})


def test_part_two_serves_part_ones_digits_model_and_deletes_it(tmp_path: Path) -> None:
    from sklearn.linear_model import LogisticRegression

    from runlab.datasets import mnist

    # What part 1 leaves offline: a workspace in the tutorial folder with sklearn_digits.
    workdir = tmp_path / "runlab-tutorial"
    workspace = Workspace.create("runlab-tutorial", path=workdir)
    x_train, y_train, _, _ = mnist.load(write_digits(tmp_path / "digits"))
    model = LogisticRegression(max_iter=300).fit(x_train, y_train)
    (tmp_path / "sklearn_mnist_model.pkl").write_bytes(pickle.dumps(model))
    Model.register(workspace, tmp_path / "sklearn_mnist_model.pkl", "sklearn_digits")

    result = runner.invoke(app, ["tutorial", "mnist-deploy", "--workdir", str(workdir)])
    assert result.exit_code == 0, result.output
    output = result.stdout
    assert "Continuing from part 1: model sklearn_digits:1" in output
    assert "Same predictions" in output and "True (" in output
    assert f"Deleted web service {SERVICE_NAME}" in output
    assert (workdir / "digits-confusion.png").stat().st_size > 1000
    assert (workdir / "deploy" / "score.py").is_file()
    assert Workspace.from_config(workdir / ".runlab" / "config.json").webservices == {}
