"""MLflow 3's logged models (every ``log_model`` and autolog's models make one): recorded in
runlab's store with their run, their files under ``logged_models/<model_id>/`` in runlab's
artifact store."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from runlab.entities.model import LoggedModelRecord
from runlab.errors import NotFoundError, ValidationError
from runlab.server.mlflow._endpoint import Context, endpoint
from runlab.server.mlflow._protocol import (
    as_key_values,
    key_values,
    max_results,
    name_matches,
    page_token,
    read_page_token,
    required,
    simple_filter,
    to_ms,
)
from runlab.server.mlflow.experiments import ExperimentIds, experiment_of
from runlab.store import LoggedModelStore
from runlab.store.logged_models import logged_model_prefix

__all__ = ["logged_model_json", "logged_models_of", "router"]

router = APIRouter(prefix="/api/2.0/mlflow")

_STATUSES = {
    "LOGGED_MODEL_PENDING": "PENDING",
    "LOGGED_MODEL_READY": "READY",
    "LOGGED_MODEL_UPLOAD_FAILED": "FAILED",
}
_WIRE_STATUSES = {status: wire for wire, status in _STATUSES.items()}


def logged_models_of(ctx: Context) -> LoggedModelStore:
    """The store's logged models."""
    return ctx.store


def logged_model_json(record: LoggedModelRecord, experiment_id: str) -> dict[str, Any]:
    """A logged model as MLflow's ``LoggedModel`` message."""
    info: dict[str, Any] = {
        "model_id": record.model_id,
        "experiment_id": experiment_id,
        "name": record.name,
        "creation_timestamp_ms": to_ms(record.created_time),
        "last_updated_timestamp_ms": to_ms(record.updated_time),
        "artifact_uri": f"mlflow-artifacts:/{logged_model_prefix(record.model_id)}",
        "status": _WIRE_STATUSES[record.status],
        "tags": as_key_values(record.tags),
    }
    if record.source_run_id is not None:
        info["source_run_id"] = record.source_run_id
    if record.model_type:
        info["model_type"] = record.model_type
    return {"info": info, "data": {"params": as_key_values(record.params), "metrics": []}}


def _answer(ctx: Context, record: LoggedModelRecord) -> dict[str, Any]:
    experiment_id = ExperimentIds(ctx.store).id_of(record.experiment_name)
    return {"model": logged_model_json(record, experiment_id)}


@endpoint(router, "POST", "/logged-models", "write")
def create_logged_model(ctx: Context, values: dict[str, Any]) -> Any:
    """Record a new logged model, PENDING while the client uploads its files."""
    store = logged_models_of(ctx)
    experiment = experiment_of(ctx.store, required(values, "experiment_id"))
    record = store.create_logged_model(
        experiment.name,
        str(values.get("name") or "model"),
        source_run_id=values.get("source_run_id") or None,
        model_type=values.get("model_type") or None,
        tags=key_values(values.get("tags"), "tags"),
        params=key_values(values.get("params"), "params"),
    )
    return _answer(ctx, record)


@endpoint(router, "GET", "/logged-models/{model_id}", "read")
def get_logged_model(ctx: Context, values: dict[str, Any]) -> Any:
    """A logged model."""
    return _answer(ctx, logged_models_of(ctx).get_logged_model(required(values, "model_id")))


@endpoint(router, "PATCH", "/logged-models/{model_id}", "write")
def finalize_logged_model(ctx: Context, values: dict[str, Any]) -> Any:
    """Mark a logged model READY (its files are uploaded) or failed."""
    wire = required(values, "status")
    status = _STATUSES.get(wire)
    if status is None:
        raise ValidationError(f"unknown logged model status {wire!r}: use {', '.join(_STATUSES)}")
    store = logged_models_of(ctx)
    return _answer(ctx, store.update_logged_model(required(values, "model_id"), status=status))


@endpoint(router, "DELETE", "/logged-models/{model_id}", "write")
def delete_logged_model(ctx: Context, values: dict[str, Any]) -> Any:
    """Forget a logged model and delete its files."""
    model_id = required(values, "model_id")
    logged_models_of(ctx).delete_logged_model(model_id)
    if ctx.artifacts.list_files(logged_model_prefix(model_id)):
        ctx.artifacts.delete(logged_model_prefix(model_id))
    return None


@endpoint(router, "PATCH", "/logged-models/{model_id}/tags", "write")
def set_logged_model_tags(ctx: Context, values: dict[str, Any]) -> Any:
    """Set tags of a logged model."""
    tags = key_values(values.get("tags"), "tags")
    logged_models_of(ctx).update_logged_model(required(values, "model_id"), tags=tags)
    return None


@endpoint(router, "DELETE", "/logged-models/{model_id}/tags/{tag_key}", "write")
def delete_logged_model_tag(ctx: Context, values: dict[str, Any]) -> Any:
    """Remove a tag of a logged model."""
    store = logged_models_of(ctx)
    store.update_logged_model(required(values, "model_id"), remove_tag=required(values, "tag_key"))
    return None


@endpoint(router, "POST", "/logged-models/{model_id}/params", "write")
def log_logged_model_params(ctx: Context, values: dict[str, Any]) -> Any:
    """Add parameters to a logged model."""
    params = key_values(values.get("params"), "params")
    logged_models_of(ctx).update_logged_model(required(values, "model_id"), params=params)
    return None


@endpoint(router, "POST", "/logged-models/search", "read")
def search_logged_models(ctx: Context, values: dict[str, Any]) -> Any:
    """Logged models of some experiments, newest first; the filter may be
    ``source_run_id = '...'``."""
    store = logged_models_of(ctx)
    experiment_ids = values.get("experiment_ids") or []
    names = [experiment_of(ctx.store, str(eid)).name for eid in experiment_ids] or None
    clauses = simple_filter(values.get("filter"))
    name_condition = clauses.pop("name", None)
    run_condition = clauses.pop("source_run_id", None)
    if clauses or (run_condition is not None and run_condition[0] != "="):
        raise ValidationError(
            "runlab filters logged models by name and source_run_id = '...' only, not"
            f" {values.get('filter')!r}"
        )
    run_id = run_condition[1] if run_condition else None
    records = store.search_logged_models(experiment_names=names, source_run_id=run_id)
    records = [r for r in records if name_matches(r.name, name_condition)]
    size = max_results(values.get("max_results"), 100, 10000)
    start = read_page_token(values.get("page_token"))
    ids = ExperimentIds(ctx.store)
    page = records[start : start + size]
    answer: dict[str, Any] = {
        "models": [logged_model_json(r, ids.id_of(r.experiment_name)) for r in page]
    }
    if start + size < len(records):
        answer["next_page_token"] = page_token(start + size)
    return answer


def logged_model_files(ctx: Context, model_id: str) -> str:
    """The artifact-store folder of a logged model that exists.

    Raises:
        NotFoundError: no such logged model.
    """
    logged_models_of(ctx).get_logged_model(model_id)
    prefix = logged_model_prefix(model_id)
    if not ctx.artifacts.list_files(prefix):
        raise NotFoundError(f"logged model {model_id!r} has no files")
    return prefix
