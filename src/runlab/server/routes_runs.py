"""The API over experiments, runs, tags, properties and metrics: one route per
:class:`~runlab.store.MetadataStore` method."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import Response

from runlab.server._deps import READ, WRITE, metadata_store, ok, run_status
from runlab.server.schemas import (
    ExperimentIn,
    ExperimentUpdateIn,
    LastValuesIn,
    LifecycleIn,
    MetricBatchIn,
    RenameIn,
    RunFiltersIn,
    RunIn,
    RunSearchIn,
    StatusIn,
)
from runlab.store import MetadataStore, wire

__all__ = ["router"]

router = APIRouter(prefix="/api")
Store = Annotated[MetadataStore, Depends(metadata_store)]
NO_CONTENT = 204


def _filters(body: RunFiltersIn) -> dict[str, Any]:
    filters: dict[str, Any] = {"top_level_only": body.top_level_only}
    for key in (
        "experiment_name",
        "experiment_names",
        "parent_run_id",
        "tags",
        "properties",
        "query",
        "deleted",
    ):
        value = getattr(body, key)
        if value is not None:
            filters[key] = value
    if body.statuses is not None:
        filters["statuses"] = [run_status(status) for status in body.statuses]
    return filters


@router.get("/workspace", dependencies=[READ], tags=["workspace"])
def get_workspace(request: Request) -> Response:
    """The workspace this server serves: its name and when it was created."""
    workspace = request.app.state.workspace
    details = {"name": workspace.name, "created_time": workspace.to_dict().get("created_time")}
    return ok(details)


# -- experiments ---------------------------------------------------------------------------


@router.post("/experiments", dependencies=[WRITE], tags=["experiments"], status_code=201)
def create_experiment(body: ExperimentIn, store: Store) -> Response:
    """Create an experiment (409 when the name is taken)."""
    return ok(wire.record_to_json(store.create_experiment(body.name)), 201)


@router.get("/experiments", dependencies=[READ], tags=["experiments"])
def list_experiments(store: Store) -> Response:
    """Every experiment, by name."""
    return ok([wire.record_to_json(record) for record in store.list_experiments()])


@router.get("/experiments/{name}", dependencies=[READ], tags=["experiments"])
def get_experiment(name: str, store: Store) -> Response:
    """One experiment (404 when there is none)."""
    return ok(wire.record_to_json(store.get_experiment(name)))


@router.patch("/experiments/{name}", dependencies=[WRITE], tags=["experiments"])
def update_experiment(name: str, body: ExperimentUpdateIn, store: Store) -> Response:
    """Rename an experiment, change its tags, mark it deleted or restore it."""
    record = store.update_experiment(
        name,
        new_name=body.new_name,
        tags=body.tags,
        remove_tag=body.remove_tag,
        deleted=body.deleted,
    )
    return ok(wire.record_to_json(record))


# -- runs ----------------------------------------------------------------------------------


@router.post("/runs", dependencies=[WRITE], tags=["runs"], status_code=201)
def create_run(body: RunIn, store: Store) -> Response:
    """Create a run in an experiment."""
    record = store.create_run(
        body.experiment_name,
        body.run_id,
        parent_run_id=body.parent_run_id,
        display_name=body.display_name,
        status=run_status(body.status),
        target=body.target,
        tags=body.tags,
        properties=body.properties,
        heartbeat_timeout=body.heartbeat_timeout,
    )
    return ok(wire.record_to_json(record), 201)


@router.post("/runs/search", dependencies=[READ], tags=["runs"])
def search_runs(body: RunSearchIn, store: Store) -> Response:
    """Runs matching every filter, ordered and paged (a POST: filters are structured)."""
    records = store.search_runs(
        order_by=body.order_by, limit=body.limit, offset=body.offset, **_filters(body)
    )
    return ok([wire.record_to_json(record) for record in records])


@router.post("/runs/last-metric-values", dependencies=[READ], tags=["metrics"])
def get_last_metric_values(body: LastValuesIn, store: Store) -> Response:
    """The last value of each metric in ``names`` of each run in ``run_ids``, per run and
    name as ``[kind, number, text]`` (404 when a run does not exist)."""
    values = store.get_last_metric_values(body.run_ids, body.names)
    return ok(wire.encode_last_values(values))


@router.post("/runs/count", dependencies=[READ], tags=["runs"])
def count_runs(body: RunFiltersIn, store: Store) -> Response:
    """How many runs match every filter."""
    return ok({"count": store.count_runs(**_filters(body))})


@router.get("/runs/{run_id}", dependencies=[READ], tags=["runs"])
def get_run(run_id: str, store: Store) -> Response:
    """One run."""
    return ok(wire.record_to_json(store.get_run(run_id)))


@router.patch("/runs/{run_id}", dependencies=[WRITE], tags=["runs"])
def update_run(run_id: str, body: RenameIn, store: Store) -> Response:
    """Rename a run for people."""
    return ok(wire.record_to_json(store.update_run(run_id, display_name=body.display_name)))


@router.put("/runs/{run_id}/deleted", dependencies=[WRITE], tags=["runs"])
def set_run_deleted(run_id: str, body: LifecycleIn, store: Store) -> Response:
    """Mark a run deleted (its data stays) or restore it."""
    return ok(wire.record_to_json(store.set_run_deleted(run_id, body.deleted)))


@router.post("/runs/{run_id}/status", dependencies=[WRITE], tags=["runs"])
def set_run_status(run_id: str, body: StatusIn, store: Store) -> Response:
    """Move a run to another state (409 when its state does not allow it)."""
    record = store.set_run_status(run_id, run_status(body.status), error_details=body.error_details)
    return ok(wire.record_to_json(record))


@router.post("/runs/{run_id}/heartbeat", dependencies=[WRITE], tags=["runs"], status_code=204)
def heartbeat(run_id: str, store: Store) -> Response:
    """Record that the run's job is alive."""
    store.heartbeat(run_id)
    return Response(status_code=NO_CONTENT)


@router.patch("/runs/{run_id}/tags", dependencies=[WRITE], tags=["runs"], status_code=204)
def set_tags(run_id: str, tags: Annotated[dict[str, str], Body()], store: Store) -> Response:
    """Set (add or replace) tags."""
    store.set_tags(run_id, tags)
    return Response(status_code=NO_CONTENT)


@router.delete("/runs/{run_id}/tags", dependencies=[WRITE], tags=["runs"], status_code=204)
def delete_tag(run_id: str, key: str, store: Store) -> Response:
    """Remove the tag ``key`` (a query parameter: keys may hold any character)."""
    store.delete_tag(run_id, key)
    return Response(status_code=NO_CONTENT)


@router.post("/runs/{run_id}/properties", dependencies=[WRITE], tags=["runs"], status_code=204)
def add_properties(
    run_id: str, properties: Annotated[dict[str, str], Body()], store: Store
) -> Response:
    """Add properties (409 when a key exists with another value; then none is stored)."""
    store.add_properties(run_id, properties)
    return Response(status_code=NO_CONTENT)


# -- metrics -------------------------------------------------------------------------------


@router.post("/runs/{run_id}/metrics", dependencies=[WRITE], tags=["metrics"], status_code=204)
def log_metrics(run_id: str, body: MetricBatchIn, store: Store) -> Response:
    """Append a batch of points, all or none; the batch comes column-wise."""
    store.log_metrics(run_id, wire.decode_metrics(body.model_dump()))
    return Response(status_code=NO_CONTENT)


@router.get("/runs/{run_id}/metrics", dependencies=[READ], tags=["metrics"])
def get_metric_histories(run_id: str, store: Store, name: str | None = None) -> Response:
    """Every metric of a run (or only ``name``), column-wise, in step order."""
    return ok(wire.encode_histories(store.get_metric_histories(run_id, name)))


@router.get("/runs/{run_id}/last-steps", dependencies=[READ], tags=["metrics"])
def get_last_steps(run_id: str, store: Store) -> Response:
    """The highest step of each metric of a run."""
    return ok(store.get_last_steps(run_id))
