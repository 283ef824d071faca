"""Fixtures of the sweep tests: an experiment, a source folder with a training script."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from runlab import Experiment, Workspace


@pytest.fixture
def experiment(workspace: Workspace, job_root: Path) -> Experiment:
    """An experiment of the ``workspace`` fixture; local jobs under the ``job_root`` one."""
    return Experiment(workspace, "sweeps")


@pytest.fixture
def source(tmp_path: Path) -> Callable[[str], Path]:
    """Write a script (``train.py``) into a fresh source folder; returns the folder."""

    def write(code: str, name: str = "train.py") -> Path:
        folder = tmp_path / "src"
        folder.mkdir(exist_ok=True)
        (folder / name).write_text(textwrap.dedent(code))
        return folder

    return write
