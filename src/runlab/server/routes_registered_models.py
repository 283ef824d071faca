"""The API over registered models (records, aliases) and logged models: one route per method
of :class:`~runlab.store.RegisteredModelStore` and :class:`~runlab.store.LoggedModelStore`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from pydantic import BaseModel, Field

from runlab.server._deps import READ, WRITE, metadata_store, ok
from runlab.server.schemas import Int64
from runlab.store import MetadataStore, wire

__all__ = ["router"]

router = APIRouter(prefix="/api")
Store = Annotated[MetadataStore, Depends(metadata_store)]
_MODEL = "/registered-models/{name}"
_ALIAS = _MODEL + "/aliases/{alias}"
_LOGGED = "/logged-models/{model_id}"


class RegisteredModelIn(BaseModel):
    """A registered model's record to create."""

    name: str = Field(min_length=1, max_length=255)
    description: str | None = None
    tags: dict[str, str] | None = None


class RegisteredModelUpdateIn(BaseModel):
    """What changes of a registered model's record."""

    description: str | None = None
    tags: dict[str, str] | None = None
    remove_tag: str | None = None


class AliasIn(BaseModel):
    """The version an alias points at."""

    version: Int64


class LoggedModelIn(BaseModel):
    """A logged model to record."""

    experiment_name: str
    name: str
    source_run_id: str | None = None
    model_type: str | None = None
    tags: dict[str, str] | None = None
    params: dict[str, str] | None = None


class LoggedModelUpdateIn(BaseModel):
    """What changes of a logged model."""

    status: str | None = None
    tags: dict[str, str] | None = None
    remove_tag: str | None = None
    params: dict[str, str] | None = None


class LoggedModelSearchIn(BaseModel):
    """Which logged models to list."""

    experiment_names: list[str] | None = None
    source_run_id: str | None = None


@router.post("/registered-models", dependencies=[WRITE], tags=["models"], status_code=201)
def create_registered_model(body: RegisteredModelIn, store: Store) -> Response:
    """Create a model's record before any version."""
    record = store.create_registered_model(body.name, description=body.description, tags=body.tags)
    return ok(wire.record_to_json(record), 201)


@router.get("/registered-models", dependencies=[READ], tags=["models"])
def list_registered_models(store: Store) -> Response:
    """Every model with a record or a version, by name."""
    return ok([wire.record_to_json(record) for record in store.list_registered_models()])


@router.get(_MODEL, dependencies=[READ], tags=["models"])
def get_registered_model(name: str, store: Store) -> Response:
    """A model's record: description, tags, aliases."""
    return ok(wire.record_to_json(store.get_registered_model(name)))


@router.patch(_MODEL, dependencies=[WRITE], tags=["models"])
def update_registered_model(name: str, body: RegisteredModelUpdateIn, store: Store) -> Response:
    """Change a model's description, set tags, remove one tag."""
    record = store.update_registered_model(
        name, description=body.description, tags=body.tags, remove_tag=body.remove_tag
    )
    return ok(wire.record_to_json(record))


@router.delete(_MODEL, dependencies=[WRITE], tags=["models"], status_code=204)
def delete_registered_model(name: str, store: Store) -> Response:
    """Delete a model: its record, its aliases and every version."""
    store.delete_registered_model(name)
    return Response(status_code=204)


@router.put(_ALIAS, dependencies=[WRITE], tags=["models"], status_code=204)
def set_model_alias(name: str, alias: str, body: AliasIn, store: Store) -> Response:
    """Point ``name@alias`` at a version (moving it if it pointed elsewhere)."""
    store.set_model_alias(name, alias, body.version)
    return Response(status_code=204)


@router.get(_ALIAS, dependencies=[READ], tags=["models"])
def get_model_version_by_alias(name: str, alias: str, store: Store) -> Response:
    """The version ``name@alias`` points at."""
    return ok(wire.record_to_json(store.get_model_version_by_alias(name, alias)))


@router.delete(_ALIAS, dependencies=[WRITE], tags=["models"], status_code=204)
def delete_model_alias(name: str, alias: str, store: Store) -> Response:
    """Remove ``name@alias``."""
    store.delete_model_alias(name, alias)
    return Response(status_code=204)


@router.post("/logged-models", dependencies=[WRITE], tags=["models"], status_code=201)
def create_logged_model(body: LoggedModelIn, store: Store) -> Response:
    """Record a model logged from a run, PENDING."""
    record = store.create_logged_model(
        body.experiment_name,
        body.name,
        source_run_id=body.source_run_id,
        model_type=body.model_type,
        tags=body.tags,
        params=body.params,
    )
    return ok(wire.record_to_json(record), 201)


@router.post("/logged-models/search", dependencies=[READ], tags=["models"])
def search_logged_models(body: LoggedModelSearchIn, store: Store) -> Response:
    """Logged models of some experiments, or of one run, newest first."""
    records = store.search_logged_models(
        experiment_names=body.experiment_names, source_run_id=body.source_run_id
    )
    return ok([wire.record_to_json(record) for record in records])


@router.get(_LOGGED, dependencies=[READ], tags=["models"])
def get_logged_model(model_id: str, store: Store) -> Response:
    """One logged model."""
    return ok(wire.record_to_json(store.get_logged_model(model_id)))


@router.patch(_LOGGED, dependencies=[WRITE], tags=["models"])
def update_logged_model(model_id: str, body: LoggedModelUpdateIn, store: Store) -> Response:
    """Change a logged model's status, set tags, remove one tag, add parameters."""
    record = store.update_logged_model(
        model_id, status=body.status, tags=body.tags, remove_tag=body.remove_tag, params=body.params
    )
    return ok(wire.record_to_json(record))


@router.delete(_LOGGED, dependencies=[WRITE], tags=["models"], status_code=204)
def delete_logged_model(model_id: str, store: Store) -> Response:
    """Forget a logged model."""
    store.delete_logged_model(model_id)
    return Response(status_code=204)
