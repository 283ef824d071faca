"""What :class:`runlab.Run` and :class:`runlab.OfflineRun` share beyond logging.

One function per rule: a run's details in the SDK's shape, the details of a failure, its
parameters, a display name's check and which child runs a filter keeps. Both classes call
these, so a script sees the same answers bare and in a job.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from runlab.entities import (
    ARGUMENTS_KEY,
    COMPUTE_KEY,
    ENVIRONMENT_KEY,
    ENVIRONMENT_SPEC_KEY,
    INPUTS_KEY,
    SCRIPT_KEY,
    RunRecord,
    RunStatus,
    param_name,
)
from runlab.entities.labels import labels_match
from runlab.errors import ValidationError

if TYPE_CHECKING:
    from runlab.tracking.run_like import RunLike

__all__ = [
    "check_display_name",
    "child_matches",
    "details_in_sdk_shape",
    "end_as_block_ends",
    "failure_details",
    "label_filter",
    "parameters_in",
]


def _utc(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


def details_in_sdk_shape(record: RunRecord, log_files: list[str]) -> dict[str, Any]:
    """A run's details as ``Run.get_details`` gives them, the Azure ML SDK v1's shape:
    runId, status, times (ISO 8601, UTC), target, tags, properties, log files, and the error
    of a failed run.

    Args:
        record: the run as stored (or as an offline run keeps it).
        log_files: the names of its files under ``logs/``.
    """
    details: dict[str, Any] = {
        "runId": record.run_id,
        "experimentName": record.experiment_name,
        "displayName": record.display_name,
        "runNumber": record.number,
        "target": record.target,
        "status": record.status.value,
        "parentRunId": record.parent_run_id,
        "createdTimeUtc": _utc(record.created_time),
        "startTimeUtc": _utc(record.start_time),
        "endTimeUtc": _utc(record.end_time),
        "properties": dict(record.properties),
        "tags": dict(record.tags),
        "inputDatasets": json.loads(record.properties.get(INPUTS_KEY, "[]")),
        # The SDK's HyperDrive notebooks read the best trial's arguments here.
        "runDefinition": {
            "script": record.properties.get(SCRIPT_KEY),
            "arguments": json.loads(record.properties.get(ARGUMENTS_KEY, "[]")),
        },
        "outputDatasets": [],
        "logFiles": {name: name for name in log_files},
    }
    if SCRIPT_KEY in record.properties:
        details["runDefinition"] = run_definition(record)
    if record.error_details:
        details["error"] = {"error": dict(record.error_details)}
    return details


def run_definition(record: RunRecord) -> dict[str, Any]:
    """What a submitted run ran (``get_details()["runDefinition"]``): its script, its
    arguments (data references as the local paths the job got, once it started), its
    target, its environment, one node."""
    properties = record.properties
    environment = properties.get(ENVIRONMENT_SPEC_KEY)
    return {
        "script": properties[SCRIPT_KEY],
        "arguments": json.loads(properties.get(ARGUMENTS_KEY, "[]")),
        "target": properties.get(COMPUTE_KEY, record.target),
        "environment": (
            json.loads(environment)
            if environment is not None
            else {"name": properties.get(ENVIRONMENT_KEY)}
        ),
        "nodeCount": 1,
    }


def failure_details(
    error_details: BaseException | str | None, error_code: str | None
) -> dict[str, Any]:
    """What ``Run.fail(error_details, error_code)`` records: a message, and the code if any."""
    if isinstance(error_details, BaseException):
        message = f"{type(error_details).__name__}: {error_details}"
    else:
        message = "failed" if error_details is None else str(error_details)
    details: dict[str, Any] = {"message": message}
    if error_code is not None:
        details["code"] = error_code
    return details


def parameters_in(properties: Mapping[str, str]) -> dict[str, str]:
    """A run's named parameters (``Run.get_parameters``): its ``param.<name>`` properties."""
    return {
        name: value for key, value in properties.items() if (name := param_name(key)) is not None
    }


def check_display_name(value: object) -> str:
    """Return ``value`` if it can be a run's display name (a non-empty string).

    Raises:
        ValidationError: it cannot.
    """
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("a run's display name must be a non-empty string")
    return value


def label_filter(value: str | Mapping[str, str | None] | None) -> dict[str, str | None] | None:
    """A tags or properties filter as ``get_runs`` and ``get_children`` take it (a name, or
    a dict of values where None matches any value) as ``MetadataStore.search_runs`` takes it."""
    if value is None:
        return None
    if isinstance(value, str):
        return {value: None}
    return dict(value)


def child_matches(
    record: RunRecord,
    status: RunStatus | None,
    tags: Mapping[str, str | None] | None,
    properties: Mapping[str, str | None] | None,
) -> bool:
    """Whether ``get_children``'s filters keep the run ``record`` (all must match), as
    ``MetadataStore.search_runs`` would."""
    return (
        (status is None or record.status is status)
        and labels_match(record.tags, tags)
        and labels_match(record.properties, properties)
    )


def end_as_block_ends(run: RunLike, error: BaseException | None) -> None:
    """End a run still going as its ``with`` block ends: Completed, Canceled on Ctrl-C,
    else Failed with the block's exception."""
    if error is None:
        run.complete()
    elif isinstance(error, KeyboardInterrupt):
        run.cancel()
    else:
        run.fail(error)
