"""SDK v1 environments through the compat names: CondaDependencies, env.python, env.docker,
conda specifications, register/get/list, curated names; and the cache of built ones."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

from runlab.cli.app import app
from runlab.environments import Environment as RunlabEnvironment
from runlab.environments.cache import in_use, list_cached, prune_cache
from runlab.environments.curated import CURATED_ENVIRONMENTS
from runlab.errors import AlreadyExistsError, NotFoundError, ValidationError
from runlab.tracking import Workspace


def test_conda_dependencies_as_the_notebooks_write_them(tmp_path: Path) -> None:
    from runlab.compat.azureml.core.conda_dependencies import CondaDependencies

    cd = CondaDependencies.create(
        pip_packages=["azureml-dataset-runtime[pandas,fuse]", "azureml-defaults"],
        conda_packages=["scikit-learn==1.5.1"],
        python_version="3.11",
    )
    cd.add_pip_package("joblib")
    cd.add_conda_package("numpy=1.26")
    cd.add_pip_package("joblib>=1.3")  # replaces the earlier joblib
    assert list(cd.pip_packages) == [
        "azureml-dataset-runtime[pandas,fuse]",
        "azureml-defaults",
        "joblib>=1.3",
    ]
    assert list(cd.conda_packages) == ["scikit-learn==1.5.1", "numpy=1.26"]
    path = Path(cd.save_to_file(str(tmp_path), "env.yml"))
    assert path == tmp_path / "env.yml"
    text = path.read_text()
    assert "  - python=3.11\n" in text and '    - "azureml-dataset-runtime[pandas,fuse]"\n' in text
    assert CondaDependencies(str(path)) == cd

    with pytest.raises(ValidationError, match="not a requirement"):
        cd.add_pip_package("--index-url http://x")
    with pytest.raises(ValidationError, match="UV_INDEX_URL"):
        CondaDependencies.create(pip_indexurl="https://example.org/simple")


def test_env_python_and_docker_sections(tmp_path: Path) -> None:
    from runlab.compat.azureml.core import Environment
    from runlab.compat.azureml.core.conda_dependencies import CondaDependencies

    assert Environment is RunlabEnvironment
    env = Environment("tutorial-env")
    env.python.conda_dependencies = CondaDependencies.create(
        pip_packages=["six"], conda_packages=["numpy"], python_version="3.11"
    )
    assert (env.pip_packages, env.conda_packages, env.python_version) == (
        ["six"],
        ["numpy"],
        "3.11",
    )
    assert list(env.python.conda_dependencies.pip_packages) == ["six"]
    env.python.user_managed_dependencies = True
    env.python.interpreter_path = sys.executable
    env.environment_variables["MY_FLAG"] = "1"
    assert env.user_managed and env.interpreter_path == sys.executable
    again = RunlabEnvironment.from_dict(json.loads(json.dumps(env.to_dict())))
    assert again == env and again.spec_hash() == env.spec_hash()
    assert (
        RunlabEnvironment("x", user_managed=True).spec_hash()
        != RunlabEnvironment("x", user_managed=True, interpreter_path=sys.executable).spec_hash()
    )

    with pytest.warns(UserWarning, match="runlab builds no Docker images") as caught:
        env.docker.enabled = True
        env.docker.base_image = "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04"
        env.docker.enabled = True  # said once per setting
    assert len(caught) == 2
    assert env.docker.base_image.startswith("mcr.")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        env.docker.enabled = False  # turning it off warns of nothing
    with pytest.raises(ValidationError, match="no setting 'gpus'"):
        env.docker.gpus = 1
    with pytest.raises(ValidationError, match="CondaDependencies"):
        env.python.conda_dependencies = ["six"]  # type: ignore[assignment]


def test_a_user_managed_interpreter_that_does_not_exist_is_refused() -> None:
    from runlab.environments import UvEnvironmentBuilder

    env = RunlabEnvironment("mine", user_managed=True, interpreter_path="/no/such/python")
    with pytest.raises(ValidationError, match="/no/such/python"):
        UvEnvironmentBuilder().resolve(env, print)
    env.interpreter_path = sys.executable
    assert str(UvEnvironmentBuilder().resolve(env, print).python) == sys.executable


def test_from_conda_specification(tmp_path: Path) -> None:
    from runlab.compat.azureml.core import Environment

    spec = tmp_path / "environment.yml"
    spec.write_text(
        "name: sklearn-env\n"
        "channels:\n  - conda-forge\n"
        "dependencies:\n"
        "  - python=3.11\n"
        "  - scikit-learn=1.5\n"
        "  - pip\n"
        "  - pip:\n"
        "    - azureml-defaults\n"
        "    - joblib>=1.3  # a comment\n"
    )
    env = Environment.from_conda_specification("sklearn-env", str(spec))
    assert env.python_version == "3.11"
    assert env.conda_packages == ["scikit-learn=1.5"]
    assert env.pip_packages == ["azureml-defaults", "joblib>=1.3"]
    assert "scikit-learn==1.5.*" in env.install_requirements()

    spec.write_text("dependencies:\n  - pip:\n    - -e ./mypackage\n")
    with pytest.raises(ValidationError, match=r"environment.yml:3: cannot install '-e"):
        Environment.from_conda_specification("bad", spec)
    spec.write_text("dependencies:\n  - numpy=1.2=py38_0\n")
    with pytest.raises(ValidationError, match=r"environment.yml:2"):
        Environment.from_conda_specification("bad", spec)
    spec.write_text("name: x\nvariables:\n  A: 1\n")
    with pytest.raises(ValidationError, match=r"environment.yml:2: cannot honour 'variables:'"):
        Environment.from_conda_specification("bad", spec)


def test_register_get_list_with_versions(workspace: Workspace) -> None:
    from runlab.compat.azureml.core import Environment

    env = Environment("tutorial-env", pip_packages=["six"])
    assert env.register(workspace=workspace).version == 1
    assert env.register(workspace).version == 1  # unchanged: the same version
    env.pip_packages.append("joblib")
    assert env.register(workspace).version == 2

    latest = Environment.get(workspace, "tutorial-env")
    assert (latest.version, latest.pip_packages) == (2, ["six", "joblib"])
    first = Environment.get(workspace=workspace, name="tutorial-env", version="1")
    assert (first.version, first.pip_packages) == (1, ["six"])
    assert list(Environment.list(workspace)) == ["tutorial-env"]
    assert workspace.environments["tutorial-env"] == latest
    with pytest.raises(NotFoundError, match="no environment named 'other'"):
        Environment.get(workspace, "other")
    with pytest.raises(NotFoundError, match="no version 7"):
        Environment.get(workspace, "tutorial-env", 7)


def test_curated_names(workspace: Workspace) -> None:
    from runlab.compat.azureml.core import Environment

    sklearn = Environment.get(workspace, "AzureML-sklearn-1.0-ubuntu20.04-py38-cpu")
    assert "scikit-learn>=1.0" in sklearn.pip_packages
    assert "scikit-learn>=1.5" in Environment.get(workspace, "azureml-sklearn-1.5").pip_packages
    assert any("torch" in p for p in CURATED_ENVIRONMENTS["AzureML-PyTorch-1.6-CPU"])
    with pytest.raises(NotFoundError, match="not a curated environment") as caught:
        Environment.get(workspace, "AzureML-sklearn-9.9-cpu")
    assert "AzureML-sklearn-1.0-ubuntu20.04-py38-cpu" in caught.value.message
    with pytest.raises(ValidationError, match="curated"):
        Environment("AzureML-mine").register(workspace)


def _fake_built(cache: Path, key: str, size: int, last_used: float, spec_hash: str) -> Path:
    env_dir = cache / key
    env_dir.mkdir(parents=True)
    (env_dir / "payload").write_bytes(b"x" * size)
    built = "2026-01-01T00:00:00+00:00"
    marker = {"built": built, "spec_hash": spec_hash, "packages": ["six"]}
    (env_dir / ".runlab-ready").write_text(json.dumps(marker))
    (env_dir / ".runlab-last-use").touch()
    os.utime(env_dir / ".runlab-last-use", (last_used, last_used))
    return env_dir


def test_the_cache_is_listed_and_pruned_by_age_and_size(tmp_path: Path) -> None:
    cache = tmp_path / "envs"
    now = time.time()
    old = _fake_built(cache, "a" * 64, 1000, now - 40 * 86400, "h1")
    busy = _fake_built(cache, "b" * 64, 1000, now - 50 * 86400, "h2")
    _fake_built(cache, "c" * 64, 3000, now - 3600, "h3")
    recent = _fake_built(cache, "d" * 64, 500, now - 60, "h4")
    assert [item.key[0] for item in list_cached(cache)] == ["d", "c", "a", "b"]

    with in_use(busy):
        assert list_cached(cache)[-1].users == (os.getpid(),)
        removed = prune_cache(cache, unused_for_s=30 * 86400)
        assert [item.path for item in removed] == [old]  # never the one in use
        # 4500 bytes remain; the busy one stays and counts, so "c" goes to fit 2000.
        removed = prune_cache(cache, max_total_bytes=2000, dry_run=True)
        assert [item.key[0] for item in removed] == ["c"]
        assert (cache / ("c" * 64)).exists()
        prune_cache(cache, max_total_bytes=2000)
    assert [item.key[0] for item in list_cached(cache)] == ["d", "b"]
    assert list_cached(cache)[1].users == ()
    assert recent.exists()
    with pytest.raises(ValidationError, match="say what to prune"):
        prune_cache(cache)


def test_environment_commands(tmp_path: Path, workspace: Workspace) -> None:
    cache = tmp_path / "envs"
    _fake_built(cache, "e" * 64, 2048, time.time() - 10 * 86400, "hash-e")
    workspace.store.create_experiment("x")
    workspace.store.create_run(
        "x", "x_1_00000001", properties={"runlab.environment_hash": "hash-e"}
    )
    runner = CliRunner()
    listed = runner.invoke(app, ["environment", "list", "--cache", str(cache)])
    assert listed.exit_code == 0, listed.output
    assert "eeeeeeeeeeee" in listed.output and "six" in listed.output
    ws_dir = Path(str(workspace.config_path)).parent.parent
    shown = runner.invoke(
        app, ["-w", str(ws_dir), "environment", "show", "eeee", "--cache", str(cache)]
    )
    assert shown.exit_code == 0, shown.output
    assert "x_1_00000001" in shown.output and "hash-e" in shown.output
    missing = runner.invoke(app, ["environment", "show", "zz", "--cache", str(cache)])
    assert missing.exit_code != 0 and "no built environment 'zz'" in missing.output
    pruned = runner.invoke(
        app, ["environment", "prune", "--unused-days", "7", "--cache", str(cache)]
    )
    assert pruned.exit_code == 0 and "Removed 1 environment(s)" in pruned.output
    assert list_cached(cache) == []
    bad = runner.invoke(app, ["environment", "prune", "--max-size", "lots", "--cache", str(cache)])
    assert bad.exit_code != 0 and "'lots' is not like 500M" in bad.output


def test_opendatasets_mnist_downloads_verified_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = Path("/work/shared/data/mnist")
    if not (shared / "train-images-idx3-ubyte.gz").exists():
        pytest.skip("real MNIST is not in /work/shared/data/mnist on this machine")
    from runlab.compat.azureml.opendatasets import MNIST

    # runlab's MNIST cache already holds the files: nothing is fetched (no mirror answers).
    monkeypatch.setenv("RUNLAB_DATA_CACHE", str(tmp_path / "cache"))
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "mnist").symlink_to(shared)
    dataset = MNIST.get_file_dataset(mirrors=["http://127.0.0.1:9/"])
    data_folder = tmp_path / "data"
    paths = dataset.download(str(data_folder), overwrite=True)
    assert sorted(Path(p).name for p in paths) == sorted(p.lstrip("/") for p in dataset.to_path())
    assert (data_folder / "train-images-idx3-ubyte.gz").stat().st_size > 9_000_000
    with pytest.raises(AlreadyExistsError, match="overwrite=True"):
        dataset.download(str(data_folder))


def test_telemetry_and_version_after_the_one_line_import_change() -> None:
    code = (
        "from runlab.compat import azureml\n"
        "from runlab.compat.azureml.telemetry import set_diagnostics_collection\n"
        "set_diagnostics_collection(send_diagnostics=True)\n"
        "set_diagnostics_collection(send_diagnostics=True)\n"
        "print('Azure ML SDK Version:', azureml.core.VERSION)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("runlab collects no diagnostics") and len(lines) == 2
    from runlab import __version__

    assert lines[1] == f"Azure ML SDK Version: {__version__}"


def test_whole_number_strings_where_the_sdk_took_them() -> None:
    from runlab.compat.azureml.core.compute import AmlCompute
    from runlab.compat.azureml.core.runconfig import RunConfiguration

    config = AmlCompute.provisioning_configuration(
        vm_size="STANDARD_D2_V2", min_nodes="0", max_nodes=" 2 "
    )
    assert (config.min_nodes, config.max_nodes) == (0, 2)
    for bad in ("2.5", "two", "-1", 2.0, True):
        with pytest.raises(ValidationError, match="max_nodes must be a whole number"):
            AmlCompute.provisioning_configuration(max_nodes=bad)  # type: ignore[arg-type]
    rc = RunConfiguration()
    rc.node_count = "1"
    assert rc.node_count == 1
    with pytest.raises(ValidationError, match="one process per run"):
        rc.node_count = "2"
    with pytest.raises(ValidationError, match="whole number"):
        rc.node_count = "x"


@pytest.mark.slow
def test_a_bounded_cache_drops_the_least_recently_used_after_a_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runlab.environments import UvEnvironmentBuilder

    cache = tmp_path / "envs"
    stale = _fake_built(cache, "f" * 64, 4096, time.time() - 3600, "old")
    busy = _fake_built(cache, "0" * 64, 4096, time.time() - 7200, "busy")
    monkeypatch.setenv("RUNLAB_ENV_CACHE_MAX_SIZE", "1K")
    lines: list[str] = []
    with in_use(busy):
        resolved = UvEnvironmentBuilder(cache).resolve(RunlabEnvironment("tiny"), lines.append)
    assert not resolved.reused and resolved.python.exists()  # the new one is never dropped
    assert not stale.exists() and busy.exists()  # nor one a job runs in
    assert f"removed environment {'f' * 12} from the cache" in "\n".join(lines)
    assert len(list_cached(cache)) == 2
    monkeypatch.setenv("RUNLAB_ENV_CACHE_MAX_SIZE", "lots")
    with pytest.raises(ValidationError, match="'lots' is not like 500M"):
        UvEnvironmentBuilder(cache).resolve(RunlabEnvironment("other", pip_packages=["six"]), print)
    assert len(list_cached(cache)) == 2  # refused before building anything


@pytest.mark.slow
def test_a_running_job_keeps_its_environment_from_pruning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workspace: Workspace
) -> None:
    from helpers import eventually
    from runlab.compat.azureml.core import Environment, Experiment, ScriptRunConfig

    monkeypatch.setenv("RUNLAB_JOB_ROOT", str(tmp_path / "jobs"))
    cache = tmp_path / "envs"
    monkeypatch.setenv("RUNLAB_ENV_CACHE", str(cache))
    go = tmp_path / "go"
    source = tmp_path / "src"
    source.mkdir()
    (source / "train.py").write_text(
        f"import os, time\nwhile not os.path.exists({str(go)!r}):\n    time.sleep(0.1)\n"
    )
    src = ScriptRunConfig(str(source), "train.py", environment=Environment("held"))
    run = Experiment(workspace, "held").submit(src)
    busy = eventually(
        lambda: list_cached(cache), until=lambda found: found and found[0].users, timeout=300
    )
    assert prune_cache(cache, max_total_bytes=0) == []
    assert busy[0].path.exists()
    go.touch()
    run.wait_for_completion(show_output=False)
    assert list_cached(cache)[0].users == ()
    assert [item.key for item in prune_cache(cache, max_total_bytes=0)] == [busy[0].key]
