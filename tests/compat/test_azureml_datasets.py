"""The SDK v1's dataset names under runlab.compat.azureml: aliases of runlab.data's, and the
SDK's own dataset code running with only its imports changed."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

import runlab.data
from runlab import Workspace

ALIASES = [
    ("core", "Dataset", runlab.data.Dataset),
    ("core.dataset", "Dataset", runlab.data.Dataset),
    ("data", "FileDataset", runlab.data.FileDataset),
    ("data", "TabularDataset", runlab.data.TabularDataset),
    ("data", "DataReference", runlab.data.DataReference),
    ("data.file_dataset", "FileDataset", runlab.data.FileDataset),
    ("data.tabular_dataset", "TabularDataset", runlab.data.TabularDataset),
    ("data.data_reference", "DataReference", runlab.data.DataReference),
    (
        "data.dataset_consumption_config",
        "DatasetConsumptionConfig",
        runlab.data.DatasetConsumptionConfig,
    ),
]


@pytest.mark.parametrize(("module", "name", "target"), ALIASES)
def test_the_sdk_names_are_runlabs(module: str, name: str, target: object) -> None:
    imported = importlib.import_module(f"runlab.compat.azureml.{module}")
    assert getattr(imported, name) is target


def test_sdk_dataset_code_runs_with_its_imports_changed(
    workspace: Workspace, tmp_path: Path
) -> None:
    from runlab.compat.azureml.core import Dataset
    from runlab.compat.azureml.data import FileDataset

    folder = tmp_path / "mnist"
    folder.mkdir()
    (folder / "train-images.gz").write_bytes(b"images")
    (folder / "train-labels.gz").write_bytes(b"labels")
    datastore = workspace.get_default_datastore()
    datastore.upload(src_dir=str(folder), target_path="mnist", overwrite=True, show_progress=False)
    dataset = Dataset.File.from_files(path=[(datastore, "mnist/*.gz")])
    dataset = dataset.register(
        workspace=workspace,
        name="mnist_opendataset",
        description="training and test dataset",
        create_new_version=True,
    )
    assert isinstance(dataset, FileDataset)
    got = Dataset.get_by_name(workspace, name="mnist_opendataset")
    assert got.version == 1 and got.to_path() == ["/train-images.gz", "/train-labels.gz"]
    consumption = got.as_named_input("mnist").as_mount()
    assert consumption.name == "mnist" and consumption.mode == "mount"
