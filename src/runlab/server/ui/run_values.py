"""What a run logged besides numeric series, shaped for its page: lists, rows, tables,
images and text values; and its properties split into parameters and the rest.

Every kind of ``log_*`` call shows on the run page (see :mod:`runlab.entities.metric`):

* ``log_list``: each step's list (the page charts one, with a step slider);
* ``log_row``: the rows so far as one table, its columns the union of the rows' keys;
* ``log_table``: each step's table (dict of columns);
* ``log_image``: each step's image file;
* ``log`` of a string (or a bool): its values by step, as text.

Long histories are cut to their last :data:`KEEP_STEPS` steps (lists, tables, images) or
:data:`KEEP_ROWS` rows, and the answer says how many there were.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from runlab.entities import (
    ARGUMENTS_KEY,
    MetricHistory,
    MetricKind,
    RunRecord,
    finite_number,
    param_name,
)

__all__ = ["KEEP_ROWS", "KEEP_STEPS", "TEXT", "parameters_of", "values_of"]

KEEP_STEPS = 100
"""The most steps of a list, table or image metric the page gets (the last ones)."""
TEXT = "text"
"""The key of the scalar metrics with no number to draw (strings, bools)."""
_KINDS = (MetricKind.LIST, MetricKind.ROW, MetricKind.TABLE, MetricKind.IMAGE)
KEEP_ROWS = 5000
"""The most rows of a ``log_row`` table the page gets (the last ones)."""


def _points(history: MetricHistory, keep: int) -> dict[str, Any]:
    return {
        "steps": history.steps[-keep:],
        "values": history.values[-keep:],
        "count": len(history.steps),
    }


def _rows(history: MetricHistory) -> dict[str, Any]:
    rows = [row for row in history.values[-KEEP_ROWS:] if isinstance(row, dict)]
    columns = list(dict.fromkeys(key for row in rows for key in row))
    return {
        "columns": columns,
        "rows": [[row.get(column) for column in columns] for row in rows],
        "count": len(history.values),
    }


def _is_text_series(history: MetricHistory) -> bool:
    """A scalar metric with no number to draw (strings, bools): shown as text."""
    return all(finite_number(value) is None for value in history.values)


def values_of(histories: Mapping[str, MetricHistory]) -> dict[str, dict[str, Any]]:
    """The run's non-numeric metrics by kind: ``{"list", "row", "table", "image", "text"}``
    (:class:`~runlab.entities.MetricKind` values, and :data:`TEXT`), each ``{name: ...}`` in
    name order.

    ``image`` holds ``{"steps", "values"}`` where values are the run's file names of the
    images; ``text`` holds the scalar metrics that have no number to draw.
    """
    shaped: dict[str, dict[str, Any]] = {kind: {} for kind in (*_KINDS, TEXT)}
    for name in sorted(histories):
        history = histories[name]
        if history.kind is MetricKind.LIST:
            shaped[MetricKind.LIST][name] = _points(history, KEEP_STEPS)
        elif history.kind is MetricKind.ROW:
            shaped[MetricKind.ROW][name] = _rows(history)
        elif history.kind is MetricKind.TABLE:
            shaped[MetricKind.TABLE][name] = _points(history, KEEP_STEPS)
        elif history.kind is MetricKind.IMAGE:
            shaped[MetricKind.IMAGE][name] = _points(history, KEEP_STEPS)
        elif _is_text_series(history):
            texts = history._replace(values=[_text(value) for value in history.values])
            shaped[TEXT][name] = _points(texts, KEEP_STEPS)
    return shaped


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def parameters_of(record: RunRecord) -> dict[str, Any]:
    """The run's parameters: ``{"named": {name: value}, "arguments": [...] | None,
    "properties": {key: value}}``: its ``param.*`` properties, the script's arguments (the
    ``runlab.arguments`` property, decoded) and every other property."""
    named: dict[str, str] = {}
    others: dict[str, str] = {}
    for key, value in sorted(record.properties.items()):
        name = param_name(key)
        if name is not None:
            named[name] = value
        elif key != ARGUMENTS_KEY:
            others[key] = value
    arguments: list[str] | None = None
    text = record.properties.get(ARGUMENTS_KEY)
    if text is not None:
        try:
            decoded = json.loads(text)
        except ValueError:
            decoded = [text]
        arguments = [str(item) for item in decoded] if isinstance(decoded, list) else [text]
    return {"named": named, "arguments": arguments, "properties": others}
