"""Whole-file copies between this machine and a file system reached through fsspec.

An object store makes a single PUT atomic, so a small file goes up in one; a big one streams
through a multipart upload that is aborted, not completed, when the copy fails (closing it
would publish a truncated object). Downloads go to a hidden partial file renamed once whole.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path
from typing import Any

from runlab._files import partial_file
from runlab.data._copy import CHUNK, SMALL_FILE, Advance, write_local_bytes

__all__ = ["get_remote", "put_remote"]


def put_remote(
    file_system: Any, source: Path, target: str, hashing: bool, advance: Advance
) -> str | None:
    """Copy the local file ``source`` to ``target``; its sha256 when ``hashing``."""
    if os.path.getsize(source) <= SMALL_FILE:
        data = source.read_bytes()
        file_system.pipe_file(target, data)
        advance(len(data))
        return hashlib.sha256(data).hexdigest() if hashing else None
    digest = hashlib.sha256()
    out = file_system.open(target, "wb")
    try:
        with open(source, "rb") as reader:
            while chunk := reader.read(CHUNK):
                if hashing:
                    digest.update(chunk)
                out.write(chunk)
                advance(len(chunk))
        out.close()
    except BaseException:
        with contextlib.suppress(Exception):
            discard = getattr(out, "discard", None)
            if callable(discard):
                discard()
            # Marked closed, so that its finaliser does not complete the upload after all.
            out.closed = True
        raise
    return digest.hexdigest() if hashing else None


def get_remote(
    file_system: Any, source: str, size: int, target: Path, hashing: bool, advance: Advance
) -> str | None:
    """Copy ``source`` (of ``size`` bytes) to the local ``target`` through a hidden partial
    file; its sha256 when ``hashing``."""
    if size <= SMALL_FILE:
        data = bytes(file_system.cat_file(source))
        write_local_bytes(target, data)
        advance(len(data))
        return hashlib.sha256(data).hexdigest() if hashing else None
    digest = hashlib.sha256()
    with partial_file(target, sync=False) as out, file_system.open(source, "rb") as reader:
        while chunk := reader.read(CHUNK):
            if hashing:
                digest.update(chunk)
            out.write(chunk)
            advance(len(chunk))
        out.commit()
    return digest.hexdigest() if hashing else None
