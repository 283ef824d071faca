"""MLflow's artifact proxy (``/api/2.0/mlflow-artifacts/artifacts/...``) over runlab's
artifact store.

An ``mlflow-artifacts:/<path>`` URI is the key ``<path>`` in the workspace's artifact store,
through the same vetting as every path from outside (:func:`runlab.artifacts.vet_path`).
Writes go only below an existing run (``runs/<run_id>/...``, the run's files) or logged
model (``logged_models/<model_id>/...``); registered versions (``models/...``) are read-only.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from runlab.artifacts import vet_path
from runlab.entities.run_layout import RUNS_DIR
from runlab.errors import AccessDeniedError, RunlabError, ValidationError
from runlab.server.mlflow._endpoint import check_scope, context_of
from runlab.server.mlflow._protocol import answer, answer_error, query_values

__all__ = ["router"]

router = APIRouter(prefix="/api/2.0/mlflow-artifacts", tags=["mlflow"])
_READ_ROOTS = (RUNS_DIR, "logged_models", "models")


def _key(path: str, *, writing: bool, request: Request) -> str:
    """The artifact-store key of a proxy path, vetted; for a write, the run or logged model
    it falls under must exist.

    Raises:
        ValidationError: an unsafe path, or one outside what MLflow's clients may reach.
        NotFoundError: the run or logged model does not exist.
    """
    key = vet_path(path)
    parts = key.split("/")
    if parts[0] not in _READ_ROOTS or len(parts) < 2:
        raise ValidationError(
            f"artifact path {path!r} is outside what MLflow's clients reach: runs/<run_id>/...,"
            " logged_models/<model_id>/... or models/<name>/<version>/..."
        )
    if writing:
        ctx = context_of(request)
        if parts[0] == RUNS_DIR:
            ctx.store.get_run(parts[1])
        elif parts[0] == "logged_models":
            ctx.store.get_logged_model(parts[1])
        else:
            raise AccessDeniedError(f"{key!r} is read-only: registered model files never change")
        if len(parts) < 3:
            raise ValidationError(f"artifact path {path!r} names a folder, not a file")
    return key


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


@router.get("/artifacts", summary="List the files and folders directly under a path.")
async def list_artifacts(request: Request) -> Response:
    """``{"files": [{"path", "is_dir", "file_size"}]}`` of the entries right below ``path``
    (names relative to it, as MLflow's client expects)."""
    try:
        check_scope(request, "read")
        path = str(query_values(request).get("path") or "")
        key = _key(path, writing=False, request=request)
        names = await run_in_threadpool(context_of(request).artifacts.list_files, key)
        sizes: dict[str, int] = {}
        folders: set[str] = set()
        for name in names:
            relative = name[len(key) + 1 :]
            first, slash, _rest = relative.partition("/")
            if slash:
                folders.add(first)
            else:
                sizes[first] = -1
        artifacts = context_of(request).artifacts
        for name in list(sizes):
            sizes[name] = await run_in_threadpool(artifacts.size, f"{key}/{name}")
    except RunlabError as error:
        return answer_error(error)
    files: list[dict[str, Any]] = [
        {"path": name, "is_dir": True} for name in sorted(folders - set(sizes))
    ]
    files += [
        {"path": name, "is_dir": False, "file_size": size} for name, size in sorted(sizes.items())
    ]
    return answer({"files": files})


@router.get("/artifacts/{path:path}", summary="Download a file.")
async def download_artifact(path: str, request: Request) -> Response:
    """The bytes of one file."""
    try:
        check_scope(request, "read")
        key = _key(path, writing=False, request=request)
        handle, local = tempfile.mkstemp(prefix="runlab-mlflow-")
        os.close(handle)
        try:
            await run_in_threadpool(context_of(request).artifacts.get_file, key, local)
        except BaseException:
            _remove(local)
            raise
    except RunlabError as error:
        return answer_error(error)
    return FileResponse(
        local,
        media_type="application/octet-stream",
        filename=os.path.basename(key),
        background=BackgroundTask(_remove, local),
    )


@router.put("/artifacts/{path:path}", summary="Upload a file.")
async def upload_artifact(path: str, request: Request) -> Response:
    """Store the request's body as one file below a run or a logged model."""
    try:
        check_scope(request, "write")
        key = await run_in_threadpool(_key, path, writing=True, request=request)
        handle, local = tempfile.mkstemp(prefix="runlab-mlflow-")
        try:
            with os.fdopen(handle, "wb") as target:
                async for chunk in request.stream():
                    target.write(chunk)
            await run_in_threadpool(context_of(request).artifacts.put_file, local, key)
        finally:
            _remove(local)
    except RunlabError as error:
        return answer_error(error)
    return answer({})


@router.delete("/artifacts/{path:path}", summary="Delete a file or folder.")
async def delete_artifact(path: str, request: Request) -> Response:
    """Delete a file or folder below a run or a logged model."""
    try:
        check_scope(request, "write")
        key = await run_in_threadpool(_key, path, writing=True, request=request)
        await run_in_threadpool(context_of(request).artifacts.delete, key)
    except RunlabError as error:
        return answer_error(error)
    return answer({})
