"""Datasets: registering versions that pin their files, reading them back checked."""

from __future__ import annotations

import functools
import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from runlab import Workspace
from runlab.data import DataChangedError, Dataset, Datastore, FileDataset, TabularDataset
from runlab.errors import AlreadyExistsError, NotFoundError, ValidationError


def _upload(datastore: Datastore, folder: Path, files: dict[str, bytes], target: str) -> None:
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    datastore.upload(folder, target_path=target, overwrite=True, show_progress=False)


@pytest.fixture
def digits(workspace: Workspace, tmp_path: Path) -> Datastore:
    """The default datastore with ``digits/{a,b}.gz`` and ``digits/notes.txt``."""
    datastore = workspace.get_default_datastore()
    files = {"a.gz": b"first file", "b.gz": b"second file", "notes.txt": b"not data"}
    _upload(datastore, tmp_path / "up", files, "digits")
    return datastore


def _change(datastore: Datastore, path: str, content: bytes) -> None:
    Path(datastore.root_url, path).write_bytes(content)


def test_a_glob_registers_version_1_pinning_size_and_sha256(
    workspace: Workspace, digits: Datastore
) -> None:
    dataset = Dataset.File.from_files(path=[(digits, "digits/*.gz")])
    assert dataset.to_path() == ["/a.gz", "/b.gz"]
    registered = dataset.register(workspace, "digits", description="two files", tags={"k": "v"})
    assert (registered.name, registered.version, registered.id) == ("digits", 1, "digits:1")
    pins = {item["path"]: (item["size"], item["sha256"]) for item in registered.files}
    assert pins["a.gz"] == (10, hashlib.sha256(b"first file").hexdigest())
    assert Dataset.get_by_name(workspace, "digits").content_hash == registered.content_hash
    assert Dataset.get_by_id(workspace, "digits:1").description == "two files"
    assert list(workspace.datasets) == ["digits"]
    assert [d.id for d in Dataset.list(workspace)] == ["digits:1"]
    # The same content again is the same version; other content needs create_new_version.
    assert dataset.register(workspace, "digits").version == 1


def test_a_changed_file_makes_version_2_and_version_1_fails_naming_it(
    workspace: Workspace, digits: Datastore, tmp_path: Path
) -> None:
    Dataset.File.from_files((digits, "digits/*.gz")).register(workspace, "digits")
    _change(digits, "digits/b.gz", b"second file, changed")
    changed = Dataset.File.from_files((digits, "digits/*.gz"))
    with pytest.raises(AlreadyExistsError, match="create_new_version"):
        changed.register(workspace, "digits")
    assert changed.register(workspace, "digits", create_new_version=True).version == 2

    first = Dataset.get_by_name(workspace, "digits", version=1)
    with pytest.raises(DataChangedError, match=r"b\.gz") as raised:
        first.download(tmp_path / "v1")
    assert "a.gz" not in str(raised.value).split(":")[-1]
    assert not (tmp_path / "v1" / "a.gz").exists()  # nothing half-delivered
    # A part of the version is checked as the version is.
    assert first.take(1).download(tmp_path / "part")[0].endswith("a.gz")
    with pytest.raises(DataChangedError, match=r"b\.gz"):
        first.random_split(0.999, seed=1)[0].download(tmp_path / "split")
    # Asked for, the changed files are used as they are now.
    allowed = Dataset.get_by_name(workspace, "digits", 1, allow_changed=True)
    paths = allowed.download(tmp_path / "allowed")
    assert sorted(Path(p).name for p in paths) == ["a.gz", "b.gz"]

    second = Dataset.get_by_name(workspace, "digits", "latest")
    with second.mount() as mounted:
        assert (Path(mounted.mount_point or "") / "b.gz").read_bytes() == b"second file, changed"


def test_a_snapshot_version_reads_its_own_copy_after_the_source_changed(
    workspace: Workspace, digits: Datastore, tmp_path: Path
) -> None:
    dataset = Dataset.File.from_files((digits, "digits"))
    kept = dataset.register(workspace, "kept", snapshot=True)
    assert kept.is_snapshot and kept.to_path() == ["/a.gz", "/b.gz", "/notes.txt"]
    _change(digits, "digits/a.gz", b"overwritten")
    Path(digits.root_url, "digits/b.gz").unlink()
    again = Dataset.get_by_name(workspace, "kept", 1)
    paths = again.download(tmp_path / "out")
    assert {Path(p).name: Path(p).read_bytes() for p in paths}["a.gz"] == b"first file"
    assert (tmp_path / "out" / "b.gz").read_bytes() == b"second file"


def test_download_refuses_to_overwrite_and_take_and_split_pick_files(
    workspace: Workspace, digits: Datastore, tmp_path: Path
) -> None:
    dataset = Dataset.File.from_files((digits, "digits"))
    dataset.download(tmp_path / "d")
    with pytest.raises(AlreadyExistsError, match="overwrite"):
        dataset.download(tmp_path / "d")
    dataset.download(tmp_path / "d", overwrite=True)
    assert dataset.take(2).to_path() == ["/a.gz", "/b.gz"]
    first, second = dataset.random_split(0.5, seed=7)
    assert sorted(first.to_path() + second.to_path()) == dataset.to_path()
    assert first.random_split(0.5, seed=7)[0].to_path() == first.random_split(0.5, 7)[0].to_path()
    assert Dataset.File.from_files((digits, "digits")).random_split(0.5, 7)[0] is not None


def test_bad_sources_are_refused_clearly(workspace: Workspace, digits: Datastore) -> None:
    with pytest.raises(NotFoundError, match="nothing"):
        Dataset.File.from_files((digits, "digits/*.csv"))
    with pytest.raises(ValidationError, match="http"):
        Dataset.File.from_files("/etc/passwd")
    with pytest.raises(ValidationError, match="name:version"):
        Dataset.get_by_id(workspace, "digits")
    with pytest.raises(NotFoundError, match="ghost"):
        Dataset.get_by_name(workspace, "ghost")


@pytest.fixture
def http_folder(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A folder served over HTTP on 127.0.0.1, and its base URL."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))

    class Quiet(handler.func):  # type: ignore[name-defined,misc]
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder
    server.shutdown()
    server.server_close()


def test_files_at_urls_are_pinned_and_checked(
    workspace: Workspace, http_folder: tuple[str, Path], tmp_path: Path
) -> None:
    base, folder = http_folder
    (folder / "labels.csv").write_text("a,b\n1,2\n")
    dataset = Dataset.File.from_files([f"{base}/labels.csv"])
    registered = dataset.register(workspace, "remote")
    assert registered.files[0]["sha256"] == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    assert Path(registered.download(tmp_path / "a")[0]).read_text() == "a,b\n1,2\n"
    (folder / "labels.csv").write_text("a,b\n9,9\n")
    with pytest.raises(DataChangedError, match=r"labels\.csv"):
        Dataset.get_by_name(workspace, "remote").download(tmp_path / "b")
    with pytest.raises(NotFoundError, match="404"):
        Dataset.File.from_files(f"{base}/missing.csv")


def test_tabular_from_csv_and_from_parquet_are_the_same_dataframe(
    workspace: Workspace, tmp_path: Path
) -> None:
    pandas = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    frame = pandas.DataFrame({"x": [1, 2, 3, 4], "y": [0.5, 1.5, 2.5, 3.5], "label": list("abab")})
    local = tmp_path / "tables"
    local.mkdir()
    frame.to_csv(local / "rows.csv", index=False)
    frame.to_parquet(local / "rows.parquet", index=False)
    frame.to_json(local / "rows.jsonl", orient="records", lines=True)
    datastore = workspace.get_default_datastore()
    datastore.upload(local, target_path="tables", show_progress=False)

    from_csv = Dataset.Tabular.from_delimited_files((datastore, "tables/*.csv"))
    from_parquet = Dataset.Tabular.from_parquet_files((datastore, "tables/*.parquet"))
    from_json = Dataset.Tabular.from_json_lines_files((datastore, "tables/*.jsonl"))
    pandas.testing.assert_frame_equal(from_csv.to_pandas_dataframe(), frame)
    pandas.testing.assert_frame_equal(from_parquet.to_pandas_dataframe(), frame)
    pandas.testing.assert_frame_equal(from_json.to_pandas_dataframe(), frame)

    registered = from_parquet.register(workspace, "rows")
    assert isinstance(registered, TabularDataset)
    again = Dataset.get_by_name(workspace, "rows")
    assert list(again.take(2).to_pandas_dataframe()["x"]) == [1, 2]
    assert list(again.keep_columns(["x"]).to_pandas_dataframe().columns) == ["x"]
    assert list(again.drop_columns("label").to_pandas_dataframe().columns) == ["x", "y"]
    left, right = again.random_split(0.5, seed=3)
    rows = sorted([*left.to_pandas_dataframe()["x"], *right.to_pandas_dataframe()["x"]])
    assert rows == [1, 2, 3, 4]
    with pytest.raises(ValidationError, match="no column 'z'"):
        again.keep_columns("z").to_pandas_dataframe()
    assert isinstance(Dataset.File.from_files((datastore, "tables")), FileDataset)
