"""The datastores' part of the SQL metadata store: the ``datastores`` table."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc

from runlab.entities.datastore import DatastoreRecord
from runlab.errors import AlreadyExistsError, BackendError, NotFoundError, ValidationError
from runlab.store.datastores import DatastoreStore
from runlab.store.sql.database import SqlStorePart
from runlab.store.sql.schema import datastores

__all__ = ["SqlDatastoreStore"]

# Each failed attempt means another transaction made a different datastore the default and
# committed first, so the loop always makes progress; the bound only stops a bug spinning.
_MAX_DEFAULT_ATTEMPTS = 100

_SELECT = sa.select(
    datastores.c.name,
    datastores.c.url,
    datastores.c.options,
    datastores.c.is_default,
    datastores.c.created_time,
)


def _to_record(row: Sequence[Any]) -> DatastoreRecord:
    return DatastoreRecord(
        name=row[0],
        url=row[1],
        options=dict(row[2]),
        is_default=bool(row[3]),
        created_time=row[4],
    )


def _missing(name: str) -> NotFoundError:
    return NotFoundError(f"no datastore named {name!r} in this workspace")


def _check_options(name: str, options: Mapping[str, Any] | None) -> dict[str, Any]:
    if options is None:
        return {}
    if not isinstance(options, Mapping) or not all(isinstance(key, str) for key in options):
        raise ValidationError(f"the options of datastore {name!r} must be a mapping of str keys")
    try:
        # A round trip both checks the values and detaches them from the caller's objects.
        loaded = json.loads(json.dumps(dict(options), allow_nan=False))
    except (TypeError, ValueError) as error:
        raise ValidationError(
            f"the options of datastore {name!r} must be JSON values (str, number, bool, None,"
            f" lists and mappings of them): {error}"
        ) from error
    return dict(loaded)


class SqlDatastoreStore(SqlStorePart, DatastoreStore):
    """Datastores in a SQL database; see :class:`~runlab.store.DatastoreStore`.

    Args:
        database: the shared database.
    """

    def create_datastore(
        self,
        name: str,
        url: str,
        *,
        options: Mapping[str, Any] | None = None,
        is_default: bool = False,
    ) -> DatastoreRecord:
        """See :meth:`DatastoreStore.create_datastore`."""
        if not isinstance(name, str) or not name:
            raise ValidationError(f"a datastore needs a non-empty name, not {name!r}")
        if not isinstance(url, str) or not url.strip():
            raise ValidationError(f"datastore {name!r} needs a non-empty URL, not {url!r}")
        values = {
            "name": name,
            "url": url,
            "options": _check_options(name, options),
            # Inserted as not the default; _make_default then moves the flag, so the insert
            # itself never meets the one-default index.
            "is_default": False,
            "created_time": time.time(),
        }

        def insert(connection: sa.Connection) -> DatastoreRecord:
            try:
                with connection.begin_nested():
                    connection.execute(datastores.insert().values(**values))
            except exc.IntegrityError as error:
                raise AlreadyExistsError(
                    f"a datastore named {name!r} exists in this workspace"
                ) from error
            if is_default:
                self._make_default(connection, name)
            return self._get_datastore(connection, name)

        return self._database.write(f"register datastore {name!r}", insert)

    @staticmethod
    def _get_datastore(connection: sa.Connection, name: str) -> DatastoreRecord:
        row = connection.execute(_SELECT.where(datastores.c.name == name)).first()
        if row is None:
            raise _missing(name)
        return _to_record(row)

    def get_datastore(self, name: str) -> DatastoreRecord:
        """See :meth:`DatastoreStore.get_datastore`."""
        return self._database.read(
            f"read datastore {name!r}", lambda c: self._get_datastore(c, name)
        )

    def list_datastores(self) -> list[DatastoreRecord]:
        """See :meth:`DatastoreStore.list_datastores`."""

        def select(connection: sa.Connection) -> list[DatastoreRecord]:
            rows = connection.execute(_SELECT.order_by(datastores.c.name))
            return [_to_record(row) for row in rows]

        return self._database.read("list datastores", select)

    def delete_datastore(self, name: str) -> None:
        """See :meth:`DatastoreStore.delete_datastore`."""

        def delete(connection: sa.Connection) -> None:
            result = connection.execute(datastores.delete().where(datastores.c.name == name))
            if result.rowcount != 1:
                raise _missing(name)

        self._database.write(f"delete datastore {name!r}", delete)

    def set_default_datastore(self, name: str) -> DatastoreRecord:
        """See :meth:`DatastoreStore.set_default_datastore`."""

        def update(connection: sa.Connection) -> DatastoreRecord:
            self._get_datastore(connection, name)
            self._make_default(connection, name)
            return self._get_datastore(connection, name)

        return self._database.write(f"make datastore {name!r} the default", update)

    @staticmethod
    def _make_default(connection: sa.Connection, name: str) -> None:
        """Clear every other default, then set this one, inside the caller's transaction.

        Two statements, because a unique index is checked row by row: one UPDATE flipping
        both rows could meet the old default still set. On SQLite the write transaction holds
        the database's write lock, so nobody interleaves. On PostgreSQL another transaction
        may set its own default meanwhile; the one-default index then refuses ours once that
        one commits, and we clear again (a new statement sees the new default) inside a
        savepoint, so our transaction survives.
        """
        for _attempt in range(_MAX_DEFAULT_ATTEMPTS):
            try:
                with connection.begin_nested():
                    connection.execute(
                        datastores.update()
                        .where(datastores.c.is_default, datastores.c.name != name)
                        .values(is_default=False)
                    )
                    connection.execute(
                        datastores.update().where(datastores.c.name == name).values(is_default=True)
                    )
            except exc.IntegrityError:
                continue
            return
        raise BackendError(f"could not make datastore {name!r} the default")
