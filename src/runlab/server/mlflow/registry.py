"""MLflow's model registry as runlab's: a registered model is a runlab model, a model version
a runlab model version (files copied to ``models/<name>/<version>/`` with their content hash,
lineage to the run), and aliases are runlab's (``Model(ws, "name@alias")``).

A version is registered from its ``source``: ``models:/m-<id>`` (a logged model),
``models:/<name>/<version>``, ``runs:/<run_id>/<path>`` or ``mlflow-artifacts:/<path>``. Its
files are copied when it is created, so versions come back ``READY``.
"""

from __future__ import annotations

import pathlib
import tempfile
from typing import Any

from fastapi import APIRouter

from runlab.artifacts import vet_path
from runlab.entities.model import ModelRecord, RegisteredModelRecord
from runlab.entities.run_layout import run_prefix
from runlab.errors import NotFoundError, ValidationError
from runlab.server.mlflow._endpoint import Context, endpoint
from runlab.server.mlflow._protocol import (
    NotServedError,
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
from runlab.store import RegisteredModelStore
from runlab.store.logged_models import logged_model_prefix

__all__ = ["router"]

router = APIRouter(prefix="/api/2.0/mlflow")

SOURCE_PROPERTY = "mlflow.source"
MODEL_ID_PROPERTY = "mlflow.model_id"


def _registry(ctx: Context) -> RegisteredModelStore:
    return ctx.store


def _version_number(value: Any) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise ValidationError(f"a model version is an integer, not {value!r}") from None


def version_json(record: ModelRecord, aliases: dict[str, int]) -> dict[str, Any]:
    """A runlab model version as MLflow's ``ModelVersion`` message."""
    created = to_ms(record.created_time)
    answer: dict[str, Any] = {
        "name": record.name,
        "version": str(record.version),
        "creation_timestamp": created,
        "last_updated_timestamp": created,
        "current_stage": "None",
        "description": record.description or "",
        "source": record.properties.get(SOURCE_PROPERTY, f"models:/{record.name}/{record.version}"),
        "status": "READY",
        "tags": as_key_values(record.tags),
        "aliases": sorted(alias for alias, version in aliases.items() if version == record.version),
    }
    if record.run_id is not None:
        answer["run_id"] = record.run_id
    if MODEL_ID_PROPERTY in record.properties:
        answer["model_id"] = record.properties[MODEL_ID_PROPERTY]
    return answer


def _registered_json(ctx: Context, record: RegisteredModelRecord) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "name": record.name,
        "creation_timestamp": to_ms(record.created_time),
        "last_updated_timestamp": to_ms(record.updated_time),
        "description": record.description or "",
        "tags": as_key_values(record.tags),
        "aliases": [
            {"alias": alias, "version": str(version)}
            for alias, version in sorted(record.aliases.items())
        ],
    }
    latest = ctx.store.search_model_versions(name=record.name, latest_only=True)
    if latest:
        answer["latest_versions"] = [version_json(latest[0], record.aliases)]
    return answer


def _version_answer(ctx: Context, record: ModelRecord) -> dict[str, Any]:
    aliases = _registry(ctx).get_registered_model(record.name).aliases
    return {"model_version": version_json(record, aliases)}


def _paged(items: list[Any], values: dict[str, Any], key: str, default: int) -> dict[str, Any]:
    size = max_results(values.get("max_results"), default, 200000)
    start = read_page_token(values.get("page_token"))
    answer: dict[str, Any] = {key: items[start : start + size]}
    if start + size < len(items):
        answer["next_page_token"] = page_token(start + size)
    return answer


# -- registered models ---------------------------------------------------------------------


@endpoint(router, "POST", "/registered-models/create", "write")
def create_registered_model(ctx: Context, values: dict[str, Any]) -> Any:
    """Create a registered model (a runlab model name) before its first version."""
    from runlab.models.values import check_model_name

    name = check_model_name(required(values, "name"))
    record = _registry(ctx).create_registered_model(
        name,
        description=values.get("description") or None,
        tags=key_values(values.get("tags"), "tags"),
    )
    return {"registered_model": _registered_json(ctx, record)}


@endpoint(router, "GET", "/registered-models/get", "read")
def get_registered_model(ctx: Context, values: dict[str, Any]) -> Any:
    """A registered model with its latest version and aliases."""
    record = _registry(ctx).get_registered_model(required(values, "name"))
    return {"registered_model": _registered_json(ctx, record)}


@endpoint(router, "GET", "/registered-models/search", "read")
def search_registered_models(ctx: Context, values: dict[str, Any]) -> Any:
    """Registered models by name (``name = '...'`` or ``name LIKE '...'``)."""
    condition = simple_filter(values.get("filter")).get("name")
    records = [
        r for r in _registry(ctx).list_registered_models() if name_matches(r.name, condition)
    ]
    page = _paged(records, values, "registered_models", 100)
    page["registered_models"] = [_registered_json(ctx, r) for r in page["registered_models"]]
    return page


@endpoint(router, "PATCH", "/registered-models/update", "write")
def update_registered_model(ctx: Context, values: dict[str, Any]) -> Any:
    """Change a registered model's description."""
    record = _registry(ctx).update_registered_model(
        required(values, "name"), description=str(values.get("description") or "")
    )
    return {"registered_model": _registered_json(ctx, record)}


@endpoint(router, "POST", "/registered-models/rename", "write")
def rename_registered_model(ctx: Context, values: dict[str, Any]) -> Any:
    """Not served: a runlab model's name is part of its versions' ids."""
    _registry(ctx).get_registered_model(required(values, "name"))
    raise NotServedError("runlab models cannot be renamed: name:version is a model's id")


@endpoint(router, "DELETE", "/registered-models/delete", "write")
def delete_registered_model(ctx: Context, values: dict[str, Any]) -> Any:
    """Delete a registered model, its aliases and its versions."""
    _registry(ctx).delete_registered_model(required(values, "name"))
    return None


@endpoint(router, "POST", "/registered-models/set-tag", "write")
def set_registered_model_tag(ctx: Context, values: dict[str, Any]) -> Any:
    """Set a tag of a registered model."""
    tag = {required(values, "key"): str(values.get("value", ""))}
    _registry(ctx).update_registered_model(required(values, "name"), tags=tag)
    return None


@endpoint(router, "DELETE", "/registered-models/delete-tag", "write")
def delete_registered_model_tag(ctx: Context, values: dict[str, Any]) -> Any:
    """Remove a tag of a registered model."""
    store = _registry(ctx)
    store.update_registered_model(required(values, "name"), remove_tag=required(values, "key"))
    return None


@endpoint(router, "POST", "/registered-models/alias", "write")
def set_alias(ctx: Context, values: dict[str, Any]) -> Any:
    """Point ``name@alias`` at a version (moving it if it pointed elsewhere)."""
    version = _version_number(required(values, "version"))
    _registry(ctx).set_model_alias(required(values, "name"), required(values, "alias"), version)
    return None


@endpoint(router, "DELETE", "/registered-models/alias", "write")
def delete_alias(ctx: Context, values: dict[str, Any]) -> Any:
    """Remove ``name@alias``."""
    _registry(ctx).delete_model_alias(required(values, "name"), required(values, "alias"))
    return None


@endpoint(router, "GET", "/registered-models/alias", "read")
def get_version_by_alias(ctx: Context, values: dict[str, Any]) -> Any:
    """The version ``name@alias`` points at."""
    record = _registry(ctx).get_model_version_by_alias(
        required(values, "name"), required(values, "alias")
    )
    return _version_answer(ctx, record)


@endpoint(router, "POST", "/registered-models/get-latest-versions", "read")
def get_latest_versions(ctx: Context, values: dict[str, Any]) -> Any:
    """The newest version of a model (runlab has no stages: every version is in ``None``)."""
    name = required(values, "name")
    registered = _registry(ctx).get_registered_model(name)
    latest = ctx.store.search_model_versions(name=name, latest_only=True)
    return {"model_versions": [version_json(record, registered.aliases) for record in latest]}


# -- model versions ------------------------------------------------------------------------


def _source_prefix(ctx: Context, source: str, model_id: str | None) -> tuple[str, str | None]:
    """The artifact-store folder a version's ``source`` names, and the run it comes from.

    Raises:
        ValidationError: a source runlab cannot read.
        NotFoundError: the logged model, run or version it names does not exist.
    """
    if source.startswith("models:/m-") or (model_id and not source):
        logged_id = source[len("models:/") :] if source.startswith("models:/") else str(model_id)
        from runlab.server.mlflow.logged_models import logged_model_files, logged_models_of

        logged = logged_models_of(ctx).get_logged_model(logged_id)
        return logged_model_files(ctx, logged_id), logged.source_run_id
    if source.startswith("models:/"):
        name, _slash, version = source[len("models:/") :].partition("/")
        record = ctx.store.get_model_version(name, _version_number(version))
        return f"models/{record.name}/{record.version}", record.run_id
    if source.startswith("runs:/"):
        run_id, _slash, path = source[len("runs:/") :].partition("/")
        ctx.store.get_run(run_id)
        return (run_prefix(run_id) + vet_path(path)).rstrip("/"), run_id
    if source.startswith("mlflow-artifacts:"):
        key = vet_path(source[len("mlflow-artifacts:") :].lstrip("/"))
        if key.startswith(logged_model_prefix("")):
            logged_id = key.split("/")[1]
            from runlab.server.mlflow.logged_models import logged_models_of

            return key, logged_models_of(ctx).get_logged_model(logged_id).source_run_id
        return key, None
    raise ValidationError(
        f"cannot register from {source!r}: use models:/m-<id>, models:/<name>/<version>,"
        " runs:/<run_id>/<path> or mlflow-artifacts:/<path>"
    )


@endpoint(router, "POST", "/model-versions/create", "write")
def create_model_version(ctx: Context, values: dict[str, Any]) -> Any:
    """Register a new version from ``source``: its files are copied into the registry with
    their content hash and the run as lineage; it comes back READY."""
    from runlab.models.registration import register_local
    from runlab.models.values import check_model_name

    name = check_model_name(required(values, "name"))
    source = str(values.get("source") or "")
    model_id = values.get("model_id") or None
    prefix, source_run = _source_prefix(ctx, source, model_id)
    run_id = values.get("run_id") or source_run
    properties = {SOURCE_PROPERTY: source or f"models:/{model_id}"}
    if model_id is None and source.startswith("models:/m-"):
        model_id = source[len("models:/") :]
    if model_id:
        properties[MODEL_ID_PROPERTY] = str(model_id)
    _registry(ctx)
    with tempfile.TemporaryDirectory(prefix="runlab-mlflow-model-") as scratch:
        local = pathlib.Path(scratch, "model")
        if ctx.artifacts.list_files(prefix):
            ctx.artifacts.get_folder(prefix, local)
        elif ctx.artifacts.exists(prefix):
            local = pathlib.Path(scratch, pathlib.PurePosixPath(prefix).name)
            ctx.artifacts.get_file(prefix, local)
        else:
            raise NotFoundError(f"nothing to register at {source!r}: it holds no files")
        record = register_local(
            ctx.workspace,
            local,
            name,
            tags=key_values(values.get("tags"), "tags"),
            properties=properties,
            description=values.get("description") or None,
            run_id=run_id,
        )
    return _version_answer(ctx, record)


@endpoint(router, "GET", "/model-versions/get", "read")
def get_model_version(ctx: Context, values: dict[str, Any]) -> Any:
    """One version of a model."""
    version = _version_number(required(values, "version"))
    return _version_answer(ctx, ctx.store.get_model_version(required(values, "name"), version))


@endpoint(router, "PATCH", "/model-versions/update", "write")
def update_model_version(ctx: Context, values: dict[str, Any]) -> Any:
    """Change a version's description."""
    version = _version_number(required(values, "version"))
    record = ctx.store.update_model_version(
        required(values, "name"), version, description=values.get("description") or None
    )
    return _version_answer(ctx, record)


@endpoint(router, "DELETE", "/model-versions/delete", "write")
def delete_model_version(ctx: Context, values: dict[str, Any]) -> Any:
    """Delete a version (its number is never given out again)."""
    version = _version_number(required(values, "version"))
    ctx.store.delete_model_version(required(values, "name"), version)
    return None


@endpoint(router, "GET", "/model-versions/search", "read")
def search_model_versions(ctx: Context, values: dict[str, Any]) -> Any:
    """Versions by ``name = '...'`` (or LIKE) and ``run_id = '...'``, newest first."""
    clauses = simple_filter(values.get("filter"))
    name_condition = clauses.pop("name", None)
    run_condition = clauses.pop("run_id", None)
    if clauses:
        raise ValidationError(f"runlab cannot filter model versions by {', '.join(clauses)}")
    exact_name = name_condition[1] if name_condition and name_condition[0] == "=" else None
    records = ctx.store.search_model_versions(
        name=exact_name, run_id=run_condition[1] if run_condition else None
    )
    records = [r for r in records if name_matches(r.name, name_condition)]
    registry = _registry(ctx)
    aliases = {
        name: registry.get_registered_model(name).aliases for name in {r.name for r in records}
    }
    page = _paged(records, values, "model_versions", 10000)
    page["model_versions"] = [version_json(r, aliases[r.name]) for r in page["model_versions"]]
    return page


@endpoint(router, "GET", "/model-versions/get-download-uri", "read")
def get_download_uri(ctx: Context, values: dict[str, Any]) -> Any:
    """Where a version's files are, for the client to download through the artifact proxy."""
    from runlab.models.files import model_prefix, model_root

    version = _version_number(required(values, "version"))
    record = ctx.store.get_model_version(required(values, "name"), version)
    return {"artifact_uri": f"mlflow-artifacts:/{model_prefix(record)}/{model_root(record.files)}"}


@endpoint(router, "POST", "/model-versions/set-tag", "write")
def set_model_version_tag(ctx: Context, values: dict[str, Any]) -> Any:
    """Set a tag of a version."""
    version = _version_number(required(values, "version"))
    tag = {required(values, "key"): str(values.get("value", ""))}
    ctx.store.set_model_version_tags(required(values, "name"), version, tag)
    return None


@endpoint(router, "DELETE", "/model-versions/delete-tag", "write")
def delete_model_version_tag(ctx: Context, values: dict[str, Any]) -> Any:
    """Remove a tag of a version."""
    version = _version_number(required(values, "version"))
    ctx.store.delete_model_version_tag(required(values, "name"), version, required(values, "key"))
    return None


@endpoint(router, "POST", "/model-versions/transition-stage", "write")
def transition_stage(ctx: Context, values: dict[str, Any]) -> Any:
    """Not served: MLflow's stages are deprecated; runlab has aliases instead."""
    raise NotServedError("runlab has no model stages: set an alias instead (e.g. 'champion')")
