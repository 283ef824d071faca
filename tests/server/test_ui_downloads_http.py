"""A run's file downloaded from the web UI or the artifact API is streamed: read from the
store a piece at a time with ranged reads, never whole, and arrives complete."""

# ruff: noqa: E402 - the server extra is checked before anything needing it is imported
from __future__ import annotations

from live_server import require_server_extra

require_server_extra()

import os
from pathlib import Path

import pytest

pytest.importorskip("jinja2", reason="the web UI needs jinja2 (pip install jinja2)")

import httpx

from runlab.entities import run_file_key
from runlab.server._streaming import PIECE_BYTES
from runlab.tracking import Experiment, Workspace


def _record_reads(
    monkeypatch: pytest.MonkeyPatch, workspace: Workspace
) -> list[tuple[int | None, int | None]]:
    """Every range the served artifact store is asked for (the real store answers)."""
    store = workspace.artifacts
    real = store.get_bytes
    asked: list[tuple[int | None, int | None]] = []

    def get_bytes(path: str, start: int | None = None, end: int | None = None) -> bytes:
        asked.append((start, end))
        return real(path, start, end)

    monkeypatch.setattr(store, "get_bytes", get_bytes)
    return asked


def test_a_big_download_is_read_piece_by_piece_and_arrives_whole(
    server_url: str, served_workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = os.urandom(2 * PIECE_BYTES + 12345)
    local = tmp_path / "weights.bin"
    local.write_bytes(content)
    run = Experiment(served_workspace, "downloads").start_logging()
    run.upload_file("outputs/weights.bin", str(local))
    run.complete()
    asked = _record_reads(monkeypatch, served_workspace)

    answer = httpx.get(f"{server_url}/ui/runs/{run.id}/files/outputs/weights.bin", timeout=60)

    assert answer.status_code == 200
    assert answer.content == content
    assert answer.headers["content-length"] == str(len(content))
    assert answer.headers["content-disposition"] == 'attachment; filename="weights.bin"'
    assert answer.headers["x-content-type-options"] == "nosniff"
    pieces = [(0, PIECE_BYTES), (PIECE_BYTES, 2 * PIECE_BYTES), (2 * PIECE_BYTES, len(content))]
    assert asked == pieces

    asked.clear()
    key = run_file_key(run.id, "outputs/weights.bin")
    api = httpx.get(f"{server_url}/api/artifacts/{key}", timeout=60)
    assert api.status_code == 200 and api.content == content
    assert api.headers["content-length"] == str(len(content))
    assert asked == pieces


def test_an_empty_file_and_a_missing_one(
    server_url: str, served_workspace: Workspace, tmp_path: Path
) -> None:
    empty_file = tmp_path / "empty.txt"
    empty_file.write_bytes(b"")
    run = Experiment(served_workspace, "downloads").start_logging()
    run.upload_file("empty.txt", str(empty_file))
    base = f"{server_url}/ui/runs/{run.id}/files"

    empty = httpx.get(f"{base}/empty.txt")
    assert empty.status_code == 200 and empty.content == b""
    assert empty.headers["content-length"] == "0"
    missing = httpx.get(f"{base}/nothing-here.txt")
    assert missing.status_code == 404, missing.text
    run.complete()
