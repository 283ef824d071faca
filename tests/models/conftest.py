"""A finished training run with a model file and folder in its outputs."""

from __future__ import annotations

import io
import os

import pytest

from runlab import Experiment, Run, Workspace


@pytest.fixture
def outputs() -> dict[str, bytes]:
    """The files the training run stores: a model file, a model folder, a log."""
    return {
        "outputs/sklearn_mnist_model.pkl": os.urandom(50_000),
        "outputs/net/weights.bin": os.urandom(20_000),
        "outputs/net/sub/config.json": b'{"layers": 3}\n',
        "logs/driver.log": b"done\n",
    }


@pytest.fixture
def trained(workspace: Workspace, outputs: dict[str, bytes]) -> Run:
    """A completed run of experiment ``tutorial`` holding ``outputs``."""
    run = Experiment(workspace, "tutorial").start_logging()
    run.log("accuracy", 0.92)
    for name, data in outputs.items():
        run.upload_file(name, io.BytesIO(data))
    run.complete()
    return run
