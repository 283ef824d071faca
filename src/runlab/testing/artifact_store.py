"""The contract suite every :class:`~runlab.artifacts.ArtifactStore` backend passes.

Include it in a test module by subclassing and supplying the store::

    from runlab.testing.artifact_store import ArtifactStoreContract

    class TestMyStore(ArtifactStoreContract):
        @pytest.fixture
        def artifact_store(self, tmp_path):
            return MyStore(...)

The store must be empty and private to the test. A backend whose files can land outside
``tmp_path`` overrides :meth:`ArtifactStoreContract.files_outside_store` too, so the suite can
check that refused paths wrote nothing anywhere.
"""

from __future__ import annotations

import os
import pathlib
import threading
from collections.abc import Callable

import pytest

from runlab.artifacts import AppendableArtifactStore, ArtifactStore
from runlab.errors import AlreadyExistsError, NotFoundError, ValidationError

__all__ = ["BAD_PATHS", "ArtifactStoreContract"]

#: Paths every store refuses wherever a file is meant. ``"/etc/passwd"`` is only ever read:
#: writes and deletes use an absolute path below ``tmp_path`` instead (see
#: ``_absolute_for_writes``), so a broken backend cannot damage the machine running the suite.
BAD_PATHS = ["../x", "/etc/passwd", "a/../../b", "C:\\x", "a\\..\\..\\b", "a\x00b", ""]

# Every method that takes a path, with a call that uses it. Prefix methods accept "" (the root).
_ContractCall = Callable[[ArtifactStore, str, pathlib.Path], object]
_FILE_METHODS: dict[str, _ContractCall] = {
    "put_file": lambda store, path, tmp: store.put_file(tmp / "source.bin", path),
    "put_bytes": lambda store, path, tmp: store.put_bytes(path, b"payload"),
    "get_bytes": lambda store, path, tmp: store.get_bytes(path),
    "get_bytes_range": lambda store, path, tmp: store.get_bytes(path, 1, 3),
    "append_bytes": lambda store, path, tmp: _appendable(store).append_bytes(path, b"more"),
    "get_file": lambda store, path, tmp: store.get_file(path, tmp / "fetched" / "file.bin"),
    "exists": lambda store, path, tmp: store.exists(path),
    "size": lambda store, path, tmp: store.size(path),
    "delete": lambda store, path, tmp: store.delete(path),
}
_PREFIX_METHODS: dict[str, _ContractCall] = {
    "list_files": lambda store, path, tmp: store.list_files(path),
    "put_folder": lambda store, path, tmp: store.put_folder(tmp / "source_dir", path),
    "get_folder": lambda store, path, tmp: store.get_folder(path, tmp / "fetched_dir"),
}
_WRITING_METHODS = {"put_file", "put_bytes", "append_bytes", "delete", "put_folder"}
_BAD_CALLS = [
    pytest.param(name, bad_path, id=f"{name}-{bad_path!r}")
    for name in [*_FILE_METHODS, *_PREFIX_METHODS]
    for bad_path in BAD_PATHS
    if not (name in _PREFIX_METHODS and bad_path == "")
]


def _appendable(store: ArtifactStore) -> AppendableArtifactStore:
    if not isinstance(store, AppendableArtifactStore):
        pytest.skip(f"{type(store).__name__} cannot append (an optional capability)")
    return store


def _tree(folder: pathlib.Path) -> set[str]:
    return {os.fspath(path.relative_to(folder)) for path in folder.rglob("*")}


def _absolute_for_writes(bad_path: str, tmp_path: pathlib.Path) -> str:
    if bad_path == "/etc/passwd":
        return (tmp_path / "outside" / "passwd").as_posix()
    return bad_path


class ArtifactStoreContract:
    """Tests of the :class:`~runlab.artifacts.ArtifactStore` contract, run by subclassing.

    The subclass (named ``Test...``) provides a fixture ``artifact_store``: an empty store of
    the backend under test, private to the test.
    """

    @pytest.fixture
    def files_outside_store(self, tmp_path: pathlib.Path) -> Callable[[], set[str]]:
        """Return a function listing what a broken store could have written outside its root.

        The default lists everything below ``tmp_path`` (the store included), which suits
        stores rooted in ``tmp_path``. Override it for backends that keep files elsewhere.
        """
        return lambda: _tree(tmp_path)

    # -- writing and reading --------------------------------------------------------------

    def test_bytes_round_trip(self, artifact_store: ArtifactStore) -> None:
        every_byte = bytes(range(256)) * 64
        artifact_store.put_bytes("data/every_byte.bin", every_byte)
        artifact_store.put_bytes("data/empty.bin", b"")
        assert artifact_store.get_bytes("data/every_byte.bin") == every_byte
        assert artifact_store.get_bytes("data/empty.bin") == b""

    def test_put_bytes_refuses_text(self, artifact_store: ArtifactStore) -> None:
        with pytest.raises(ValidationError):
            artifact_store.put_bytes("a.txt", "text")  # type: ignore[arg-type]
        assert artifact_store.list_files() == []

    def test_file_round_trip(self, artifact_store: ArtifactStore, tmp_path: pathlib.Path) -> None:
        source = tmp_path / "model.pkl"
        source.write_bytes(os.urandom(100_000))
        artifact_store.put_file(source, "models/m/1/model.pkl")
        destination = tmp_path / "out" / "deep" / "model.pkl"
        artifact_store.get_file("models/m/1/model.pkl", destination)
        assert destination.read_bytes() == source.read_bytes()

    def test_get_file_overwrites_local_file(
        self, artifact_store: ArtifactStore, tmp_path: pathlib.Path
    ) -> None:
        destination = tmp_path / "local.txt"
        destination.write_bytes(b"old local content, longer than the new")
        artifact_store.put_bytes("a.txt", b"new")
        artifact_store.get_file("a.txt", destination)
        assert destination.read_bytes() == b"new"

    def test_put_bytes_replaces_whole_file(self, artifact_store: ArtifactStore) -> None:
        artifact_store.put_bytes("a.txt", b"a long first version")
        artifact_store.put_bytes("a.txt", b"short")
        assert artifact_store.get_bytes("a.txt") == b"short"
        assert artifact_store.list_files() == ["a.txt"]

    def test_put_file_replaces_whole_file(
        self, artifact_store: ArtifactStore, tmp_path: pathlib.Path
    ) -> None:
        source = tmp_path / "source.txt"
        source.write_bytes(b"a long first version")
        artifact_store.put_file(source, "a.txt")
        source.write_bytes(b"short")
        artifact_store.put_file(source, "a.txt")
        assert artifact_store.get_bytes("a.txt") == b"short"
        assert artifact_store.list_files() == ["a.txt"]

    def test_put_file_missing_local_file(
        self, artifact_store: ArtifactStore, tmp_path: pathlib.Path
    ) -> None:
        with pytest.raises(NotFoundError):
            artifact_store.put_file(tmp_path / "no_such_file", "a.txt")
        assert not artifact_store.exists("a.txt")

    def test_writing_where_a_folder_is(self, artifact_store: ArtifactStore) -> None:
        artifact_store.put_bytes("run/outputs/a.txt", b"a")
        with pytest.raises(AlreadyExistsError):
            artifact_store.put_bytes("run/outputs", b"b")
        assert artifact_store.list_files() == ["run/outputs/a.txt"]
        assert artifact_store.get_bytes("run/outputs/a.txt") == b"a"

    def test_paths_are_normalised(self, artifact_store: ArtifactStore) -> None:
        artifact_store.put_bytes("./runs//r1/./a.txt", b"a")
        assert artifact_store.list_files() == ["runs/r1/a.txt"]
        assert artifact_store.get_bytes("runs/r1/a.txt") == b"a"
        assert artifact_store.get_bytes("runs/r1/a.txt/") == b"a"
        assert artifact_store.list_files("./runs/") == ["runs/r1/a.txt"]

    def test_unusual_but_safe_names(self, artifact_store: ArtifactStore) -> None:
        names = [
            "données/naïve ü.txt",
            "with space/a b.txt",
            "dots/..hidden",
            "dots/a..b",
            "tilde~/a~",
        ]
        for index, name in enumerate(names):
            artifact_store.put_bytes(name, str(index).encode())
        assert artifact_store.list_files() == sorted(names)
        for index, name in enumerate(names):
            assert artifact_store.get_bytes(name) == str(index).encode()

    def test_concurrent_replace_is_atomic(self, artifact_store: ArtifactStore) -> None:
        versions = [bytes([letter]) * 200_000 for letter in b"ab"]
        artifact_store.put_bytes("shared.bin", versions[0])
        torn_reads: list[bytes] = []
        errors: list[BaseException] = []

        def write() -> None:
            try:
                for round_number in range(20):
                    artifact_store.put_bytes("shared.bin", versions[round_number % 2])
            except BaseException as exc:
                errors.append(exc)

        writer = threading.Thread(target=write)
        writer.start()
        reads = 0
        while writer.is_alive() or reads < 10:
            content = artifact_store.get_bytes("shared.bin")
            reads += 1
            if content not in versions:
                torn_reads.append(content[:20])
        writer.join()
        assert errors == []
        assert torn_reads == []
        assert artifact_store.list_files() == ["shared.bin"]

    # -- byte ranges ----------------------------------------------------------------------

    def test_byte_ranges(self, artifact_store: ArtifactStore) -> None:
        data = bytes(range(256)) * 64
        artifact_store.put_bytes("data/every_byte.bin", data)
        cases = [(None, None), (0, None), (100, None), (None, 100), (10, 20), (0, len(data))]
        cases += [(len(data) - 1, None), (5000, 5001), (3, 3), (0, 0)]
        for start, end in cases:
            got = artifact_store.get_bytes("data/every_byte.bin", start, end)
            assert got == data[start:end], (start, end)

    def test_byte_range_past_the_end(self, artifact_store: ArtifactStore) -> None:
        artifact_store.put_bytes("log.txt", b"0123456789")
        assert artifact_store.get_bytes("log.txt", 8, 1000) == b"89"
        assert artifact_store.get_bytes("log.txt", 10) == b""
        assert artifact_store.get_bytes("log.txt", 11) == b""
        assert artifact_store.get_bytes("log.txt", 50, 60) == b""
        artifact_store.put_bytes("empty.txt", b"")
        assert artifact_store.get_bytes("empty.txt", 0) == b""
        assert artifact_store.get_bytes("empty.txt", 0, 10) == b""

    def test_byte_range_of_nothing(self, artifact_store: ArtifactStore) -> None:
        artifact_store.put_bytes("folder/file.txt", b"x")
        for path in ["nope.txt", "folder", "folder/file.txt/inner"]:
            for start, end in [(0, None), (0, 5), (3, 3), (10, None)]:
                with pytest.raises(NotFoundError):
                    artifact_store.get_bytes(path, start, end)

    @pytest.mark.parametrize(("start", "end"), [(-1, None), (None, -1), (5, 4), (1.5, None)])
    def test_bad_byte_range_refused(
        self, artifact_store: ArtifactStore, start: object, end: object
    ) -> None:
        artifact_store.put_bytes("a.txt", b"0123456789")
        with pytest.raises(ValidationError):
            artifact_store.get_bytes("a.txt", start, end)  # type: ignore[arg-type]

    def test_following_a_growing_file(self, artifact_store: ArtifactStore) -> None:
        artifact_store.put_bytes("log.txt", b"first\n")
        offset, seen = 0, b""
        for line in [b"second\n", b"", b"third, longer than the others\n"]:
            if line:
                artifact_store.put_bytes("log.txt", artifact_store.get_bytes("log.txt") + line)
            new = artifact_store.get_bytes("log.txt", offset)
            seen += new
            offset += len(new)
        assert seen == b"first\nsecond\nthird, longer than the others\n"

    # -- appending (an optional capability) -----------------------------------------------

    def test_append_bytes(self, artifact_store: ArtifactStore) -> None:
        store = _appendable(artifact_store)
        store.append_bytes("runs/r/logs/driver.log", b"line 1\n")
        store.append_bytes("runs/r/logs/driver.log", b"")
        store.append_bytes(
            "runs/r/logs/driver.log",
            bytearray(b"line 2\n"),  # type: ignore[arg-type]
        )
        assert artifact_store.get_bytes("runs/r/logs/driver.log") == b"line 1\nline 2\n"
        assert artifact_store.size("runs/r/logs/driver.log") == 14
        assert artifact_store.get_bytes("runs/r/logs/driver.log", 7) == b"line 2\n"
        assert artifact_store.list_files() == ["runs/r/logs/driver.log"]

    def test_append_bytes_creates_an_empty_file(self, artifact_store: ArtifactStore) -> None:
        _appendable(artifact_store).append_bytes("empty.log", b"")
        assert artifact_store.exists("empty.log")
        assert artifact_store.get_bytes("empty.log") == b""

    def test_append_after_replace(self, artifact_store: ArtifactStore) -> None:
        store = _appendable(artifact_store)
        data = os.urandom(300_000)
        artifact_store.put_bytes("big.bin", data[:100_000])
        store.append_bytes("big.bin", data[100_000:])
        assert artifact_store.get_bytes("big.bin") == data
        artifact_store.put_bytes("big.bin", b"new")
        store.append_bytes("big.bin", b"!")
        assert artifact_store.get_bytes("big.bin") == b"new!"

    def test_append_where_a_folder_is(self, artifact_store: ArtifactStore) -> None:
        store = _appendable(artifact_store)
        artifact_store.put_bytes("run/outputs/a.txt", b"a")
        with pytest.raises(AlreadyExistsError):
            store.append_bytes("run/outputs", b"b")
        with pytest.raises(ValidationError):
            store.append_bytes("run/log.txt", "text")  # type: ignore[arg-type]
        assert artifact_store.list_files() == ["run/outputs/a.txt"]

    # -- missing things -------------------------------------------------------------------

    def test_missing_file(self, artifact_store: ArtifactStore, tmp_path: pathlib.Path) -> None:
        destination = tmp_path / "fetched.bin"
        with pytest.raises(NotFoundError):
            artifact_store.get_bytes("nope.txt")
        with pytest.raises(NotFoundError):
            artifact_store.get_file("nope.txt", destination)
        with pytest.raises(NotFoundError):
            artifact_store.size("nope.txt")
        with pytest.raises(NotFoundError):
            artifact_store.delete("nope.txt")
        assert not artifact_store.exists("nope.txt")
        assert not destination.exists()

    def test_a_folder_is_not_a_file(self, artifact_store: ArtifactStore) -> None:
        artifact_store.put_bytes("folder/file.txt", b"x")
        with pytest.raises(NotFoundError):
            artifact_store.get_bytes("folder")
        with pytest.raises(NotFoundError):
            artifact_store.size("folder")
        assert not artifact_store.exists("folder")

    def test_below_a_file_is_nothing(self, artifact_store: ArtifactStore) -> None:
        artifact_store.put_bytes("file.txt", b"x")
        with pytest.raises(NotFoundError):
            artifact_store.get_bytes("file.txt/inner")
        assert not artifact_store.exists("file.txt/inner")
        assert artifact_store.list_files("file.txt") == []

    # -- size and exists ------------------------------------------------------------------

    def test_size(self, artifact_store: ArtifactStore) -> None:
        artifact_store.put_bytes("a.bin", b"12345")
        artifact_store.put_bytes("empty.bin", b"")
        assert artifact_store.size("a.bin") == 5
        assert artifact_store.size("empty.bin") == 0

    def test_exists(self, artifact_store: ArtifactStore) -> None:
        assert not artifact_store.exists("a/b.txt")
        artifact_store.put_bytes("a/b.txt", b"x")
        assert artifact_store.exists("a/b.txt")
        assert artifact_store.exists("./a//b.txt")

    # -- listing --------------------------------------------------------------------------

    def test_list_files_sorted_and_recursive(self, artifact_store: ArtifactStore) -> None:
        names = ["z.txt", "b/c/d/e.txt", "a.txt", "b/a.txt", "b/c/0.txt", "B.txt"]
        for name in names:
            artifact_store.put_bytes(name, name.encode())
        assert artifact_store.list_files() == sorted(names)
        assert artifact_store.list_files("") == sorted(names)

    def test_list_files_under_prefix(self, artifact_store: ArtifactStore) -> None:
        for name in ["run1/a.txt", "run1/sub/b.txt", "run10/c.txt", "run1.txt", "other/run1/d"]:
            artifact_store.put_bytes(name, b"x")
        assert artifact_store.list_files("run1") == ["run1/a.txt", "run1/sub/b.txt"]
        assert artifact_store.list_files("run1/sub") == ["run1/sub/b.txt"]
        assert artifact_store.list_files("run1/") == ["run1/a.txt", "run1/sub/b.txt"]

    def test_list_files_of_nothing(self, artifact_store: ArtifactStore) -> None:
        assert artifact_store.list_files() == []
        assert artifact_store.list_files("absent") == []
        artifact_store.put_bytes("present/a.txt", b"x")
        assert artifact_store.list_files("absent") == []
        assert artifact_store.list_files("pres") == []
        assert artifact_store.list_files("present/a.txt") == []

    def test_nested_folders(self, artifact_store: ArtifactStore) -> None:
        deep = "/".join(f"level{depth}" for depth in range(12)) + "/leaf.txt"
        artifact_store.put_bytes(deep, b"deep")
        assert artifact_store.list_files() == [deep]
        assert artifact_store.list_files("level0/level1") == [deep]
        assert artifact_store.get_bytes(deep) == b"deep"

    # -- deleting -------------------------------------------------------------------------

    def test_delete_file(self, artifact_store: ArtifactStore) -> None:
        artifact_store.put_bytes("run/a.txt", b"a")
        artifact_store.put_bytes("run/b.txt", b"b")
        artifact_store.delete("run/a.txt")
        assert artifact_store.list_files() == ["run/b.txt"]
        assert not artifact_store.exists("run/a.txt")
        with pytest.raises(NotFoundError):
            artifact_store.get_bytes("run/a.txt")
        with pytest.raises(NotFoundError):
            artifact_store.delete("run/a.txt")

    def test_delete_folder(self, artifact_store: ArtifactStore) -> None:
        for name in ["run1/a.txt", "run1/sub/deeper/b.txt", "run10/c.txt", "run1.txt"]:
            artifact_store.put_bytes(name, b"x")
        artifact_store.delete("run1")
        assert artifact_store.list_files() == ["run1.txt", "run10/c.txt"]
        assert artifact_store.list_files("run1") == []

    def test_delete_nothing(self, artifact_store: ArtifactStore) -> None:
        with pytest.raises(NotFoundError):
            artifact_store.delete("never/there")

    # -- folders --------------------------------------------------------------------------

    def test_folder_round_trip(self, artifact_store: ArtifactStore, tmp_path: pathlib.Path) -> None:
        source = tmp_path / "outputs"
        contents = {
            "model.pkl": os.urandom(5000),
            "metrics/loss.csv": b"step,loss\n0,1.0\n",
            "metrics/deep/er/x.bin": b"",
            "empty_dir_sibling.txt": b"x",
        }
        for name, data in contents.items():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            (source / name).write_bytes(data)
        (source / "empty_dir").mkdir()

        stored = artifact_store.put_folder(source, "runs/r1/outputs")
        assert stored == sorted(f"runs/r1/outputs/{name}" for name in contents)
        assert artifact_store.list_files() == stored

        destination = tmp_path / "download"
        written = artifact_store.get_folder("runs/r1/outputs", destination)
        assert sorted(written) == sorted(destination / name for name in contents)
        for name, data in contents.items():
            assert (destination / name).read_bytes() == data

    def test_folder_into_root(self, artifact_store: ArtifactStore, tmp_path: pathlib.Path) -> None:
        source = tmp_path / "source"
        (source / "sub").mkdir(parents=True)
        (source / "sub" / "a.txt").write_bytes(b"a")
        assert artifact_store.put_folder(source, "") == ["sub/a.txt"]
        written = artifact_store.get_folder("", tmp_path / "copy")
        assert written == [tmp_path / "copy" / "sub" / "a.txt"]
        assert written[0].read_bytes() == b"a"

    def test_folder_missing(self, artifact_store: ArtifactStore, tmp_path: pathlib.Path) -> None:
        with pytest.raises(NotFoundError):
            artifact_store.put_folder(tmp_path / "no_such_dir", "x")
        assert artifact_store.get_folder("absent", tmp_path / "copy") == []
        assert artifact_store.list_files() == []

    # -- paths from outside ---------------------------------------------------------------

    @pytest.mark.parametrize(("method", "bad_path"), _BAD_CALLS)
    def test_bad_path_refused(
        self,
        artifact_store: ArtifactStore,
        tmp_path: pathlib.Path,
        monkeypatch: pytest.MonkeyPatch,
        files_outside_store: Callable[[], set[str]],
        method: str,
        bad_path: str,
    ) -> None:
        (tmp_path / "source.bin").write_bytes(b"local file")
        (tmp_path / "source_dir").mkdir()
        (tmp_path / "source_dir" / "a.txt").write_bytes(b"a")
        (tmp_path / "outside").mkdir()
        # Anything a broken store resolves against the current folder lands in tmp_path, too.
        (tmp_path / "cwd").mkdir()
        monkeypatch.chdir(tmp_path / "cwd")
        artifact_store.put_bytes("a/keep.txt", b"keep")
        before_inside = artifact_store.list_files()
        before_outside = files_outside_store()

        if method in _WRITING_METHODS:
            bad_path = _absolute_for_writes(bad_path, tmp_path)
        call = {**_FILE_METHODS, **_PREFIX_METHODS}[method]
        with pytest.raises(ValidationError):
            call(artifact_store, bad_path, tmp_path)

        assert artifact_store.list_files() == before_inside
        assert artifact_store.get_bytes("a/keep.txt") == b"keep"
        assert files_outside_store() == before_outside
