"""The API that hands a submitted job a token of its own, scoped to its run."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from runlab.server._deps import WRITE, metadata_store, ok
from runlab.server.auth import RUN_TOKEN_LIFETIME_S, Authenticator
from runlab.store import MetadataStore

__all__ = ["RunTokenIn", "router"]

router = APIRouter(prefix="/api")
Store = Annotated[MetadataStore, Depends(metadata_store)]


class RunTokenIn(BaseModel):
    """The run a job's token is made for."""

    run_id: str = Field(max_length=1024)


@router.post("/tokens/run", dependencies=[WRITE], tags=["tokens"], status_code=201)
async def create_run_token(body: RunTokenIn, request: Request, store: Store) -> Response:
    """A new token for the job of run ``run_id``: it reads like a read token and writes only
    to that run, the runs below it, their files and model registrations; it expires after 30
    days and is listed (``runlab token list``) as ``run-<run_id>``.

    On an open server (no token needed) the answer's ``token`` is null: the job needs none.
    """
    authenticator: Authenticator = request.app.state.authenticator
    record = await run_in_threadpool(store.get_run, body.run_id)  # 404 for an unknown run
    if authenticator.tokens is None or authenticator.is_open():
        return ok({"token": None, "name": None, "expires_time": None}, 201)
    token, made = await run_in_threadpool(
        authenticator.tokens.create,
        "run",
        f"run-{record.run_id}",
        expires_in=RUN_TOKEN_LIFETIME_S,
        run_id=record.run_id,
    )
    return ok({"token": token, "name": made.name, "expires_time": made.expires_time}, 201)
