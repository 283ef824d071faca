"""Datastores on the local file system: registering, credentials, uploads, downloads, refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from runlab import AlreadyExistsError, NotFoundError, ValidationError, Workspace
from runlab._files import PARTIAL_SUFFIX
from runlab.data import DEFAULT_DATASTORE_NAME, Datastore, TransferError


def stored_files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file below ``root`` with its bytes and modification time."""
    return {
        path.relative_to(root).as_posix(): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


# -- the default datastore and registering ---------------------------------------------------


def test_default_datastore_lives_in_the_artifact_root(workspace: Workspace) -> None:
    default = workspace.get_default_datastore()
    assert default.name == DEFAULT_DATASTORE_NAME and default.is_default
    expected = Path(workspace.artifact_uri) / "datastores" / DEFAULT_DATASTORE_NAME
    assert Path(default.root_url) == expected and default.is_local
    assert list(workspace.datastores) == [DEFAULT_DATASTORE_NAME]
    # Created once: a second workspace object on the same folder sees the same one.
    again = Workspace.from_config(workspace.config_path)
    assert again.get_default_datastore() == default
    assert Datastore(again, DEFAULT_DATASTORE_NAME).url == default.url


def test_set_default_keeps_exactly_one(workspace: Workspace, tmp_path: Path) -> None:
    Datastore.register(workspace, "raw", tmp_path / "raw")
    workspace.set_default_datastore("raw")
    assert workspace.get_default_datastore().name == "raw"
    defaults = [ds.name for ds in workspace.datastores.values() if ds.is_default]
    assert defaults == ["raw"]
    with pytest.raises(NotFoundError, match="ghost"):
        workspace.set_default_datastore("ghost")
    assert workspace.get_default_datastore().name == "raw"
    # Unregistering the default falls back to the workspace's own datastore.
    Datastore.get(workspace, "raw").unregister()
    assert workspace.get_default_datastore().name == DEFAULT_DATASTORE_NAME
    with pytest.raises(ValidationError, match="own datastore"):
        workspace.get_default_datastore().unregister()


def test_register_and_get(workspace: Workspace, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    registered = Datastore.register(workspace, "raw_data", "relative/folder", auto_mkdir=True)
    # A relative folder is kept absolute: relative to what, otherwise, when read later?
    assert registered.url == str(tmp_path / "relative" / "folder")
    assert registered.options == {"auto_mkdir": True} and not registered.is_default
    assert Datastore.get(workspace, "raw_data") == registered
    assert sorted(workspace.datastores) == ["raw_data", DEFAULT_DATASTORE_NAME]


def test_register_refusals(workspace: Workspace, tmp_path: Path) -> None:
    Datastore.register(workspace, "raw", tmp_path / "raw")
    with pytest.raises(AlreadyExistsError, match="raw"):
        Datastore.register(workspace, "raw", tmp_path / "other")
    for bad_name in ("", "has space", "dash-ed", "x" * 256, "../up"):
        with pytest.raises(ValidationError, match="datastore name"):
            Datastore.register(workspace, bad_name, tmp_path / "x")
    with pytest.raises(ValidationError, match="own datastore"):
        Datastore.register(workspace, DEFAULT_DATASTORE_NAME, tmp_path / "x")
    with pytest.raises(ValidationError, match="credential") as in_url:
        Datastore.register(workspace, "web", "https://me:hunter2@example.com/data")
    assert "hunter2" not in str(in_url.value)
    with pytest.raises(ValidationError):
        Datastore.register(workspace, "odd", "nosuchprotocol://bucket/x")
    with pytest.raises(ValidationError, match="JSON"):
        Datastore.register(workspace, "opts", tmp_path / "x", config=object())
    assert sorted(workspace.datastores) == ["raw", DEFAULT_DATASTORE_NAME]


def test_unknown_datastores(workspace: Workspace) -> None:
    with pytest.raises(NotFoundError, match="ghost"):
        Datastore.get(workspace, "ghost")
    with pytest.raises(NotFoundError, match="ghost"):
        Datastore(workspace, "ghost")
    with pytest.raises(ValidationError):
        Datastore.get(workspace, "no/slashes")


# -- uploads and downloads -----------------------------------------------------------------


def test_upload_and_download_round_trip(
    workspace: Workspace,
    tree: tuple[Path, dict[str, str]],
    tmp_path: Path,
    tree_hashes: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source, hashes = tree
    datastore = workspace.get_default_datastore()
    manifest = datastore.upload(source, target_path="mnist")
    assert manifest.files == {f"mnist/{path}": digest for path, digest in hashes.items()}
    assert manifest.total_bytes == sum(p.stat().st_size for p in source.rglob("*") if p.is_file())
    assert (manifest.datastore, manifest.target_path) == (DEFAULT_DATASTORE_NAME, "mnist")
    root = Path(datastore.root_url)
    stored = json.loads((root / manifest.location).read_text())
    assert {path: entry["sha256"] for path, entry in stored["files"].items()} == manifest.files
    assert f"{len(hashes)}/{len(hashes)} files" in capsys.readouterr().err

    written = datastore.download(tmp_path / "out", prefix="mnist")
    assert len(written) == len(hashes)
    assert tree_hashes(tmp_path / "out" / "mnist") == hashes
    # Manifests are runlab's, not data: a download of everything leaves them out.
    datastore.download(tmp_path / "all", show_progress=False)
    assert tree_hashes(tmp_path / "all") == {f"mnist/{p}": d for p, d in hashes.items()}
    # Whole components only: "mn" is no prefix of "mnist".
    with pytest.raises(NotFoundError, match="'mn'"):
        datastore.download(tmp_path / "none", prefix="mn")


@pytest.mark.slow
def test_a_thousand_small_files_and_a_200_mb_file(
    workspace: Workspace,
    tmp_path: Path,
    make_tree: Any,
    tree_hashes: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = tmp_path / "src"
    hashes = make_tree(source, files=1000, big_bytes=200 * 1024 * 1024)
    assert len(hashes) == 1001
    datastore = workspace.get_default_datastore()
    manifest = datastore.upload(source, target_path="data")
    assert manifest.files == {f"data/{path}": digest for path, digest in hashes.items()}
    assert manifest.sizes["data/big.bin"] == 200 * 1024 * 1024
    assert "1001/1001 files" in capsys.readouterr().err
    datastore.download(tmp_path / "out", prefix="data")
    assert "1001/1001 files" in capsys.readouterr().err
    assert tree_hashes(tmp_path / "out" / "data") == hashes


def test_upload_files_keeps_paths_below_relative_root(
    workspace: Workspace, tree: tuple[Path, dict[str, str]]
) -> None:
    source, hashes = tree
    datastore = workspace.get_default_datastore()
    files = [source / "part0" / "group0" / "0000.bin", source / "part1" / "group1" / "0001.bin"]
    manifest = datastore.upload_files(files, relative_root=source, target_path="picked")
    assert sorted(manifest.files) == [
        "picked/part0/group0/0000.bin",
        "picked/part1/group1/0001.bin",
    ]
    # By default, paths are relative to the deepest folder holding all the files.
    alone = datastore.upload_files([files[0]], show_progress=False)
    assert list(alone.files) == ["0000.bin"]
    assert alone.files["0000.bin"] == hashes["part0/group0/0000.bin"]
    with pytest.raises(ValidationError, match="relative_root"):
        datastore.upload_files(files, relative_root=source / "part0")
    with pytest.raises(NotFoundError):
        datastore.upload_files([source / "missing.bin"])
    with pytest.raises(ValidationError):
        datastore.upload_files([])


def test_overwrite(workspace: Workspace, tree: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    source, _hashes = tree
    datastore = workspace.get_default_datastore()
    datastore.upload(source, target_path="d", show_progress=False)
    root = Path(datastore.root_url)
    before = snapshot(root)
    (source / "new.txt").write_bytes(b"new")
    (source / "part0" / "group0" / "0000.bin").write_bytes(b"changed")
    with pytest.raises(AlreadyExistsError, match="would overwrite 40 existing file") as refused:
        datastore.upload(source, target_path="d", show_progress=False)
    assert "nothing was written" in str(refused.value)
    assert snapshot(root) == before  # not even the new file

    manifest = datastore.upload(source, target_path="d", overwrite=True, show_progress=False)
    assert (root / "d" / "part0" / "group0" / "0000.bin").read_bytes() == b"changed"
    assert (root / "d" / "new.txt").read_bytes() == b"new"
    stored = json.loads((root / manifest.location).read_text())["files"]
    assert stored["d/new.txt"]["size"] == 3 and len(stored) == 41

    out = tmp_path / "out"
    datastore.download(out, show_progress=False)
    (out / "d" / "new.txt").write_bytes(b"mine")
    local_before = snapshot(out)
    with pytest.raises(AlreadyExistsError, match="would overwrite 41 existing file"):
        datastore.download(out, show_progress=False)
    assert snapshot(out) == local_before
    datastore.download(out, overwrite=True, show_progress=False)
    assert (out / "d" / "new.txt").read_bytes() == b"new"


def test_unsafe_target_paths_are_refused(
    workspace: Workspace, tree: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    source, _hashes = tree
    datastore = workspace.get_default_datastore()
    for target in ("../escape", "a/../../b", "/absolute", "C:/windows", "a\\b", ".runlab-manifest"):
        with pytest.raises(ValidationError):
            datastore.upload(source, target_path=target, show_progress=False)
    for prefix in ("../x", "/etc"):
        with pytest.raises(ValidationError):
            datastore.download(tmp_path / "out", prefix=prefix, show_progress=False)
    for path in ("../x", "/abs", "a/../../b"):
        with pytest.raises(ValidationError):
            datastore.path(path)
    for on_compute in ("../x", "/abs"):
        with pytest.raises(ValidationError):
            datastore.path("d").as_download(on_compute)
    assert not Path(datastore.root_url).exists() or stored_files(Path(datastore.root_url)) == {}
    assert not (tmp_path / "out").exists()


def test_links_leading_out_are_refused(
    workspace: Workspace, tree: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    source, _hashes = tree
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("not yours")
    datastore = workspace.get_default_datastore()
    (source / "part0" / "leak.txt").symlink_to(outside / "secret.txt")
    with pytest.raises(ValidationError, match="outside"):
        datastore.upload(source, show_progress=False)
    (source / "part0" / "leak.txt").unlink()
    (source / "leakdir").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ValidationError, match="outside"):
        datastore.upload(source, show_progress=False)
    (source / "leakdir").unlink()
    assert not Path(datastore.root_url).exists() or stored_files(Path(datastore.root_url)) == {}
    # A link inside the folder that stays inside is uploaded as the file it points to.
    (source / "alias.bin").symlink_to(source / "part0" / "group0" / "0000.bin")
    manifest = datastore.upload(source, target_path="ok", show_progress=False)
    assert manifest.files["ok/alias.bin"] == manifest.files["ok/part0/group0/0000.bin"]

    # Downloading through a link in the target folder that leads out is refused too.
    target = tmp_path / "target"
    target.mkdir()
    (target / "ok").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ValidationError, match="outside"):
        datastore.download(target, prefix="ok", show_progress=False)
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]


def test_a_failure_part_way_says_what_made_it(
    workspace: Workspace, tree: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from runlab._files import PartialFile

    source, hashes = tree
    datastore = workspace.get_default_datastore()
    doomed = sorted(hashes)[len(hashes) // 2]
    doomed_bytes = (source / doomed).read_bytes()
    real_write = PartialFile.write

    def write(self: PartialFile, data: bytes | bytearray | memoryview) -> None:
        if bytes(data) == doomed_bytes:  # the disk fills up half way through this file
            real_write(self, data[: len(data) // 2])
            raise OSError(28, "No space left on device")
        real_write(self, data)

    monkeypatch.setattr(PartialFile, "write", write)
    with pytest.raises(TransferError, match="No space left") as failed:
        datastore.upload(source, target_path="d", show_progress=False)
    error = failed.value
    assert error.failed == f"d/{doomed}" and doomed in str(error)
    root = Path(datastore.root_url)
    present = stored_files(root)
    assert sorted(present) == sorted(error.completed)
    assert f"d/{doomed}" not in present and len(present) < len(hashes)
    assert f"{len(present)} of {len(hashes)} files made it whole" in str(error)
    # What made it is whole; the half-written file left nothing behind, not even hidden.
    for path, data in present.items():
        assert data == (source / path.removeprefix("d/")).read_bytes()
    assert not [p for p in root.rglob("*") if p.name.endswith(PARTIAL_SUFFIX)]
    assert not (root / ".runlab-manifest").exists()  # no manifest for an upload that failed


# -- data references -----------------------------------------------------------------------


def test_data_references_are_json(workspace: Workspace) -> None:
    from runlab.data import DataReference

    datastore = workspace.get_default_datastore()
    mount = datastore.path("./mnist//train/")
    assert (mount.datastore_name, mount.path_on_datastore, mount.mode) == (
        DEFAULT_DATASTORE_NAME,
        "mnist/train",
        "mount",
    )
    download = mount.as_download("inputs/train")
    for reference in (
        mount,
        mount.as_mount(),
        download,
        datastore.as_mount(),
        datastore.as_download(),
    ):
        assert DataReference.from_dict(json.loads(json.dumps(reference.to_dict()))) == reference
    assert download.to_dict() == {
        "datastore": DEFAULT_DATASTORE_NAME,
        "path": "mnist/train",
        "mode": "download",
        "path_on_compute": "inputs/train",
    }
    assert download.as_mount().path_on_compute is None
    for bad in (
        {},
        {"datastore": "x", "mode": "copy"},
        {"datastore": "x", "path": "../up"},
        {"datastore": "x", "mode": "download", "path_on_compute": "/abs"},
        {"datastore": "x", "extra": 1},
        {"datastore": "bad name"},
    ):
        with pytest.raises(ValidationError):
            DataReference.from_dict(bad)
    with pytest.raises(AttributeError):
        mount.mode = "download"  # type: ignore[misc]


def test_files_and_folders_in_each_others_way(
    workspace: Workspace, tree: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    source, _hashes = tree
    datastore = workspace.get_default_datastore()
    datastore.upload_files([source / "part0" / "group0" / "0000.bin"], show_progress=False)
    # "0000.bin" is a file in the datastore: nothing can go below it, overwrite or not.
    with pytest.raises(AlreadyExistsError, match="a file is where a folder goes"):
        datastore.upload(source, target_path="0000.bin", overwrite=True, show_progress=False)
    not_a_folder = tmp_path / "plain.txt"
    not_a_folder.write_text("x")
    with pytest.raises(AlreadyExistsError, match="not a folder"):
        datastore.download(not_a_folder, overwrite=True, show_progress=False)
    assert not_a_folder.read_text() == "x"
