"""Registered models' part of the SQL metadata store: the ``registered_models`` and
``model_aliases`` tables, beside the versions in ``model_versions``."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc

from runlab.entities.model import ModelRecord, RegisteredModelRecord
from runlab.errors import AlreadyExistsError, NotFoundError, ValidationError
from runlab.store.registered_models import RegisteredModelStore
from runlab.store.sql.database import SqlStorePart
from runlab.store.sql.model_registry import SqlModelRegistryStore
from runlab.store.sql.schema import model_aliases, model_versions, registered_models

__all__ = ["SqlRegisteredModelStore"]

# The states of model_versions rows that count as versions (see sql/model_registry.py).
_LIVE_STATES = ("registering", "ready")


def _missing(name: str) -> NotFoundError:
    return NotFoundError(f"no registered model named {name!r} in this workspace")


def _check_alias(alias: object) -> str:
    if not isinstance(alias, str) or not alias.strip():
        raise ValidationError(f"a model alias is a non-empty string, not {alias!r}")
    lowered = alias.lower()
    if alias.isdigit() or lowered == "latest" or (lowered[:1] == "v" and lowered[1:].isdigit()):
        raise ValidationError(f"alias {alias!r} reads as a version: use a name such as 'champion'")
    return alias


class SqlRegisteredModelStore(SqlStorePart, RegisteredModelStore):
    """Registered models and aliases in a SQL database; see
    :class:`~runlab.store.RegisteredModelStore`.

    Args:
        database: the shared database.
    """

    @staticmethod
    def _has_versions(connection: sa.Connection, name: str) -> bool:
        found = connection.execute(
            sa.select(model_versions.c.id)
            .where(model_versions.c.name == name, model_versions.c.state.in_(_LIVE_STATES))
            .limit(1)
        ).first()
        return found is not None

    @staticmethod
    def _record(connection: sa.Connection, name: str) -> RegisteredModelRecord | None:
        row = connection.execute(
            sa.select(
                registered_models.c.name,
                registered_models.c.description,
                registered_models.c.tags,
                registered_models.c.created_time,
                registered_models.c.updated_time,
            ).where(registered_models.c.name == name)
        ).first()
        if row is None:
            return None
        aliases = connection.execute(
            sa.select(model_aliases.c.alias, model_aliases.c.version).where(
                model_aliases.c.name == name
            )
        )
        return RegisteredModelRecord(
            name=row[0],
            description=row[1],
            tags=dict(row[2]),
            aliases={alias: int(version) for alias, version in aliases},
            created_time=row[3],
            updated_time=row[4],
        )

    @staticmethod
    def _insert(
        connection: sa.Connection,
        name: str,
        description: str | None,
        tags: Mapping[str, str] | None,
    ) -> None:
        now = time.time()
        connection.execute(
            registered_models.insert().values(
                name=name,
                description=description,
                tags=dict(tags or {}),
                created_time=now,
                updated_time=now,
            )
        )

    def create_registered_model(
        self,
        name: str,
        *,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> RegisteredModelRecord:
        """See :meth:`RegisteredModelStore.create_registered_model`."""
        if not isinstance(name, str) or not name:
            raise ValidationError(f"a model needs a non-empty name, not {name!r}")

        def insert(connection: sa.Connection) -> RegisteredModelRecord:
            if self._has_versions(connection, name):
                raise AlreadyExistsError(f"registered model {name!r} already exists")
            try:
                with connection.begin_nested():
                    self._insert(connection, name, description, tags)
            except exc.IntegrityError as error:
                raise AlreadyExistsError(f"registered model {name!r} already exists") from error
            record = self._record(connection, name)
            assert record is not None
            return record

        return self._database.write(f"create registered model {name!r}", insert)

    def _get_or_make(self, connection: sa.Connection, name: str) -> RegisteredModelRecord:
        record = self._record(connection, name)
        if record is not None:
            return record
        if not self._has_versions(connection, name):
            raise _missing(name)
        try:
            with connection.begin_nested():
                self._insert(connection, name, None, None)
        except exc.IntegrityError:
            pass  # another writer made it first
        made = self._record(connection, name)
        if made is None:
            raise _missing(name)
        return made

    def get_registered_model(self, name: str) -> RegisteredModelRecord:
        """See :meth:`RegisteredModelStore.get_registered_model`."""

        def read(connection: sa.Connection) -> RegisteredModelRecord:
            record = self._record(connection, name)
            return record if record is not None else self._get_or_make(connection, name)

        return self._database.write(f"read registered model {name!r}", read)

    def list_registered_models(self) -> list[RegisteredModelRecord]:
        """See :meth:`RegisteredModelStore.list_registered_models`."""

        def read(connection: sa.Connection) -> list[RegisteredModelRecord]:
            names = {
                str(name)
                for (name,) in connection.execute(
                    sa.select(model_versions.c.name)
                    .where(model_versions.c.state.in_(_LIVE_STATES))
                    .distinct()
                )
            }
            names.update(str(n) for (n,) in connection.execute(sa.select(registered_models.c.name)))
            return [self._get_or_make(connection, name) for name in sorted(names)]

        return self._database.write("list registered models", read)

    def update_registered_model(
        self,
        name: str,
        *,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        remove_tag: str | None = None,
    ) -> RegisteredModelRecord:
        """See :meth:`RegisteredModelStore.update_registered_model`."""

        def update(connection: sa.Connection) -> RegisteredModelRecord:
            current = self._get_or_make(connection, name)
            new_tags = current.tags | dict(tags or {})
            if remove_tag is not None:
                if remove_tag not in new_tags:
                    raise NotFoundError(f"registered model {name!r} has no tag {remove_tag!r}")
                del new_tags[remove_tag]
            values: dict[str, Any] = {"tags": new_tags, "updated_time": time.time()}
            if description is not None:
                values["description"] = description
            connection.execute(
                registered_models.update().where(registered_models.c.name == name).values(values)
            )
            record = self._record(connection, name)
            assert record is not None
            return record

        return self._database.write(f"update registered model {name!r}", update)

    def delete_registered_model(self, name: str) -> None:
        """See :meth:`RegisteredModelStore.delete_registered_model`."""

        def delete(connection: sa.Connection) -> None:
            self._get_or_make(connection, name)
            connection.execute(model_aliases.delete().where(model_aliases.c.name == name))
            connection.execute(registered_models.delete().where(registered_models.c.name == name))
            connection.execute(
                model_versions.update()
                .where(model_versions.c.name == name, model_versions.c.state.in_(_LIVE_STATES))
                .values(state="deleted")
            )

        self._database.write(f"delete registered model {name!r}", delete)

    def set_model_alias(self, name: str, alias: str, version: int) -> None:
        """See :meth:`RegisteredModelStore.set_model_alias`."""
        _check_alias(alias)

        def write(connection: sa.Connection) -> None:
            SqlModelRegistryStore._get_model(connection, name, version)
            self._get_or_make(connection, name)
            moved = connection.execute(
                model_aliases.update()
                .where(model_aliases.c.name == name, model_aliases.c.alias == alias)
                .values(version=version)
            )
            if moved.rowcount == 0:
                connection.execute(
                    model_aliases.insert().values(name=name, alias=alias, version=version)
                )

        self._database.write(f"set alias {name}@{alias}", write)

    def delete_model_alias(self, name: str, alias: str) -> None:
        """See :meth:`RegisteredModelStore.delete_model_alias`."""

        def delete(connection: sa.Connection) -> None:
            result = connection.execute(
                model_aliases.delete().where(
                    model_aliases.c.name == name, model_aliases.c.alias == alias
                )
            )
            if result.rowcount == 0:
                raise NotFoundError(f"model {name!r} has no alias {alias!r}")

        self._database.write(f"delete alias {name}@{alias}", delete)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelRecord:
        """See :meth:`RegisteredModelStore.get_model_version_by_alias`."""

        def read(connection: sa.Connection) -> ModelRecord:
            version = connection.execute(
                sa.select(model_aliases.c.version).where(
                    model_aliases.c.name == name, model_aliases.c.alias == alias
                )
            ).scalar()
            if version is None:
                raise NotFoundError(f"model {name!r} has no alias {alias!r}")
            return SqlModelRegistryStore._get_model(connection, name, int(version))

        return self._database.read(f"read {name}@{alias}", read)
