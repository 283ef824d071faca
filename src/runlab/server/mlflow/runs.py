"""MLflow's runs as runlab runs: their JSON, and the routes that create, change, read and
search them and log to them.

A run's MLflow artifact root is its folder in runlab's artifact store
(``mlflow-artifacts:/runs/<run_id>``); its parameters are runlab's add-only ``param.<name>``
properties; its tags are runlab's tags; its metrics keep step and timestamp; MLflow's
statuses map onto runlab's states (:data:`runlab.store.run_query.MLFLOW_STATUSES`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import APIRouter

from runlab.entities import Metric, RunRecord, RunStatus
from runlab.entities.run_layout import param_key, param_name, run_prefix
from runlab.errors import AlreadyExistsError, InvalidStateError, ValidationError
from runlab.server.mlflow._endpoint import Context, endpoint
from runlab.server.mlflow._protocol import (
    as_key_values,
    from_ms,
    key_values,
    max_results,
    number_from_wire,
    number_to_wire,
    page_token,
    read_page_token,
    required,
    to_ms,
)
from runlab.server.mlflow.experiments import ExperimentIds, experiment_of, view_type_deleted
from runlab.store.run_query import mlflow_status

__all__ = ["router", "run_json"]

router = APIRouter(prefix="/api/2.0/mlflow")

RUN_NAME_TAG = "mlflow.runName"
PARENT_TAG = "mlflow.parentRunId"
USER_TAG = "mlflow.user"
DATASET_PREFIX = "mlflow.dataset."
OUTPUT_MODEL_PREFIX = "mlflow.output_model."
MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_TAGS_PER_BATCH = 100
MAX_BATCH_BYTES = 1024 * 1024
MAX_PARAM_VALUE_LENGTH = 6000
MAX_SEARCH_RESULTS = 50000
_MLFLOW_TO_RUNLAB = {
    "RUNNING": RunStatus.RUNNING,
    "SCHEDULED": RunStatus.QUEUED,
    "FINISHED": RunStatus.COMPLETED,
    "FAILED": RunStatus.FAILED,
    "KILLED": RunStatus.CANCELED,
}


def artifact_uri(run_id: str) -> str:
    """The run's MLflow artifact root: its folder in runlab's artifact store."""
    return "mlflow-artifacts:/" + run_prefix(run_id).rstrip("/")


def _latest_metrics(ctx: Context, records: Sequence[RunRecord]) -> dict[str, list[dict[str, Any]]]:
    """Each run's metrics at their last point (value, step and when it was logged), read with
    one query per run and one for all points."""
    steps = {record.run_id: ctx.store.get_last_steps(record.run_id) for record in records}
    names = sorted({name for by_name in steps.values() for name in by_name})
    points = ctx.store.get_last_metric_points(list(steps), names) if names else {}
    latest: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        last = points.get(record.run_id, {})
        latest[record.run_id] = [
            {
                "key": name,
                "value": number_to_wire(point.value),
                "timestamp": to_ms(point.timestamp),
                "step": point.step,
            }
            for name, point in sorted(last.items())
        ]
    return latest


def run_json(
    record: RunRecord, experiment_id: str, metrics: list[dict[str, Any]]
) -> dict[str, Any]:
    """A runlab run as MLflow's ``Run`` message."""
    params = {
        name: value
        for key, value in record.properties.items()
        if (name := param_name(key)) is not None
    }
    tags = dict(record.tags) | {RUN_NAME_TAG: record.display_name}
    if record.parent_run_id is not None:
        tags[PARENT_TAG] = record.parent_run_id
    info: dict[str, Any] = {
        "run_id": record.run_id,
        "run_uuid": record.run_id,
        "run_name": record.display_name,
        "experiment_id": experiment_id,
        "user_id": record.tags.get(USER_TAG, ""),
        "status": mlflow_status(record.status),
        "start_time": to_ms(record.start_time or record.created_time),
        "artifact_uri": artifact_uri(record.run_id),
        "lifecycle_stage": "active" if record.deleted_time is None else "deleted",
    }
    if record.end_time is not None:
        info["end_time"] = to_ms(record.end_time)
    datasets = [
        json.loads(value)
        for key, value in sorted(record.properties.items())
        if key.startswith(DATASET_PREFIX)
    ]
    outputs = [
        {"model_id": key[len(OUTPUT_MODEL_PREFIX) :], "step": int(value)}
        for key, value in sorted(record.properties.items())
        if key.startswith(OUTPUT_MODEL_PREFIX)
    ]
    return {
        "info": info,
        "data": {"metrics": metrics, "params": as_key_values(params), "tags": as_key_values(tags)},
        "inputs": {"dataset_inputs": datasets},
        "outputs": {"model_outputs": outputs},
    }


def _runs_json(ctx: Context, records: Sequence[RunRecord]) -> list[dict[str, Any]]:
    ids = ExperimentIds(ctx.store)
    latest = _latest_metrics(ctx, records)
    return [run_json(r, ids.id_of(r.experiment_name), latest[r.run_id]) for r in records]


def _run_id(values: Mapping[str, Any]) -> str:
    run_id = values.get("run_id") or values.get("run_uuid")
    if not run_id:
        raise ValidationError("Missing value for required parameter 'run_id'")
    return str(run_id)


def _metric(values: Mapping[str, Any]) -> Metric:
    key = required(values, "key")
    value = number_from_wire(values.get("value"), f"the value of metric {key!r}")
    timestamp = from_ms(required(values, "timestamp"), f"the timestamp of metric {key!r}")
    step = values.get("step", 0)
    try:
        step_number = int(step or 0)
    except (TypeError, ValueError):
        raise ValidationError(
            f"the step of metric {key!r} must be an integer, not {step!r}"
        ) from None
    return Metric(key, value, step_number, timestamp)


def _add_params(ctx: Context, run_id: str, params: Mapping[str, str]) -> None:
    for key, value in params.items():
        if len(value) > MAX_PARAM_VALUE_LENGTH:
            raise ValidationError(
                f"the value of param {key!r} has {len(value)} characters, over the limit of"
                f" {MAX_PARAM_VALUE_LENGTH}"
            )
    try:
        ctx.store.add_properties(run_id, {param_key(k): v for k, v in params.items()})
    except AlreadyExistsError as error:
        raise ValidationError(
            f"Changing param values is not allowed. {error.message}"
            f" (run {run_id!r}: parameters are add-only; log a new run instead)"
        ) from error


def _set_tags(ctx: Context, run_id: str, tags: Mapping[str, str]) -> None:
    tags = dict(tags)
    run_name = tags.pop(RUN_NAME_TAG, None)
    if run_name:
        ctx.store.update_run(run_id, display_name=run_name)
    if tags:
        ctx.store.set_tags(run_id, tags)


# -- runs ----------------------------------------------------------------------------------


@endpoint(router, "POST", "/runs/create", "write")
def create_run(ctx: Context, values: dict[str, Any]) -> Any:
    """Create a run (a runlab run, Running) in an experiment."""
    from runlab.tracking.run import new_run_id

    experiment = experiment_of(ctx.store, values.get("experiment_id") or "0")
    tags = key_values(values.get("tags"), "tags")
    parent_run_id = tags.pop(PARENT_TAG, None) or None
    run_name = values.get("run_name") or tags.pop(RUN_NAME_TAG, None) or None
    tags.pop(RUN_NAME_TAG, None)
    if values.get("user_id") and USER_TAG not in tags:
        tags[USER_TAG] = str(values["user_id"])
    run_id = new_run_id(experiment.name)
    ctx.store.create_run(
        experiment.name,
        run_id,
        parent_run_id=parent_run_id,
        display_name=run_name,
        tags=tags,
    )
    record = ctx.store.set_run_status(run_id, RunStatus.RUNNING)
    return {"run": _runs_json(ctx, [record])[0]}


@endpoint(router, "GET", "/runs/get", "read")
def get_run(ctx: Context, values: dict[str, Any]) -> Any:
    """A run, with its latest metrics, parameters and tags."""
    record = ctx.store.get_run(_run_id(values))
    return {"run": _runs_json(ctx, [record])[0]}


@endpoint(router, "POST", "/runs/update", "write")
def update_run(ctx: Context, values: dict[str, Any]) -> Any:
    """Rename a run or end it (FINISHED, FAILED, KILLED).

    A run resumed by id (status RUNNING) keeps its state: runlab's terminal states are final.
    """
    run_id = _run_id(values)
    if values.get("run_name"):
        ctx.store.update_run(run_id, display_name=str(values["run_name"]))
    status = values.get("status")
    record = ctx.store.get_run(run_id)
    if status:
        target = _MLFLOW_TO_RUNLAB.get(str(status).upper())
        if target is None:
            raise ValidationError(
                f"unknown run status {status!r}: use one of {', '.join(_MLFLOW_TO_RUNLAB)}"
            )
        if not record.status.is_terminal and target is not RunStatus.QUEUED:
            try:
                record = ctx.store.set_run_status(run_id, target)
            except InvalidStateError:
                record = ctx.store.get_run(run_id)
    info = _runs_json(ctx, [record])[0]["info"]
    return {"run_info": info}


@endpoint(router, "POST", "/runs/delete", "write")
def delete_run(ctx: Context, values: dict[str, Any]) -> Any:
    """Mark a run deleted: searches hide it, and its metrics, params and files stay."""
    ctx.store.set_run_deleted(_run_id(values), True)
    return None


@endpoint(router, "POST", "/runs/restore", "write")
def restore_run(ctx: Context, values: dict[str, Any]) -> Any:
    """Clear a run's deletion mark."""
    ctx.store.set_run_deleted(_run_id(values), False)
    return None


# -- logging -------------------------------------------------------------------------------


@endpoint(router, "POST", "/runs/log-metric", "write")
def log_metric(ctx: Context, values: dict[str, Any]) -> Any:
    """Append one point to a metric (value, step, timestamp)."""
    ctx.store.log_metrics(_run_id(values), [_metric(values)])
    return None


@endpoint(router, "POST", "/runs/log-parameter", "write")
def log_param(ctx: Context, values: dict[str, Any]) -> Any:
    """Add a parameter; the same value again is accepted, another value refused."""
    key = required(values, "key")
    _add_params(ctx, _run_id(values), {key: str(values.get("value", ""))})
    return None


@endpoint(router, "POST", "/runs/set-tag", "write")
def set_tag(ctx: Context, values: dict[str, Any]) -> Any:
    """Set a tag (``mlflow.runName`` renames the run)."""
    key = required(values, "key")
    _set_tags(ctx, _run_id(values), {key: str(values.get("value", ""))})
    return None


@endpoint(router, "POST", "/runs/delete-tag", "write")
def delete_tag(ctx: Context, values: dict[str, Any]) -> Any:
    """Remove a tag."""
    ctx.store.delete_tag(_run_id(values), required(values, "key"))
    return None


@endpoint(router, "POST", "/runs/log-batch", "write", max_bytes=MAX_BATCH_BYTES)
def log_batch(ctx: Context, values: dict[str, Any]) -> Any:
    """Log metrics (at most 1,000), parameters and tags (at most 100 each) at once, in at
    most 1 MB."""
    run_id = _run_id(values)
    raw_metrics = values.get("metrics") or []
    if not isinstance(raw_metrics, list):
        raise ValidationError("metrics must be a list")
    params = key_values(values.get("params"), "params")
    tags = key_values(values.get("tags"), "tags")
    if len(raw_metrics) > MAX_METRICS_PER_BATCH:
        raise ValidationError(
            f"A batch logging request can contain at most {MAX_METRICS_PER_BATCH} metrics."
            f" Got {len(raw_metrics)} metrics."
        )
    for what, items in (("params", params), ("tags", tags)):
        if len(items) > MAX_PARAMS_TAGS_PER_BATCH:
            raise ValidationError(
                f"A batch logging request can contain at most {MAX_PARAMS_TAGS_PER_BATCH}"
                f" {what}. Got {len(items)} {what}."
            )
    metrics = [_metric(item) for item in raw_metrics]
    if params:
        _add_params(ctx, run_id, params)
    if tags:
        _set_tags(ctx, run_id, tags)
    if metrics:
        ctx.store.log_metrics(run_id, metrics)
    return None


@endpoint(router, "POST", "/runs/log-inputs", "write")
def log_inputs(ctx: Context, values: dict[str, Any]) -> Any:
    """Record the datasets (name, digest, source, schema) a run used, as its properties."""
    run_id = _run_id(values)
    properties: dict[str, str] = {}
    for item in values.get("datasets") or []:
        dataset = item.get("dataset") if isinstance(item, dict) else None
        if not isinstance(dataset, dict) or not dataset.get("name"):
            raise ValidationError(f"each dataset input needs a dataset with a name: {item!r}")
        key = f"{DATASET_PREFIX}{dataset['name']}.{dataset.get('digest', '')}"
        properties[key] = json.dumps(item, sort_keys=True)
    if properties:
        ctx.store.add_properties(run_id, properties)
    else:
        ctx.store.get_run(run_id)
    return None


@endpoint(router, "POST", "/runs/outputs", "write")
def log_outputs(ctx: Context, values: dict[str, Any]) -> Any:
    """Record the logged models a run produced, as its properties."""
    run_id = _run_id(values)
    outputs = {
        f"{OUTPUT_MODEL_PREFIX}{required(item, 'model_id')}": str(int(item.get("step") or 0))
        for item in values.get("models") or []
    }
    if outputs:
        ctx.store.add_properties(run_id, outputs)
    return None


# -- reading metrics and searching ---------------------------------------------------------


@endpoint(router, "GET", "/metrics/get-history", "read")
def get_metric_history(ctx: Context, values: dict[str, Any]) -> Any:
    """A metric's points in step order, a page at a time with ``max_results``."""
    run_id = _run_id(values)
    key = required(values, "metric_key")
    histories = ctx.store.get_metric_histories(run_id, key)
    history = histories.get(key)
    if history is None:
        ctx.store.get_run(run_id)
        return {"metrics": []}
    start = read_page_token(values.get("page_token"))
    size = max_results(values.get("max_results"), len(history.steps) or 1, 1_000_000_000)
    end = min(start + size, len(history.steps))
    points = [
        {
            "key": key,
            "value": number_to_wire(history.values[index]),
            "timestamp": to_ms(history.timestamps[index]),
            "step": history.steps[index],
        }
        for index in range(start, end)
    ]
    answer: dict[str, Any] = {"metrics": points}
    if end < len(history.steps):
        answer["next_page_token"] = page_token(end)
    return answer


@endpoint(router, "POST", "/runs/search", "read")
def search_runs(ctx: Context, values: dict[str, Any]) -> Any:
    """Runs of some experiments that match a filter (MLflow's search grammar, runlab's run
    filter language), sorted and paged in the store."""
    experiment_ids = values.get("experiment_ids") or []
    if isinstance(experiment_ids, str):
        experiment_ids = [experiment_ids]
    names = [experiment_of(ctx.store, str(eid)).name for eid in experiment_ids]
    order_by = values.get("order_by") or []
    if isinstance(order_by, str):
        order_by = [order_by]
    order = ", ".join(order_by) if order_by else "attributes.start_time DESC"
    size = max_results(values.get("max_results"), 1000, MAX_SEARCH_RESULTS)
    start = read_page_token(values.get("page_token"))
    records = ctx.store.search_runs(
        experiment_names=names,
        deleted=view_type_deleted(values.get("run_view_type")),
        query=values.get("filter") or None,
        order_by=order,
        limit=size + 1,
        offset=start,
    )
    answer: dict[str, Any] = {"runs": _runs_json(ctx, records[:size])}
    if len(records) > size:
        answer["next_page_token"] = page_token(start + size)
    return answer
