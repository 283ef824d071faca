"""runlab's ``azureml`` shim: SDK v1 code runs with no edit at all.

The shim's wheel is built from runlab itself; ``runlab compat install-azureml`` installs it
into an environment, where ``import azureml.core`` is runlab.compat.azureml.core; next to a real
azureml-core it refuses to load.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import runlab
from runlab.environments.azureml_shim import (
    azureml_requirements,
    build_shim_wheel,
    without_azureml,
)

RUNLAB_SOURCE = Path(runlab.__file__).resolve().parents[1]

pytestmark = pytest.mark.usefixtures("job_root")  # in tests/conftest.py


ALIASED = """
import azureml.core
from azureml.core import Run, Workspace, Environment, ScriptRunConfig
from azureml.core.compute import AmlCompute, ComputeTarget
from azureml.core.conda_dependencies import CondaDependencies
from azureml.core.runconfig import RunConfiguration
from azureml.exceptions import ComputeTargetException
from azureml.opendatasets import MNIST
from azureml.telemetry import set_diagnostics_collection
import runlab, runlab.compat.azureml.core as real
assert Run is runlab.Run and Workspace is runlab.Workspace
assert azureml.core is real and azureml.core.__name__ == "runlab.compat.azureml.core"
assert real.__spec__.name == "runlab.compat.azureml.core"
assert AmlCompute is runlab.RayCompute
print("Azure ML SDK Version:", azureml.core.VERSION)
try:
    import azureml.pipeline.core
except ModuleNotFoundError as error:
    print("missing:", error.name)
"""


def test_the_sdk_requirements_are_recognised() -> None:
    asked = [
        "azureml-dataset-runtime[fuse,pandas]",
        "azureml-defaults",
        "azureml-core==1.48.0",
        "AzureML_SDK>=1",
    ]
    others = ["scikit-learn", "azuremlish", "joblib"]
    assert azureml_requirements(asked + others) == asked
    assert without_azureml(others + asked) == others


def test_the_wheel_is_the_same_bytes_each_time(tmp_path: Path) -> None:
    first = build_shim_wheel(tmp_path / "a").read_bytes()
    wheel = build_shim_wheel(tmp_path / "b")
    assert wheel.read_bytes() == first
    names = zipfile.ZipFile(wheel).namelist()
    assert "azureml/__init__.py" in names
    assert any(name.endswith(".dist-info/RECORD") for name in names)


def _unpacked_shim(tmp_path: Path) -> Path:
    folder = tmp_path / "site"
    with zipfile.ZipFile(build_shim_wheel(tmp_path / "wheel")) as wheel:
        wheel.extractall(folder)
    return folder


def _python_with(path: Path, code: str) -> subprocess.CompletedProcess[str]:
    pythonpath = os.pathsep.join([str(path), str(RUNLAB_SOURCE), os.environ.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=os.environ | {"PYTHONPATH": pythonpath},
    )


def test_every_sdk_path_is_runlabs_through_the_shim(tmp_path: Path) -> None:
    done = _python_with(_unpacked_shim(tmp_path), ALIASED)
    assert done.returncode == 0, done.stderr
    assert f"Azure ML SDK Version: {runlab.__version__}" in done.stdout
    assert "missing: azureml.pipeline" in done.stdout


def test_next_to_a_real_azureml_core_it_refuses_to_load(tmp_path: Path) -> None:
    folder = _unpacked_shim(tmp_path)
    record = folder / "azureml_core-1.48.0.dist-info"
    record.mkdir()
    (record / "METADATA").write_text("Metadata-Version: 2.1\nName: azureml-core\nVersion: 1.48.0\n")
    done = _python_with(folder, "import azureml.core")
    assert done.returncode != 0
    assert "ImportError: runlab's azureml shim and the real azureml-core 1.48.0" in done.stderr
    assert "pip uninstall" in done.stderr


def test_install_azureml_makes_unedited_code_run(shim_python: Path) -> None:
    done = subprocess.run([shim_python, "-c", ALIASED], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Azure ML SDK Version" in done.stdout
    # Not in the environment that ran the command: never by default.
    here = subprocess.run([sys.executable, "-c", "import azureml"], capture_output=True)
    assert here.returncode != 0


@pytest.mark.slow
def test_a_job_asking_for_azureml_defaults_gets_the_shim_and_logs_to_runlab(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workspace: runlab.Workspace
) -> None:
    from runlab.compat.azureml.core import Environment, Experiment, ScriptRunConfig
    from runlab.compat.azureml.core.conda_dependencies import CondaDependencies

    monkeypatch.setenv("RUNLAB_ENV_CACHE", str(tmp_path / "envs"))
    source = tmp_path / "src"
    source.mkdir()
    (source / "train.py").write_text(
        "from azureml.core import Run\n"  # unedited SDK code
        "import azureml.core, runlab\n"
        "run = Run.get_context()\n"
        "run.log('shim', azureml.core.__name__)\n"
        "run.log('accuracy', 0.5)\n"
    )
    env = Environment("sdk-env")
    env.python.conda_dependencies = CondaDependencies.create(
        pip_packages=["azureml-defaults", "azureml-dataset-runtime[pandas,fuse]"]
    )
    src = ScriptRunConfig(str(source), "train.py", environment=env)
    run = Experiment(workspace, "shim").submit(src)
    run.wait_for_completion(show_output=False)
    assert run.get_status() == "Completed"
    assert run.get_metrics() == {"shim": "runlab.compat.azureml.core", "accuracy": 0.5}
    log = workspace.artifacts.get_bytes(f"runs/{run.id}/logs/environment.log").decode()
    assert "asks for azureml-defaults, azureml-dataset-runtime[fuse,pandas]" in log
    assert "azureml shim (runlab-azureml-shim) in their place" in log
    assert "runlab_azureml_shim" in log  # the wheel uv installed


def test_install_azureml_refuses_next_to_a_real_azureml_core(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from runlab.cli.app import app

    record = tmp_path / "azureml_core-1.48.0.dist-info"
    record.mkdir()
    (record / "METADATA").write_text("Metadata-Version: 2.1\nName: azureml-core\nVersion: 1.48.0\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    result = CliRunner().invoke(app, ["compat", "install-azureml"])
    assert result.exit_code != 0
    assert "the real azureml-core 1.48.0 is installed" in result.output
