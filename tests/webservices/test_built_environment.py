"""A service whose inference config names packages runs in an environment built with uv,
cached like the jobs' environments: the second service of the same packages builds nothing."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from webservice_helpers import write_score

from runlab import Model, Workspace
from runlab.compute.processes import process_cmdline
from runlab.environments import Environment
from runlab.serving import InferenceConfig, LocalWebservice

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
# As the notebook test does: the environment (scikit-learn, numpy, uvicorn and runlab) and
# uv's downloads are kept in the checkout's ignored .pytest_cache, so only the first run builds.
TEST_CACHE = REPO / ".pytest_cache"
ENV_CACHE = Path(os.environ.get("RUNLAB_ENV_CACHE") or TEST_CACHE / "runlab-environments")
UV_CACHE = Path(os.environ.get("UV_CACHE_DIR") or TEST_CACHE / "uv")


def test_a_service_runs_in_its_built_environment_and_reuses_it(
    workspace: Workspace,
    tmp_path: Path,
    digits_model: Model,
    digits: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RUNLAB_ENV_CACHE", str(ENV_CACHE))
    monkeypatch.setenv("UV_CACHE_DIR", str(UV_CACHE))
    write_score(tmp_path / "src")
    environment = Environment("digits-serving", pip_packages=["scikit-learn", "numpy"])
    config = InferenceConfig("score.py", environment=environment, source_directory=tmp_path / "src")
    rows = digits["x_test"][:10]
    for name in ("built-1", "built-2"):
        service = Model.deploy(
            workspace, name, [digits_model], config, LocalWebservice.deploy_configuration()
        )
        service.wait_for_deployment(timeout_sec=900)
        assert service.run({"data": rows.tolist()}) == digits["model"].predict(rows).tolist()
    logs = service.get_logs()
    assert "reusing environment" in logs, logs
    worker = workspace.store.get_service("built-2").details["worker_pid"]
    interpreter = (process_cmdline(worker) or [""])[0]
    assert interpreter.startswith(str(ENV_CACHE)), interpreter
