"""``ScriptRunConfig.run_config``, ``run.get_details()["runDefinition"]``,
``run.get_portal_url()`` and ``model.url`` through the compat names."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from runlab.errors import ValidationError
from runlab.tracking import Workspace

pytestmark = pytest.mark.usefixtures("job_root")  # in tests/conftest.py

TRAIN = """
import os, sys
from runlab.compat.azureml.core import Run
run = Run.get_context()
run.log("flag", os.environ.get("MY_FLAG", "unset"))
run.log("argv", " ".join(sys.argv[1:]))
os.makedirs("outputs", exist_ok=True)
open("outputs/model.pkl", "wb").write(b"model")
"""


def test_run_config_carries_target_and_environment(tmp_path: Path, workspace: Workspace) -> None:
    from runlab.compat.azureml.core import (
        Environment,
        Experiment,
        RunConfiguration,
        ScriptRunConfig,
    )

    source = tmp_path / "src"
    source.mkdir()
    (source / "train.py").write_text(TRAIN)
    env = Environment("mine")
    env.python.user_managed_dependencies = True
    env.python.interpreter_path = sys.executable
    env.environment_variables = {"MY_FLAG": "from-env"}
    env.register(workspace)

    src = ScriptRunConfig(source_directory=str(source), script="train.py", arguments=["--reg", 0.5])
    assert isinstance(src.run_config, RunConfiguration)
    src.run_config.environment = env
    src.run_config.target = "local"
    src.run_config.node_count = 1
    assert src.environment is env and src.compute_target == "local"
    run = Experiment(workspace, "run-config").submit(config=src)
    run.wait_for_completion(show_output=False)
    assert run.get_status() == "Completed"
    assert run.get_metrics() == {"flag": "from-env", "argv": "--reg 0.5"}

    definition = run.get_details()["runDefinition"]
    assert definition["script"] == "train.py"
    assert definition["arguments"] == ["--reg", "0.5"]
    assert definition["target"] == "local"
    assert definition["nodeCount"] == 1
    environment = definition["environment"]
    assert (environment["name"], environment["version"]) == ("mine", 1)
    assert environment["interpreter_path"] == sys.executable
    assert environment["environment_variables"] == ["MY_FLAG"]  # names only, never values

    portal = run.get_portal_url()
    assert "runlab server" in portal and f"/ui/runs/{run.id}" in portal
    served = Workspace.from_dict({"name": "s", "server_url": "http://127.0.0.1:8765"})
    assert served.server_url == "http://127.0.0.1:8765"

    model = run.register_model(model_name="m", model_path="outputs/model.pkl")
    assert model.url == f"{workspace.artifact_uri.rstrip('/')}/models/m/1"
    assert Path(model.url, "model.pkl").read_bytes() == b"model"


def test_a_run_config_passed_in_is_used(tmp_path: Path, workspace: Workspace) -> None:
    from runlab.compat.azureml.core import Environment, ScriptRunConfig
    from runlab.compat.azureml.core.runconfig import RunConfiguration

    rc = RunConfiguration()
    rc.environment = Environment("e", user_managed=True)
    rc.target = "local"
    src = ScriptRunConfig(str(tmp_path), "train.py", run_config=rc)
    assert src.run_config is rc and src.environment is rc.environment
    with pytest.raises(ValidationError, match="run_config must be a RunConfiguration"):
        ScriptRunConfig(str(tmp_path), "train.py", run_config={"target": "local"})  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="framework 'R' is not provided"):
        RunConfiguration(framework="R")


@pytest.mark.slow
def test_a_curated_environment_builds_its_libraries_with_uv(
    tmp_path: Path, workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runlab.compat.azureml.core import Environment, Experiment, ScriptRunConfig

    # Built once and kept between test runs, as tests/tutorial does.
    repo = Path(__file__).resolve().parents[2]
    cache = os.environ.get("RUNLAB_ENV_CACHE") or str(
        repo / ".pytest_cache" / "runlab-environments"
    )
    monkeypatch.setenv("RUNLAB_ENV_CACHE", cache)
    source = tmp_path / "curated"
    source.mkdir()
    (source / "train.py").write_text(
        "import sklearn, pandas, scipy, joblib\n"
        "from runlab.compat.azureml.core import Run\n"
        "Run.get_context().log('sklearn', sklearn.__version__)\n"
    )
    env = Environment.get(workspace, "AzureML-sklearn-1.0-ubuntu20.04-py38-cpu")
    src = ScriptRunConfig(str(source), "train.py", environment=env)
    run = Experiment(workspace, "curated").submit(src)
    run.wait_for_completion(show_output=False)
    assert run.get_status() == "Completed"
    major, minor = (int(part) for part in run.get_metrics()["sklearn"].split(".")[:2])
    assert (major, minor) >= (1, 0)
    definition = run.get_details()["runDefinition"]
    assert definition["environment"]["name"] == "AzureML-sklearn-1.0-ubuntu20.04-py38-cpu"
