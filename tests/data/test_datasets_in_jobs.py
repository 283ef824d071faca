"""Datasets as the inputs of submitted jobs: mounted or downloaded, pinned, recorded."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from runlab import Experiment, JobFailedError, Workspace
from runlab.data import Dataset, Datastore
from runlab.entities.run_layout import DATASET_READ_PREFIX, INPUT_DATASETS_KEY
from runlab.jobs import ScriptRunConfig

pytestmark = pytest.mark.usefixtures("job_root")

READ_FILES = """
import argparse, os, pathlib
from runlab import Run

parser = argparse.ArgumentParser()
parser.add_argument("--data")
args = parser.parse_args()
run = Run.get_context()
folder = pathlib.Path(run.input_datasets["digits"])
assert folder == pathlib.Path(args.data), (folder, args.data)
for path in sorted(folder.rglob("*.gz")):
    print("read", path.name, path.read_bytes().decode(), flush=True)
    run.log("bytes", len(path.read_bytes()))
"""

READ_TABLE = """
from runlab import Run

frame = Run.get_context().input_datasets["rows"].to_pandas_dataframe()
print("rows", len(frame), "sum", int(frame["x"].sum()), flush=True)
Run.get_context().log("sum", int(frame["x"].sum()))
"""


def _source(tmp_path: Path, code: str) -> Path:
    source = tmp_path / "src"
    source.mkdir(exist_ok=True)
    (source / "train.py").write_text(textwrap.dedent(code))
    return source


@pytest.fixture
def digits(workspace: Workspace, tmp_path: Path) -> Datastore:
    datastore = workspace.get_default_datastore()
    folder = tmp_path / "up"
    folder.mkdir()
    (folder / "a.gz").write_bytes(b"one")
    (folder / "b.gz").write_bytes(b"two")
    datastore.upload(folder, target_path="digits", show_progress=False)
    return datastore


def _submit(workspace: Workspace, source: Path, arguments: list[object]) -> object:
    config = ScriptRunConfig(source, "train.py", arguments=arguments)
    return Experiment(workspace, "datasets").submit(config)


def test_version_1_fails_clearly_after_its_files_changed_and_version_2_works(
    workspace: Workspace, digits: Datastore, tmp_path: Path
) -> None:
    source = _source(tmp_path, READ_FILES)
    first = Dataset.File.from_files((digits, "digits/*.gz")).register(workspace, "digits")
    Path(digits.root_url, "digits", "b.gz").write_bytes(b"TWO, changed")
    second = Dataset.File.from_files((digits, "digits/*.gz")).register(
        workspace, "digits", create_new_version=True
    )

    failing = _submit(workspace, source, ["--data", first.as_named_input("digits").as_mount()])
    with pytest.raises(JobFailedError, match=r"b\.gz"):
        failing.wait_for_completion(raise_on_error=True)  # type: ignore[attr-defined]

    run = _submit(workspace, source, ["--data", second.as_named_input("digits").as_download()])
    run.wait_for_completion(raise_on_error=True)  # type: ignore[attr-defined]
    properties = run.get_properties()  # type: ignore[attr-defined]
    recorded = json.loads(properties[INPUT_DATASETS_KEY])
    assert [(r["input_name"], r["name"], r["version"]) for r in recorded] == [
        ("digits", "digits", 2)
    ]
    assert recorded[0]["content_hash"] == second.content_hash
    assert properties[DATASET_READ_PREFIX + "digits:2"] == second.content_hash
    assert run.get_metrics()["bytes"] == [3, 12]  # type: ignore[attr-defined]
    readers = workspace.store.search_runs(properties={DATASET_READ_PREFIX + "digits:2": None})
    assert [record.run_id for record in readers] == [run.id]  # type: ignore[attr-defined]

    # A part of version 1 without the changed file is still version 1's, checked as it is.
    part = _submit(workspace, source, ["--data", first.take(1).as_named_input("digits")])
    part.wait_for_completion(raise_on_error=True)  # type: ignore[attr-defined]
    recorded = json.loads(part.get_properties()[INPUT_DATASETS_KEY])  # type: ignore[attr-defined]
    assert (recorded[0]["id"], recorded[0]["files"]) == ("digits:1", 1)


def test_a_snapshot_version_is_read_in_a_job_after_its_source_changed(
    workspace: Workspace, digits: Datastore, tmp_path: Path
) -> None:
    source = _source(tmp_path, READ_FILES)
    kept = Dataset.File.from_files((digits, "digits/*.gz")).register(
        workspace, "kept", snapshot=True
    )
    Path(digits.root_url, "digits", "a.gz").write_bytes(b"changed")
    run = _submit(workspace, source, ["--data", kept.as_named_input("digits").as_mount()])
    run.wait_for_completion(raise_on_error=True)  # type: ignore[attr-defined]
    assert run.get_metrics()["bytes"] == [3, 3]  # type: ignore[attr-defined]


def test_a_tabular_input_is_a_dataset_inside_the_script(
    workspace: Workspace, tmp_path: Path
) -> None:
    pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    datastore = workspace.get_default_datastore()
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "rows.csv").write_text("x,y\n1,a\n2,b\n3,c\n")
    datastore.upload(folder, target_path="rows", show_progress=False)
    rows = Dataset.Tabular.from_delimited_files((datastore, "rows/*.csv")).register(
        workspace, "rows"
    )
    source = _source(tmp_path, READ_TABLE)
    run = _submit(workspace, source, [rows.as_named_input("rows").as_mount()])
    run.wait_for_completion(raise_on_error=True)  # type: ignore[attr-defined]
    assert run.get_metrics()["sum"] == 6  # type: ignore[attr-defined]
