"""The job entry's log upload: only what a log gained is sent, so writing a log costs its size."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runlab.artifacts import FsspecArtifactStore
from runlab.errors import BackendError
from runlab.jobs.entry import LogUploader

RUN_ID = "upload_1700000000_0123abcd"


class CountingStore(FsspecArtifactStore):
    """A real local store that counts the bytes each write is given."""

    bytes_written = 0
    fail_next_append = False

    def put_file(self, local_path: str | os.PathLike[str], path: str) -> None:
        self.bytes_written += os.path.getsize(local_path)
        super().put_file(local_path, path)

    def put_bytes(self, path: str, data: bytes) -> None:
        self.bytes_written += len(data)
        super().put_bytes(path, data)

    def append_bytes(self, path: str, data: bytes) -> None:
        if self.fail_next_append:
            self.fail_next_append = False
            super().append_bytes(path, data[: len(data) // 2])
            raise BackendError("the connection broke half way")
        self.bytes_written += len(data)
        super().append_bytes(path, data)


@pytest.fixture
def store(tmp_path: Path) -> CountingStore:
    return CountingStore(os.fspath(tmp_path / "artifacts"))


def _grow(log: Path, text: str) -> None:
    with log.open("a", encoding="utf-8") as out:
        out.write(text)


def test_a_growing_log_is_written_once(store: CountingStore, tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    uploader = LogUploader(store, RUN_ID, folder)
    driver, environment = folder / "driver.log", folder / "environment.log"
    environment.write_text("resolved\n")
    for step in range(300):
        _grow(driver, f"step {step}: ✓ {'x' * 1000}\n")
        uploader.upload()
        uploader.upload()

    expected = driver.stat().st_size + environment.stat().st_size
    assert store.bytes_written == expected
    key = f"runs/{RUN_ID}/logs/driver.log"
    assert store.get_bytes(key) == driver.read_bytes()
    assert store.get_bytes(f"runs/{RUN_ID}/logs/environment.log") == b"resolved\n"


def test_a_failed_append_is_healed_by_the_next_upload(store: CountingStore, tmp_path: Path) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    uploader = LogUploader(store, RUN_ID, folder)
    driver = folder / "driver.log"
    _grow(driver, "first line\n")
    uploader.upload()
    _grow(driver, "second line, cut by a failing store\n")
    store.fail_next_append = True
    with pytest.raises(BackendError):
        uploader.upload()
    _grow(driver, "third line\n")
    uploader.upload()
    assert store.get_bytes(f"runs/{RUN_ID}/logs/driver.log") == driver.read_bytes()


def test_a_stored_log_from_before_is_replaced(store: CountingStore, tmp_path: Path) -> None:
    store.put_bytes(f"runs/{RUN_ID}/logs/driver.log", b"stale content from an earlier attempt\n")
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "driver.log").write_bytes(b"fresh\n")
    LogUploader(store, RUN_ID, folder).upload()
    assert store.get_bytes(f"runs/{RUN_ID}/logs/driver.log") == b"fresh\n"
