"""``materialize``: data references made local paths inside a run's folder (local datastores)."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import pytest

from runlab import NotFoundError, ValidationError, Workspace
from runlab.data import DataReference, Datastore, materialize


@pytest.fixture
def uploaded(workspace: Workspace, tree: tuple[Path, dict[str, str]]) -> dict[str, str]:
    """The tree uploaded to the default datastore under ``mnist``; its hashes."""
    source, hashes = tree
    workspace.get_default_datastore().upload(source, target_path="mnist", show_progress=False)
    return hashes


def test_a_mount_of_a_local_datastore_is_read_in_place(
    workspace: Workspace,
    uploaded: dict[str, str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    datastore = workspace.get_default_datastore()
    workdir = tmp_path / "job"
    result = materialize(workspace, datastore.path("mnist").as_mount(), workdir)
    assert result.local_path == Path(datastore.root_url) / "mnist"
    assert result.mode == "mount" and result.manifest == uploaded
    assert not workdir.exists()  # nothing copied
    assert "became a copy" not in caplog.text
    whole = materialize(workspace, datastore.as_mount(), workdir)
    assert whole.local_path == Path(datastore.root_url)
    assert whole.manifest == {f"mnist/{path}": digest for path, digest in uploaded.items()}


def test_a_mount_hashes_what_changed_since_the_upload(
    workspace: Workspace, uploaded: dict[str, str], tmp_path: Path
) -> None:
    datastore = workspace.get_default_datastore()
    changed = Path(datastore.root_url) / "mnist" / sorted(uploaded)[0]
    changed.write_bytes(b"edited in place")  # newer than the manifest: not taken on its word
    added = Path(datastore.root_url) / "mnist" / "added.txt"
    added.write_bytes(b"never uploaded")
    result = materialize(workspace, datastore.path("mnist").as_mount(), tmp_path / "job")
    expected = dict(uploaded)
    expected[sorted(uploaded)[0]] = hashlib.sha256(b"edited in place").hexdigest()
    expected["added.txt"] = hashlib.sha256(b"never uploaded").hexdigest()
    assert result.manifest == expected


def test_a_download_copies_into_the_run_folder(
    workspace: Workspace, uploaded: dict[str, str], tmp_path: Path, tree_hashes: Any
) -> None:
    datastore = workspace.get_default_datastore()
    workdir = tmp_path / "job"
    result = materialize(workspace, datastore.path("mnist").as_download(), workdir)
    assert result.local_path == workdir / ".runlab-data" / datastore.name / "mnist"
    assert result.mode == "download" and result.manifest == uploaded
    assert tree_hashes(result.local_path) == uploaded
    named = materialize(workspace, datastore.path("mnist").as_download("inputs/train"), workdir)
    assert named.local_path == workdir / "inputs" / "train"
    assert tree_hashes(named.local_path) == uploaded
    # Again into the same place: the copy is refreshed, not refused.
    again = materialize(workspace, datastore.path("mnist").as_download("inputs/train"), workdir)
    assert again.manifest == uploaded


def test_a_file_reference(workspace: Workspace, uploaded: dict[str, str], tmp_path: Path) -> None:
    datastore = workspace.get_default_datastore()
    name = sorted(uploaded)[0]
    reference = datastore.path(f"mnist/{name}")
    mounted = materialize(workspace, reference, tmp_path / "job")
    assert mounted.local_path == Path(datastore.root_url) / "mnist" / name
    assert mounted.manifest == {Path(name).name: uploaded[name]}
    copied = materialize(workspace, reference.as_download("one.bin"), tmp_path / "job")
    assert copied.local_path == tmp_path / "job" / "one.bin"
    assert copied.manifest == {"one.bin": uploaded[name]}
    assert hashlib.sha256(copied.local_path.read_bytes()).hexdigest() == uploaded[name]


def test_a_mount_of_a_datastore_that_is_not_local_becomes_a_copy(
    workspace: Workspace,
    tree: tuple[Path, dict[str, str]],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    tree_hashes: Any,
) -> None:
    source, hashes = tree
    # fsspec's in-memory file system: as far from a local path as S3, without a server.
    datastore = Datastore.register(workspace, "memory_store", f"memory://{tmp_path.name}/data")
    manifest = datastore.upload(source, target_path="set", show_progress=False)
    assert manifest.files == {f"set/{path}": digest for path, digest in hashes.items()}
    workdir = tmp_path / "job"
    with caplog.at_level(logging.WARNING, logger="runlab.data"):
        result = materialize(workspace, datastore.path("set").as_mount(), workdir)
    assert result.local_path == workdir / ".runlab-data" / "memory_store" / "set"
    assert result.manifest == hashes and tree_hashes(result.local_path) == hashes
    assert "became a copy" in caplog.text and "not a local path" in caplog.text


def test_refusals(workspace: Workspace, uploaded: dict[str, str], tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="ghost"):
        materialize(workspace, DataReference("ghost", "x"), tmp_path / "job")
    datastore = workspace.get_default_datastore()
    with pytest.raises(NotFoundError, match="nothing is stored"):
        materialize(workspace, datastore.path("absent"), tmp_path / "job")
    with pytest.raises(ValidationError):
        materialize(workspace, {"datastore": datastore.name}, tmp_path / "job")  # type: ignore[arg-type]
    # A link in the run's folder that leads out is not followed.
    outside = tmp_path / "outside"
    outside.mkdir()
    workdir = tmp_path / "job"
    workdir.mkdir()
    (workdir / "inputs").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ValidationError, match="outside"):
        materialize(workspace, datastore.path("mnist").as_download("inputs/x"), workdir)
    assert list(outside.iterdir()) == []


def test_a_fresh_upload_manifest_is_reused_not_recomputed(
    workspace: Workspace, uploaded: dict[str, str], tmp_path: Path
) -> None:
    import json

    datastore = workspace.get_default_datastore()
    manifest_file = next((Path(datastore.root_url) / ".runlab-manifest").glob("*.json"))
    content = json.loads(manifest_file.read_text())
    first = sorted(uploaded)[0]
    content["files"][f"mnist/{first}"]["sha256"] = "0" * 64  # what the manifest says, not the file
    manifest_file.write_text(json.dumps(content))
    for reference in (datastore.path("mnist"), datastore.path("mnist").as_download()):
        result = materialize(workspace, reference, tmp_path / "job")
        assert result.manifest[first] == "0" * 64
        assert {k: v for k, v in result.manifest.items() if k != first} == {
            k: v for k, v in uploaded.items() if k != first
        }
