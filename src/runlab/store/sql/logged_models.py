"""Logged models' part of the SQL metadata store: the ``logged_models`` table."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from runlab.entities.model import LoggedModelRecord
from runlab.errors import AlreadyExistsError, NotFoundError, ValidationError
from runlab.store.logged_models import LOGGED_MODEL_STATUSES, LoggedModelStore
from runlab.store.sql import lookups
from runlab.store.sql.database import SqlStorePart
from runlab.store.sql.schema import experiments, logged_models

__all__ = ["SqlLoggedModelStore"]

_SELECT = sa.select(
    logged_models.c.model_id,
    experiments.c.name,
    logged_models.c.name,
    logged_models.c.source_run_id,
    logged_models.c.status,
    logged_models.c.model_type,
    logged_models.c.tags,
    logged_models.c.params,
    logged_models.c.created_time,
    logged_models.c.updated_time,
).select_from(logged_models.join(experiments, logged_models.c.experiment_id == experiments.c.id))


def _to_record(row: Sequence[Any]) -> LoggedModelRecord:
    return LoggedModelRecord(
        model_id=row[0],
        experiment_name=row[1],
        name=row[2],
        source_run_id=row[3],
        status=row[4],
        model_type=row[5],
        tags=dict(row[6]),
        params=dict(row[7]),
        created_time=row[8],
        updated_time=row[9],
    )


def _check_status(status: str) -> str:
    if status not in LOGGED_MODEL_STATUSES:
        raise ValidationError(
            f"unknown logged model status {status!r}: use one of {', '.join(LOGGED_MODEL_STATUSES)}"
        )
    return status


class SqlLoggedModelStore(SqlStorePart, LoggedModelStore):
    """Logged models in a SQL database; see :class:`~runlab.store.LoggedModelStore`.

    Args:
        database: the shared database.
    """

    @staticmethod
    def _get_logged_model(connection: sa.Connection, model_id: str) -> LoggedModelRecord:
        row = connection.execute(_SELECT.where(logged_models.c.model_id == model_id)).first()
        if row is None:
            raise NotFoundError(f"no logged model with id {model_id!r} in this workspace")
        return _to_record(row)

    def create_logged_model(
        self,
        experiment_name: str,
        name: str,
        *,
        source_run_id: str | None = None,
        model_type: str | None = None,
        tags: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> LoggedModelRecord:
        """See :meth:`LoggedModelStore.create_logged_model`."""
        model_id = f"m-{secrets.token_hex(16)}"
        now = time.time()

        def insert(connection: sa.Connection) -> LoggedModelRecord:
            experiment_id = lookups.experiment_id(connection, experiment_name)
            if source_run_id is not None:
                lookups.run_pk(connection, source_run_id)
            connection.execute(
                logged_models.insert().values(
                    model_id=model_id,
                    experiment_id=experiment_id,
                    name=name,
                    source_run_id=source_run_id,
                    status="PENDING",
                    model_type=model_type,
                    tags=dict(tags or {}),
                    params=dict(params or {}),
                    created_time=now,
                    updated_time=now,
                )
            )
            return self._get_logged_model(connection, model_id)

        return self._database.write(f"log model {name!r}", insert)

    def get_logged_model(self, model_id: str) -> LoggedModelRecord:
        """See :meth:`LoggedModelStore.get_logged_model`."""
        return self._database.read(
            f"read logged model {model_id!r}", lambda c: self._get_logged_model(c, model_id)
        )

    def update_logged_model(
        self,
        model_id: str,
        *,
        status: str | None = None,
        tags: Mapping[str, str] | None = None,
        remove_tag: str | None = None,
        params: Mapping[str, str] | None = None,
    ) -> LoggedModelRecord:
        """See :meth:`LoggedModelStore.update_logged_model`."""
        if status is not None:
            _check_status(status)

        def update(connection: sa.Connection) -> LoggedModelRecord:
            current = connection.execute(
                _SELECT.where(logged_models.c.model_id == model_id).with_for_update()
            ).first()
            if current is None:
                raise NotFoundError(f"no logged model with id {model_id!r} in this workspace")
            record = _to_record(current)
            new_tags = record.tags | dict(tags or {})
            if remove_tag is not None:
                new_tags.pop(remove_tag, None)
            for key, value in (params or {}).items():
                if key in record.params and record.params[key] != value:
                    raise AlreadyExistsError(
                        f"logged model {model_id!r} already has parameter {key!r} ="
                        f" {record.params[key]!r}; parameters cannot change"
                    )
            connection.execute(
                logged_models.update()
                .where(logged_models.c.model_id == model_id)
                .values(
                    status=status or record.status,
                    tags=new_tags,
                    params=record.params | dict(params or {}),
                    updated_time=time.time(),
                )
            )
            return self._get_logged_model(connection, model_id)

        return self._database.write(f"update logged model {model_id!r}", update)

    def search_logged_models(
        self, *, experiment_names: list[str] | None = None, source_run_id: str | None = None
    ) -> list[LoggedModelRecord]:
        """See :meth:`LoggedModelStore.search_logged_models`."""
        query = _SELECT.order_by(logged_models.c.created_time.desc(), logged_models.c.id.desc())
        if experiment_names is not None:
            query = query.where(experiments.c.name.in_(experiment_names))
        if source_run_id is not None:
            query = query.where(logged_models.c.source_run_id == source_run_id)
        return self._database.read(
            "search logged models", lambda c: [_to_record(row) for row in c.execute(query)]
        )

    def delete_logged_model(self, model_id: str) -> None:
        """See :meth:`LoggedModelStore.delete_logged_model`."""

        def delete(connection: sa.Connection) -> None:
            result = connection.execute(
                logged_models.delete().where(logged_models.c.model_id == model_id)
            )
            if result.rowcount == 0:
                raise NotFoundError(f"no logged model with id {model_id!r} in this workspace")

        self._database.write(f"delete logged model {model_id!r}", delete)
