"""What every route shares: the workspace's stores, the scope checks, JSON answers."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from runlab.artifacts import ArtifactStore
from runlab.entities import RunStatus
from runlab.errors import ValidationError
from runlab.server.auth import Authenticator
from runlab.server.run_scope import check_within_run
from runlab.store import MetadataStore

__all__ = ["READ", "WRITE", "artifact_store", "metadata_store", "ok", "run_status"]


def _check_read(request: Request) -> None:
    authenticator: Authenticator = request.app.state.authenticator
    authenticator.check(request.headers.get("authorization"), "read")


async def _check_write(request: Request) -> None:
    authenticator: Authenticator = request.app.state.authenticator
    header = request.headers.get("authorization")
    record = await run_in_threadpool(authenticator.check, header, "write", run_tokens=True)
    if record is not None and record.run_id is not None:
        await check_within_run(request, metadata_store(request), record.run_id)


READ = Depends(_check_read)
"""A route dependency: any valid token (or an open server)."""
WRITE = Depends(_check_write)
"""A route dependency: a write token, or a job's run token writing inside its run (or an
open server)."""


def metadata_store(request: Request) -> MetadataStore:
    """The metadata store of the workspace the app serves (read per request, so a test can
    swap the workspace under a running server)."""
    store: MetadataStore = request.app.state.workspace.store
    return store


def artifact_store(request: Request) -> ArtifactStore:
    """The artifact store of the workspace the app serves."""
    store: ArtifactStore = request.app.state.workspace.artifacts
    return store


def ok(content: Any, status_code: int = 200) -> Response:
    """A JSON answer, encoded directly (FastAPI's generic encoder is slow on long lists)."""
    body = json.dumps(content, allow_nan=False, separators=(",", ":"))
    return Response(body, status_code=status_code, media_type="application/json")


def run_status(value: str) -> RunStatus:
    """The status named ``value``.

    Raises:
        ValidationError: no status has that name.
    """
    try:
        return RunStatus(value)
    except ValueError as error:
        known = ", ".join(status.value for status in RunStatus)
        raise ValidationError(f"unknown run status {value!r} (known: {known})") from error
