"""Runs' part of the SQL metadata store: experiments, runs, states, heartbeats, tags and
properties, and searching runs (also by a metric's last value)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Unpack

import sqlalchemy as sa
from sqlalchemy import exc

from runlab.entities import (
    ExperimentRecord,
    RunRecord,
    RunStatus,
    allowed_sources,
    check_transition,
)
from runlab.entities.labels import with_properties, without_tag
from runlab.errors import AlreadyExistsError, NotFoundError, ValidationError
from runlab.store.run_query import parse_filter, parse_order
from runlab.store.runs import RunFilters, RunStore, parse_metric_order
from runlab.store.sql import lookups
from runlab.store.sql.database import SqlStorePart
from runlab.store.sql.run_query import filter_conditions, order_clauses
from runlab.store.sql.schema import experiments, metrics, model_versions, runs

__all__ = ["SqlRunStore"]

_ORDERS: dict[str, tuple[sa.ColumnElement[Any], ...]] = {
    "created_time desc": (runs.c.created_time.desc(), runs.c.id.desc()),
    "created_time asc": (runs.c.created_time.asc(), runs.c.id.asc()),
    "number desc": (runs.c.number.desc(),),
    "number asc": (runs.c.number.asc(),),
    "end_time desc": (runs.c.end_time.desc(), runs.c.id.desc()),
    "end_time asc": (runs.c.end_time.asc(), runs.c.id.asc()),
}


def _order(order_by: str) -> tuple[sa.ColumnElement[Any], ...]:
    """The ORDER BY of ``search_runs``.

    By a metric, the key is a correlated subquery: the number of the run's last point of
    that metric (the point's id breaks ties between points of one step, as in the history's
    order), one descending probe per run of the index on (run_pk, name, step, id, number),
    which holds the number too. Points whose value is not a finite number keep NULL there,
    and NULLs come last.

    Raises:
        ValidationError: an order the store does not know.
    """
    by_metric = parse_metric_order(order_by)
    if by_metric is not None:
        name, descending = by_metric
        point = metrics.alias("last_point")
        last_value = (
            sa.select(point.c.number)
            .where(point.c.run_pk == runs.c.id, point.c.name == name)
            .order_by(point.c.step.desc(), point.c.id.desc())
            .limit(1)
            .correlate(runs)
            .scalar_subquery()
        )
        direction = last_value.desc() if descending else last_value.asc()
        return (sa.nulls_last(direction), runs.c.id.desc())
    order = _ORDERS.get(order_by.strip().lower())
    if order is not None:
        return order
    try:
        keys = parse_order(order_by)
    except ValidationError as error:
        raise ValidationError(
            f"cannot order runs by {order_by!r}: use one of {', '.join(_ORDERS)},"
            f" metric:NAME asc|desc, or keys such as 'metrics.acc DESC' ({error})"
        ) from error
    return tuple(order_clauses(keys))


_RUN_COLUMNS = (
    runs.c.run_id,
    experiments.c.name,
    runs.c.number,
    runs.c.status,
    runs.c.parent_run_id,
    runs.c.display_name,
    runs.c.target,
    runs.c.created_time,
    runs.c.start_time,
    runs.c.end_time,
    runs.c.tags,
    runs.c.properties,
    runs.c.error_details,
    runs.c.heartbeat_time,
    runs.c.heartbeat_timeout,
    runs.c.deleted_time,
)
_RUN_SELECT = sa.select(*_RUN_COLUMNS).select_from(
    runs.join(experiments, runs.c.experiment_id == experiments.c.id)
)


def _to_record(row: Sequence[Any]) -> RunRecord:
    return RunRecord(
        run_id=row[0],
        experiment_name=row[1],
        number=row[2],
        status=RunStatus(row[3]),
        parent_run_id=row[4],
        display_name=row[5],
        target=row[6],
        created_time=row[7],
        start_time=row[8],
        end_time=row[9],
        tags=dict(row[10]),
        properties=dict(row[11]),
        error_details=row[12],
        heartbeat_time=row[13],
        heartbeat_timeout=row[14],
        deleted_time=row[15],
    )


def _experiment_record(row: Any) -> ExperimentRecord:
    return ExperimentRecord(
        row.id, row.name, row.created_time, dict(row.tags or {}), row.deleted_time
    )


class SqlRunStore(SqlStorePart, RunStore):
    """Experiments and runs in a SQL database; see :class:`~runlab.store.RunStore`.

    Args:
        database: the shared database.
    """

    # -- experiments ---------------------------------------------------------------------

    def create_experiment(self, name: str) -> ExperimentRecord:
        """See :meth:`RunStore.create_experiment`."""
        created_time = time.time()

        def insert(connection: sa.Connection) -> ExperimentRecord:
            try:
                experiment_id = connection.execute(
                    experiments.insert()
                    .values(name=name, created_time=created_time)
                    .returning(experiments.c.id)
                ).scalar_one()
            except exc.IntegrityError as error:
                raise AlreadyExistsError(f"an experiment named {name!r} exists") from error
            return ExperimentRecord(int(experiment_id), name, created_time)

        return self._database.write(f"create experiment {name!r}", insert)

    def get_experiment(self, name: str) -> ExperimentRecord:
        """See :meth:`RunStore.get_experiment`."""

        def select(connection: sa.Connection) -> ExperimentRecord:
            row = connection.execute(
                sa.select(experiments).where(experiments.c.name == name)
            ).first()
            if row is None:
                raise NotFoundError(f"no experiment named {name!r} in this workspace")
            return _experiment_record(row)

        return self._database.read(f"read experiment {name!r}", select)

    def list_experiments(self) -> list[ExperimentRecord]:
        """See :meth:`RunStore.list_experiments`."""

        def select(connection: sa.Connection) -> list[ExperimentRecord]:
            rows = connection.execute(sa.select(experiments).order_by(experiments.c.name))
            return [_experiment_record(row) for row in rows]

        return self._database.read("list experiments", select)

    def update_experiment(
        self,
        name: str,
        *,
        new_name: str | None = None,
        tags: Mapping[str, str] | None = None,
        remove_tag: str | None = None,
        deleted: bool | None = None,
    ) -> ExperimentRecord:
        """See :meth:`RunStore.update_experiment`."""
        now = time.time()

        def update(connection: sa.Connection) -> ExperimentRecord:
            key = lookups.experiment_id(connection, name, lock=True)
            row = connection.execute(sa.select(experiments).where(experiments.c.id == key)).one()
            current = dict(row.tags or {}) | dict(tags or {})
            if remove_tag is not None:
                current = without_tag(current, remove_tag, f"experiment {name!r}")
            values: dict[str, Any] = {"tags": current}
            if deleted is not None:
                values["deleted_time"] = now if deleted else None
            if new_name is not None and new_name != name:
                values["name"] = new_name
                connection.execute(
                    model_versions.update()
                    .where(model_versions.c.experiment_name == name)
                    .values(experiment_name=new_name)
                )
            try:
                connection.execute(
                    experiments.update().where(experiments.c.id == key).values(values)
                )
            except exc.IntegrityError as error:
                raise AlreadyExistsError(f"an experiment named {new_name!r} exists") from error
            return _experiment_record(
                connection.execute(sa.select(experiments).where(experiments.c.id == key)).one()
            )

        return self._database.write(f"update experiment {name!r}", update)

    # -- runs ----------------------------------------------------------------------------

    def create_run(
        self,
        experiment_name: str,
        run_id: str,
        *,
        parent_run_id: str | None = None,
        display_name: str | None = None,
        status: RunStatus = RunStatus.NOT_STARTED,
        target: str = "local",
        tags: Mapping[str, str] | None = None,
        properties: Mapping[str, str] | None = None,
        heartbeat_timeout: float | None = None,
    ) -> RunRecord:
        """See :meth:`RunStore.create_run`."""
        now = time.time()

        def insert(connection: sa.Connection) -> RunRecord:
            # Locking the experiment's row serialises numbering on PostgreSQL; SQLite's
            # BEGIN IMMEDIATE already holds the database's write lock.
            experiment_id = lookups.experiment_id(connection, experiment_name, lock=True)
            if parent_run_id is not None:
                lookups.run_pk(connection, parent_run_id)
            number = connection.execute(
                sa.select(sa.func.coalesce(sa.func.max(runs.c.number), 0) + 1).where(
                    runs.c.experiment_id == experiment_id
                )
            ).scalar_one()
            try:
                connection.execute(
                    runs.insert().values(
                        run_id=run_id,
                        experiment_id=experiment_id,
                        number=number,
                        display_name=display_name or run_id,
                        status=status.value,
                        parent_run_id=parent_run_id,
                        target=target,
                        created_time=now,
                        start_time=now if status is RunStatus.RUNNING else None,
                        tags=dict(tags or {}),
                        properties=dict(properties or {}),
                        heartbeat_time=None if heartbeat_timeout is None else now,
                        heartbeat_timeout=heartbeat_timeout,
                    )
                )
            except exc.IntegrityError as error:
                raise AlreadyExistsError(f"a run with id {run_id!r} exists") from error
            return self._get_run(connection, run_id)

        return self._database.write(f"create run {run_id!r}", insert)

    @staticmethod
    def _get_run(connection: sa.Connection, run_id: str) -> RunRecord:
        row = connection.execute(_RUN_SELECT.where(runs.c.run_id == run_id)).first()
        if row is None:
            raise NotFoundError(f"no run with id {run_id!r} in this workspace")
        return _to_record(row)

    def get_run(self, run_id: str) -> RunRecord:
        """See :meth:`RunStore.get_run`."""
        record = self._database.read(f"read run {run_id!r}", lambda c: self._get_run(c, run_id))
        if record.is_stale:
            self._reap_stale([record])
            record = self._database.read(f"read run {run_id!r}", lambda c: self._get_run(c, run_id))
        return record

    def _reap_stale(self, records: Sequence[RunRecord]) -> None:
        """Fail runs whose job stopped reporting; the WHERE clause re-checks inside the write,
        so a heartbeat that arrived meanwhile keeps its run alive."""
        now = time.time()
        non_terminal = [status.value for status in RunStatus if not status.is_terminal]

        def fail(connection: sa.Connection) -> None:
            for record in records:
                silence = now - (record.heartbeat_time or now)
                connection.execute(
                    runs.update()
                    .where(
                        runs.c.run_id == record.run_id,
                        runs.c.status.in_(non_terminal),
                        runs.c.heartbeat_time + runs.c.heartbeat_timeout < now,
                    )
                    .values(
                        status=RunStatus.FAILED.value,
                        end_time=now,
                        error_details={
                            "message": (
                                f"the job stopped reporting: no heartbeat for {silence:.0f} s"
                                " (its process was killed or its machine restarted)"
                            ),
                            "reason": "heartbeat_timeout",
                        },
                    )
                )

        self._database.write("fail runs whose job vanished", fail)

    def heartbeat(self, run_id: str) -> None:
        """See :meth:`RunStore.heartbeat`."""

        def beat(connection: sa.Connection) -> None:
            result = connection.execute(
                runs.update().where(runs.c.run_id == run_id).values(heartbeat_time=time.time())
            )
            if result.rowcount != 1:
                raise NotFoundError(f"no run with id {run_id!r} in this workspace")

        self._database.write(f"record a heartbeat of run {run_id!r}", beat)

    def search_runs(
        self,
        *,
        order_by: str = "created_time desc",
        limit: int | None = None,
        offset: int = 0,
        **filters: Unpack[RunFilters],
    ) -> list[RunRecord]:
        """See :meth:`RunStore.search_runs`."""
        order = _order(order_by)
        parse_filter(filters.get("query"))  # a bad filter is refused before any read
        if (limit is not None and limit < 0) or offset < 0:
            raise ValidationError("limit and offset must not be negative")
        query = _RUN_SELECT.order_by(*order).offset(offset)
        if limit is not None:
            query = query.limit(limit)

        def select(connection: sa.Connection) -> list[RunRecord]:
            scoped = query.where(*self._run_conditions(connection, filters))
            return [_to_record(row) for row in connection.execute(scoped)]

        records = self._database.read("search runs", select)
        stale = [record for record in records if record.is_stale]
        if stale:
            self._reap_stale(stale)
            records = self._database.read("search runs", select)
        return records

    def count_runs(self, **filters: Unpack[RunFilters]) -> int:
        """See :meth:`RunStore.count_runs`."""

        def count(connection: sa.Connection) -> int:
            query = (
                sa.select(sa.func.count())
                .select_from(runs)
                .where(*self._run_conditions(connection, filters))
            )
            return int(connection.execute(query).scalar_one())

        return self._database.read("count runs", count)

    def _run_conditions(
        self, connection: sa.Connection, filters: RunFilters
    ) -> list[sa.ColumnElement[bool]]:
        """The WHERE conditions of ``search_runs`` and ``count_runs``."""
        conditions: list[sa.ColumnElement[bool]] = []
        experiment_name = filters.get("experiment_name")
        if experiment_name is not None:
            experiment_id = lookups.experiment_id(connection, experiment_name)
            conditions.append(runs.c.experiment_id == experiment_id)
        experiment_names = filters.get("experiment_names")
        if experiment_names is not None:
            conditions.append(
                runs.c.experiment_id.in_(
                    sa.select(experiments.c.id).where(
                        experiments.c.name.in_(list(experiment_names))
                    )
                )
            )
        statuses = filters.get("statuses")
        if statuses is not None:
            conditions.append(runs.c.status.in_([RunStatus.parse(s).value for s in statuses]))
        parent_run_id = filters.get("parent_run_id")
        if parent_run_id is not None:
            conditions.append(runs.c.parent_run_id == parent_run_id)
        if filters.get("top_level_only"):
            conditions.append(runs.c.parent_run_id.is_(None))
        deleted = filters.get("deleted")
        if deleted is not None:
            column = runs.c.deleted_time
            conditions.append(column.is_not(None) if deleted else column.is_(None))
        json_filters = (
            (runs.c.tags, filters.get("tags")),
            (runs.c.properties, filters.get("properties")),
        )
        for column, wanted in json_filters:
            for name, value in (wanted or {}).items():
                field = column[name].as_string()
                conditions.append(field.is_not(None) if value is None else field == value)
        clauses = parse_filter(filters.get("query"))
        conditions.extend(filter_conditions(clauses, connection.dialect.name))
        return conditions

    def set_run_status(
        self,
        run_id: str,
        status: RunStatus,
        *,
        error_details: Mapping[str, Any] | None = None,
    ) -> RunRecord:
        """See :meth:`RunStore.set_run_status`."""
        now = time.time()

        def update(connection: sa.Connection) -> RunRecord:
            current = self._get_run(connection, run_id)
            if current.status is status:
                return current
            check_transition(current.status, status)
            values: dict[str, Any] = {"status": status.value}
            if status is RunStatus.RUNNING or (status.is_terminal and not current.start_time):
                values["start_time"] = current.start_time or now
            if status.is_terminal:
                values["end_time"] = now
            if error_details is not None:
                values["error_details"] = dict(error_details)
            sources = [source.value for source in allowed_sources(status)]
            # Compare-and-set: the WHERE clause re-checks the state inside the write.
            result = connection.execute(
                runs.update()
                .where(runs.c.run_id == run_id, runs.c.status.in_(sources))
                .values(**values)
            )
            if result.rowcount != 1:
                check_transition(self._get_run(connection, run_id).status, status)
            return self._get_run(connection, run_id)

        return self._database.write(f"set the status of run {run_id!r}", update)

    def update_run(self, run_id: str, *, display_name: str) -> RunRecord:
        """See :meth:`RunStore.update_run`."""

        def update(connection: sa.Connection) -> RunRecord:
            lookups.run_pk(connection, run_id)
            connection.execute(
                runs.update().where(runs.c.run_id == run_id).values(display_name=display_name)
            )
            return self._get_run(connection, run_id)

        return self._database.write(f"rename run {run_id!r}", update)

    def set_run_deleted(self, run_id: str, deleted: bool) -> RunRecord:
        """See :meth:`RunStore.set_run_deleted`."""
        mark = time.time() if deleted else None

        def update(connection: sa.Connection) -> RunRecord:
            lookups.run_pk(connection, run_id)
            connection.execute(
                runs.update().where(runs.c.run_id == run_id).values(deleted_time=mark)
            )
            return self._get_run(connection, run_id)

        what = "delete" if deleted else "restore"
        return self._database.write(f"{what} run {run_id!r}", update)

    def _update_json(
        self,
        run_id: str,
        column: sa.Column[Any],
        change: Callable[[dict[str, Any]], dict[str, Any]],
        what: str,
    ) -> None:
        def update(connection: sa.Connection) -> None:
            lookups.run_pk(connection, run_id, lock=True)
            current = connection.execute(
                sa.select(column).where(runs.c.run_id == run_id)
            ).scalar_one()
            connection.execute(
                runs.update()
                .where(runs.c.run_id == run_id)
                .values({column.name: change(dict(current))})
            )

        self._database.write(what, update)

    def set_tags(self, run_id: str, tags: Mapping[str, str]) -> None:
        """See :meth:`RunStore.set_tags`."""
        self._update_json(
            run_id, runs.c.tags, lambda current: current | dict(tags), f"tag run {run_id!r}"
        )

    def delete_tag(self, run_id: str, key: str) -> None:
        """See :meth:`RunStore.delete_tag`."""

        def remove(current: dict[str, Any]) -> dict[str, Any]:
            return without_tag(current, key, f"run {run_id!r}")

        self._update_json(run_id, runs.c.tags, remove, f"remove a tag of run {run_id!r}")

    def add_properties(self, run_id: str, properties: Mapping[str, str]) -> None:
        """See :meth:`RunStore.add_properties`."""

        def add(current: dict[str, Any]) -> dict[str, Any]:
            return with_properties(current, properties, f"run {run_id!r}")

        self._update_json(run_id, runs.c.properties, add, f"add properties to run {run_id!r}")
