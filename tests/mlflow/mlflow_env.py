"""The MLflow client's own virtual environment for the tests, made once and cached between
runs (never in runlab's environment), and a runner of client scripts against a server."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from filelock import FileLock

MLFLOW_VERSION = "3.18.0"
PACKAGES = (f"mlflow-skinny=={MLFLOW_VERSION}", "scikit-learn", "pandas", "matplotlib")
"""What the client scripts import: the pinned MLflow client, and what its scenarios use."""
CACHE_ROOT = Path(os.environ.get("RUNLAB_TEST_CACHE", Path.home() / ".cache" / "runlab-tests"))
_COMPLETE = ".runlab-complete"


class MlflowServer:
    """The session's runlab server: its URL and its app (whose workspace a test swaps)."""

    def __init__(self, url: str, app: Any) -> None:
        self.url = url
        self.app = app


def _uv() -> str | None:
    beside = Path(sys.executable).parent / "uv"
    return str(beside) if beside.exists() else shutil.which("uv")


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}"
        )


def mlflow_python() -> Path:
    """The interpreter of a virtual environment holding :data:`PACKAGES`, made on first use
    (with uv when it is there, else venv and pip) under ``~/.cache/runlab-tests/`` and reused.

    Raises:
        RuntimeError: the environment could not be made (the message has the installer's output).
    """
    digest = hashlib.sha256(" ".join(PACKAGES).encode()).hexdigest()[:8]
    env_dir = CACHE_ROOT / f"mlflow-{MLFLOW_VERSION}-{digest}"
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    with FileLock(str(env_dir) + ".lock", timeout=3600):
        if (env_dir / _COMPLETE).exists():
            return python
        uv = _uv()
        if uv is not None:
            _run([uv, "venv", "--quiet", "--python", sys.executable, str(env_dir)])
            _run([uv, "pip", "install", "--quiet", "--python", str(python), *PACKAGES])
        else:
            _run([sys.executable, "-m", "venv", str(env_dir)])
            _run([str(python), "-m", "pip", "install", "--quiet", *PACKAGES])
        _run([str(python), "-c", "import mlflow, sklearn, pandas, matplotlib"])
        (env_dir / _COMPLETE).write_text(" ".join(PACKAGES))
    return python


def run_client(
    python: Path, url: str, script: str, *, token: str | None = None, cwd: Path | None = None
) -> dict[str, Any]:
    """Run ``script`` with the MLflow client against ``url``; it prints ``RESULT <json>`` as
    its last line, which is returned.

    Raises:
        AssertionError: the script failed (with its output).
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MLFLOW_", "PYTHON", "VIRTUAL_ENV"))
    }
    env |= {
        "MLFLOW_TRACKING_URI": url,
        # A 5xx is a bug here: fail at once rather than retry for minutes.
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
        "MLFLOW_HTTP_REQUEST_TIMEOUT": "120",
        "MPLBACKEND": "Agg",
        "GIT_PYTHON_REFRESH": "quiet",
    }
    if token is not None:
        env["MLFLOW_TRACKING_TOKEN"] = token
    result = subprocess.run(
        [str(python), "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=900,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"the MLflow client script failed:\n{output[-6000:]}"
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    assert lines, f"the script printed no RESULT line:\n{output[-4000:]}"
    found: dict[str, Any] = json.loads(lines[-1][len("RESULT ") :])
    return found
