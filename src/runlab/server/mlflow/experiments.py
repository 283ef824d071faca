"""MLflow's experiments as runlab experiments.

An MLflow experiment id is the runlab experiment's id as a string, except ``"0"``: MLflow's
``Default`` experiment, which always exists (runlab makes the experiment ``Default`` on first
use). Experiment names follow runlab's rule (letters, digits, ``-`` and ``_``).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter

from runlab.entities import ExperimentRecord
from runlab.errors import NotFoundError, ValidationError
from runlab.server.mlflow._endpoint import Context, endpoint
from runlab.server.mlflow._protocol import (
    as_key_values,
    key_values,
    max_results,
    page_token,
    read_page_token,
    required,
    to_ms,
)
from runlab.store import RunStore

__all__ = [
    "DEFAULT_EXPERIMENT",
    "ExperimentIds",
    "experiment_json",
    "experiment_of",
    "router",
    "view_type_deleted",
]

router = APIRouter(prefix="/api/2.0/mlflow")

DEFAULT_EXPERIMENT = "Default"
DEFAULT_EXPERIMENT_ID = "0"
_NAME_FILTER = re.compile(r"^\s*(?:attributes\.)?name\s*(=|LIKE|ILIKE)\s*'([^']*)'\s*$", re.I)


def mlflow_id(record: ExperimentRecord) -> str:
    """The MLflow id of a runlab experiment."""
    if record.name == DEFAULT_EXPERIMENT:
        return DEFAULT_EXPERIMENT_ID
    return str(record.experiment_id)


class ExperimentIds:
    """Experiment names to MLflow ids, read once (for a page of runs)."""

    def __init__(self, store: RunStore) -> None:
        self._ids = {record.name: mlflow_id(record) for record in store.list_experiments()}

    def id_of(self, name: str) -> str:
        """The MLflow id of the experiment ``name``."""
        return self._ids.get(name, "")


def experiment_of(store: RunStore, experiment_id: str) -> ExperimentRecord:
    """The runlab experiment of an MLflow experiment id (``"0"``: ``Default``, made if
    missing).

    Raises:
        NotFoundError: no experiment has that id.
    """
    text = str(experiment_id).strip()
    if text == DEFAULT_EXPERIMENT_ID:
        return store.get_or_create_experiment(DEFAULT_EXPERIMENT)
    for record in store.list_experiments():
        if str(record.experiment_id) == text and record.name != DEFAULT_EXPERIMENT:
            return record
    raise NotFoundError(f"No Experiment with id={text} exists")


def view_type_deleted(value: Any) -> bool | None:
    """MLflow's ``view_type`` (``ACTIVE_ONLY``, the default; ``DELETED_ONLY``; ``ALL``; or
    their numbers 1, 2, 3) as the store's ``deleted`` filter: False, True or None.

    Raises:
        ValidationError: another value.
    """
    text = str(value or "ACTIVE_ONLY").strip().upper()
    views: dict[str, bool | None] = {
        "ACTIVE_ONLY": False,
        "1": False,
        "DELETED_ONLY": True,
        "2": True,
        "ALL": None,
        "3": None,
    }
    if text not in views:
        raise ValidationError(f"unknown view type {value!r}: use ACTIVE_ONLY, DELETED_ONLY or ALL")
    return views[text]


def experiment_json(record: ExperimentRecord) -> dict[str, Any]:
    """A runlab experiment as MLflow's ``Experiment`` message."""
    created = to_ms(record.created_time)
    deleted = record.deleted_time is not None
    return {
        "experiment_id": mlflow_id(record),
        "name": record.name,
        "artifact_location": f"mlflow-artifacts:/experiments/{mlflow_id(record)}",
        "lifecycle_stage": "deleted" if deleted else "active",
        "creation_time": created,
        "last_update_time": to_ms(record.deleted_time) if deleted else created,
        "tags": as_key_values(record.tags),
    }


@endpoint(router, "GET", "/experiments/get-by-name", "read")
def get_experiment_by_name(ctx: Context, values: dict[str, Any]) -> Any:
    """The experiment of a name."""
    name = required(values, "experiment_name")
    try:
        record = ctx.store.get_experiment(name)
    except NotFoundError:
        if name != DEFAULT_EXPERIMENT:
            raise NotFoundError(f"Could not find experiment with name '{name}'") from None
        record = ctx.store.get_or_create_experiment(name)
    return {"experiment": experiment_json(record)}


@endpoint(router, "POST", "/experiments/create", "write")
def create_experiment(ctx: Context, values: dict[str, Any]) -> Any:
    """Create an experiment; its name follows runlab's rule."""
    from runlab.tracking.experiment import check_experiment_name

    name = check_experiment_name(required(values, "name"))
    tags = key_values(values.get("tags"), "tags")
    record = ctx.store.create_experiment(name)
    if tags:
        record = ctx.store.update_experiment(name, tags=tags)
    return {"experiment_id": mlflow_id(record)}


@endpoint(router, "GET", "/experiments/get", "read")
def get_experiment(ctx: Context, values: dict[str, Any]) -> Any:
    """The experiment of an id."""
    return {
        "experiment": experiment_json(experiment_of(ctx.store, required(values, "experiment_id")))
    }


@endpoint(router, "POST", "/experiments/search", "read")
def search_experiments(ctx: Context, values: dict[str, Any]) -> Any:
    """Experiments by name and lifecycle stage (``view_type``); the filter may be
    ``name = '...'``, ``name LIKE '...'`` or ``name ILIKE '...'``."""
    ctx.store.get_or_create_experiment(DEFAULT_EXPERIMENT)
    deleted = view_type_deleted(values.get("view_type"))
    records = [
        record
        for record in ctx.store.list_experiments()
        if deleted is None or (record.deleted_time is not None) == deleted
    ]
    text = values.get("filter") or ""
    if text.strip():
        found = _NAME_FILTER.match(text)
        if found is None:
            raise ValidationError(
                f"runlab filters experiments by name only (name = '...', name LIKE '...'),"
                f" not {text!r}"
            )
        operator, wanted = found.group(1).upper(), found.group(2)
        if operator == "=":
            records = [r for r in records if r.name == wanted]
        else:
            pattern = re.escape(wanted).replace("%", ".*").replace("_", ".")
            flags = re.IGNORECASE if operator == "ILIKE" else 0
            records = [r for r in records if re.fullmatch(pattern, r.name, flags)]
    size = max_results(values.get("max_results"), 1000, 50000)
    start = read_page_token(values.get("page_token"))
    page = records[start : start + size]
    answer: dict[str, Any] = {"experiments": [experiment_json(r) for r in page]}
    if start + size < len(records):
        answer["next_page_token"] = page_token(start + size)
    return answer


@endpoint(router, "POST", "/experiments/update", "write")
def update_experiment(ctx: Context, values: dict[str, Any]) -> Any:
    """Rename an experiment (its runs follow); the new name follows runlab's rule."""
    from runlab.tracking.experiment import check_experiment_name

    record = experiment_of(ctx.store, required(values, "experiment_id"))
    new_name = values.get("new_name")
    if new_name:
        if record.name == DEFAULT_EXPERIMENT:
            raise ValidationError("the Default experiment (id 0) keeps its name")
        ctx.store.update_experiment(record.name, new_name=check_experiment_name(new_name))
    return None


def _mark(ctx: Context, values: dict[str, Any], deleted: bool) -> None:
    record = experiment_of(ctx.store, required(values, "experiment_id"))
    if deleted and record.name == DEFAULT_EXPERIMENT:
        raise ValidationError("the Default experiment (id 0) cannot be deleted")
    ctx.store.update_experiment(record.name, deleted=deleted)


@endpoint(router, "POST", "/experiments/delete", "write")
def delete_experiment(ctx: Context, values: dict[str, Any]) -> Any:
    """Mark an experiment deleted: searches hide it, and its runs and files stay."""
    _mark(ctx, values, True)
    return None


@endpoint(router, "POST", "/experiments/restore", "write")
def restore_experiment(ctx: Context, values: dict[str, Any]) -> Any:
    """Clear an experiment's deletion mark."""
    _mark(ctx, values, False)
    return None


@endpoint(router, "POST", "/experiments/set-experiment-tag", "write")
def set_experiment_tag(ctx: Context, values: dict[str, Any]) -> Any:
    """Set one tag of an experiment."""
    record = experiment_of(ctx.store, required(values, "experiment_id"))
    key, value = required(values, "key"), values.get("value")
    ctx.store.update_experiment(record.name, tags={key: "" if value is None else str(value)})
    return None
