"""Datasets on an S3 datastore (a local moto server): pinned, read back checked, snapshotted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runlab import Workspace
from runlab.data import DataChangedError, Dataset, Datastore

pytest.importorskip("s3fs", reason="the S3 tests need s3fs: pip install s3fs", exc_type=ImportError)


@pytest.fixture
def s3_datastore(workspace: Workspace, s3_bucket: str, s3_options: Any) -> Datastore:
    return Datastore.register(workspace, "lake", f"s3://{s3_bucket}/data", **s3_options())


def test_an_s3_dataset_is_pinned_checked_and_snapshotted(
    workspace: Workspace, s3_datastore: Datastore, tmp_path: Path
) -> None:
    folder = tmp_path / "up"
    (folder / "nested").mkdir(parents=True)
    (folder / "a.csv").write_text("x\n1\n")
    (folder / "nested" / "b.csv").write_text("x\n2\n")
    s3_datastore.upload(folder, target_path="t", show_progress=False)
    dataset = Dataset.File.from_files((s3_datastore, "t/**/*.csv"))
    assert dataset.to_path() == ["/a.csv", "/nested/b.csv"]
    plain = dataset.register(workspace, "lake-data")
    kept = dataset.register(workspace, "lake-kept", snapshot=True)
    paths = Dataset.get_by_name(workspace, "lake-data").download(tmp_path / "one")
    assert sorted(Path(p).read_text() for p in paths) == ["x\n1\n", "x\n2\n"]

    s3_datastore._storage.write_bytes("t/nested/b.csv", b"x\n3\n")
    with pytest.raises(DataChangedError, match=r"nested/b\.csv"):
        Dataset.get_by_name(workspace, "lake-data").download(tmp_path / "two")
    assert plain.version == 1
    with Dataset.get_by_name(workspace, "lake-kept").mount() as mounted:
        assert Path(str(mounted), "nested", "b.csv").read_text() == "x\n2\n"
    assert kept.is_snapshot
