"""Metrics: what ``Run.log`` and its siblings record, and how values are kept.

A metric is an append-only row: (run, name, step, kind, value, time). ``kind`` says which
``log_*`` call recorded it, so ``get_metrics`` can give back the same shape that was logged.
Values are stored as a number and/or a text; :func:`encode_value` and :func:`decode_value` are
the one place that maps between the two, so every store keeps NaN, infinities, integers,
strings, lists, rows and tables exactly.
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Mapping
from typing import Any, NamedTuple

from runlab.errors import ValidationError

__all__ = [
    "Metric",
    "MetricHistory",
    "MetricKind",
    "decode_value",
    "encode_value",
    "finite_number",
    "last_values",
    "numeric_histories",
]


class MetricKind(enum.StrEnum):
    """Which ``log_*`` call recorded a metric."""

    SCALAR = "scalar"  # Run.log: a number, a bool or a string
    LIST = "list"  # Run.log_list: a list of numbers or strings
    ROW = "row"  # Run.log_row: one row of a table, as a dict
    TABLE = "table"  # Run.log_table: a dict of columns
    IMAGE = "image"  # Run.log_image: the path of the image among the run's files


class Metric(NamedTuple):
    """One logged point.

    Attributes:
        name: the metric's name.
        value: what was logged (a number, bool, string, list, dict, or an image's file path).
        step: its position in the metric's history, counting from 0.
        timestamp: seconds since the epoch when it was logged.
        kind: which ``log_*`` call recorded it.
        description: the description given with it, if any.
    """

    name: str
    value: Any
    step: int
    timestamp: float
    kind: MetricKind = MetricKind.SCALAR
    description: str | None = None


class MetricHistory(NamedTuple):
    """Every point of one metric of one run, in step order.

    Kept column-wise because histories can be long (100,000 steps) and are mostly read
    whole, e.g. to draw a chart.
    """

    name: str
    kind: MetricKind
    steps: list[int]
    values: list[Any]
    timestamps: list[float]


_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def encode_value(kind: MetricKind, value: Any) -> tuple[float | None, str | None]:
    """Split a logged value into the (number, text) pair a store keeps.

    Finite floats go to ``number``; NaN and infinities go to ``text`` (SQLite turns NaN into
    NULL); ints keep their exact digits in ``text`` beside the number; strings and the
    structured kinds are text (JSON for lists, rows and tables).

    Raises:
        ValidationError: the value cannot be kept (e.g. an object that is not JSON-able).
    """
    if kind is MetricKind.SCALAR:
        if isinstance(value, bool):
            return float(value), "bool"
        if isinstance(value, int):
            return float(value), str(value)
        if isinstance(value, float):
            if math.isfinite(value):
                return value, None
            return None, repr(value)
        if isinstance(value, str):
            return None, "s" + value
        raise ValidationError(
            f"cannot log a value of type {type(value).__name__}: log takes a number, a bool or"
            " a string (use log_list, log_row or log_table for collections)"
        )
    if kind is MetricKind.IMAGE:
        return None, str(value)
    try:
        return None, json.dumps(value, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"cannot log {value!r} as {kind.value}: {exc}") from exc


def decode_value(kind: MetricKind | str, number: float | None, text: str | None) -> Any:
    """Rebuild the logged value from the (number, text) pair made by :func:`encode_value`."""
    if kind == MetricKind.SCALAR:
        if text is None:
            return number
        if text.startswith("s"):
            return text[1:]
        if text == "bool":
            return bool(number)
        if text in _NON_FINITE:
            return _NON_FINITE[text]
        return int(text)
    if kind == MetricKind.IMAGE:
        return text
    return json.loads(text) if text is not None else None


def finite_number(value: Any) -> float | None:
    """A logged value as a finite float, or None for what is not one (a bool, a string, a
    collection, NaN, an infinity): what a chart can draw."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def numeric_histories(histories: Mapping[str, MetricHistory]) -> dict[str, MetricHistory]:
    """The histories that can be drawn: the scalar metrics that hold at least one finite
    number, each value made a finite float or None (a gap, for what is not one).

    Args:
        histories: a run's metric histories by name, as ``get_metric_histories`` gives them.

    Returns:
        The same names in the same order, less those with nothing to draw; steps and
        timestamps are kept.

    Example:
        >>> history = MetricHistory("loss", MetricKind.SCALAR, [0, 1], [0.5, math.nan], [1.0, 2.0])
        >>> numeric_histories({"loss": history})["loss"].values
        [0.5, None]
    """
    drawable: dict[str, MetricHistory] = {}
    for name, history in histories.items():
        if history.kind is not MetricKind.SCALAR:
            continue
        values = [finite_number(value) for value in history.values]
        if any(value is not None for value in values):
            drawable[name] = history._replace(
                steps=list(history.steps), values=values, timestamps=list(history.timestamps)
            )
    return drawable


def last_values(histories: Mapping[str, MetricHistory]) -> dict[str, Any]:
    """The last logged value of each metric, whatever its kind, in the order given; a
    history without points is left out.

    Example:
        >>> accuracy = MetricHistory("acc", MetricKind.SCALAR, [0, 1], [0.8, 0.9], [1.0, 2.0])
        >>> last_values({"acc": accuracy})
        {'acc': 0.9}
    """
    return {name: history.values[-1] for name, history in histories.items() if history.values}
