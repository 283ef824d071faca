"""Metrics' part of the SQL metadata store: the hot path.

Points are written and read straight through the driver (``executemany``, a plain cursor):
SQLAlchemy's per-row work would cost more than the database's own, and a 100,000-step history
is read whole. The last values of a page of runs are one query that probes the metrics'
index once per run and metric, whatever the length of the histories.
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
from collections.abc import Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy import exc

from runlab.entities import Metric, MetricHistory, MetricKind, decode_value, encode_value
from runlab.errors import NotFoundError
from runlab.store.common import str_list
from runlab.store.metrics import MetricEnvelope, MetricStore
from runlab.store.sql import lookups
from runlab.store.sql.database import SqlStorePart
from runlab.store.sql.schema import metrics, runs

__all__ = ["SqlMetricStore"]

# The codes stored in metrics.kind: never renumber, only add.
_KIND_CODES = {
    MetricKind.SCALAR: 0,
    MetricKind.LIST: 1,
    MetricKind.ROW: 2,
    MetricKind.TABLE: 3,
    MetricKind.IMAGE: 4,
}
_KINDS = {code: kind for kind, code in _KIND_CODES.items()}


def _history(name: str, rows: Sequence[Sequence[Any]], first: int = 0) -> MetricHistory:
    """One metric's history from rows holding (kind, step, number, text, timestamp) from
    column ``first`` on."""

    def column(index: int) -> list[Any]:
        # map + itemgetter builds a column without a tuple per row (zip(*rows) makes one).
        return list(map(operator.itemgetter(first + index), rows))

    kinds, numbers, texts = column(0), column(2), column(3)
    kind = _KINDS[kinds[0]]
    if kind is MetricKind.SCALAR and texts.count(None) == len(texts):
        values = numbers  # finite floats only: no decoding needed
    else:
        values = [
            decode_value(_KINDS[code], number, text)
            for code, number, text in zip(kinds, numbers, texts, strict=True)
        ]
    return MetricHistory(name, kind, column(1), values, column(4))


def _fetch_all(connection: sa.Connection, sql: str, parameters: tuple[Any, ...]) -> list[Any]:
    """Rows straight from the driver's cursor, skipping SQLAlchemy's per-row objects.

    Driver errors are wrapped as SQLAlchemy would, so ``retrying`` and ``translate_errors``
    see them as usual.
    """
    dbapi = connection.dialect.loaded_dbapi
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, parameters)
        return list(cursor.fetchall())
    except dbapi.Error as error:
        raise exc.DBAPIError.instance(sql, parameters, error, dbapi.Error) from error
    finally:
        cursor.close()


class _Statements(NamedTuple):
    """The driver-level SQL of the hot path, in one dialect's parameter style."""

    history: str
    histories: str
    insert: str
    stored: str


@functools.cache
def _statements(paramstyle: str) -> _Statements:
    marker = "?" if paramstyle == "qmark" else "%s"
    columns = "kind, step, number, text, timestamp FROM metrics WHERE run_pk = " + marker
    names = ("run_pk", "name", "step", "kind", "number", "text", "timestamp", "description")
    return _Statements(
        history=f"SELECT {columns} AND name = {marker} ORDER BY step, id",
        histories=f"SELECT name, {columns} ORDER BY name, step, id",
        insert=f"INSERT INTO metrics ({', '.join(names)}) VALUES ({', '.join([marker] * 8)})",
        stored=(
            f"SELECT 1 FROM metrics WHERE run_pk = {marker} AND name = {marker}"
            f" AND step = {marker} AND timestamp = {marker} LIMIT 1"
        ),
    )


_ENDLESS = 2**62
_ENVELOPE_OVERVIEW = (
    "SELECT name, COUNT(*), COUNT(number), MIN(step), MAX(step) FROM metrics"
    " WHERE run_pk = ? AND step BETWEEN ? AND ? {name} GROUP BY name ORDER BY name"
)
_ENVELOPE_LAST_STEP = "SELECT MAX(step) FROM metrics WHERE run_pk = ? AND name = ?"
_ENVELOPE_POINTS = (
    "SELECT step, number FROM metrics"
    " WHERE run_pk = ? AND name = ? AND step BETWEEN ? AND ? ORDER BY step, id"
)
# Each bucket's lowest (then highest) point as (bucket, number, step). SQLite gives a bare
# column (step) from the row that holds the MIN or MAX of its group; PostgreSQL keeps the
# first row of each bucket in the order asked (DISTINCT ON).
_ENVELOPE_BUCKETS = {
    "sqlite": (
        "SELECT (step - ?) / ? AS bucket, {extreme}(number), step FROM metrics"
        " WHERE run_pk = ? AND name = ? AND step BETWEEN ? AND ? AND number IS NOT NULL"
        " GROUP BY bucket"
    ),
    "postgresql": (
        "SELECT DISTINCT ON (bucket) (step - ?) / ? AS bucket, number, step FROM metrics"
        " WHERE run_pk = ? AND name = ? AND step BETWEEN ? AND ? AND number IS NOT NULL"
        " ORDER BY bucket, number {order}, step"
    ),
}
_EXTREMES = (("MIN", "ASC"), ("MAX", "DESC"))


def _in_style(sql: str, paramstyle: str) -> str:
    """``sql`` written with ``?`` markers, in the driver's parameter style."""
    return sql if paramstyle == "qmark" else sql.replace("?", "%s")


def _envelope(
    connection: sa.Connection,
    dialect: str,
    run_pk: int,
    name: str,
    window: tuple[int, int],
    steps: tuple[int, int],
    points: int,
) -> tuple[list[int], list[float | None]]:
    """The lowest and the highest point of each of ``points // 2`` step buckets of the
    metric ``name`` in ``window`` (whose first and last steps are ``steps``), in step order
    (SQLite and PostgreSQL)."""
    low, high = window
    width = max(1, math.ceil((steps[1] - steps[0] + 1) / max(1, points // 2)))
    kept: dict[int, float | None] = {}
    paramstyle = connection.dialect.paramstyle
    for extreme, order in _EXTREMES:
        query = _ENVELOPE_BUCKETS[dialect].format(extreme=extreme, order=order)
        sql = _in_style(query, paramstyle)
        for _, value, step in _fetch_all(
            connection, sql, (steps[0], width, run_pk, name, low, high)
        ):
            kept[step] = value
    ordered = sorted(kept)
    return ordered, [kept[step] for step in ordered]


def _last_values_query(run_ids: Sequence[str], names: Sequence[str]) -> sa.Select[Any]:
    """Rows (run_id, name, kind, number, text, step, timestamp): the last point of each wanted
    metric of each existing run of ``run_ids``, with kind None where the run never logged
    that name.

    For each (run, name) pair a correlated subquery finds the id of the last point, one
    descending probe of the index on (run_pk, name, step, id, number); the points are then
    joined by primary key (for the kind and text a value may need).
    """
    wanted = sa.union_all(
        *(sa.select(sa.literal(name, sa.String).label("name")) for name in names)
    ).subquery("wanted")
    point = metrics.alias("point")
    last_id = (
        sa.select(point.c.id)
        .where(point.c.run_pk == runs.c.id, point.c.name == wanted.c.name)
        .order_by(point.c.step.desc(), point.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    pairs = (
        sa.select(runs.c.run_id, wanted.c.name, last_id.label("point_id"))
        .select_from(runs.join(wanted, sa.true()))
        .where(runs.c.run_id.in_(run_ids))
        .subquery("pairs")
    )
    return sa.select(
        pairs.c.run_id,
        pairs.c.name,
        metrics.c.kind,
        metrics.c.number,
        metrics.c.text,
        metrics.c.step,
        metrics.c.timestamp,
    ).select_from(pairs.outerjoin(metrics, metrics.c.id == pairs.c.point_id))


class SqlMetricStore(SqlStorePart, MetricStore):
    """Metric points in a SQL database; see :class:`~runlab.store.MetricStore`.

    Args:
        database: the shared database.
    """

    def log_metrics(self, run_id: str, metrics_: Sequence[Metric]) -> None:
        """See :meth:`MetricStore.log_metrics`."""
        if not metrics_:
            return
        codes = _KIND_CODES
        rows = []
        for name, value, step, timestamp, kind, description in metrics_:
            number, text = encode_value(kind, value)
            rows.append((name, step, codes[kind], number, text, timestamp, description))

        def insert(connection: sa.Connection) -> None:
            run_pk = lookups.run_pk(connection, run_id)
            # A batch is stored whole or not at all, so one whose first and last points are
            # there already is a retry (the client did not hear that it was stored: a lost
            # answer, a server killed after its commit): storing it again would double it.
            if all(
                _fetch_all(connection, sql.stored, (run_pk, row[0], row[1], row[5]))
                for row in (rows[0], rows[-1])
            ):
                return
            # Straight to the driver's executemany: SQLAlchemy's per-row parameter handling
            # would cost more than the database's own work.
            connection.exec_driver_sql(sql.insert, [(run_pk, *row) for row in rows])

        sql = _statements(self._database.dialect.paramstyle)
        self._database.write(f"log {len(rows)} metric points to run {run_id!r}", insert)

    def get_metric_histories(
        self, run_id: str, name: str | None = None
    ) -> dict[str, MetricHistory]:
        """See :meth:`MetricStore.get_metric_histories`."""

        # A 100,000-step history is read whole: few columns, the kind as a small int, and
        # rows straight from the driver.
        sql = _statements(self._database.dialect.paramstyle)

        def select(connection: sa.Connection) -> dict[str, MetricHistory]:
            run_pk = lookups.run_pk(connection, run_id)
            if name is not None:
                rows = _fetch_all(connection, sql.history, (run_pk, name))
                return {name: _history(name, rows)} if rows else {}
            rows = _fetch_all(connection, sql.histories, (run_pk,))
            return {
                row_name: _history(row_name, list(group), first=1)
                for row_name, group in itertools.groupby(rows, key=operator.itemgetter(0))
            }

        return self._database.read(f"read the metrics of run {run_id!r}", select)

    def get_last_steps(self, run_id: str) -> dict[str, int]:
        """See :meth:`MetricStore.get_last_steps`."""

        def select(connection: sa.Connection) -> dict[str, int]:
            run_pk = lookups.run_pk(connection, run_id)
            rows = connection.execute(
                sa.select(metrics.c.name, sa.func.max(metrics.c.step))
                .where(metrics.c.run_pk == run_pk)
                .group_by(metrics.c.name)
            )
            return {row_name: int(step) for row_name, step in rows}

        return self._database.read(f"read the metric steps of run {run_id!r}", select)

    def get_last_metric_values(
        self, run_ids: Sequence[str], names: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        """See :meth:`MetricStore.get_last_metric_values`."""
        points = self.get_last_metric_points(run_ids, names)
        return {
            run_id: {name: point.value for name, point in by_name.items()}
            for run_id, by_name in points.items()
        }

    def get_last_metric_points(
        self, run_ids: Sequence[str], names: Sequence[str]
    ) -> dict[str, dict[str, Metric]]:
        """See :meth:`MetricStore.get_last_metric_points`: one query for every run."""
        wanted_runs = list(dict.fromkeys(str_list(run_ids, "run_ids")))
        wanted_names = list(dict.fromkeys(str_list(names, "names")))
        if not wanted_runs:
            return {}
        if wanted_names:
            query = _last_values_query(wanted_runs, wanted_names)
        else:
            query = sa.select(runs.c.run_id, *(sa.null() for _ in range(6))).where(
                runs.c.run_id.in_(wanted_runs)
            )

        def select(connection: sa.Connection) -> dict[str, dict[str, Metric]]:
            found: dict[str, dict[str, Metric]] = {}
            for run_id, name, kind, number, text, step, timestamp in connection.execute(query):
                points = found.setdefault(run_id, {})
                if kind is not None:
                    value = decode_value(_KINDS[kind], number, text)
                    points[name] = Metric(name, value, step, timestamp, _KINDS[kind])
            return found

        found = self._database.read(
            f"read the last metric values of {len(wanted_runs)} runs", select
        )
        missing = [run_id for run_id in wanted_runs if run_id not in found]
        if missing:
            raise NotFoundError(f"no run with id {missing[0]!r} in this workspace")
        return {run_id: found[run_id] for run_id in wanted_runs}

    def get_metric_envelopes(
        self,
        run_id: str,
        *,
        points: int,
        name: str | None = None,
        start: float | None = None,
        end: float | None = None,
    ) -> dict[str, MetricEnvelope] | None:
        """See :meth:`MetricStore.get_metric_envelopes`: computed by SQLite or PostgreSQL over
        the metrics' index (None on other databases)."""
        dialect = self._database.dialect.name
        if dialect not in _ENVELOPE_BUCKETS:
            return None
        style = functools.partial(_in_style, paramstyle=self._database.dialect.paramstyle)
        points = max(points, 2)
        window = (
            -_ENDLESS if start is None else math.floor(start) - 1,
            _ENDLESS if end is None else math.ceil(end) + 1,
        )

        def select(connection: sa.Connection) -> dict[str, MetricEnvelope]:
            run_pk = lookups.run_pk(connection, run_id)
            named = "AND name = ?" if name is not None else ""
            parameters = (run_pk, *window, *([name] if name is not None else []))
            overview = _fetch_all(
                connection, style(_ENVELOPE_OVERVIEW.format(name=named)), parameters
            )
            drawn: dict[str, MetricEnvelope] = {}
            for metric_name, count, numbers, first_step, window_last in overview:
                if not numbers:
                    continue  # nothing to draw: strings, lists, rows, tables, images
                last_step = window_last
                if end is not None:  # the window may end before the history does
                    last_step = _fetch_all(
                        connection, style(_ENVELOPE_LAST_STEP), (run_pk, metric_name)
                    )[0][0]
                if count <= points:
                    rows = _fetch_all(
                        connection, style(_ENVELOPE_POINTS), (run_pk, metric_name, *window)
                    )
                    steps, values = [row[0] for row in rows], [row[1] for row in rows]
                else:
                    steps, values = _envelope(
                        connection,
                        dialect,
                        run_pk,
                        metric_name,
                        window,
                        (first_step, window_last),
                        points,
                    )
                drawn[metric_name] = MetricEnvelope(
                    steps, values, count, int(last_step), count > len(steps)
                )
            return drawn

        return self._database.read(f"read the metric envelopes of run {run_id!r}", select)
