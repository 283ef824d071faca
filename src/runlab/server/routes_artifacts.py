"""The API over the workspace's artifact store: files streamed both ways.

Every path passes :func:`runlab.artifacts.vet_path` before the store sees it (the store vets
it again): a ``..`` arriving percent-encoded (``%2e%2e``) is decoded by the router first and
refused here like any other. Bodies are streamed through a temporary file, never held in
memory whole, and handed to the store, whose writes are atomic.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from runlab.artifacts import ArtifactStore, vet_path
from runlab.errors import ValidationError
from runlab.server._deps import READ, WRITE, artifact_store, ok

__all__ = ["MAX_UPLOAD_BYTES", "router"]

router = APIRouter(prefix="/api", tags=["artifacts"])
Artifacts = Annotated[ArtifactStore, Depends(artifact_store)]
MAX_UPLOAD_BYTES = 5 * 1024**3
"""The largest file one PUT may store (5 GiB); larger bodies are refused (422)."""


def _temporary_file() -> tuple[int, str]:
    return tempfile.mkstemp(prefix="runlab-artifact-")


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


@router.get("/artifacts/{path:path}", dependencies=[READ])
def get_artifact(path: str, store: Artifacts) -> Response:
    """The content of the file ``path`` (404 when there is none)."""
    clean = vet_path(path)
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
