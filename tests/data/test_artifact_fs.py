"""The fsspec file system over an artifact store that server-backed ``workspace://``
datastores use, on a local artifact store (the same calls a ``RestArtifactStore`` answers)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runlab.artifacts import FsspecArtifactStore
from runlab.data._artifact_fs import ArtifactFileSystem
from runlab.data._remote import put_remote


@pytest.fixture
def fs(tmp_path: Path) -> ArtifactFileSystem:
    store = FsspecArtifactStore(str(tmp_path / "artifacts"))
    store.put_bytes("ds/a.bin", b"first")
    store.put_bytes("ds/sub/b.bin", b"second")
    return ArtifactFileSystem(store)


def test_listing_reading_and_writing(fs: ArtifactFileSystem) -> None:
    assert fs.find("ds") == ["ds/a.bin", "ds/sub/b.bin"]
    assert fs.find("ds", detail=True)["ds/sub/b.bin"]["size"] == 6
    assert fs.ls("ds", detail=False) == ["ds/a.bin", "ds/sub"]
    assert (fs.isfile("ds/a.bin"), fs.isfile("ds/sub"), fs.isfile("")) == (True, False, False)
    assert fs.info("ds/sub")["type"] == "directory"
    with pytest.raises(FileNotFoundError):
        fs.info("ds/none")
    with pytest.raises(FileNotFoundError):
        fs.cat_file("ds/none")
    fs.pipe_file("ds/c.bin", b"piped")
    with fs.open("ds/c.bin", "rb") as reader:
        reader.seek(1)
        assert reader.read(3) == b"ipe"
    with fs.open("ds/d.bin", "wb") as writer:
        writer.write(b"written ")
        writer.write(b"in two")
    assert fs.cat_file("ds/d.bin") == b"written in two"


def test_a_write_that_fails_half_way_sends_nothing(fs: ArtifactFileSystem, tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), fs.open("ds/e.bin", "wb") as writer:
        writer.write(b"half")
        raise RuntimeError("the source broke")
    assert not fs.isfile("ds/e.bin")

    writer = fs.open("ds/f.bin", "wb")
    writer.write(b"half")
    writer.discard()  # what put_remote calls when a copy breaks off
    assert not fs.isfile("ds/f.bin")

    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(8 * 1024 * 1024 + 1))  # over put_remote's one-request size
    put_remote(fs, big, "ds/big.bin", True, lambda _n: None)
    assert fs.cat_file("ds/big.bin") == big.read_bytes()
