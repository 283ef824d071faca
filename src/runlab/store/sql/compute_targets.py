"""The compute targets' part of the SQL metadata store: the ``compute_targets`` table."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc

from runlab.entities.compute_target import ComputeTargetRecord
from runlab.errors import AlreadyExistsError, NotFoundError, ValidationError
from runlab.store.compute_targets import ComputeTargetStore
from runlab.store.sql.database import SqlStorePart
from runlab.store.sql.schema import compute_targets

__all__ = ["SqlComputeTargetStore"]

_SELECT = sa.select(
    compute_targets.c.name,
    compute_targets.c.kind,
    compute_targets.c.config,
    compute_targets.c.state,
    compute_targets.c.created_time,
)


def _to_record(row: Sequence[Any]) -> ComputeTargetRecord:
    return ComputeTargetRecord(
        name=row[0], kind=row[1], config=dict(row[2]), state=dict(row[3]), created_time=row[4]
    )


def _missing(name: str) -> NotFoundError:
    return NotFoundError(f"no compute target named {name!r} in this workspace")


def _json_object(name: str, what: str, value: Mapping[str, Any] | None) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        raise ValidationError(f"the {what} of compute target {name!r} must be a str-keyed mapping")
    try:
        # A round trip both checks the values and detaches them from the caller's objects.
        return dict(json.loads(json.dumps(dict(value), allow_nan=False)))
    except (TypeError, ValueError) as error:
        raise ValidationError(
            f"the {what} of compute target {name!r} must be JSON values: {error}"
        ) from error


class SqlComputeTargetStore(SqlStorePart, ComputeTargetStore):
    """Compute targets in a SQL database; see :class:`~runlab.store.ComputeTargetStore`.

    Args:
        database: the shared database.
    """

    def create_compute_target(
        self,
        name: str,
        kind: str,
        *,
        config: Mapping[str, Any] | None = None,
        state: Mapping[str, Any] | None = None,
    ) -> ComputeTargetRecord:
        """See :meth:`ComputeTargetStore.create_compute_target`."""
        if not isinstance(name, str) or not name:
            raise ValidationError(f"a compute target needs a non-empty name, not {name!r}")
        if not isinstance(kind, str) or not kind:
            raise ValidationError(f"compute target {name!r} needs a kind, not {kind!r}")
        values = {
            "name": name,
            "kind": kind,
            "config": _json_object(name, "config", config),
            "state": _json_object(name, "state", state),
            "created_time": time.time(),
        }

        def insert(connection: sa.Connection) -> ComputeTargetRecord:
            try:
                with connection.begin_nested():
                    connection.execute(compute_targets.insert().values(**values))
            except exc.IntegrityError as error:
                raise AlreadyExistsError(
                    f"a compute target named {name!r} exists in this workspace"
                ) from error
            return self._get_compute_target(connection, name)

        return self._database.write(f"record compute target {name!r}", insert)

    @staticmethod
    def _get_compute_target(connection: sa.Connection, name: str) -> ComputeTargetRecord:
        row = connection.execute(_SELECT.where(compute_targets.c.name == name)).first()
        if row is None:
            raise _missing(name)
        return _to_record(row)

    def get_compute_target(self, name: str) -> ComputeTargetRecord:
        """See :meth:`ComputeTargetStore.get_compute_target`."""
        return self._database.read(
            f"read compute target {name!r}", lambda c: self._get_compute_target(c, name)
        )

    def list_compute_targets(self) -> list[ComputeTargetRecord]:
        """See :meth:`ComputeTargetStore.list_compute_targets`."""

        def select(connection: sa.Connection) -> list[ComputeTargetRecord]:
            rows = connection.execute(_SELECT.order_by(compute_targets.c.name))
            return [_to_record(row) for row in rows]

        return self._database.read("list compute targets", select)

    def update_compute_target(
        self,
        name: str,
        *,
        config: Mapping[str, Any] | None = None,
        state: Mapping[str, Any] | None = None,
    ) -> ComputeTargetRecord:
        """See :meth:`ComputeTargetStore.update_compute_target`."""
        changes: dict[str, Any] = {}
        if config is not None:
            changes["config"] = _json_object(name, "config", config)
        if state is not None:
            changes["state"] = _json_object(name, "state", state)

        def update(connection: sa.Connection) -> ComputeTargetRecord:
            if changes:
                result = connection.execute(
                    compute_targets.update().where(compute_targets.c.name == name).values(**changes)
                )
                if result.rowcount != 1:
                    raise _missing(name)
            return self._get_compute_target(connection, name)

        return self._database.write(f"update compute target {name!r}", update)

    def delete_compute_target(self, name: str) -> None:
        """See :meth:`ComputeTargetStore.delete_compute_target`."""

        def delete(connection: sa.Connection) -> None:
            result = connection.execute(
                compute_targets.delete().where(compute_targets.c.name == name)
            )
            if result.rowcount != 1:
                raise _missing(name)

        self._database.write(f"delete compute target {name!r}", delete)
