"""Following a growing log costs about its size in bytes read, on a local folder and through
a live server: ``read_log_from`` asks the artifact store only for the bytes from its offset."""

# ruff: noqa: E402 - the server extra is checked before anything needing it is imported
from __future__ import annotations

from live_server import require_server_extra

require_server_extra()

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from runlab.artifacts import AppendableArtifactStore, ArtifactStore, FsspecArtifactStore
from runlab.artifacts.rest import RestArtifactStore
from runlab.tracking import Experiment, Workspace
from runlab.tracking.monitoring import read_log_from

LOG = "logs/driver.log"
RUN_ID = "follow_1700000000_0123abcd"
LOG_BYTES = 20 * 1024 * 1024
# Not a multiple of anything in the log, so appends cut lines and UTF-8 characters.
APPEND_BYTES = 200_003


class CountingFsspecStore(FsspecArtifactStore):
    """A real local store that counts the bytes its reads return."""

    bytes_read = 0

    def get_bytes(self, path: str, start: int | None = None, end: int | None = None) -> bytes:
        data = super().get_bytes(path, start, end)
        self.bytes_read += len(data)
        return data


class CountingRestStore(RestArtifactStore):
    """A real client of the live server that counts the bytes its reads return."""

    bytes_read = 0

    def get_bytes(self, path: str, start: int | None = None, end: int | None = None) -> bytes:
        data = super().get_bytes(path, start, end)
        self.bytes_read += len(data)
        return data


def _log_text() -> bytes:
    lines = []
    size, step = 0, 0
    while size < LOG_BYTES:
        line = f"step {step:>7}: loss {1.0 / (step + 1):.6f} ✓ naïve ünïcödé → 日本語 🚀\n"
        lines.append(line)
        size += len(line.encode())
        step += 1
    return "".join(lines).encode()[:LOG_BYTES]


@pytest.fixture(params=["local folder", "server"])
def stores(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[AppendableArtifactStore, CountingFsspecStore | CountingRestStore]]:
    """The store the job writes the log to, and the counting store a follower reads with."""
    if request.param == "local folder":
        root = os.fspath(tmp_path / "artifacts")
        yield FsspecArtifactStore(root), CountingFsspecStore(root)
        return
    server_url = request.getfixturevalue("server_url")
    writer, reader = RestArtifactStore(server_url), CountingRestStore(server_url)
    yield writer, reader
    writer.close()
    reader.close()


def test_following_a_growing_20_mb_log_reads_about_20_mb(
    stores: tuple[AppendableArtifactStore, CountingFsspecStore | CountingRestStore],
) -> None:
    writer, reader = stores
    assert isinstance(reader, ArtifactStore)
    content = _log_text()
    key = f"runs/{RUN_ID}/{LOG}"
    followed: list[str] = []
    offset = 0
    for start in range(0, len(content), APPEND_BYTES):
        writer.append_bytes(key, content[start : start + APPEND_BYTES])
        text, offset = read_log_from(reader, RUN_ID, LOG, offset)
        followed.append(text)
        # A poll that finds nothing new costs nothing.
        text, offset = read_log_from(reader, RUN_ID, LOG, offset)
        followed.append(text)
    text, offset = read_log_from(reader, RUN_ID, LOG, offset, ended=True)
    followed.append(text)

    assert "".join(followed) == content.decode()
    assert offset == len(content)
    # Followed while it grew: every append brought new whole lines.
    assert sum(1 for piece in followed if piece) > len(content) // APPEND_BYTES
    # Reading the whole log at each of the 105 polls would read about 1 GB.
    assert len(content) <= reader.bytes_read <= 1.1 * len(content)


def test_a_tail_starts_at_a_whole_line(
    stores: tuple[AppendableArtifactStore, CountingFsspecStore | CountingRestStore],
) -> None:
    writer, reader = stores
    lines = [f"line {index} ✓\n" for index in range(10_000)]
    writer.append_bytes(f"runs/{RUN_ID}/{LOG}", "".join(lines).encode())

    text, offset = read_log_from(reader, RUN_ID, LOG, -1000)

    assert reader.bytes_read <= 1000
    assert text.endswith(lines[-1]) and text.splitlines(keepends=True)[0] in lines
    assert offset == len("".join(lines).encode())
    assert read_log_from(reader, RUN_ID, LOG, offset) == ("", offset)


def test_a_missing_log_is_empty(
    stores: tuple[AppendableArtifactStore, CountingFsspecStore | CountingRestStore],
) -> None:
    _writer, reader = stores
    assert read_log_from(reader, RUN_ID, LOG, 0) == ("", 0)
    assert read_log_from(reader, RUN_ID, LOG, -100, ended=True) == ("", 0)


def test_the_web_ui_sends_the_log_from_an_offset(
    server_url: str, served_workspace: Workspace
) -> None:
    pytest.importorskip("jinja2", reason="the web UI needs jinja2 (pip install jinja2)")
    run = Experiment(served_workspace, "follow").start_logging()
    key = f"runs/{run.id}/{LOG}"
    appendable = served_workspace.artifacts
    assert isinstance(appendable, AppendableArtifactStore)
    appendable.append_bytes(key, "first ✓\nsecond, not yet end".encode())
    with httpx.Client(base_url=server_url) as browser:

        def log_from(offset: int) -> tuple[str, int]:
            answer = browser.get(f"/ui/api/runs/{run.id}/log", params={"offset": offset})
            assert answer.status_code == 200, answer.text
            return answer.json()["text"], answer.json()["offset"]

        assert log_from(-1) == ("first ✓\n", len("first ✓\n".encode()))
        text, offset = log_from(0)
        assert text == "first ✓\n"
        appendable.append_bytes(key, b"ed\nthird")
        assert log_from(offset) == ("second, not yet ended\n", offset + 22)
        run.complete()
        text, end = log_from(offset + 22)
        assert text == "third" and end == served_workspace.artifacts.size(key)


def test_the_artifact_route_answers_http_ranges(
    server_url: str, served_workspace: Workspace
) -> None:
    served_workspace.artifacts.put_bytes("a/ten.txt", b"0123456789")
    with httpx.Client(base_url=server_url) as client:

        def get(range_header: str | None) -> httpx.Response:
            headers = {"Range": range_header} if range_header is not None else {}
            return client.get("/api/artifacts/a/ten.txt", headers=headers)

        for header, body, content_range in [
            ("bytes=2-4", b"234", "bytes 2-4/10"),
            ("bytes=7-", b"789", "bytes 7-9/10"),
            ("bytes=8-100", b"89", "bytes 8-9/10"),
            ("bytes=-3", b"789", "bytes 7-9/10"),
            ("bytes=-30", b"0123456789", "bytes 0-9/10"),
        ]:
            answer = get(header)
            assert (answer.status_code, answer.content) == (206, body), header
            assert answer.headers["content-range"] == content_range
        for header in ["bytes=10-", "bytes=50-60", "bytes=-0"]:
            answer = get(header)
            assert answer.status_code == 416, header
            assert answer.headers["content-range"] == "bytes */10"
        assert (get(None).status_code, get(None).content) == (200, b"0123456789")
        # Several ranges, or a header that is no range, are Starlette's to answer.
        assert get("bytes=0-1,4-5").status_code == 206
        for header in ["bytes=5-2", "lines=1-2", "bytes=" + "9" * 30]:
            assert get(header).status_code in {400, 416}, header
        assert (
            client.get("/api/artifacts/a/none.txt", headers={"Range": "bytes=0-"}).status_code
            == 404
        )
