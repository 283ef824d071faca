"""The run filter language (:mod:`runlab.store.run_query`) as SQL, on SQLite and PostgreSQL.

Parameters and tags are read from the runs' JSON columns; a metric is compared by its last
value (the number of the run's last point of that name: one probe of the metrics' index per
run); times are compared in milliseconds, as the filter writes them.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from runlab.entities.run_layout import param_key
from runlab.store.run_query import Comparison, OrderKey, statuses_named
from runlab.store.sql.schema import metrics, runs

__all__ = ["filter_conditions", "order_clauses"]

_MS = 1000.0


def last_metric_value(name: str) -> sa.ScalarSelect[Any]:
    """The number of the run's last point of the metric ``name`` (NULL when it has none, or
    when that value is not a finite number)."""
    point = metrics.alias("last_point")
    return (
        sa.select(point.c.number)
        .where(point.c.run_pk == runs.c.id, point.c.name == name)
        .order_by(point.c.step.desc(), point.c.id.desc())
        .limit(1)
        .correlate(runs)
        .scalar_subquery()
    )


def _column(kind: str, key: str) -> sa.ColumnElement[Any]:
    if kind == "metric":
        return last_metric_value(key)
    if kind == "param":
        param: sa.ColumnElement[Any] = runs.c.properties[param_key(key)].as_string()
        return param
    if kind == "tag":
        tag: sa.ColumnElement[Any] = runs.c.tags[key].as_string()
        return tag
    columns: dict[str, sa.ColumnElement[Any]] = {
        "run_id": runs.c.run_id,
        "run_name": runs.c.display_name,
        "status": runs.c.status,
        "target": runs.c.target,
        "user_id": runs.c.tags["mlflow.user"].as_string(),
        "number": runs.c.number,
        "start_time": sa.func.coalesce(runs.c.start_time, runs.c.created_time) * _MS,
        "end_time": runs.c.end_time * _MS,
        "created_time": runs.c.created_time * _MS,
    }
    return columns[key]


def _glob(pattern: str) -> str:
    """A LIKE pattern as an SQLite GLOB pattern (GLOB is case-sensitive, as LIKE is in MLflow
    and on PostgreSQL; SQLite's LIKE is not)."""
    special = {"*": "[*]", "?": "[?]", "[": "[[]", "%": "*", "_": "?"}
    return "".join(special.get(char, char) for char in pattern)


def _condition(clause: Comparison, dialect: str) -> sa.ColumnElement[bool]:
    column = _column(clause.kind, clause.key)
    operator, value = clause.operator, clause.value
    if clause.kind == "attribute" and clause.key == "status":
        names = value if isinstance(value, tuple) else (str(value),)
        if operator in ("LIKE", "ILIKE"):
            return column.ilike(str(value)) if operator == "ILIKE" else column.like(str(value))
        states = [state.value for name in names for state in statuses_named(name)]
        inside = column.in_(states)
        return sa.not_(inside) if operator in ("!=", "NOT IN") else inside
    if operator == "IN":
        return column.in_(list(value) if isinstance(value, tuple) else [value])
    if operator == "NOT IN":
        return sa.and_(
            column.is_not(None), column.not_in(list(value) if isinstance(value, tuple) else [value])
        )
    if operator == "LIKE":
        if dialect == "sqlite":
            return column.op("GLOB")(_glob(str(value)))
        return column.like(str(value))
    if operator == "ILIKE":
        return column.ilike(str(value))
    if operator == "!=":
        return sa.and_(column.is_not(None), column != value)
    comparisons = {
        "=": column == value,
        "<": column < value,
        "<=": column <= value,
        ">": column > value,
        ">=": column >= value,
    }
    return comparisons[operator]


def filter_conditions(clauses: list[Comparison], dialect: str) -> list[sa.ColumnElement[bool]]:
    """The WHERE conditions of ``clauses`` (all must hold) for the database ``dialect``."""
    return [_condition(clause, dialect) for clause in clauses]


def order_clauses(keys: list[OrderKey]) -> list[sa.ColumnElement[Any]]:
    """The ORDER BY of ``keys``: runs without a value (no such metric, parameter or tag) come
    last either way; ties keep the newest run first."""
    order: list[sa.ColumnElement[Any]] = []
    for key in keys:
        column = _column(key.kind, key.key)
        order.append(sa.nulls_last(column.desc() if key.descending else column.asc()))
    return [*order, runs.c.created_time.desc(), runs.c.id.desc()]
