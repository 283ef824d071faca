"""The API over web services: one route per :class:`~runlab.store.services.ServiceStore`
method."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, Field

from runlab.server._deps import READ, WRITE, metadata_store, ok
from runlab.store import MetadataStore

__all__ = ["router"]

router = APIRouter(prefix="/api")
Store = Annotated[MetadataStore, Depends(metadata_store)]


class ServiceIn(BaseModel):
    """A web service to record."""

    name: str = Field(min_length=1, max_length=255)
    kind: str
    state: str
    models: list[str] = []
    config: dict[str, Any] | None = None
    details: dict[str, Any] | None = None


class ServiceUpdateIn(BaseModel):
    """What changes of a web service."""

    state: str | None = None
    models: list[str] | None = None
    config: dict[str, Any] | None = None
    details: dict[str, Any] | None = None


@router.post("/services", dependencies=[WRITE], tags=["services"], status_code=201)
def create_service(body: ServiceIn, store: Store) -> Response:
    """Record a web service."""
    record = store.create_service(
        body.name,
        body.kind,
        state=body.state,
        models=body.models,
        config=body.config,
        details=body.details,
    )
    return ok(record.to_dict(), 201)


@router.get("/services", dependencies=[READ], tags=["services"])
def list_services(store: Store) -> Response:
    """Every web service, by name."""
    return ok([record.to_dict() for record in store.list_services()])


@router.get("/services/{name}", dependencies=[READ], tags=["services"])
def get_service(name: str, store: Store) -> Response:
    """One web service."""
    return ok(store.get_service(name).to_dict())


@router.patch("/services/{name}", dependencies=[WRITE], tags=["services"])
def update_service(name: str, body: ServiceUpdateIn, store: Store) -> Response:
    """Replace what is given of a web service."""
    record = store.update_service(
        name, state=body.state, models=body.models, config=body.config, details=body.details
    )
    return ok(record.to_dict())


@router.delete("/services/{name}", dependencies=[WRITE], tags=["services"], status_code=204)
def delete_service(name: str, store: Store) -> Response:
    """Forget a web service."""
    store.delete_service(name)
    return Response(status_code=204)
