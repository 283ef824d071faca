"""Lineage of submitted runs, exact re-runs and run diffs, with real jobs."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import textwrap
import zipfile
from pathlib import Path

import pytest

from runlab import Experiment, Workspace
from runlab.data import DataChangedError, Dataset
from runlab.entities.run_layout import RERUN_CHANGES_KEY, RERUN_OF_KEY
from runlab.environments import Environment
from runlab.jobs import ScriptRunConfig
from runlab.tracking.lineage import model_lineage

pytestmark = pytest.mark.usefixtures("job_root")

TRAIN = """
import argparse, os, pathlib
from runlab import Run

parser = argparse.ArgumentParser()
parser.add_argument("--data")
parser.add_argument("--regularization", type=float)
args = parser.parse_args()
run = Run.get_context()
total = sum(len(p.read_bytes()) for p in sorted(pathlib.Path(args.data).rglob("*.gz")))
# A deterministic "accuracy" from the data and the argument, to the last digit.
run.log("accuracy", 1.0 / (1.0 + args.regularization * total / 7.0))
os.makedirs("outputs", exist_ok=True)
pathlib.Path("outputs/model.txt").write_text(str(total))
"""


def _git(folder: Path, *arguments: str) -> str:
    return subprocess.run(
        ["git", "-C", str(folder), *arguments], check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture
def source(tmp_path: Path) -> Path:
    """A source folder committed in a git repository."""
    folder = tmp_path / "repo" / "src"
    folder.mkdir(parents=True)
    (folder / "train.py").write_text(textwrap.dedent(TRAIN))
    repo = folder.parent
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "train")
    return folder


@pytest.fixture
def digits(workspace: Workspace, tmp_path: Path) -> Dataset:
    datastore = workspace.get_default_datastore()
    folder = tmp_path / "digits"
    folder.mkdir()
    (folder / "a.gz").write_bytes(b"0123456789")
    datastore.upload(folder, target_path="digits", show_progress=False)
    return Dataset.File.from_files((datastore, "digits/*.gz")).register(workspace, "digits")


def _submit(workspace: Workspace, source: Path, digits: Dataset, regularization: float):  # type: ignore[no-untyped-def]
    arguments = [
        "--data",
        digits.as_named_input("digits").as_mount(),
        "--regularization",
        regularization,
    ]
    run = Experiment(workspace, "lineage").submit(
        ScriptRunConfig(source, "train.py", arguments=arguments)
    )
    run.wait_for_completion(raise_on_error=True)
    return run


def test_lineage_from_a_registered_model_back_to_code_environment_and_data(
    workspace: Workspace, source: Path, digits: Dataset
) -> None:
    run = _submit(workspace, source, digits, 0.8)
    model = run.register_model("digits-model", "outputs/model.txt")
    lineage = model_lineage(workspace, model.name, model.version)
    assert lineage["datasets"] == [
        {
            "label": "digits",
            "name": "digits",
            "version": 1,
            "id": "digits:1",
            "content_hash": digits.content_hash,
        }
    ]
    traced = lineage["run"]
    assert traced["run_id"] == run.id and traced["models"] == ["digits-model:1"]
    assert traced["code"]["git_commit"] == _git(source.parent, "rev-parse", "HEAD")
    assert traced["code"]["git_dirty"] is False
    assert traced["code"]["snapshot_id"] == run.get_snapshot_id()
    environment = traced["environment"]
    lock = run.get_environment_lock()
    assert lock is not None and environment["packages"] == lock["packages"]
    assert "runlab" in lock["packages"] and environment["python"].count(".") == 2
    assert environment["lock_sha256"] and environment["platform"]
    assert [item["id"] for item in traced["datasets"]] == ["digits:1"]
    assert traced["parameters"]["regularization"] == "0.8"


def test_a_rerun_is_exact_and_a_changed_argument_shows_in_the_diff(
    workspace: Workspace, source: Path, digits: Dataset
) -> None:
    original = _submit(workspace, source, digits, 0.8)
    again = original.rerun()
    again.wait_for_completion(raise_on_error=True)
    assert again.get_snapshot_id() == original.get_snapshot_id()
    assert again.get_properties()[RERUN_OF_KEY] == original.id
    assert again.get_environment_lock() == original.get_environment_lock()
    assert again.get_metrics()["accuracy"] == original.get_metrics()["accuracy"]
    assert original.diff(again).same_inputs

    changed = original.rerun(parameters={"regularization": 0.5})
    changed.wait_for_completion(raise_on_error=True)
    assert json.loads(changed.get_properties()[RERUN_CHANGES_KEY]) == {
        "parameters": {"regularization": "0.5"}
    }
    diff = original.diff(changed)
    assert diff.parameters == {"regularization": ["0.8", "0.5"]}
    assert (diff.code, diff.packages, diff.datasets) == ({}, {}, {})
    before, after = diff.metrics["accuracy"]
    assert before == original.get_metrics()["accuracy"] and after > before


def test_the_diff_shows_code_and_dataset_changes(
    workspace: Workspace, source: Path, digits: Dataset, tmp_path: Path
) -> None:
    first = _submit(workspace, source, digits, 0.8)
    (source / "train.py").write_text(textwrap.dedent(TRAIN) + "print('more')\n")
    datastore = workspace.get_default_datastore()
    Path(datastore.root_url, "digits", "a.gz").write_bytes(b"changed!")
    newer = Dataset.File.from_files((datastore, "digits/*.gz")).register(
        workspace, "digits", create_new_version=True
    )
    second = _submit(workspace, source, newer, 0.8)
    diff = first.diff(second)
    assert list(diff.code) == ["train.py"]
    assert "+print('more')" in diff.code["train.py"]
    assert diff.datasets["digits"][0].startswith("digits:1 (")
    assert diff.datasets["digits"][1].startswith("digits:2 (")
    # Version 1 changed on its datastore and has no snapshot: it cannot be re-run.
    with pytest.raises(DataChangedError, match=r"digits:1.*a\.gz"):
        first.rerun()


def _write_wheel(folder: Path, version: str) -> None:
    """A tiny pure-Python wheel of ``runlab-lockdemo`` at ``version``."""
    files = {
        "runlab_lockdemo/__init__.py": f"VERSION = {version!r}\n",
        f"runlab_lockdemo-{version}.dist-info/METADATA": (
            f"Metadata-Version: 2.1\nName: runlab-lockdemo\nVersion: {version}\n"
        ),
        f"runlab_lockdemo-{version}.dist-info/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(f"{name},sha256={digest.decode()},{len(text.encode())}")
    record.append(f"runlab_lockdemo-{version}.dist-info/RECORD,,")
    files[f"runlab_lockdemo-{version}.dist-info/RECORD"] = "\n".join(record) + "\n"
    with zipfile.ZipFile(folder / f"runlab_lockdemo-{version}-py3-none-any.whl", "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)


@pytest.mark.slow
def test_a_rerun_installs_the_locked_version_not_what_the_loose_spec_resolves_now(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNLAB_ENV_CACHE", str(tmp_path / "env-cache"))
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _write_wheel(wheels, "1.0")
    monkeypatch.setenv("UV_FIND_LINKS", str(wheels))
    folder = tmp_path / "demo-src"
    folder.mkdir()
    (folder / "train.py").write_text(
        "import runlab_lockdemo\nfrom runlab import Run\n"
        "Run.get_context().log('demo', runlab_lockdemo.VERSION)\n"
    )
    # The spec is loose: any version of the package. When the run was made, 1.0 was newest.
    loose = Environment("loose", pip_packages=["runlab-lockdemo"])
    original = Experiment(workspace, "locked").submit(
        ScriptRunConfig(folder, "train.py", environment=loose)
    )
    original.wait_for_completion(raise_on_error=True)
    assert original.get_metrics()["demo"] == "1.0"
    # Now the spec resolves to 2.0 (on a machine without the cached build, as here); the
    # re-run installs the lock's version.
    _write_wheel(wheels, "2.0")
    shutil.rmtree(tmp_path / "env-cache")
    again = original.rerun()
    again.wait_for_completion(raise_on_error=True)
    assert again.get_metrics()["demo"] == "1.0"
    lock = again.get_environment_lock()
    assert lock is not None and lock["packages"]["runlab-lockdemo"] == "1.0"
    assert "runlab-lockdemo==1.0" in lock["requested"]["pip_packages"]
    # ... where a new submit of the same loose spec gets 2.0.
    fresh = Experiment(workspace, "locked").submit(
        ScriptRunConfig(folder, "train.py", environment=loose)
    )
    fresh.wait_for_completion(raise_on_error=True)
    assert fresh.get_metrics()["demo"] == "2.0"
