"""The web services' part of the SQL metadata store: the ``services`` table."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc

from runlab.entities.service import ServiceRecord, ServiceState
from runlab.errors import AlreadyExistsError, NotFoundError, ValidationError
from runlab.store.common import str_list
from runlab.store.services import ServiceStore
from runlab.store.sql.database import SqlStorePart
from runlab.store.sql.schema import services

__all__ = ["SqlServiceStore"]

_SELECT = sa.select(
    services.c.name,
    services.c.kind,
    services.c.state,
    services.c.models,
    services.c.config,
    services.c.details,
    services.c.created_time,
    services.c.updated_time,
)


def _to_record(row: Sequence[Any]) -> ServiceRecord:
    return ServiceRecord(
        name=row[0],
        kind=row[1],
        state=row[2],
        models=list(row[3]),
        config=dict(row[4]),
        details=dict(row[5]),
        created_time=row[6],
        updated_time=row[7],
    )


def _missing(name: str) -> NotFoundError:
    return NotFoundError(f"no web service named {name!r} in this workspace")


def _json_object(name: str, what: str, value: Mapping[str, Any] | None) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        raise ValidationError(f"the {what} of web service {name!r} must be a str-keyed mapping")
    try:
        return dict(json.loads(json.dumps(dict(value), allow_nan=False)))
    except (TypeError, ValueError) as error:
        raise ValidationError(
            f"the {what} of web service {name!r} must be JSON values: {error}"
        ) from error


def _state(name: str, state: str) -> str:
    try:
        return ServiceState(state).value
    except ValueError:
        known = ", ".join(member.value for member in ServiceState)
        raise ValidationError(
            f"web service {name!r}: unknown state {state!r} (one of {known})"
        ) from None


class SqlServiceStore(SqlStorePart, ServiceStore):
    """Web services in a SQL database; see :class:`~runlab.store.services.ServiceStore`.

    Args:
        database: the shared database.
    """

    def create_service(
        self,
        name: str,
        kind: str,
        *,
        state: str,
        models: Sequence[str] = (),
        config: Mapping[str, Any] | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> ServiceRecord:
        """See :meth:`ServiceStore.create_service`."""
        if not isinstance(name, str) or not name:
            raise ValidationError(f"a web service needs a non-empty name, not {name!r}")
        if not isinstance(kind, str) or not kind:
            raise ValidationError(f"web service {name!r} needs a kind, not {kind!r}")
        now = time.time()
        values = {
            "name": name,
            "kind": kind,
            "state": _state(name, state),
            "models": str_list(models, f"the models of web service {name!r}"),
            "config": _json_object(name, "config", config),
            "details": _json_object(name, "details", details),
            "created_time": now,
            "updated_time": now,
        }

        def insert(connection: sa.Connection) -> ServiceRecord:
            try:
                with connection.begin_nested():
                    connection.execute(services.insert().values(**values))
            except exc.IntegrityError as error:
                raise AlreadyExistsError(
                    f"a web service named {name!r} exists in this workspace"
                ) from error
            return self._get_service(connection, name)

        return self._database.write(f"record web service {name!r}", insert)

    @staticmethod
    def _get_service(connection: sa.Connection, name: str) -> ServiceRecord:
        row = connection.execute(_SELECT.where(services.c.name == name)).first()
        if row is None:
            raise _missing(name)
        return _to_record(row)

    def get_service(self, name: str) -> ServiceRecord:
        """See :meth:`ServiceStore.get_service`."""
        return self._database.read(
            f"read web service {name!r}", lambda c: self._get_service(c, name)
        )

    def list_services(self) -> list[ServiceRecord]:
        """See :meth:`ServiceStore.list_services`."""

        def select(connection: sa.Connection) -> list[ServiceRecord]:
            return [
                _to_record(row) for row in connection.execute(_SELECT.order_by(services.c.name))
            ]

        return self._database.read("list web services", select)

    def update_service(
        self,
        name: str,
        *,
        state: str | None = None,
        models: Sequence[str] | None = None,
        config: Mapping[str, Any] | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> ServiceRecord:
        """See :meth:`ServiceStore.update_service`."""
        changes: dict[str, Any] = {"updated_time": time.time()}
        if state is not None:
            changes["state"] = _state(name, state)
        if models is not None:
            changes["models"] = str_list(models, f"the models of web service {name!r}")
        if config is not None:
            changes["config"] = _json_object(name, "config", config)
        if details is not None:
            changes["details"] = _json_object(name, "details", details)

        def update(connection: sa.Connection) -> ServiceRecord:
            result = connection.execute(
                services.update().where(services.c.name == name).values(**changes)
            )
            if result.rowcount != 1:
                raise _missing(name)
            return self._get_service(connection, name)

        return self._database.write(f"update web service {name!r}", update)

    def delete_service(self, name: str) -> None:
        """See :meth:`ServiceStore.delete_service`."""

        def delete(connection: sa.Connection) -> None:
            result = connection.execute(services.delete().where(services.c.name == name))
            if result.rowcount != 1:
                raise _missing(name)

        self._database.write(f"delete web service {name!r}", delete)
