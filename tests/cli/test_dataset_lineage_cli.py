"""``runlab dataset ...`` and ``runlab run lineage|rerun|diff`` through Typer's test runner."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from helpers import eventually
from runlab import Experiment, Workspace
from runlab.cli import app
from runlab.jobs import ScriptRunConfig
from runlab.tracking import Run

runner = CliRunner(env={"RUNLAB_WORKSPACE_DIR": None, "COLUMNS": "200"})


def _cli(workspace: Workspace, *args: object) -> Result:
    assert workspace.config_path is not None
    return runner.invoke(app, ["-w", str(workspace.config_path), *(str(arg) for arg in args)])


@pytest.fixture
def uploaded(workspace: Workspace, tmp_path: Path) -> Path:
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "a.gz").write_bytes(b"alpha")
    (folder / "b.gz").write_bytes(b"beta")
    workspace.get_default_datastore().upload(folder, target_path="digits", show_progress=False)
    return folder


def test_register_list_show_download(workspace: Workspace, uploaded: Path, tmp_path: Path) -> None:
    result = _cli(workspace, "dataset", "register", "digits", "digits/*.gz", "--tag", "k=v")
    assert result.exit_code == 0, result.output
    assert "Registered digits:1: 2 files" in result.stdout
    listing = _cli(workspace, "dataset", "list")
    assert listing.exit_code == 0 and "digits" in listing.stdout
    shown = _cli(workspace, "dataset", "show", "digits")
    assert shown.exit_code == 0, shown.output
    assert "a.gz" in shown.stdout and "workspaceblobstore:digits/*.gz" in shown.stdout
    out = tmp_path / "out"
    downloaded = _cli(workspace, "dataset", "download", "digits", out)
    assert downloaded.exit_code == 0, downloaded.output
    assert (out / "b.gz").read_bytes() == b"beta"

    Path(workspace.get_default_datastore().root_url, "digits", "a.gz").write_bytes(b"ALPHA!")
    refused = _cli(workspace, "dataset", "download", "digits", tmp_path / "again")
    assert refused.exit_code == 5
    assert refused.stderr.startswith("Error: dataset 'digits' version 1: files changed")
    assert "a.gz" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    again = _cli(workspace, "dataset", "register", "digits", "digits/*.gz")
    assert again.exit_code == 4 and "create_new_version" in again.stderr
    newer = _cli(workspace, "dataset", "register", "digits", "digits/*.gz", "--new-version")
    assert "digits:2" in newer.stdout
    allowed = _cli(workspace, "dataset", "download", "digits", tmp_path / "v1", "-v", "1",
                   "--allow-changed")  # fmt: skip
    assert allowed.exit_code == 0, allowed.output


TRAIN = """
import argparse
from runlab import Run
parser = argparse.ArgumentParser()
parser.add_argument("--regularization", type=float)
args = parser.parse_args()
Run.get_context().log("accuracy", 1 - args.regularization / 10)
"""


@pytest.mark.usefixtures("job_root")
def test_lineage_rerun_with_a_set_and_diff(workspace: Workspace, tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "train.py").write_text(textwrap.dedent(TRAIN))
    config = ScriptRunConfig(source, "train.py", arguments=["--regularization", 0.8])
    original = Experiment(workspace, "cli").submit(config)
    original.wait_for_completion(raise_on_error=True)

    lineage = _cli(workspace, "run", "lineage", original.id)
    assert lineage.exit_code == 0, lineage.output
    assert str(original.get_snapshot_id()) in lineage.stdout
    assert "Lock sha256" in lineage.stdout and "regularization" in lineage.stdout
    as_json = json.loads(_cli(workspace, "run", "lineage", original.id, "--json").stdout)
    assert as_json["code"]["snapshot_id"] == original.get_snapshot_id()

    rerun = _cli(workspace, "run", "rerun", original.id, "--set", "--regularization=0.5")
    assert rerun.exit_code == 0, rerun.output
    new_id = rerun.stdout.split()[2].rstrip(",")
    new_run = Run.get(workspace, new_id)
    new_run.wait_for_completion(raise_on_error=True)
    eventually(lambda: new_run.get_metrics().get("accuracy") is not None)

    diff = _cli(workspace, "run", "diff", original.id, new_id, "--json")
    assert diff.exit_code == 0, diff.output
    data = json.loads(diff.stdout)
    assert data["parameters"] == {"regularization": ["0.8", "0.5"]}
    assert data["code"] == {} and data["packages"] == {}
    assert data["metrics"]["accuracy"] == [pytest.approx(0.92), pytest.approx(0.95)]
    text = _cli(workspace, "run", "diff", original.id, new_id)
    assert "--regularization" in text.stdout and "accuracy" in text.stdout

    bad = _cli(workspace, "run", "rerun", original.id, "--set", "regularization")
    assert bad.exit_code == 2 and "--set --name=value" in bad.stderr
