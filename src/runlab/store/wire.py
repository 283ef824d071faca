"""How metadata records travel over HTTP as JSON: one codec shared by the runlab server and
:class:`runlab.store.rest.RestMetadataStore`, so the two cannot drift apart.

Records become plain JSON objects (field names as in the dataclasses, enums as their values).
Metrics travel column-wise (one list per field), which keeps a batch of 10,000 points a few
compact lists instead of 10,000 objects; values use the store's own codec
(:func:`runlab.entities.encode_value`), so NaN, infinities, exact ints, strings and structured
kinds survive JSON, which has none of them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from runlab.entities import (
    ExperimentRecord,
    Metric,
    MetricHistory,
    MetricKind,
    RunRecord,
    RunStatus,
    decode_value,
    encode_value,
)
from runlab.entities.compute_target import ComputeTargetRecord
from runlab.entities.dataset import DatasetRecord
from runlab.entities.datastore import DatastoreRecord
from runlab.entities.environment import EnvironmentRecord
from runlab.entities.model import LoggedModelRecord, ModelRecord, RegisteredModelRecord
from runlab.errors import ValidationError

__all__ = [
    "compute_target_from_json",
    "dataset_from_json",
    "datastore_from_json",
    "decode_histories",
    "decode_last_values",
    "decode_metrics",
    "encode_histories",
    "encode_last_values",
    "encode_metrics",
    "environment_from_json",
    "experiment_from_json",
    "logged_model_from_json",
    "model_from_json",
    "record_to_json",
    "registered_model_from_json",
    "run_from_json",
]

Record = (
    ExperimentRecord
    | RunRecord
    | ModelRecord
    | DatastoreRecord
    | ComputeTargetRecord
    | EnvironmentRecord
    | DatasetRecord
    | RegisteredModelRecord
    | LoggedModelRecord
)


def record_to_json(record: Record) -> dict[str, Any]:
    """A record as a JSON object (enums as their values, tuples as lists)."""
    data = {field.name: getattr(record, field.name) for field in dataclasses.fields(record)}
    if isinstance(record, RunRecord):
        data["status"] = record.status.value
    if isinstance(record, ModelRecord):
        data["files"] = list(record.files)
    return data


def _fields(cls: type[Any], data: Mapping[str, Any]) -> dict[str, Any]:
    names = {field.name for field in dataclasses.fields(cls)}
    try:
        return {name: data[name] for name in names if name in data}
    except TypeError as error:
        raise ValidationError(f"malformed {cls.__name__} from the server: {error}") from error


def experiment_from_json(data: Mapping[str, Any]) -> ExperimentRecord:
    """The experiment that :func:`record_to_json` wrote."""
    return ExperimentRecord(**_fields(ExperimentRecord, data))


def run_from_json(data: Mapping[str, Any]) -> RunRecord:
    """The run that :func:`record_to_json` wrote."""
    fields = _fields(RunRecord, data)
    fields["status"] = RunStatus(fields["status"])
    return RunRecord(**fields)


def model_from_json(data: Mapping[str, Any]) -> ModelRecord:
    """The model version that :func:`record_to_json` wrote."""
    fields = _fields(ModelRecord, data)
    fields["files"] = tuple(fields["files"])
    return ModelRecord(**fields)


def registered_model_from_json(data: Mapping[str, Any]) -> RegisteredModelRecord:
    """The registered model that :func:`record_to_json` wrote."""
    fields = _fields(RegisteredModelRecord, data)
    fields["aliases"] = {str(alias): int(version) for alias, version in fields["aliases"].items()}
    return RegisteredModelRecord(**fields)


def logged_model_from_json(data: Mapping[str, Any]) -> LoggedModelRecord:
    """The logged model that :func:`record_to_json` wrote."""
    return LoggedModelRecord(**_fields(LoggedModelRecord, data))


def datastore_from_json(data: Mapping[str, Any]) -> DatastoreRecord:
    """The datastore that :func:`record_to_json` wrote."""
    return DatastoreRecord(**_fields(DatastoreRecord, data))


def dataset_from_json(data: Mapping[str, Any]) -> DatasetRecord:
    """The dataset version that :func:`record_to_json` wrote."""
    return DatasetRecord(**_fields(DatasetRecord, data))


def compute_target_from_json(data: Mapping[str, Any]) -> ComputeTargetRecord:
    """The compute target that :func:`record_to_json` wrote."""
    return ComputeTargetRecord(**_fields(ComputeTargetRecord, data))


def environment_from_json(data: Mapping[str, Any]) -> EnvironmentRecord:
    """The environment version that :func:`record_to_json` wrote."""
    return EnvironmentRecord(**_fields(EnvironmentRecord, data))


def encode_metrics(metrics: Sequence[Metric]) -> dict[str, list[Any]]:
    """A batch of points as columns: ``names``, ``steps``, ``timestamps``, ``kinds``,
    ``numbers``, ``texts``, ``descriptions``.

    Raises:
        ValidationError: a value cannot be stored (before anything is sent).
    """
    columns: dict[str, list[Any]] = {
        "names": [],
        "steps": [],
        "timestamps": [],
        "kinds": [],
        "numbers": [],
        "texts": [],
        "descriptions": [],
    }
    for metric in metrics:
        kind = MetricKind(metric.kind)
        number, text = encode_value(kind, metric.value)
        columns["names"].append(metric.name)
        columns["steps"].append(metric.step)
        columns["timestamps"].append(metric.timestamp)
        columns["kinds"].append(kind.value)
        columns["numbers"].append(number)
        columns["texts"].append(text)
        columns["descriptions"].append(metric.description)
    return columns


def decode_metrics(columns: Mapping[str, Sequence[Any]]) -> list[Metric]:
    """The points that :func:`encode_metrics` wrote.

    Raises:
        ValidationError: the columns differ in length, or a kind or value is malformed.
    """
    names = columns["names"]
    keys = ("steps", "timestamps", "kinds", "numbers", "texts", "descriptions")
    if any(len(columns[key]) != len(names) for key in keys):
        raise ValidationError("a metric batch needs columns of equal length")
    try:
        return [
            Metric(
                name,
                decode_value(MetricKind(kind), number, text),
                step,
                stamp,
                MetricKind(kind),
                description,
            )
            for name, step, stamp, kind, number, text, description in zip(
                names, *(columns[key] for key in keys), strict=True
            )
        ]
    except (ValueError, TypeError) as error:
        raise ValidationError(f"malformed metric batch: {error}") from error


def encode_histories(histories: Mapping[str, MetricHistory]) -> dict[str, dict[str, Any]]:
    """Metric histories as JSON: per name its kind and the columns of its points."""
    encoded: dict[str, dict[str, Any]] = {}
    for name, history in histories.items():
        pairs = [encode_value(history.kind, value) for value in history.values]
        encoded[name] = {
            "kind": history.kind.value,
            "steps": history.steps,
            "timestamps": history.timestamps,
            "numbers": [number for number, _text in pairs],
            "texts": [text for _number, text in pairs],
        }
    return encoded


def decode_histories(data: Mapping[str, Mapping[str, Any]]) -> dict[str, MetricHistory]:
    """The histories that :func:`encode_histories` wrote."""
    histories: dict[str, MetricHistory] = {}
    for name, columns in data.items():
        kind = MetricKind(columns["kind"])
        values = [
            decode_value(kind, number, text)
            for number, text in zip(columns["numbers"], columns["texts"], strict=True)
        ]
        histories[name] = MetricHistory(
            name, kind, list(columns["steps"]), values, list(columns["timestamps"])
        )
    return histories


def _value_kind(value: Any) -> MetricKind:
    # Lists, rows and tables all travel as JSON text and decode to the same value, so the
    # structured kinds need not be told apart here; everything else is a scalar.
    return MetricKind.LIST if isinstance(value, list | dict) else MetricKind.SCALAR


def encode_last_values(values: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """``get_last_metric_values``'s answer as JSON: per run, per metric ``[kind, number,
    text]`` (the store's codec, so NaN, infinities and exact ints survive)."""
    encoded: dict[str, dict[str, Any]] = {}
    for run_id, by_name in values.items():
        encoded[run_id] = {}
        for name, value in by_name.items():
            kind = _value_kind(value)
            encoded[run_id][name] = [kind.value, *encode_value(kind, value)]
    return encoded


def decode_last_values(data: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The last values that :func:`encode_last_values` wrote."""
    return {
        run_id: {
            name: decode_value(MetricKind(kind), number, text)
            for name, (kind, number, text) in by_name.items()
        }
        for run_id, by_name in data.items()
    }
