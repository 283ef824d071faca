"""Lookups of a row's key that several SQL parts share, inside the caller's transaction."""

from __future__ import annotations

import sqlalchemy as sa

from runlab.errors import NotFoundError
from runlab.store.sql.schema import experiments, runs

__all__ = ["experiment_id", "run_pk"]


def run_pk(connection: sa.Connection, run_id: str, *, lock: bool = False) -> int:
    """The primary key of the run ``run_id`` (``lock``: ``FOR UPDATE`` on PostgreSQL).

    Raises:
        NotFoundError: there is no such run.
    """
    query = sa.select(runs.c.id).where(runs.c.run_id == run_id)
    if lock:
        query = query.with_for_update()
    pk = connection.execute(query).scalar()
    if pk is None:
        raise NotFoundError(f"no run with id {run_id!r} in this workspace")
    return int(pk)


def experiment_id(connection: sa.Connection, name: str, *, lock: bool = False) -> int:
    """The primary key of the experiment ``name`` (``lock``: ``FOR UPDATE`` on PostgreSQL).

    Raises:
        NotFoundError: there is no such experiment.
    """
    query = sa.select(experiments.c.id).where(experiments.c.name == name)
    if lock:
        query = query.with_for_update()
    found = connection.execute(query).scalar()
    if found is None:
        raise NotFoundError(f"no experiment named {name!r} in this workspace")
    return int(found)
