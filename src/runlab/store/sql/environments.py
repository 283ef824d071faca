"""The environments' part of the SQL metadata store: the ``environment_versions`` table."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc

from runlab.entities.environment import EnvironmentRecord
from runlab.errors import BackendError, NotFoundError, ValidationError
from runlab.store.environments import EnvironmentStore
from runlab.store.sql.database import SqlStorePart
from runlab.store.sql.schema import environment_versions

__all__ = ["SqlEnvironmentStore"]

# Each failed attempt means another transaction took the number first, so the loop always
# makes progress; the bound only stops a bug spinning.
_MAX_NUMBERING_ATTEMPTS = 100

_SELECT = sa.select(
    environment_versions.c.name,
    environment_versions.c.version,
    environment_versions.c.spec,
    environment_versions.c.created_time,
)


def _to_record(row: Sequence[Any]) -> EnvironmentRecord:
    return EnvironmentRecord(name=row[0], version=row[1], spec=dict(row[2]), created_time=row[3])


def _check_spec(name: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(spec, Mapping) or not all(isinstance(key, str) for key in spec):
        raise ValidationError(f"the spec of environment {name!r} must be a mapping of str keys")
    try:
        # A round trip both checks the values and detaches them from the caller's objects.
        return dict(json.loads(json.dumps(dict(spec), allow_nan=False)))
    except (TypeError, ValueError) as error:
        raise ValidationError(
            f"the spec of environment {name!r} must be JSON values: {error}"
        ) from error


def check_environment_version(version: object) -> int:
    """``version`` if it is a positive int.

    Raises:
        ValidationError: it is not.
    """
    if type(version) is not int or version < 1:
        raise ValidationError(f"an environment version is an int >= 1, not {version!r}")
    return version


class SqlEnvironmentStore(SqlStorePart, EnvironmentStore):
    """Registered environments in a SQL database; see
    :class:`~runlab.store.environments.EnvironmentStore`.

    Args:
        database: the shared database.
    """

    def create_environment_version(self, name: str, spec: Mapping[str, Any]) -> EnvironmentRecord:
        """See :meth:`EnvironmentStore.create_environment_version`.

        On SQLite the write transaction holds the database's write lock; on PostgreSQL the
        unique (name, version) constraint refuses a second writer of the same number, which
        then reads again inside a savepoint.
        """
        if not isinstance(name, str) or not name.strip():
            raise ValidationError(f"an environment needs a non-empty name, not {name!r}")
        checked = _check_spec(name, spec)

        def insert(connection: sa.Connection) -> EnvironmentRecord:
            for _attempt in range(_MAX_NUMBERING_ATTEMPTS):
                latest = self._latest(connection, name)
                if latest is not None and latest.spec == checked:
                    return latest
                version = latest.version + 1 if latest is not None else 1
                values = {"name": name, "version": version, "spec": checked}
                try:
                    with connection.begin_nested():
                        connection.execute(
                            environment_versions.insert().values(created_time=time.time(), **values)
                        )
                except exc.IntegrityError:
                    continue
                return self._get_environment(connection, name, version)
            raise BackendError(f"could not take a version number for environment {name!r}")

        return self._database.write(f"register environment {name!r}", insert)

    @staticmethod
    def _latest(connection: sa.Connection, name: str) -> EnvironmentRecord | None:
        query = (
            _SELECT.where(environment_versions.c.name == name)
            .order_by(environment_versions.c.version.desc())
            .limit(1)
        )
        row = connection.execute(query).first()
        return _to_record(row) if row is not None else None

    @classmethod
    def _get_environment(
        cls, connection: sa.Connection, name: str, version: int | None
    ) -> EnvironmentRecord:
        if version is None:
            latest = cls._latest(connection, name)
            if latest is None:
                raise NotFoundError(f"no environment named {name!r} is registered here")
            return latest
        query = _SELECT.where(
            environment_versions.c.name == name,
            environment_versions.c.version == check_environment_version(version),
        )
        row = connection.execute(query).first()
        if row is None:
            raise NotFoundError(f"environment {name!r} has no version {version} here")
        return _to_record(row)

    def get_environment_version(self, name: str, version: int | None = None) -> EnvironmentRecord:
        """See :meth:`EnvironmentStore.get_environment_version`."""
        if version is not None:
            check_environment_version(version)
        return self._database.read(
            f"read environment {name!r}", lambda c: self._get_environment(c, name, version)
        )

    def list_environment_versions(self, name: str | None = None) -> list[EnvironmentRecord]:
        """See :meth:`EnvironmentStore.list_environment_versions`."""

        def select(connection: sa.Connection) -> list[EnvironmentRecord]:
            query = _SELECT.order_by(environment_versions.c.name, environment_versions.c.version)
            if name is not None:
                query = query.where(environment_versions.c.name == name)
            return [_to_record(row) for row in connection.execute(query)]

        return self._database.read("list environments", select)
