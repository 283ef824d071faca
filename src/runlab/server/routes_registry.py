"""The API over model versions, datastores and compute targets: one route per
:class:`~runlab.store.MetadataStore` method."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends
from fastapi.responses import Response

from runlab.server._deps import READ, WRITE, metadata_store, ok
from runlab.server.schemas import (
    ComputeTargetIn,
    ComputeTargetUpdateIn,
    DatastoreIn,
    DescriptionIn,
    ModelSearchIn,
    ModelVersionIn,
    ModelVersionNumber,
)
from runlab.store import MetadataStore, wire

__all__ = ["router"]

router = APIRouter(prefix="/api")
Store = Annotated[MetadataStore, Depends(metadata_store)]
NO_CONTENT = 204
_VERSION = "/models/{name}/versions/{version}"

# -- models --------------------------------------------------------------------------------


@router.post("/models/{name}/versions", dependencies=[WRITE], tags=["models"], status_code=201)
def create_model_version(name: str, body: ModelVersionIn, store: Store) -> Response:
    """Take the next version number of a model and record the version as being registered."""
    record = store.create_model_version(
        name,
        content_hash=body.content_hash,
        files=body.files,
        run_id=body.run_id,
        description=body.description,
        tags=body.tags,
        properties=body.properties,
    )
    return ok(wire.record_to_json(record), 201)


@router.post("/models/search", dependencies=[READ], tags=["models"])
def search_model_versions(body: ModelSearchIn, store: Store) -> Response:
    """Model versions matching every filter, by name, newest version first."""
    records = store.search_model_versions(
        name=body.name,
        tags=body.tags,
        properties=body.properties,
        run_id=body.run_id,
        latest_only=body.latest_only,
    )
    return ok([wire.record_to_json(record) for record in records])


@router.get("/models/{name}/versions/latest", dependencies=[READ], tags=["models"])
def get_latest_model_version(name: str, store: Store) -> Response:
    """The newest finished version of a model."""
    return ok(wire.record_to_json(store.get_model_version(name)))


@router.get(_VERSION, dependencies=[READ], tags=["models"])
def get_model_version(name: str, version: ModelVersionNumber, store: Store) -> Response:
    """One version of a model."""
    return ok(wire.record_to_json(store.get_model_version(name, version)))


@router.post(_VERSION + "/finish", dependencies=[WRITE], tags=["models"])
def finish_model_version(name: str, version: ModelVersionNumber, store: Store) -> Response:
    """Make a version being registered visible."""
    return ok(wire.record_to_json(store.finish_model_version(name, version)))


@router.patch(_VERSION, dependencies=[WRITE], tags=["models"])
def update_model_version(
    name: str, version: ModelVersionNumber, body: DescriptionIn, store: Store
) -> Response:
    """Change a version's description."""
    record = store.update_model_version(name, version, description=body.description)
    return ok(wire.record_to_json(record))


@router.patch(_VERSION + "/tags", dependencies=[WRITE], tags=["models"], status_code=204)
def set_model_version_tags(
    name: str, version: ModelVersionNumber, tags: Annotated[dict[str, str], Body()], store: Store
) -> Response:
    """Set (add or replace) tags of a version."""
    store.set_model_version_tags(name, version, tags)
    return Response(status_code=NO_CONTENT)


@router.delete(_VERSION + "/tags", dependencies=[WRITE], tags=["models"], status_code=204)
def delete_model_version_tag(
    name: str, version: ModelVersionNumber, key: str, store: Store
) -> Response:
    """Remove the tag ``key`` of a version."""
    store.delete_model_version_tag(name, version, key)
    return Response(status_code=NO_CONTENT)


@router.post(_VERSION + "/properties", dependencies=[WRITE], tags=["models"], status_code=204)
def add_model_version_properties(
    name: str,
    version: ModelVersionNumber,
    properties: Annotated[dict[str, str], Body()],
    store: Store,
) -> Response:
    """Add properties to a version."""
    store.add_model_version_properties(name, version, properties)
    return Response(status_code=NO_CONTENT)


@router.delete(_VERSION, dependencies=[WRITE], tags=["models"], status_code=204)
def delete_model_version(name: str, version: ModelVersionNumber, store: Store) -> Response:
    """Delete a version (its number is not given out again)."""
    store.delete_model_version(name, version)
    return Response(status_code=NO_CONTENT)


# -- datastores ----------------------------------------------------------------------------


@router.post("/datastores", dependencies=[WRITE], tags=["datastores"], status_code=201)
def create_datastore(body: DatastoreIn, store: Store) -> Response:
    """Record a datastore (never its credentials)."""
    record = store.create_datastore(
        body.name, body.url, options=body.options, is_default=body.is_default
    )
    return ok(wire.record_to_json(record), 201)


@router.get("/datastores", dependencies=[READ], tags=["datastores"])
def list_datastores(store: Store) -> Response:
    """Every datastore, by name."""
    return ok([wire.record_to_json(record) for record in store.list_datastores()])


@router.get("/datastores/{name}", dependencies=[READ], tags=["datastores"])
def get_datastore(name: str, store: Store) -> Response:
    """One datastore."""
    return ok(wire.record_to_json(store.get_datastore(name)))


@router.delete("/datastores/{name}", dependencies=[WRITE], tags=["datastores"], status_code=204)
def delete_datastore(name: str, store: Store) -> Response:
    """Forget a datastore (its files are not touched)."""
    store.delete_datastore(name)
    return Response(status_code=NO_CONTENT)


@router.post("/datastores/{name}/default", dependencies=[WRITE], tags=["datastores"])
def set_default_datastore(name: str, store: Store) -> Response:
    """Make a datastore the default, atomically."""
    return ok(wire.record_to_json(store.set_default_datastore(name)))


# -- compute targets -----------------------------------------------------------------------


@router.post("/compute-targets", dependencies=[WRITE], tags=["compute"], status_code=201)
def create_compute_target(body: ComputeTargetIn, store: Store) -> Response:
    """Record a compute target."""
    record = store.create_compute_target(body.name, body.kind, config=body.config, state=body.state)
    return ok(wire.record_to_json(record), 201)


@router.get("/compute-targets", dependencies=[READ], tags=["compute"])
def list_compute_targets(store: Store) -> Response:
    """Every compute target, by name."""
    return ok([wire.record_to_json(record) for record in store.list_compute_targets()])


@router.get("/compute-targets/{name}", dependencies=[READ], tags=["compute"])
def get_compute_target(name: str, store: Store) -> Response:
    """One compute target."""
    return ok(wire.record_to_json(store.get_compute_target(name)))


@router.patch("/compute-targets/{name}", dependencies=[WRITE], tags=["compute"])
def update_compute_target(name: str, body: ComputeTargetUpdateIn, store: Store) -> Response:
    """Replace a compute target's config and/or state."""
    record = store.update_compute_target(name, config=body.config, state=body.state)
    return ok(wire.record_to_json(record))


@router.delete("/compute-targets/{name}", dependencies=[WRITE], tags=["compute"], status_code=204)
def delete_compute_target(name: str, store: Store) -> Response:
    """Forget a compute target."""
    store.delete_compute_target(name)
    return Response(status_code=NO_CONTENT)
