"""The API over registered environments: one route per
:class:`~runlab.store.environments.EnvironmentStore` method."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from runlab.server._deps import READ, WRITE, metadata_store, ok
from runlab.server.schemas import EnvironmentVersionIn
from runlab.store import MetadataStore, wire

__all__ = ["router"]

router = APIRouter(prefix="/api")
Store = Annotated[MetadataStore, Depends(metadata_store)]


@router.post(
    "/environments/{name}/versions", dependencies=[WRITE], tags=["environments"], status_code=201
)
def create_environment_version(name: str, body: EnvironmentVersionIn, store: Store) -> Response:
    """Register a spec as the environment's next version (or its latest, when equal)."""
    record = store.create_environment_version(name, body.spec)
    return ok(wire.record_to_json(record), 201)


@router.get("/environments", dependencies=[READ], tags=["environments"])
def list_environment_versions(store: Store, name: str | None = None) -> Response:
    """Every registered version (of ``name`` only, if given), by name, then version."""
    records = store.list_environment_versions(name)
    return ok([wire.record_to_json(record) for record in records])


@router.get("/environments/{name}/versions/latest", dependencies=[READ], tags=["environments"])
def get_latest_environment_version(name: str, store: Store) -> Response:
    """The newest version of an environment."""
    return ok(wire.record_to_json(store.get_environment_version(name)))


@router.get("/environments/{name}/versions/{version}", dependencies=[READ], tags=["environments"])
def get_environment_version(name: str, version: int, store: Store) -> Response:
    """One version of an environment."""
    return ok(wire.record_to_json(store.get_environment_version(name, version)))
