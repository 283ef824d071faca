"""read_log_from on a local folder: whole lines while a run goes on, long lines cut between
characters, and everything once it has ended."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runlab.artifacts import FsspecArtifactStore
from runlab.tracking.monitoring import LONG_LINE_BYTES, read_log_from

RUN_ID = "follow_1700000000_0123abcd"
LOG = "logs/driver.log"
KEY = f"runs/{RUN_ID}/{LOG}"


@pytest.fixture
def store(tmp_path: Path) -> FsspecArtifactStore:
    return FsspecArtifactStore(os.fspath(tmp_path / "artifacts"))


def test_only_whole_lines_until_the_run_ends(store: FsspecArtifactStore) -> None:
    store.append_bytes(KEY, "one ✓\ntwo, not yet ".encode())
    text, offset = read_log_from(store, RUN_ID, LOG, 0)
    assert (text, offset) == ("one ✓\n", len("one ✓\n".encode()))
    assert read_log_from(store, RUN_ID, LOG, offset) == ("", offset)
    store.append_bytes(KEY, "ended\nthree ✓".encode()[:-1])  # the last character cut
    text, offset = read_log_from(store, RUN_ID, LOG, offset)
    assert text == "two, not yet ended\n"
    text, end = read_log_from(store, RUN_ID, LOG, offset, ended=True)
    assert text == "three \ufffd" and end == store.size(KEY)


def test_a_long_line_comes_in_pieces_cut_between_characters(store: FsspecArtifactStore) -> None:
    line = "é" * LONG_LINE_BYTES  # two bytes each
    data = line.encode()
    store.append_bytes(KEY, data[: LONG_LINE_BYTES + 1])  # ends inside an "é"
    text, offset = read_log_from(store, RUN_ID, LOG, 0)
    assert text == "é" * (LONG_LINE_BYTES // 2) and offset == LONG_LINE_BYTES
    store.append_bytes(KEY, data[LONG_LINE_BYTES + 1 :] + b"\n")
    rest, end = read_log_from(store, RUN_ID, LOG, offset)
    assert text + rest == line + "\n" and end == len(data) + 1


def test_a_tail_skips_a_cut_line_and_character(store: FsspecArtifactStore) -> None:
    store.append_bytes(KEY, ("ü" * 100 + "\nlast line\n").encode())
    assert read_log_from(store, RUN_ID, LOG, -50) == ("last line\n", 211)
    store.put_bytes(KEY, ("ü" * 100).encode())
    assert read_log_from(store, RUN_ID, LOG, -51, ended=True) == ("ü" * 25, 200)
