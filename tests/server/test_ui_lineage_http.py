"""The web UI's lineage, diff and dataset pages over HTTP (an in-process client)."""

# ruff: noqa: E402 - the server extra is checked before anything needing it is imported
from __future__ import annotations

from live_server import require_server_extra

require_server_extra()

from pathlib import Path

import pytest

pytest.importorskip("jinja2", reason="the web UI needs jinja2 (pip install jinja2)")

from fastapi.testclient import TestClient

from runlab import Experiment, Workspace
from runlab.data import Dataset
from runlab.jobs import ScriptRunConfig
from runlab.server import create_app

TRAIN = """
import argparse
from runlab import Run
parser = argparse.ArgumentParser()
parser.add_argument("--data")
parser.add_argument("--regularization", type=float)
args = parser.parse_args()
open("outputs/model.txt", "w").write("model")
Run.get_context().log("accuracy", 1 - args.regularization / 10)
"""


@pytest.mark.usefixtures("job_root")
def test_run_lineage_diff_model_and_dataset_pages(workspace: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "a.gz").write_bytes(b"digits")
    datastore = workspace.get_default_datastore()
    datastore.upload(folder, target_path="digits", show_progress=False)
    digits = Dataset.File.from_files((datastore, "digits")).register(workspace, "digits")
    source = tmp_path / "src"
    source.mkdir()
    (source / "train.py").write_text(TRAIN)
    arguments = ["--data", digits.as_named_input("digits").as_mount(), "--regularization", 0.8]
    run = Experiment(workspace, "ui").submit(ScriptRunConfig(source, "train.py", arguments))
    run.wait_for_completion(raise_on_error=True)
    run.register_model("digits-model", "outputs/model.txt")
    other = run.rerun(parameters={"regularization": 0.5})
    other.wait_for_completion(raise_on_error=True)

    client = TestClient(create_app(workspace))
    page = client.get(f"/ui/runs/{run.id}")
    assert page.status_code == 200 and f'data-src="/ui/runs/{run.id}/lineage"' in page.text
    lineage = client.get(f"/ui/runs/{run.id}/lineage")
    assert lineage.status_code == 200, lineage.text
    assert str(run.get_snapshot_id()) in lineage.text
    assert '/ui/datasets/digits/versions/1">digits:1' in lineage.text
    assert "/ui/models/digits-model/versions/1/lineage" in lineage.text
    assert "Locked packages" in lineage.text

    compare = client.get(f"/ui/compare?run={run.id}&run={other.id}")
    assert compare.status_code == 200 and "/ui/diff?a=" in compare.text
    diff = client.get("/ui/diff", params={"a": run.id, "b": other.id})
    assert diff.status_code == 200, diff.text
    assert "--regularization" in diff.text and "0.8" in diff.text and "0.5" in diff.text

    assert "/ui/models/digits-model/versions/1/lineage" in client.get("/ui/models").text
    model = client.get("/ui/models/digits-model/versions/1/lineage")
    assert model.status_code == 200, model.text
    assert run.id in model.text and "digits:1" in model.text

    datasets = client.get("/ui/datasets")
    assert datasets.status_code == 200 and "/ui/datasets/digits/versions/1" in datasets.text
    version = client.get("/ui/datasets/digits/versions/1")
    assert version.status_code == 200, version.text
    assert run.id in version.text and other.id in version.text and "a.gz" in version.text
    assert client.get("/ui/datasets/ghost/versions/1").status_code == 404
