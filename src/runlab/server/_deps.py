"""What every route shares: the workspace's stores, the scope checks, JSON answers."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import Response

from runlab.artifacts import ArtifactStore
from runlab.entities import RunStatus
from runlab.errors import ValidationError
from runlab.server.auth import Authenticator, Scope
from runlab.store import MetadataStore

__all__ = ["READ", "WRITE", "artifact_store", "metadata_store", "ok", "run_status"]


def _require(scope: Scope) -> Any:
    def check(request: Request) -> None:
        authenticator: Authenticator = request.app.state.authenticator
        authenticator.check(request.headers.get("authorization"), scope)

    return Depends(check)


READ = _require("read")
"""A route dependency: any valid token (or an open server)."""
WRITE = _require("write")
"""A route dependency: a write token (or an open server)."""


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
