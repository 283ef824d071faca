"""The JSON bodies the server's API accepts (they make its OpenAPI description).

Answers are the records of :mod:`runlab.store.wire`; these models only shape requests. What
they cannot check (a status name, a run id that exists) the store checks, and its errors
answer by the table in :mod:`runlab.server.errors`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path
from pydantic import BaseModel, Field

__all__ = [
    "ComputeTargetIn",
    "ComputeTargetUpdateIn",
    "DatastoreIn",
    "DescriptionIn",
    "EnvironmentVersionIn",
    "ExperimentIn",
    "ExperimentUpdateIn",
    "Int64",
    "LastValuesIn",
    "LifecycleIn",
    "MetricBatchIn",
    "ModelSearchIn",
    "ModelVersionIn",
    "ModelVersionNumber",
    "RenameIn",
    "RunFiltersIn",
    "RunIn",
    "RunSearchIn",
    "StatusIn",
]

_NAME = Field(max_length=1024)

Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
"""An integer the SQL stores can hold (a 64-bit signed column): a larger one is refused with
422 rather than failing in the database driver (found by tests/server/test_api_fuzz.py)."""


ModelVersionNumber = Annotated[int, Path(ge=-(2**63), le=2**63 - 1)]
"""A model version number in a URL path, within what the SQL stores hold (see ``Int64``)."""


class ExperimentIn(BaseModel):
    """A new experiment."""

    name: str = _NAME


class RunIn(BaseModel):
    """A new run (see ``MetadataStore.create_run``)."""

    experiment_name: str = _NAME
    run_id: str = _NAME
    parent_run_id: str | None = None
    display_name: str | None = None
    status: str = "NotStarted"
    target: str = "local"
    tags: dict[str, str] | None = None
    properties: dict[str, str] | None = None
    heartbeat_timeout: float | None = None


class RunFiltersIn(BaseModel):
    """The filters of ``search_runs`` and ``count_runs``."""

    experiment_name: str | None = None
    experiment_names: list[str] | None = None
    statuses: list[str] | None = None
    parent_run_id: str | None = None
    top_level_only: bool = False
    tags: dict[str, str | None] | None = None
    properties: dict[str, str | None] | None = None
    query: str | None = None
    deleted: bool | None = None


class RunSearchIn(RunFiltersIn):
    """``search_runs``: filters, order and a page."""

    order_by: str = "created_time desc"
    limit: Int64 | None = None
    offset: Int64 = 0


class LastValuesIn(BaseModel):
    """``get_last_metric_values``: the runs and the metrics."""

    run_ids: list[str]
    names: list[str]


class StatusIn(BaseModel):
    """A status change."""

    status: str
    error_details: dict[str, Any] | None = None


class ExperimentUpdateIn(BaseModel):
    """What changes of an experiment (see ``update_experiment``)."""

    new_name: str | None = Field(default=None, min_length=1, max_length=255)
    tags: dict[str, str] | None = None
    remove_tag: str | None = None
    deleted: bool | None = None


class LifecycleIn(BaseModel):
    """Whether a run is marked deleted."""

    deleted: bool


class RenameIn(BaseModel):
    """A new display name."""

    display_name: str


class MetricBatchIn(BaseModel):
    """A batch of points, column-wise (see :func:`runlab.store.wire.encode_metrics`)."""

    names: list[str]
    steps: list[Int64]
    timestamps: list[float]
    kinds: list[str]
    numbers: list[float | None]
    texts: list[str | None]
    descriptions: list[str | None]


class ModelVersionIn(BaseModel):
    """A model version to register (see ``create_model_version``)."""

    content_hash: str
    files: list[str]
    run_id: str | None = None
    description: str | None = None
    tags: dict[str, str] | None = None
    properties: dict[str, str] | None = None


class ModelSearchIn(BaseModel):
    """The filters of ``search_model_versions``."""

    name: str | None = None
    tags: dict[str, str | None] | None = None
    properties: dict[str, str | None] | None = None
    run_id: str | None = None
    latest_only: bool = False


class DescriptionIn(BaseModel):
    """A model version's new description."""

    description: str | None


class DatastoreIn(BaseModel):
    """A datastore to record."""

    name: str = _NAME
    url: str
    options: dict[str, Any] | None = None
    is_default: bool = False


class ComputeTargetIn(BaseModel):
    """A compute target to record."""

    name: str = _NAME
    kind: str
    config: dict[str, Any] | None = None
    state: dict[str, Any] | None = None


class ComputeTargetUpdateIn(BaseModel):
    """A compute target's new config and/or state."""

    config: dict[str, Any] | None = None
    state: dict[str, Any] | None = None


class EnvironmentVersionIn(BaseModel):
    """An environment spec to register (see ``create_environment_version``)."""

    spec: dict[str, Any]
