"""The model registry's part of the SQL metadata store: the ``model_versions`` table (and
``runs`` read for lineage)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc

from runlab.entities.model import ModelRecord
from runlab.errors import AlreadyExistsError, BackendError, NotFoundError, ValidationError
from runlab.store.model_registry import ModelRegistryStore
from runlab.store.sql.database import SqlStorePart
from runlab.store.sql.schema import experiments, model_versions, runs

__all__ = ["SqlModelRegistryStore"]

# A version's life: registering (files being stored), ready (visible), deleted (kept so its
# number is never given out again). Stored as text: never rename, only add.
_REGISTERING, _READY, _DELETED = "registering", "ready", "deleted"

_SHA256 = re.compile(r"^[0-9a-f]{64}$")

# Each failed attempt means another registration of the same name committed first, so the
# loop always makes progress; the bound only stops a bug from spinning forever.
_MAX_NUMBERING_ATTEMPTS = 1000

_COLUMNS = (
    model_versions.c.name,
    model_versions.c.version,
    model_versions.c.run_id,
    model_versions.c.experiment_name,
    model_versions.c.description,
    model_versions.c.tags,
    model_versions.c.properties,
    model_versions.c.created_time,
    model_versions.c.content_hash,
    model_versions.c.files,
)
_SELECT = sa.select(*_COLUMNS)


def _to_record(row: Sequence[Any]) -> ModelRecord:
    return ModelRecord(
        name=row[0],
        version=row[1],
        run_id=row[2],
        experiment_name=row[3],
        description=row[4],
        tags=dict(row[5]),
        properties=dict(row[6]),
        created_time=row[7],
        content_hash=row[8],
        files=tuple(row[9]),
    )


def _check_version(version: object) -> int:
    if type(version) is not int:
        raise ValidationError(f"a model version is an int, not {version!r}")
    return version


def _where(name: str, version: int, states: Sequence[str] = (_READY,)) -> sa.ColumnElement[bool]:
    return sa.and_(
        model_versions.c.name == name,
        model_versions.c.version == _check_version(version),
        model_versions.c.state.in_(states),
    )


def _missing(name: str, version: int | None = None) -> NotFoundError:
    if version is None:
        return NotFoundError(f"no model named {name!r} in this workspace")
    return NotFoundError(f"model {name!r} has no version {version} in this workspace")


class SqlModelRegistryStore(SqlStorePart, ModelRegistryStore):
    """Model versions in a SQL database; see :class:`~runlab.store.ModelRegistryStore`.

    Args:
        database: the shared database.
    """

    def create_model_version(
        self,
        name: str,
        *,
        content_hash: str,
        files: Sequence[str],
        run_id: str | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        properties: Mapping[str, str] | None = None,
    ) -> ModelRecord:
        """See :meth:`ModelRegistryStore.create_model_version`."""
        if not isinstance(name, str) or not name:
            raise ValidationError(f"a model needs a non-empty name, not {name!r}")
        if not isinstance(content_hash, str) or not _SHA256.match(content_hash):
            raise ValidationError(f"bad content hash {content_hash!r}: give 64 hex digits")
        if isinstance(files, str) or not files:
            raise ValidationError(f"model {name!r} needs a list of at least one file")
        now = time.time()
        values: dict[str, Any] = {
            "name": name,
            "state": _REGISTERING,
            "run_id": run_id,
            "description": description,
            "tags": dict(tags or {}),
            "properties": dict(properties or {}),
            "created_time": now,
            "content_hash": content_hash,
            "files": sorted(files),
        }

        def insert(connection: sa.Connection) -> ModelRecord:
            if run_id is not None:
                values["experiment_name"] = self._experiment_of_run(connection, run_id)
            return _to_record(self._insert_next_version(connection, name, values))

        return self._database.write(f"register a version of model {name!r}", insert)

    @staticmethod
    def _experiment_of_run(connection: sa.Connection, run_id: str) -> str:
        experiment_name = connection.execute(
            sa.select(experiments.c.name)
            .select_from(runs.join(experiments, runs.c.experiment_id == experiments.c.id))
            .where(runs.c.run_id == run_id)
        ).scalar()
        if experiment_name is None:
            raise NotFoundError(f"no run with id {run_id!r} in this workspace")
        return str(experiment_name)

    @staticmethod
    def _insert_next_version(
        connection: sa.Connection, name: str, values: dict[str, Any]
    ) -> Sequence[Any]:
        """Insert ``values`` as the name's next version and return the row.

        On SQLite the write transaction already holds the database's write lock (BEGIN
        IMMEDIATE), so nobody can take the number in between. On PostgreSQL two transactions
        may read the same highest number; the unique (name, version) constraint refuses the
        second insert once the first commits, and the loser reads again inside a savepoint, so
        its own transaction survives.
        """
        highest = sa.select(sa.func.coalesce(sa.func.max(model_versions.c.version), 0)).where(
            model_versions.c.name == name
        )
        for _attempt in range(_MAX_NUMBERING_ATTEMPTS):
            version = int(connection.execute(highest).scalar_one()) + 1
            try:
                with connection.begin_nested():
                    connection.execute(model_versions.insert().values(version=version, **values))
            except exc.IntegrityError:
                continue
            return connection.execute(_SELECT.where(_where(name, version, [_REGISTERING]))).one()
        raise BackendError(f"could not take a version number for model {name!r}")

    def finish_model_version(self, name: str, version: int) -> ModelRecord:
        """See :meth:`ModelRegistryStore.finish_model_version`."""

        def update(connection: sa.Connection) -> ModelRecord:
            result = connection.execute(
                model_versions.update()
                .where(_where(name, version, [_REGISTERING]))
                .values(state=_READY)
            )
            if result.rowcount != 1:
                raise NotFoundError(f"model {name!r} has no version {version} being registered")
            return self._get_model(connection, name, version)

        return self._database.write(f"finish registering model {name!r} version {version}", update)

    @staticmethod
    def _get_model(connection: sa.Connection, name: str, version: int | None) -> ModelRecord:
        query = _SELECT.where(model_versions.c.name == name, model_versions.c.state == _READY)
        if version is None:
            query = query.order_by(model_versions.c.version.desc()).limit(1)
        else:
            query = query.where(model_versions.c.version == _check_version(version))
        row = connection.execute(query).first()
        if row is None:
            raise _missing(name, version)
        return _to_record(row)

    def get_model_version(self, name: str, version: int | None = None) -> ModelRecord:
        """See :meth:`ModelRegistryStore.get_model_version`."""
        if version is not None:
            _check_version(version)
        return self._database.read(
            f"read model {name!r}", lambda c: self._get_model(c, name, version)
        )

    def search_model_versions(
        self,
        *,
        name: str | None = None,
        tags: Mapping[str, str | None] | None = None,
        properties: Mapping[str, str | None] | None = None,
        run_id: str | None = None,
        latest_only: bool = False,
    ) -> list[ModelRecord]:
        """See :meth:`ModelRegistryStore.search_model_versions`."""
        query = _SELECT.where(model_versions.c.state == _READY).order_by(
            model_versions.c.name, model_versions.c.version.desc()
        )
        if name is not None:
            query = query.where(model_versions.c.name == name)
        if run_id is not None:
            query = query.where(model_versions.c.run_id == run_id)
        for column, wanted in (
            (model_versions.c.tags, tags),
            (model_versions.c.properties, properties),
        ):
            for key, value in (wanted or {}).items():
                field = column[key].as_string()
                query = query.where(field.is_not(None) if value is None else field == value)

        def select(connection: sa.Connection) -> list[ModelRecord]:
            return [_to_record(row) for row in connection.execute(query)]

        records = self._database.read("search models", select)
        if latest_only:
            # Rows come newest version first within each name: keep the first of each.
            newest: dict[str, ModelRecord] = {}
            for record in records:
                newest.setdefault(record.name, record)
            records = list(newest.values())
        return records

    def update_model_version(
        self, name: str, version: int, *, description: str | None
    ) -> ModelRecord:
        """See :meth:`ModelRegistryStore.update_model_version`."""

        def update(connection: sa.Connection) -> ModelRecord:
            result = connection.execute(
                model_versions.update().where(_where(name, version)).values(description=description)
            )
            if result.rowcount != 1:
                raise _missing(name, version)
            return self._get_model(connection, name, version)

        return self._database.write(f"update model {name!r} version {version}", update)

    def _update_model_json(
        self,
        name: str,
        version: int,
        column: sa.Column[Any],
        change: Callable[[dict[str, Any]], dict[str, Any]],
        what: str,
    ) -> None:
        def update(connection: sa.Connection) -> None:
            # FOR UPDATE keeps two PostgreSQL writers from losing each other's keys; SQLite's
            # write transaction is already exclusive.
            current = connection.execute(
                sa.select(column).where(_where(name, version)).with_for_update()
            ).first()
            if current is None:
                raise _missing(name, version)
            connection.execute(
                model_versions.update()
                .where(_where(name, version))
                .values({column.name: change(dict(current[0]))})
            )

        self._database.write(what, update)

    def set_model_version_tags(self, name: str, version: int, tags: Mapping[str, str]) -> None:
        """See :meth:`ModelRegistryStore.set_model_version_tags`."""
        self._update_model_json(
            name,
            version,
            model_versions.c.tags,
            lambda current: current | dict(tags),
            f"tag model {name!r} version {version}",
        )

    def delete_model_version_tag(self, name: str, version: int, key: str) -> None:
        """See :meth:`ModelRegistryStore.delete_model_version_tag`."""

        def remove(current: dict[str, Any]) -> dict[str, Any]:
            if key not in current:
                raise NotFoundError(f"model {name!r} version {version} has no tag {key!r}")
            del current[key]
            return current

        self._update_model_json(
            name, version, model_versions.c.tags, remove, f"untag model {name!r} {version}"
        )

    def add_model_version_properties(
        self, name: str, version: int, properties: Mapping[str, str]
    ) -> None:
        """See :meth:`ModelRegistryStore.add_model_version_properties`."""

        def add(current: dict[str, Any]) -> dict[str, Any]:
            for key, value in properties.items():
                if key in current and current[key] != value:
                    raise AlreadyExistsError(
                        f"model {name!r} version {version} already has property {key!r} ="
                        f" {current[key]!r}; properties cannot be changed once added"
                        " (use a tag instead)"
                    )
            return current | dict(properties)

        self._update_model_json(
            name,
            version,
            model_versions.c.properties,
            add,
            f"add properties to model {name!r} version {version}",
        )

    def delete_model_version(self, name: str, version: int) -> None:
        """See :meth:`ModelRegistryStore.delete_model_version`."""

        def delete(connection: sa.Connection) -> None:
            result = connection.execute(
                model_versions.update()
                .where(_where(name, version, [_REGISTERING, _READY]))
                .values(state=_DELETED)
            )
            if result.rowcount != 1:
                raise _missing(name, version)

        self._database.write(f"delete model {name!r} version {version}", delete)
