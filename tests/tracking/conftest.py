"""An experiment in the test's fresh workspace (the ``workspace`` fixture of tests/conftest.py)."""

from __future__ import annotations

import pytest

from runlab import Experiment, Workspace


@pytest.fixture
def experiment(workspace: Workspace) -> Experiment:
    return Experiment(workspace, "exp")
