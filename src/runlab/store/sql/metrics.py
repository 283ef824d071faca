"""Metrics' part of :class:`~runlab.store.sql.SqlMetadataStore`: the hot path.

Kept apart from ``store.py`` as a mixin. Points are written and read straight through the
driver (``executemany``, a plain cursor): SQLAlchemy's per-row work would cost more than the
database's own, and a 100,000-step history is read whole.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import exc

from runlab.entities import Metric, MetricHistory, MetricKind, decode_value, encode_value
from runlab.store.sql.schema import metrics

__all__ = ["SqlMetricsMixin"]

T = TypeVar("T")

# The codes stored in metrics.kind: never renumber, only add.
_KIND_CODES = {
    MetricKind.SCALAR: 0,
    MetricKind.LIST: 1,
    MetricKind.ROW: 2,
    MetricKind.TABLE: 3,
    MetricKind.IMAGE: 4,
}
_KINDS = {code: kind for kind, code in _KIND_CODES.items()}


def _marker(dialect: sa.Dialect) -> str:
    """The driver's positional parameter marker (sqlite3: ``?``, psycopg: ``%s``)."""
    return "?" if dialect.paramstyle == "qmark" else "%s"


def _insert_sql(dialect: sa.Dialect, table: str, columns: Sequence[str]) -> str:
    """A positional INSERT in the driver's own parameter style, for ``exec_driver_sql``."""
    marker = _marker(dialect)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([marker] * len(columns))})"
    )


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


class SqlMetricsMixin:
    """Metric points in the SQL metadata store; see :class:`runlab.store.MetadataStore`.

    Mixed into :class:`~runlab.store.sql.SqlMetadataStore`, which provides the transactions
    (``_read``, ``_write``) and ``_run_pk``, and calls :meth:`_prepare_metric_sql` once.
    """

    _history_sql: str
    _histories_sql: str
    _insert_metrics_sql: str

    if TYPE_CHECKING:

        def _read(self, what: str, operation: Callable[[sa.Connection], T]) -> T: ...

        def _write(self, what: str, operation: Callable[[sa.Connection], T]) -> T: ...

        @staticmethod
        def _run_pk(connection: sa.Connection, run_id: str, *, lock: bool = False) -> int: ...

    def _prepare_metric_sql(self, dialect: sa.Dialect) -> None:
        marker = _marker(dialect)
        columns = "kind, step, number, text, timestamp FROM metrics WHERE run_pk = " + marker
        self._history_sql = f"SELECT {columns} AND name = {marker} ORDER BY step, id"
        self._histories_sql = f"SELECT name, {columns} ORDER BY name, step, id"
        self._insert_metrics_sql = _insert_sql(
            dialect,
            "metrics",
            ("run_pk", "name", "step", "kind", "number", "text", "timestamp", "description"),
        )

    def log_metrics(self, run_id: str, metrics_: Sequence[Metric]) -> None:
        """See :meth:`MetadataStore.log_metrics`."""
        if not metrics_:
            return
        codes = _KIND_CODES
        rows = []
        for name, value, step, timestamp, kind, description in metrics_:
            number, text = encode_value(kind, value)
            rows.append((name, step, codes[kind], number, text, timestamp, description))

        def insert(connection: sa.Connection) -> None:
            run_pk = self._run_pk(connection, run_id)
            # Straight to the driver's executemany: SQLAlchemy's per-row parameter handling
            # would cost more than the database's own work.
            connection.exec_driver_sql(self._insert_metrics_sql, [(run_pk, *row) for row in rows])

        self._write(f"log {len(rows)} metric points to run {run_id!r}", insert)

    def get_metric_histories(
        self, run_id: str, name: str | None = None
    ) -> dict[str, MetricHistory]:
        """See :meth:`MetadataStore.get_metric_histories`."""

        # A 100,000-step history is read whole: few columns, the kind as a small int, and
        # rows straight from the driver.
        def select(connection: sa.Connection) -> dict[str, MetricHistory]:
            run_pk = self._run_pk(connection, run_id)
            if name is not None:
                rows = _fetch_all(connection, self._history_sql, (run_pk, name))
                return {name: _history(name, rows)} if rows else {}
            rows = _fetch_all(connection, self._histories_sql, (run_pk,))
            return {
                row_name: _history(row_name, list(group), first=1)
                for row_name, group in itertools.groupby(rows, key=operator.itemgetter(0))
            }

        return self._read(f"read the metrics of run {run_id!r}", select)

    def get_last_steps(self, run_id: str) -> dict[str, int]:
        """See :meth:`MetadataStore.get_last_steps`."""

        def select(connection: sa.Connection) -> dict[str, int]:
            run_pk = self._run_pk(connection, run_id)
            rows = connection.execute(
                sa.select(metrics.c.name, sa.func.max(metrics.c.step))
                .where(metrics.c.run_pk == run_pk)
                .group_by(metrics.c.name)
            )
            return {row_name: int(step) for row_name, step in rows}

        return self._read(f"read the metric steps of run {run_id!r}", select)
