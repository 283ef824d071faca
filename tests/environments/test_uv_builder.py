"""UvEnvironmentBuilder with the real uv, installing from the real package registry."""

from __future__ import annotations

import base64
import concurrent.futures
import hashlib
import importlib.metadata
import json
import multiprocessing
import platform
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

import runlab
from runlab.environments import (
    Environment,
    EnvironmentBuildError,
    ResolvedEnvironment,
    UvEnvironmentBuilder,
    venv_python,
)
from runlab.environments.uv_builder import READY_MARKER, runlab_requirement
from runlab.errors import BackendError, ValidationError

SIX = Environment("six-env", pip_packages=["six"])


def _run_in(resolved: ResolvedEnvironment, code: str) -> str:
    return subprocess.run(
        [str(resolved.python), "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()


def _folders(cache: Path) -> list[str]:
    return sorted(path.name for path in cache.iterdir() if path.is_dir()) if cache.exists() else []


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ResolvedEnvironment, list[str]]:
    """One environment with six, built once for the tests that only look at it."""
    cache = tmp_path_factory.mktemp("env-cache")
    log: list[str] = []
    resolved = UvEnvironmentBuilder(cache).resolve(SIX, log.append)
    return cache, resolved, log


@pytest.mark.slow
def test_a_build_streams_uv_and_gives_an_interpreter_with_the_packages_and_runlab(
    built: tuple[Path, ResolvedEnvironment, list[str]],
) -> None:
    cache, resolved, log = built
    assert resolved.reused is False
    assert resolved.spec_hash == SIX.spec_hash()
    assert resolved.location is not None and resolved.location.parent == cache
    assert resolved.python == venv_python(resolved.location) and resolved.python.is_file()
    assert " venv --relocatable --python " in log[0]
    assert any(" pip install --python " in line and " six " in line for line in log)
    assert any("six" in line for line in log if line.startswith(" + "))  # uv's own output
    printed = _run_in(resolved, "import six, runlab; print(runlab.__version__)")
    assert printed == runlab.__version__
    # Only a complete environment, nothing half-built, is left in the cache.
    assert _folders(cache) == [resolved.location.name]
    assert (resolved.location / READY_MARKER).is_file()


@pytest.mark.slow
def test_console_scripts_of_the_environment_survive_the_move_into_the_cache(
    built: tuple[Path, ResolvedEnvironment, list[str]],
) -> None:
    _, resolved, _ = built
    script = resolved.python.parent / "runlab"
    done = subprocess.run([str(script), "--help"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "Usage" in done.stdout


@pytest.mark.slow
def test_the_same_spec_again_is_reused_without_running_uv(
    built: tuple[Path, ResolvedEnvironment, list[str]],
) -> None:
    cache, first, _ = built
    assert first.location is not None
    # A different name and variables: the same environment all the same.
    again = Environment("another-name", pip_packages=["SIX"], environment_variables={"A": "1"})
    log: list[str] = []
    # A uv that does not exist proves that reuse never runs it.
    resolved = UvEnvironmentBuilder(cache, uv="/nonexistent/uv").resolve(again, log.append)
    assert resolved == ResolvedEnvironment(first.python, True, first.spec_hash, first.location)
    assert len(log) == 1
    assert log[0].startswith(f"reusing environment {first.location.name[:12]} (built 20")


def _resolve_in_a_new_process(cache: str, barrier: Any, result_file: str) -> None:
    log: list[str] = []
    barrier.wait()  # both start resolving at the same moment
    resolved = UvEnvironmentBuilder(Path(cache)).resolve(SIX_RACE, log.append)
    Path(result_file).write_text(json.dumps({"reused": resolved.reused, "log": log}))


SIX_RACE = Environment("race", pip_packages=["six", "idna"])


@pytest.mark.slow
def test_two_processes_resolving_a_new_spec_at_once_build_it_once(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    results = [tmp_path / f"result-{number}.json" for number in range(2)]
    processes = [
        context.Process(
            target=_resolve_in_a_new_process, args=(str(tmp_path / "cache"), barrier, str(out))
        )
        for out in results
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
        assert process.exitcode == 0
    outcomes = [json.loads(result.read_text()) for result in results]
    assert sorted(outcome["reused"] for outcome in outcomes) == [False, True]
    builds = [line for outcome in outcomes for line in outcome["log"] if " venv " in line]
    assert len(builds) == 1
    reuser = next(outcome for outcome in outcomes if outcome["reused"])
    assert reuser["log"][-1].startswith("reusing environment ")
    assert len(_folders(tmp_path / "cache")) == 1


@pytest.mark.slow
def test_threads_sharing_a_builder_build_a_new_spec_once(tmp_path: Path) -> None:
    builder = UvEnvironmentBuilder(tmp_path)
    logs: list[list[str]] = [[], [], []]
    with concurrent.futures.ThreadPoolExecutor(len(logs)) as pool:
        results = list(pool.map(lambda log: builder.resolve(SIX, log.append), logs))
    assert sorted(result.reused for result in results) == [False, True, True]
    assert len({result.python for result in results}) == 1
    assert sum(" venv " in line for log in logs for line in log) == 1


@pytest.mark.slow
def test_a_package_that_does_not_exist_fails_readably_and_leaves_nothing(tmp_path: Path) -> None:
    env = Environment("broken", pip_packages=["six", "runlab-no-such-package-xyz==1.0"])
    log: list[str] = []
    with pytest.raises(EnvironmentBuildError) as raised:
        UvEnvironmentBuilder(tmp_path).resolve(env, log.append)
    message = str(raised.value)
    assert message.startswith("building environment broken failed: ")
    assert "runlab-no-such-package-xyz" in message
    assert "not found in the package registry" in message
    assert isinstance(raised.value, BackendError)
    assert any("not found in the package registry" in line for line in log)
    assert _folders(tmp_path) == []
    # The next attempt builds again rather than trusting anything left behind.
    log.clear()
    with pytest.raises(EnvironmentBuildError):
        UvEnvironmentBuilder(tmp_path).resolve(env, log.append)
    assert not any(line.startswith("reusing") for line in log)


def test_a_python_this_machine_lacks_is_refused_and_nothing_is_downloaded(tmp_path: Path) -> None:
    env = Environment("old", pip_packages=["six"], python_version="2.1")
    with pytest.raises(ValidationError) as raised:
        UvEnvironmentBuilder(tmp_path).resolve(env, lambda line: None)
    message = str(raised.value)
    assert message.startswith("no Python 2.1 on this machine (runlab does not download")
    assert f"leave python_version unset to use {platform.python_version()}" in message
    assert _folders(tmp_path) == []


@pytest.mark.slow
def test_the_python_version_of_this_machine_builds(tmp_path: Path) -> None:
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    env = Environment("pinned", pip_packages=["six"], python_version=version)
    resolved = UvEnvironmentBuilder(tmp_path).resolve(env, lambda line: None)
    printed = _run_in(resolved, "import sys; print('%d.%d' % sys.version_info[:2])")
    assert printed == version


@pytest.mark.slow
def test_conda_packages_are_installed_from_pypi_saying_so_once(tmp_path: Path) -> None:
    env = Environment("conda-env", conda_packages=["six"])
    log: list[str] = []
    resolved = UvEnvironmentBuilder(tmp_path).resolve(env, log.append)
    said = [line for line in log if line.startswith("conda")]
    assert said == [
        "conda is not used: installing conda_packages ['six'] from PyPI by the same names"
    ]
    assert _run_in(resolved, "import six; print('ok')") == "ok"


def test_a_user_managed_environment_is_the_submitters_interpreter(tmp_path: Path) -> None:
    env = Environment("mine", pip_packages=["six"], user_managed=True)
    log: list[str] = []
    resolved = UvEnvironmentBuilder(tmp_path / "cache", uv="/nonexistent/uv").resolve(
        env, log.append
    )
    assert resolved == ResolvedEnvironment(Path(sys.executable), True, env.spec_hash(), None)
    assert len(log) == 1 and "user-managed" in log[0] and sys.executable in log[0]
    assert not (tmp_path / "cache").exists()


def test_a_missing_uv_says_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match="pip install uv"):
        UvEnvironmentBuilder(tmp_path, uv="/nonexistent/uv").resolve(SIX, lambda line: None)
    assert _folders(tmp_path) == []


@pytest.mark.slow
def test_what_a_dead_build_left_behind_is_never_used(tmp_path: Path) -> None:
    first = UvEnvironmentBuilder(tmp_path).resolve(SIX, lambda line: None)
    assert first.location is not None
    # As if a build died after moving its folder into place but before marking it ready,
    # and another died half-way through.
    (first.location / READY_MARKER).unlink()
    stale = tmp_path / f"{first.location.name}.building-deadbeef"
    stale.mkdir()
    log: list[str] = []
    again = UvEnvironmentBuilder(tmp_path).resolve(SIX, log.append)
    assert again.reused is False
    assert not any(line.startswith("reusing") for line in log)
    assert _folders(tmp_path) == [first.location.name]
    assert _run_in(again, "import six; print('ok')") == "ok"


def _write_wheel(folder: Path, value: str) -> Path:
    """A tiny pure-Python wheel whose module holds ``value``."""
    files = {
        "runlab_probe/__init__.py": f"VALUE = {value!r}\n",
        "runlab_probe-1.0.dist-info/METADATA": (
            "Metadata-Version: 2.1\nName: runlab-probe\nVersion: 1.0\n"
        ),
        "runlab_probe-1.0.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{name},sha256={digest.decode()},{len(text.encode())}")
    files["runlab_probe-1.0.dist-info/RECORD"] = (
        "\n".join([*record, "runlab_probe-1.0.dist-info/RECORD,,"]) + "\n"
    )
    wheel = folder / "runlab_probe-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return wheel


@pytest.mark.slow
def test_a_local_wheel_installs_and_new_bytes_at_the_same_path_rebuild(tmp_path: Path) -> None:
    wheel = _write_wheel(tmp_path, "first")
    env = Environment("wheel-env", pip_packages=[str(wheel)])
    builder = UvEnvironmentBuilder(tmp_path / "cache")
    first = builder.resolve(env, lambda line: None)
    assert _run_in(first, "import runlab_probe; print(runlab_probe.VALUE)") == "first"
    _write_wheel(tmp_path, "second")
    second = builder.resolve(env, lambda line: None)
    assert second.reused is False and second.location != first.location
    assert _run_in(second, "import runlab_probe; print(runlab_probe.VALUE)") == "second"


def test_runlab_is_installed_into_environments_the_way_it_is_installed_here() -> None:
    record = json.loads(
        importlib.metadata.distribution("runlab").read_text("direct_url.json") or "{}"
    )
    if not record.get("dir_info", {}).get("editable"):
        pytest.skip("runlab is not an editable install here")
    project = Path(__file__).resolve().parents[2]
    assert runlab_requirement() == ["-e", str(project)]


def test_the_cache_folder_defaults_to_runlab_env_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNLAB_ENV_CACHE", str(tmp_path))
    assert UvEnvironmentBuilder().cache_dir == tmp_path
    monkeypatch.delenv("RUNLAB_ENV_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert UvEnvironmentBuilder().cache_dir == tmp_path / ".cache/runlab/environments"
