"""What ``Run.log`` accepts, and the shape ``Run.get_metrics`` gives back (the SDK's)."""

from __future__ import annotations

import json
import numbers
from collections.abc import Mapping
from typing import Any

from runlab.entities import MetricHistory, MetricKind
from runlab.errors import ValidationError

__all__ = [
    "check_image",
    "check_list",
    "check_metric_name",
    "check_row",
    "check_table",
    "metrics_in_sdk_shape",
    "normalise_collection",
    "normalise_scalar",
    "string_map",
]

PLAIN_SCALARS = frozenset({int, float, str, bool})


def check_metric_name(name: object) -> str:
    """Return ``name`` if it can name a metric (a non-empty string of at most 255 characters).

    Raises:
        ValidationError: it cannot.
    """
    if not isinstance(name, str) or not name or len(name) > 255 or "\x00" in name:
        raise ValidationError(
            f"bad metric name {name!r}: use a non-empty string of at most 255 characters"
        )
    return name


def normalise_scalar(value: Any) -> int | float | str | bool:
    """``value`` as a plain ``int``, ``float``, ``str`` or ``bool`` (e.g. from numpy types).

    Raises:
        ValidationError: it is none of these.
    """
    if type(value) in PLAIN_SCALARS:
        return value  # type: ignore[no-any-return]
    if isinstance(value, bool | str):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        return normalise_scalar(value.item())  # a zero-dimensional array
    raise ValidationError(
        f"cannot log a value of type {type(value).__name__}: log takes a number, a bool or a"
        " string; use log_list, log_row or log_table for collections"
    )


def normalise_collection(value: Any) -> Any:
    """A JSON-able copy of a list or dict of scalars (numpy arrays become lists)."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, dict):
        return {str(key): normalise_collection(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [normalise_collection(item) for item in value]
    return normalise_scalar(value)


def metrics_in_sdk_shape(histories: dict[str, MetricHistory]) -> dict[str, Any]:
    """Metrics as ``Run.get_metrics`` gives them, the Azure ML SDK v1's shape.

    A scalar, list, table or image logged once maps to what was logged, logged several
    times to the list of what was logged; rows (``log_row``) merge into one table of
    columns: ``{"column": [value, ...]}``.
    """
    shaped: dict[str, Any] = {}
    for name, history in histories.items():
        if history.kind is MetricKind.ROW:
            table: dict[str, list[Any]] = {}
            for row in history.values:
                for column, cell in row.items():
                    table.setdefault(column, []).append(cell)
            shaped[name] = table
        elif len(history.values) == 1:
            shaped[name] = history.values[0]
        else:
            shaped[name] = list(history.values)
    return shaped


def string_map(values: Mapping[str, Any] | None, what: str) -> dict[str, str]:
    """Tags or properties as stored: string keys, values kept as strings or written as JSON.

    Raises:
        ValidationError: not a dict, or a key that is not a non-empty string.
    """
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise ValidationError(f"{what} must be given as a dict, not {type(values).__name__}")
    result = {}
    for key, value in values.items():
        if not isinstance(key, str) or not key or len(key) > 255:
            raise ValidationError(f"bad {what} name {key!r}: use a non-empty string")
        result[key] = value if isinstance(value, str) else json.dumps(value)
    return result


def check_list(name: str, value: Any) -> list[Any]:
    """What ``log_list(name, value)`` keeps: a JSON-able list.

    Raises:
        ValidationError: ``value`` is not a list-like of numbers and strings.
    """
    check_metric_name(name)
    if isinstance(value, str | bytes | Mapping) or not hasattr(value, "__iter__"):
        raise ValidationError(f"log_list({name!r}) takes a list, not {type(value).__name__}")
    checked: list[Any] = normalise_collection(list(value))
    return checked


def check_row(name: str, columns: Mapping[str, Any]) -> dict[str, Any]:
    """What ``log_row(name, **columns)`` keeps.

    Raises:
        ValidationError: no column, or a value that cannot be kept.
    """
    check_metric_name(name)
    if not columns:
        raise ValidationError(f"log_row({name!r}) needs at least one column=value")
    checked: dict[str, Any] = normalise_collection(dict(columns))
    return checked


def check_table(name: str, table: Any) -> dict[str, Any]:
    """What ``log_table(name, table)`` keeps.

    Raises:
        ValidationError: not a non-empty dict of equally long columns.
    """
    check_metric_name(name)
    if not isinstance(table, Mapping) or not table:
        raise ValidationError(f"log_table({name!r}) takes a non-empty dict of columns")
    if len({len(column) for column in table.values()}) > 1:
        raise ValidationError(f"log_table({name!r}): the columns differ in length")
    checked: dict[str, Any] = normalise_collection(dict(table))
    return checked


def check_image(name: str, path: object, plot: object) -> None:
    """Check ``log_image``'s arguments: a name, and either a path or a figure.

    Raises:
        ValidationError: both or neither, or a plot without ``savefig``.
    """
    check_metric_name(name)
    if (path is None) == (plot is None):
        raise ValidationError(f"log_image({name!r}) takes either path or plot, not both")
    if plot is not None and not hasattr(plot, "savefig"):
        raise ValidationError(f"log_image({name!r}): plot must be a matplotlib figure or pyplot")
