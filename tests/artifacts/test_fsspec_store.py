"""FsspecArtifactStore: the contract on a local folder and in memory, and local-only behaviour."""

from __future__ import annotations

import os
import pathlib
import uuid
from collections.abc import Callable, Iterator

import fsspec
import pytest
from fsspec.implementations.memory import MemoryFileSystem

from runlab.artifacts import FsspecArtifactStore
from runlab.artifacts.fsspec_store import map_exceptions
from runlab.errors import (
    AlreadyExistsError,
    BackendError,
    NotFoundError,
    RunlabError,
    ValidationError,
)
from runlab.testing.artifact_store import ArtifactStoreContract


class TestLocalFolder(ArtifactStoreContract):
    @pytest.fixture
    def artifact_store(self, tmp_path: pathlib.Path) -> FsspecArtifactStore:
        return FsspecArtifactStore(os.fspath(tmp_path / "store"))


class TestMemory(ArtifactStoreContract):
    @pytest.fixture
    def memory_base(self) -> Iterator[str]:
        # fsspec's memory file system is one global tree per process: each test gets its own
        # corner of it and cleans up after itself.
        base = f"/runlab-tests/{uuid.uuid4().hex}"
        yield base
        memory = fsspec.filesystem("memory")
        if memory.exists(base):
            memory.rm(base, recursive=True)

    @pytest.fixture
    def artifact_store(self, memory_base: str) -> FsspecArtifactStore:
        return FsspecArtifactStore(f"memory:/{memory_base}/root")

    @pytest.fixture
    def files_outside_store(self, tmp_path: pathlib.Path) -> Callable[[], set[str]]:
        # The whole memory tree, not only this test's corner: a broken store could write anywhere.
        def files() -> set[str]:
            in_memory = {*MemoryFileSystem.store, *MemoryFileSystem.pseudo_dirs}
            on_disk = {os.fspath(path) for path in tmp_path.rglob("*")}
            return in_memory | on_disk

        return files


class TestMemoryAppendingAsParts(TestMemory):
    """Memory kept the way object stores keep appended files: a file and its parts."""

    @pytest.fixture
    def artifact_store(self, memory_base: str) -> FsspecArtifactStore:
        return FsspecArtifactStore(f"memory:/{memory_base}/root", append_as_parts=True)


def test_appended_parts_are_joined_and_dropped(tmp_path: pathlib.Path) -> None:
    base = f"/runlab-tests/{uuid.uuid4().hex}"
    writer = FsspecArtifactStore(f"memory:/{base}", append_as_parts=True)
    reader = FsspecArtifactStore(f"memory:/{base}", append_as_parts=True)
    try:
        writer.append_bytes("run/driver.log", b"one\n")
        for index in range(2, 12):
            writer.append_bytes("run/driver.log", f"line {index}\n".encode())
        memory = fsspec.filesystem("memory")
        parts = memory.find(f"{base}/run/.driver.log.runlab-parts")
        assert len(parts) == 10
        expected = b"one\n" + b"".join(f"line {index}\n".encode() for index in range(2, 12))
        assert reader.get_bytes("run/driver.log") == expected
        assert reader.get_bytes("run/driver.log", 5, 30) == expected[5:30]
        assert reader.size("run/driver.log") == len(expected)
        assert reader.list_files() == ["run/driver.log"]
        reader.get_file("run/driver.log", tmp_path / "copy.log")
        assert (tmp_path / "copy.log").read_bytes() == expected
        with pytest.raises(ValidationError):
            writer.put_bytes("run/.driver.log.runlab-parts/000000000099", b"x")

        writer.put_bytes("run/driver.log", b"replaced\n")
        assert not memory.find(f"{base}/run/.driver.log.runlab-parts")
        writer.append_bytes("run/driver.log", b"more\n")
        assert reader.get_bytes("run/driver.log") == b"replaced\nmore\n"
        writer.delete("run/driver.log")
        assert memory.find(base) == []
    finally:
        memory = fsspec.filesystem("memory")
        if memory.exists(base):
            memory.rm(base, recursive=True)


# -- the local file system ----------------------------------------------------------------


@pytest.fixture
def root(tmp_path: pathlib.Path) -> pathlib.Path:
    return tmp_path / "store"


@pytest.fixture
def outside(tmp_path: pathlib.Path) -> pathlib.Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    return folder


@pytest.fixture
def store(root: pathlib.Path) -> FsspecArtifactStore:
    return FsspecArtifactStore(os.fspath(root))


def test_local_root_is_created_and_absolute(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = FsspecArtifactStore("relative/artifacts")
    assert (tmp_path / "relative" / "artifacts").is_dir()
    assert store.uri == os.fspath(tmp_path / "relative" / "artifacts")
    assert repr(store) == f"FsspecArtifactStore({store.uri!r})"


def test_file_url_is_a_local_folder(tmp_path: pathlib.Path) -> None:
    store = FsspecArtifactStore((tmp_path / "via_url").as_uri())
    store.put_bytes("a/b.txt", b"x")
    assert (tmp_path / "via_url" / "a" / "b.txt").read_bytes() == b"x"


def test_link_to_outside_folder_refused(
    store: FsspecArtifactStore, root: pathlib.Path, outside: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    (outside / "secret.txt").write_bytes(b"secret")
    (root / "link").symlink_to(outside, target_is_directory=True)
    source = tmp_path / "source.txt"
    source.write_bytes(b"attack")
    (tmp_path / "source_dir").mkdir()
    (tmp_path / "source_dir" / "a.txt").write_bytes(b"attack")

    attempts: list[Callable[[], object]] = [
        lambda: store.put_bytes("link/new.txt", b"attack"),
        lambda: store.put_bytes("link/secret.txt", b"attack"),
        lambda: store.put_file(source, "link/new.txt"),
        lambda: store.put_folder(tmp_path / "source_dir", "link"),
        lambda: store.get_bytes("link/secret.txt"),
        lambda: store.get_file("link/secret.txt", tmp_path / "stolen.txt"),
        lambda: store.exists("link/secret.txt"),
        lambda: store.size("link/secret.txt"),
        lambda: store.delete("link/secret.txt"),
        lambda: store.delete("link"),
        lambda: store.list_files("link"),
        lambda: store.get_folder("link", tmp_path / "stolen"),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError, match="leads outside"):
            attempt()

    assert sorted(path.name for path in outside.iterdir()) == ["secret.txt"]
    assert (outside / "secret.txt").read_bytes() == b"secret"
    assert not (tmp_path / "stolen.txt").exists()
    assert not (tmp_path / "stolen").exists()
    assert store.list_files() == []


def test_link_to_outside_file_refused(
    store: FsspecArtifactStore, root: pathlib.Path, outside: pathlib.Path
) -> None:
    (outside / "secret.txt").write_bytes(b"secret")
    (root / "innocent.txt").symlink_to(outside / "secret.txt")
    (root / "dangling.txt").symlink_to(outside / "not_yet.txt")

    for name in ["innocent.txt", "dangling.txt"]:
        with pytest.raises(ValidationError):
            store.put_bytes(name, b"attack")
        with pytest.raises(ValidationError):
            store.get_bytes(name)
    assert sorted(path.name for path in outside.iterdir()) == ["secret.txt"]
    assert (outside / "secret.txt").read_bytes() == b"secret"
    assert store.list_files() == []


def test_links_inside_root_are_followed(store: FsspecArtifactStore, root: pathlib.Path) -> None:
    store.put_bytes("real/a.txt", b"a")
    (root / "alias.txt").symlink_to(root / "real" / "a.txt")
    (root / "alias_dir").symlink_to(root / "real", target_is_directory=True)

    assert store.get_bytes("alias.txt") == b"a"
    assert store.get_bytes("alias_dir/a.txt") == b"a"
    # A linked folder is not walked, so no file is listed twice.
    assert store.list_files() == ["alias.txt", "real/a.txt"]

    store.delete("alias_dir")
    assert not (root / "alias_dir").exists()
    assert store.get_bytes("real/a.txt") == b"a"


def test_get_folder_refuses_local_link_leading_outside(
    store: FsspecArtifactStore, tmp_path: pathlib.Path, outside: pathlib.Path
) -> None:
    destination = tmp_path / "download"
    destination.mkdir()
    (destination / "sub").symlink_to(outside, target_is_directory=True)
    store.put_bytes("run/sub/evil.txt", b"attack")

    with pytest.raises(ValidationError, match="leads outside"):
        store.get_folder("run", destination)
    assert list(outside.iterdir()) == []


def test_put_folder_skips_linked_folders_and_follows_linked_files_inside(
    store: FsspecArtifactStore, tmp_path: pathlib.Path
) -> None:
    source = tmp_path / "source"
    (source / "real").mkdir(parents=True)
    (source / "own.txt").write_bytes(b"own")
    (source / "real" / "shared.txt").write_bytes(b"shared")
    (source / "linked_dir").symlink_to(source / "real", target_is_directory=True)
    (source / "linked_file.txt").symlink_to(source / "real" / "shared.txt")
    (source / "dangling.txt").symlink_to(source / "missing.txt")

    assert store.put_folder(source, "up") == [
        "up/linked_file.txt",
        "up/own.txt",
        "up/real/shared.txt",
    ]
    assert store.get_bytes("up/linked_file.txt") == b"shared"


@pytest.mark.parametrize("link_to_folder", [False, True])
def test_put_folder_refuses_a_link_leading_outside(
    store: FsspecArtifactStore, tmp_path: pathlib.Path, outside: pathlib.Path, link_to_folder: bool
) -> None:
    (outside / "shared.txt").write_bytes(b"not to be uploaded")
    source = tmp_path / "source"
    source.mkdir()
    (source / "own.txt").write_bytes(b"own")
    leak = source / "leak"
    leak.symlink_to(outside if link_to_folder else outside / "shared.txt")

    with pytest.raises(ValidationError, match=r"leak.*outside"):
        store.put_folder(source, "up")
    assert store.list_files() == []


def test_write_leaves_no_partial_file(store: FsspecArtifactStore, root: pathlib.Path) -> None:
    store.put_bytes("a.txt", b"a")
    store.put_bytes("a.txt", b"b")
    assert sorted(path.name for path in root.iterdir()) == ["a.txt"]


def test_failed_write_keeps_old_file(
    store: FsspecArtifactStore, root: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.put_bytes("a.txt", b"old")

    def fail_replace(source: str, destination: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail_replace)
    with pytest.raises(BackendError, match="No space left") as caught:
        store.put_bytes("a.txt", b"new")
    monkeypatch.undo()

    assert isinstance(caught.value.__cause__, OSError)
    assert store.get_bytes("a.txt") == b"old"
    assert sorted(path.name for path in root.iterdir()) == ["a.txt"]


def test_partial_files_are_hidden_and_reserved(
    store: FsspecArtifactStore, root: pathlib.Path
) -> None:
    store.put_bytes("run/a.txt", b"a")
    # What a writer killed between writing and replacing leaves behind.
    (root / "run" / ".a.txt.0123456789abcdef.runlab-partial").write_bytes(b"half")
    assert store.list_files() == ["run/a.txt"]
    with pytest.raises(ValidationError, match="reserved"):
        store.put_bytes("run/.b.txt.0000.runlab-partial", b"x")
    store.put_bytes("run/visible.runlab-partial", b"no leading dot, an ordinary name")
    assert store.list_files() == ["run/a.txt", "run/visible.runlab-partial"]


def test_names_the_store_cannot_address_are_not_listed(
    store: FsspecArtifactStore, root: pathlib.Path
) -> None:
    (root / "back\\slash.txt").write_bytes(b"made by another tool")
    (root / "new\nline.txt").write_bytes(b"made by another tool")
    store.put_bytes("ok.txt", b"ok")
    assert store.list_files() == ["ok.txt"]


def test_writing_below_a_file_is_a_conflict(store: FsspecArtifactStore) -> None:
    store.put_bytes("a.txt", b"a")
    with pytest.raises(AlreadyExistsError) as caught:
        store.put_bytes("a.txt/b.txt", b"b")
    assert isinstance(caught.value.__cause__, OSError)
    assert store.list_files() == ["a.txt"]


def test_new_files_follow_the_umask(store: FsspecArtifactStore, root: pathlib.Path) -> None:
    old_umask = os.umask(0o022)
    try:
        store.put_bytes("a.txt", b"a")
    finally:
        os.umask(old_umask)
    assert (root / "a.txt").stat().st_mode & 0o777 == 0o644


def test_root_that_is_a_file(tmp_path: pathlib.Path) -> None:
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(BackendError) as caught:
        FsspecArtifactStore(os.fspath(tmp_path / "file"))
    assert isinstance(caught.value.__cause__, OSError)


# -- other URLs and the error boundary ----------------------------------------------------


def test_missing_driver_names_the_package() -> None:
    # adlfs (Azure Blob) is no dependency of runlab or of its tests.
    import importlib.util

    if importlib.util.find_spec("adlfs") is not None:
        pytest.skip("adlfs is installed, so its absence cannot be shown")
    with pytest.raises(BackendError, match="adlfs") as caught:
        FsspecArtifactStore("abfs://container/workspace")
    assert isinstance(caught.value.__cause__, ImportError)


@pytest.mark.parametrize("uri", ["nosuchscheme://x/y", "", "   "])
def test_bad_uri(uri: str) -> None:
    with pytest.raises(ValidationError):
        FsspecArtifactStore(uri)


def test_map_exceptions_maps_in_order_and_chains() -> None:
    with (
        pytest.raises(NotFoundError, match="cannot read 'x': FileNotFoundError") as caught,
        map_exceptions("read 'x'", {FileNotFoundError: NotFoundError, OSError: ValidationError}),
    ):
        raise FileNotFoundError("gone")
    assert isinstance(caught.value.__cause__, FileNotFoundError)


def test_map_exceptions_turns_the_rest_into_backend_errors() -> None:
    with (
        pytest.raises(BackendError, match="cannot list 'p': RuntimeError: boom") as caught,
        map_exceptions("list 'p'", {FileNotFoundError: NotFoundError}),
    ):
        raise RuntimeError("boom")
    assert isinstance(caught.value.__cause__, RuntimeError)


def test_map_exceptions_lets_runlab_errors_and_interrupts_through() -> None:
    original = AlreadyExistsError("mine")
    with pytest.raises(AlreadyExistsError) as caught, map_exceptions("write"):
        raise original
    assert caught.value is original
    with pytest.raises(KeyboardInterrupt), map_exceptions("write"):
        raise KeyboardInterrupt
    assert issubclass(BackendError, RunlabError)
