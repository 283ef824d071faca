"""What a job's ``run`` token may change: its own run and the runs below it, their files, and
model registrations (a job registers the model it trained); nothing else.

A submitted job gets such a token instead of its submitter's (``POST /api/tokens/run``), so a
script that leaks its environment leaks a key to one run, not to the workspace; and from
:data:`ENDED_GRACE_S` after that run ended, not even to the run. It still reads
everything a read token reads: a script needs datasets, other runs and models.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from runlab.entities.run_layout import RUNS_DIR
from runlab.errors import AccessDeniedError, NotFoundError
from runlab.store import MetadataStore

__all__ = ["ENDED_GRACE_S", "check_within_run"]

ENDED_GRACE_S = 300.0
"""How long after its run ended a run token may still write (a job canceled from outside
uploads its last logs after the run is Canceled)."""
_MAX_DEPTH = 64
"""How far up the parent chain a run is looked for (runs nest a few levels at most)."""
_ARTIFACT_ROUTES = ("/api/artifacts/{path:path}", "/api/artifact-append")
_MODELS_DIR = "models"  # runlab.models.files.model_prefix: models/<name>/<version>


def _refuse(run_id: str, what: str) -> AccessDeniedError:
    return AccessDeniedError(f"the token of run {run_id!r} may not {what}")


async def _target_run(request: Request, run_id: str) -> str | None:
    """The run a write through a run token touches; None for a write that touches no run but
    is allowed (a model registration).

    Raises:
        AccessDeniedError: the write is outside anything a run token may change.
    """
    route = request.scope.get("route")
    template: str = getattr(route, "path", "")
    target = request.path_params.get("run_id")
    if isinstance(target, str):
        return target
    if template in _ARTIFACT_ROUTES:
        path = request.path_params.get("path") or request.query_params.get("path") or ""
        parts = str(path).strip("/").split("/")
        if parts[0] == RUNS_DIR and len(parts) > 1:
            return parts[1]
        if parts[0] == _MODELS_DIR and request.method != "DELETE":
            return None
        raise _refuse(run_id, f"change the file {path!r}, outside its run")
    if template.startswith("/api/models/") and request.method != "DELETE":
        return None
    if template in ("/api/runs", "/api/tokens/run") and request.method == "POST":
        try:
            body: Any = await request.json()
        except ValueError:  # not JSON: the route refuses it too
            body = None
        key = "parent_run_id" if template == "/api/runs" else "run_id"
        parent = body.get(key) if isinstance(body, dict) else None
        if isinstance(parent, str):
            return parent
        raise _refuse(run_id, "create a run that is not below its run")
    raise _refuse(run_id, f"{request.method} {template or request.url.path}")


def _still_writing(store: MetadataStore, run_id: str) -> bool:
    """Whether the run of a token may still write: it has not ended, or ended within
    :data:`ENDED_GRACE_S` (its job uploads its last logs after a cancel)."""
    try:
        record = store.get_run(run_id)
    except NotFoundError:
        return False
    if not record.status.is_terminal or record.end_time is None:
        return True
    return time.time() - record.end_time <= ENDED_GRACE_S


def _is_within(store: MetadataStore, target: str, run_id: str) -> bool:
    current: str | None = target
    for _ in range(_MAX_DEPTH):
        if current is None:
            return False
        if current == run_id:
            return True
        try:
            current = store.get_run(current).parent_run_id
        except NotFoundError:
            return False
    return False


async def check_within_run(request: Request, store: MetadataStore, run_id: str) -> None:
    """Allow a write through the token of ``run_id``, or raise.

    Raises:
        AccessDeniedError: the write changes something outside the run (403).
    """
    target = await _target_run(request, run_id)
    if target is not None and not await run_in_threadpool(_is_within, store, target, run_id):
        raise _refuse(run_id, f"change run {target!r}, which is not its run or below it")
    if not await run_in_threadpool(_still_writing, store, run_id):
        raise _refuse(run_id, "change anything any more: its run has ended")
