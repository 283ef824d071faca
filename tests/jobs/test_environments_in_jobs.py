"""Jobs with built environments: built once, reused, and clear failures."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from runlab import Experiment, JobFailedError, ValidationError, Workspace
from runlab.environments import Environment
from runlab.jobs import Estimator, ScriptRunConfig

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUNLAB_JOB_ROOT", str(tmp_path / "jobs"))
    monkeypatch.setenv("RUNLAB_ENV_CACHE", str(tmp_path / "envs"))


@pytest.fixture
def experiment(workspace: Workspace) -> Experiment:
    return Experiment(workspace, "envs")


def _source(tmp_path: Path) -> Path:
    source = tmp_path / "src"
    source.mkdir()
    (source / "train.py").write_text(
        textwrap.dedent(
            """
            import sys, six
            from runlab import Run
            Run.get_context().log("six", six.__version__)
            Run.get_context().log("python", sys.executable)
            """
        )
    )
    return source


def _environment_log(experiment: Experiment, run_id: str) -> str:
    data = experiment.workspace.artifacts.get_bytes(f"runs/{run_id}/logs/environment.log")
    return data.decode()


def test_two_runs_with_one_spec_build_once(tmp_path: Path, experiment: Experiment) -> None:
    source = _source(tmp_path)
    first = experiment.submit(Estimator(source, "train.py", pip_packages=["six"]))
    first.wait_for_completion()
    second = experiment.submit(
        ScriptRunConfig(source, "train.py", environment=Environment("same", pip_packages=["six"]))
    )
    second.wait_for_completion()
    first_log, second_log = (_environment_log(experiment, r.id) for r in (first, second))
    assert "uv" in first_log and "reusing" not in first_log
    assert "reusing environment" in second_log and "pip install" not in second_log
    python = first.get_metrics()["python"]
    assert python == second.get_metrics()["python"]
    assert str(tmp_path / "envs") in python  # the built environment, not the submitter's
    assert first.get_metrics()["six"]


def test_a_package_that_does_not_exist(tmp_path: Path, experiment: Experiment) -> None:
    source = _source(tmp_path)
    config = Estimator(source, "train.py", pip_packages=["runlab-no-such-package-xyz==1.0"])
    run = experiment.submit(config)
    with pytest.raises(JobFailedError, match="runlab-no-such-package-xyz") as caught:
        run.wait_for_completion()
    assert "building environment" in caught.value.details["error"]["error"]["message"]
    assert "runlab-no-such-package-xyz" in _environment_log(experiment, run.id)


def test_conda_packages_come_from_pypi_with_a_note(tmp_path: Path, experiment: Experiment) -> None:
    source = _source(tmp_path)
    run = experiment.submit(Estimator(source, "train.py", conda_packages=["six"]))
    run.wait_for_completion()
    assert "conda is not used" in _environment_log(experiment, run.id)


def test_a_python_this_machine_lacks_fails_at_submit(
    tmp_path: Path, experiment: Experiment
) -> None:
    source = _source(tmp_path)
    environment = Environment("old", pip_packages=["six"], python_version="2.1")
    with pytest.raises(ValidationError, match=r"no Python 2\.1"):
        experiment.submit(ScriptRunConfig(source, "train.py", environment=environment))
    assert list(experiment.get_runs()) == []
