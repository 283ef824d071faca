"""A fresh workspace in a temporary folder for each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from runlab import Experiment, Workspace


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    ws = Workspace.create("test", path=tmp_path / "ws")
    yield ws
    ws.close()


@pytest.fixture
def experiment(workspace: Workspace) -> Experiment:
    return Experiment(workspace, "exp")
