"""The API over the workspace's artifact store: files streamed both ways.

Every path passes :func:`runlab.artifacts.vet_path` before the store sees it (the store vets
it again): a ``..`` arriving percent-encoded (``%2e%2e``) is decoded by the router first and
refused here like any other. Bodies are streamed through a temporary file, never held in
memory whole, and handed to the store, whose writes are atomic. A download, whole or a
``Range``, is read from the store range by range, never copied whole first; an append sends
only its bytes.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from runlab.artifacts import AppendableArtifactStore, ArtifactStore, vet_path
from runlab.errors import NotFoundError, ValidationError
from runlab.server._deps import READ, WRITE, artifact_store, ok
from runlab.server._streaming import PIECE_BYTES, stream_file

__all__ = ["MAX_UPLOAD_BYTES", "RANGE_PIECE_BYTES", "router"]

router = APIRouter(prefix="/api", tags=["artifacts"])
Artifacts = Annotated[ArtifactStore, Depends(artifact_store)]
MAX_UPLOAD_BYTES = 5 * 1024**3
"""The largest file one PUT may store (5 GiB); larger bodies are refused (422)."""
RANGE_PIECE_BYTES = PIECE_BYTES
"""How much of a ranged read, or of an append, goes to the store at once."""
_RANGE = re.compile(r"\s*bytes\s*=\s*(\d{0,19})\s*-\s*(\d{0,19})\s*", re.IGNORECASE)


def _temporary_file() -> tuple[int, str]:
    return tempfile.mkstemp(prefix="runlab-artifact-")


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


@router.get("/artifacts/{path:path}", dependencies=[READ])
def get_artifact(path: str, request: Request, store: Artifacts) -> Response:
    """The content of the file ``path`` (404 when there is none), streamed from the store
    1 MiB at a time.

    A ``Range: bytes=...`` header with one range (``a-b``, ``a-`` or the suffix ``-n``) is
    answered 206 with that slice, read from the store range by range (1 MiB at a time), or
    416 when it starts at or past the end of the file. Other ``Range`` values (several
    ranges, a malformed one) are answered by Starlette's ``FileResponse`` over a copy of the
    whole file.
    """
    clean = vet_path(path)
    header = request.headers.get("range")
    if header is None:
        return stream_file(
            store, clean, media_type="application/octet-stream", headers={"Accept-Ranges": "bytes"}
        )
    if (wanted := _parse_range(header)) is not None:
        return _ranged_response(store, clean, wanted)
    descriptor, local = _temporary_file()
    os.close(descriptor)
    try:
        store.get_file(clean, local)
    except BaseException:
        _remove(local)
        raise
    return FileResponse(
        local,
        media_type="application/octet-stream",
        background=BackgroundTask(_remove, local),
    )


def _parse_range(header: str) -> tuple[int | None, int | None] | None:
    """``(first, last)`` of a one-range ``bytes=`` header (``last`` inclusive; ``first`` None
    for a suffix ``-n``, then ``last`` is ``n``), or None for a header left to FileResponse."""
    match = _RANGE.fullmatch(header)
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first = int(match.group(1)) if match.group(1) else None
    last = int(match.group(2)) if match.group(2) else None
    if first is not None and last is not None and last < first:
        return None
    return first, last


def _ranged_response(
    store: ArtifactStore, path: str, wanted: tuple[int | None, int | None]
) -> Response:
    size = store.size(path)
    first, last = wanted
    if first is None:
        start, end = max(size - (last or 0), 0), size
        if last == 0:
            start = size
    else:
        start = first
        end = size if last is None else min(last + 1, size)
    if start >= end:
        return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
    return stream_file(
        store,
        path,
        media_type="application/octet-stream",
        start=start,
        end=end,
        status_code=206,
        headers={"Content-Range": f"bytes {start}-{end - 1}/{size}", "Accept-Ranges": "bytes"},
    )


@router.put("/artifacts/{path:path}", dependencies=[WRITE], status_code=204)
async def put_artifact(path: str, request: Request, store: Artifacts) -> Response:
    """Store the request's body as the file ``path``, replacing any file there atomically."""
    clean = vet_path(path)
    descriptor, local = _temporary_file()
    try:
        written = 0
        with os.fdopen(descriptor, "wb") as file:
            async for chunk in request.stream():
                written += len(chunk)
                if written > MAX_UPLOAD_BYTES:
                    raise ValidationError(
                        f"artifact {clean!r} is larger than {MAX_UPLOAD_BYTES} bytes"
                    )
                file.write(chunk)
        await run_in_threadpool(store.put_file, local, clean)
    finally:
        _remove(local)
    return Response(status_code=204)


@router.post("/artifact-append", dependencies=[WRITE], status_code=204)
async def append_artifact(path: str, request: Request, store: Artifacts) -> Response:
    """Add the request's body to the end of the file ``path``, creating it if missing.

    The served store appends in place (:class:`~runlab.artifacts.AppendableArtifactStore`);
    a store without that capability has the file read and replaced whole, which is correct
    but costs the file's size on each append. The body is appended in pieces of 1 MiB as it
    arrives, so an append cut short leaves its first pieces.
    """
    clean = vet_path(path)
    pending = bytearray()
    written = 0
    async for chunk in request.stream():
        written += len(chunk)
        if written > MAX_UPLOAD_BYTES:
            raise ValidationError(f"an append to {clean!r} is larger than {MAX_UPLOAD_BYTES} bytes")
        pending += chunk
        if len(pending) >= RANGE_PIECE_BYTES:
            await run_in_threadpool(_append, store, clean, bytes(pending))
            pending.clear()
    if pending or not written:
        await run_in_threadpool(_append, store, clean, bytes(pending))
    return Response(status_code=204)


def _append(store: ArtifactStore, path: str, data: bytes) -> None:
    if isinstance(store, AppendableArtifactStore):
        store.append_bytes(path, data)
        return
    try:
        before = store.get_bytes(path)
    except NotFoundError:
        before = b""
    store.put_bytes(path, before + data)


@router.delete("/artifacts/{path:path}", dependencies=[WRITE], status_code=204)
def delete_artifact(path: str, store: Artifacts) -> Response:
    """Delete the file or folder ``path``."""
    store.delete(vet_path(path))
    return Response(status_code=204)


@router.get("/artifact-list", dependencies=[READ])
def list_artifacts(store: Artifacts, prefix: str = "") -> Response:
    """Every file below the folder ``prefix``, sorted."""
    return ok(store.list_files(vet_path(prefix, allow_empty=True)))


@router.get("/artifact-exists", dependencies=[READ])
def artifact_exists(path: str, store: Artifacts) -> Response:
    """Whether a file is stored at ``path``."""
    return ok({"exists": store.exists(vet_path(path))})


@router.get("/artifact-size", dependencies=[READ])
def artifact_size(path: str, store: Artifacts) -> Response:
    """The size of the file ``path`` in bytes (404 when there is none)."""
    return ok({"size": store.size(vet_path(path))})
