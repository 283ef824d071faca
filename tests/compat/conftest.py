"""Fixtures of the compat tests: a fresh virtual environment with runlab's azureml shim."""

from __future__ import annotations

import site
import subprocess
import sys
from pathlib import Path

import pytest

import runlab
from runlab.environments._uv import find_uv, venv_python

RUNLAB_SOURCE = Path(runlab.__file__).resolve().parents[1]
"""The folder holding the runlab under test (a checkout's src/, or site-packages)."""


@pytest.fixture
def shim_python(tmp_path: Path) -> Path:
    """The interpreter of a fresh virtual environment that sees this runlab and its
    dependencies, after ``runlab compat install-azureml`` ran in it."""
    venv = tmp_path / "shim-venv"
    subprocess.run([find_uv(None), "venv", "--python", sys.executable, str(venv)], check=True)
    python = venv_python(venv)
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (Path(purelib) / "runlab-under-test.pth").write_text(
        "\n".join([str(RUNLAB_SOURCE), *site.getsitepackages()]) + "\n"
    )
    # runlab starts Ray's head with the `ray` command beside the interpreter: borrow this one's.
    for tool in Path(sys.executable).parent.iterdir():
        if not (python.parent / tool.name).exists():
            (python.parent / tool.name).symlink_to(tool)
    done = subprocess.run(
        [python, "-m", "runlab.cli", "compat", "install-azureml"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Installed runlab-azureml-shim" in done.stdout
    return python
