"""The artifact store contract on S3, through s3fs against a local S3 server (moto): byte
ranges, and appends kept as parts that reads join."""

from __future__ import annotations

from typing import Any

import pytest

from runlab.artifacts import FsspecArtifactStore
from runlab.testing.artifact_store import ArtifactStoreContract

pytest.importorskip("s3fs", reason="the S3 tests need s3fs: pip install s3fs", exc_type=ImportError)
pytest.importorskip(
    "moto",
    reason="the S3 tests need moto[server]: pip install 'moto[server]'",
    exc_type=ImportError,
)


class TestS3(ArtifactStoreContract):
    @pytest.fixture
    def artifact_store(self, s3_bucket: str, s3_options: Any) -> FsspecArtifactStore:
        return FsspecArtifactStore(f"s3://{s3_bucket}/artifacts", **s3_options())


def test_appends_are_written_once_as_parts(s3_bucket: str, s3_options: Any) -> None:
    writer = FsspecArtifactStore(f"s3://{s3_bucket}/artifacts", **s3_options())
    reader = FsspecArtifactStore(f"s3://{s3_bucket}/artifacts", **s3_options())
    lines = [f"step {step}: ✓\n".encode() for step in range(30)]
    offset = 0
    for line in lines:
        writer.append_bytes("runs/r/logs/driver.log", line)
        # A follower in another process sees each append at once, and reads only it.
        assert reader.get_bytes("runs/r/logs/driver.log", offset) == line
        offset += len(line)
    assert reader.get_bytes("runs/r/logs/driver.log") == b"".join(lines)
    assert reader.list_files("runs") == ["runs/r/logs/driver.log"]
    raw = writer._fs.find(f"{s3_bucket}/artifacts/runs/r/logs/.driver.log.runlab-parts")
    assert len(raw) == len(lines) - 1
