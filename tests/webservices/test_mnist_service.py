"""Real MNIST through a local web service: every test image gets the local model's answer."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
from webservice_helpers import SCORE_PY, write_score

from runlab import Model, Workspace
from runlab.datasets import mnist
from runlab.serving import InferenceConfig, LocalWebservice

REPO = Path(__file__).resolve().parents[2]
# ../shared beside the checkout, else the machine's.
MNIST = next(
    (
        folder
        for folder in (REPO.parent / "shared" / "data" / "mnist", Path("/work/shared/data/mnist"))
        if folder.is_dir()
    ),
    REPO.parent / "shared" / "data" / "mnist",
)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not MNIST.is_dir(), reason=f"real MNIST is not at {MNIST}"),
]


def test_mnist_predictions_through_the_service_equal_the_local_ones(
    workspace: Workspace, tmp_path: Path
) -> None:
    from sklearn.linear_model import LogisticRegression

    x_train, y_train, x_test, _ = mnist.load(MNIST)
    # A subset keeps the fit short; the comparison covers every one of the 10,000 test images.
    model = LogisticRegression(max_iter=100).fit(x_train[:10_000], y_train[:10_000])
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(model))
    registered = Model.register(workspace, tmp_path / "model.pkl", "sklearn_mnist")
    write_score(tmp_path / "src", SCORE_PY.replace('"digits"', '"sklearn_mnist"'))
    service = Model.deploy(
        workspace,
        "sklearn-mnist-svc",
        [registered],
        InferenceConfig("score.py", source_directory=tmp_path / "src"),
        LocalWebservice.deploy_configuration(),
    )
    service.wait_for_deployment(timeout_sec=180)
    served = []
    for start in range(0, len(x_test), 1000):
        served += service.run({"data": x_test[start : start + 1000].tolist()})
    assert len(served) == 10_000
    assert np.array_equal(np.array(served), model.predict(x_test))
