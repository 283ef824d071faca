"""The tutorial's train.py on a registered dataset: exact re-runs from the command line, and
MNIST's own files versioned (skipped, saying why, where they are not on this machine)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from runlab import Experiment, JobFailedError, Workspace
from runlab.cli import app
from runlab.data import DataChangedError, Dataset
from runlab.entities.run_layout import RERUN_OF_KEY
from runlab.jobs import ScriptRunConfig
from runlab.tracking import Run
from runlab.tutorial import scripts_folder

pytestmark = pytest.mark.usefixtures("job_root")
runner = CliRunner(env={"RUNLAB_WORKSPACE_DIR": None, "COLUMNS": "200"})
MNIST = Path("/work/shared/data/mnist")


def _cli(workspace: Workspace, *args: str) -> str:
    assert workspace.config_path is not None
    result = runner.invoke(app, ["-w", str(workspace.config_path), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.slow
def test_the_tutorial_run_rerun_from_the_cli_is_exact_and_a_set_shows_in_the_diff(
    workspace: Workspace, tmp_path: Path
) -> None:
    pytest.importorskip("sklearn", reason="the tutorial's train.py needs scikit-learn")
    from runlab.tutorial.data import write_digits

    datastore = workspace.get_default_datastore()
    datastore.upload(write_digits(tmp_path / "digits"), target_path="mnist", show_progress=False)
    mnist = Dataset.File.from_files((datastore, "mnist/*.gz")).register(workspace, "mnist")
    source = tmp_path / "sklearn-mnist"
    shutil.copytree(scripts_folder(), source)
    arguments = ["--data-folder", mnist.as_named_input("mnist").as_mount(), "--regularization", 0.8]
    run = Experiment(workspace, "tutorial").submit(
        ScriptRunConfig(source, "train.py", arguments=arguments)
    )
    run.wait_for_completion(raise_on_error=True)

    again_id = _cli(workspace, "run", "rerun", run.id, "--wait").split()[2].rstrip(",")
    again = Run.get(workspace, again_id)
    assert again.get_properties()[RERUN_OF_KEY] == run.id
    assert again.get_snapshot_id() == run.get_snapshot_id()
    assert again.get_environment_lock() == run.get_environment_lock()
    assert again.get_metrics()["accuracy"] == run.get_metrics()["accuracy"]  # every digit

    changed_id = (
        _cli(workspace, "run", "rerun", run.id, "--set", "--regularization=0.05", "--wait")
        .split()[2]
        .rstrip(",")
    )
    diff = json.loads(_cli(workspace, "run", "diff", run.id, changed_id, "--json"))
    assert diff["parameters"] == {"regularization": ["0.8", "0.05"]}
    assert (diff["code"], diff["packages"], diff["datasets"]) == ({}, {}, {})
    before, after = diff["metrics"]["accuracy"]
    assert before != after
    assert diff["metrics"]["regularization rate"] == [0.8, 0.05]


def test_mnist_files_versioned_a_changed_file_fails_version_1_and_version_2_works(
    workspace: Workspace, tmp_path: Path
) -> None:
    if not all((MNIST / name).is_file() for name in ("train-labels-idx1-ubyte.gz",)):
        pytest.skip(f"MNIST's files are not in {MNIST} on this machine")
    datastore = workspace.get_default_datastore()
    datastore.upload(MNIST, target_path="mnist", show_progress=False)
    first = Dataset.File.from_files((datastore, "mnist/*.gz")).register(workspace, "mnist")
    assert first.version == 1 and len(first.files) == 4
    kept = Dataset.File.from_files((datastore, "mnist/*.gz")).register(
        workspace, "mnist-kept", snapshot=True
    )
    labels = Path(datastore.root_url, "mnist", "t10k-labels-idx1-ubyte.gz")
    labels.write_bytes(labels.read_bytes() + b"\0")  # one byte more on the datastore
    second = Dataset.File.from_files((datastore, "mnist/*.gz")).register(
        workspace, "mnist", create_new_version=True
    )
    assert second.version == 2 and second.content_hash != first.content_hash
    with pytest.raises(DataChangedError, match=r"t10k-labels-idx1-ubyte\.gz"):
        Dataset.get_by_name(workspace, "mnist", 1).download(tmp_path / "v1")

    source = tmp_path / "src"
    source.mkdir()
    (source / "count.py").write_text(
        "import pathlib, sys\nfrom runlab import Run\n"
        "files = sorted(pathlib.Path(sys.argv[1]).glob('*.gz'))\n"
        "Run.get_context().log('bytes', sum(f.stat().st_size for f in files))\n"
    )

    def submit(dataset: object) -> Run:
        consumption = dataset.as_named_input("mnist").as_mount()  # type: ignore[attr-defined]
        config = ScriptRunConfig(source, "count.py", arguments=[consumption])
        return Experiment(workspace, "mnist").submit(config)

    with pytest.raises(JobFailedError, match=r"t10k-labels-idx1-ubyte\.gz"):
        submit(first).wait_for_completion(raise_on_error=True)
    total = sum(path.stat().st_size for path in MNIST.glob("*.gz"))
    newer = submit(second)
    newer.wait_for_completion(raise_on_error=True)
    assert newer.get_metrics()["bytes"] == total + 1
    snapshotted = submit(kept)
    snapshotted.wait_for_completion(raise_on_error=True)
    assert snapshotted.get_metrics()["bytes"] == total
