"""The API over dataset versions: one route per :class:`~runlab.store.DatasetStore` method."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, Field

from runlab.server._deps import READ, WRITE, metadata_store, ok
from runlab.server.schemas import ModelVersionNumber
from runlab.store import MetadataStore, wire

__all__ = ["DatasetVersionIn", "router"]

router = APIRouter(prefix="/api")
Store = Annotated[MetadataStore, Depends(metadata_store)]


class DatasetVersionIn(BaseModel):
    """A dataset version to record (see ``create_dataset_version``)."""

    kind: str = Field(max_length=16)
    definition: dict[str, Any]
    files: list[dict[str, Any]]
    content_hash: str = Field(max_length=64)
    description: str | None = None
    tags: dict[str, str] | None = None
    snapshot: bool = False
    create_new_version: bool = False


@router.post("/datasets/{name}/versions", dependencies=[WRITE], tags=["datasets"], status_code=201)
def create_dataset_version(name: str, body: DatasetVersionIn, store: Store) -> Response:
    """Record a version of a dataset (or return the latest when it has the same content)."""
    record = store.create_dataset_version(
        name,
        kind=body.kind,
        definition=body.definition,
        files=body.files,
        content_hash=body.content_hash,
        description=body.description,
        tags=body.tags,
        snapshot=body.snapshot,
        create_new_version=body.create_new_version,
    )
    return ok(wire.record_to_json(record), 201)


@router.get("/datasets", dependencies=[READ], tags=["datasets"])
def list_datasets(store: Store) -> Response:
    """The latest version of every dataset, by name."""
    return ok([wire.record_to_json(record) for record in store.list_dataset_versions()])


@router.get("/datasets/{name}/versions", dependencies=[READ], tags=["datasets"])
def list_dataset_versions(name: str, store: Store) -> Response:
    """Every version of a dataset, newest first."""
    return ok([wire.record_to_json(record) for record in store.list_dataset_versions(name)])


@router.get("/datasets/{name}/versions/latest", dependencies=[READ], tags=["datasets"])
def get_latest_dataset_version(name: str, store: Store) -> Response:
    """The newest version of a dataset."""
    return ok(wire.record_to_json(store.get_dataset_version(name)))


@router.get("/datasets/{name}/versions/{version}", dependencies=[READ], tags=["datasets"])
def get_dataset_version(name: str, version: ModelVersionNumber, store: Store) -> Response:
    """One version of a dataset."""
    return ok(wire.record_to_json(store.get_dataset_version(name, version)))
