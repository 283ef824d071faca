"""Fixtures of the web service tests: a logistic regression on the digits, registered, and
entry scripts that serve it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from webservice_helpers import register

from runlab import Model, Workspace
from runlab.serving import Webservice


@pytest.fixture(autouse=True)
def service_root(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's services live in a folder of its own."""
    root = tmp_path_factory.mktemp("services")
    monkeypatch.setenv("RUNLAB_SERVICE_ROOT", str(root))
    return root


@pytest.fixture(scope="session")
def digits() -> dict[str, Any]:
    """The digits split in two, and a model fitted on the first part."""
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression

    features, labels = load_digits(return_X_y=True)
    features = features / 16.0
    model = LogisticRegression(max_iter=300).fit(features[:1200], labels[:1200])
    return {"model": model, "x_test": features[1200:], "y_test": labels[1200:]}


@pytest.fixture
def digits_model(workspace: Workspace, tmp_path: Path, digits: dict[str, Any]) -> Model:
    """The digits model, registered as ``digits:1``."""
    return register(workspace, tmp_path, digits["model"])


@pytest.fixture(autouse=True)
def delete_services(workspace: Workspace) -> Iterator[None]:
    """Every service a test deployed is deleted at its end, whatever happened."""
    yield
    for service in Webservice.list(workspace):
        service.delete()
