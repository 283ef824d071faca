"""Bring a store's schema to the head revision, safely when processes open it at once.

Opening a store checks the recorded revision with one query; only when it is behind does
runlab take a lock (a file lock beside a SQLite file, an advisory lock on PostgreSQL), look
again, and run Alembic. Alembic is imported only then, which keeps opening a store quick.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from runlab.errors import BackendError

__all__ = ["HEAD_REVISION", "MIGRATIONS_DIR", "VERSION_TABLE", "current_revision", "upgrade"]

HEAD_REVISION = "0011"
"""The newest revision in ``migrations/versions``; a test keeps the two in step."""

KNOWN_REVISIONS = (
    "0001",
    "0002",
    "0003",
    "0004",
    "0005",
    "0006",
    "0007",
    "0008",
    "0009",
    "0010",
    "0011",
)
VERSION_TABLE = "runlab_alembic_version"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_PG_LOCK_KEY = 0x72756E6C6162  # "runlab", one advisory lock for every runlab migration


def current_revision(connection: sa.Connection) -> str | None:
    """The revision the database is at, or None for an empty database."""
    if not sa.inspect(connection).has_table(VERSION_TABLE):
        return None
    row = connection.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").first()
    return None if row is None else str(row[0])


def upgrade(engine: sa.Engine) -> None:
    """Migrate the database behind ``engine`` to :data:`HEAD_REVISION` if it is behind.

    Raises:
        BackendError: the database was made by a newer runlab, or a migration failed.
    """
    with engine.connect() as connection:
        revision = current_revision(connection)
        connection.rollback()
    if revision == HEAD_REVISION:
        return
    _refuse_unknown(revision, engine)
    with _migration_lock(engine), engine.connect() as connection:
        revision = current_revision(connection)
        connection.rollback()
        if revision == HEAD_REVISION:
            return
        _run_alembic(connection)


def _refuse_unknown(revision: str | None, engine: sa.Engine) -> None:
    if revision is not None and revision not in KNOWN_REVISIONS:
        raise BackendError(
            f"the metadata store {engine.url.render_as_string(hide_password=True)} is at schema"
            f" revision {revision}, made by a newer runlab: upgrade runlab to open it"
        )


def _run_alembic(connection: sa.Connection) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    connection.commit()


@contextlib.contextmanager
def _migration_lock(engine: sa.Engine) -> Iterator[None]:
    backend = engine.url.get_backend_name()
    if backend == "postgresql":
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": _PG_LOCK_KEY})
            connection.commit()
            try:
                yield
            finally:
                connection.execute(
                    sa.text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_LOCK_KEY}
                )
                connection.commit()
        return
    database = engine.url.database
    if backend == "sqlite" and database not in (None, "", ":memory:"):
        import filelock

        with filelock.FileLock(f"{database}.migrate.lock", timeout=300):
            yield
        return
    yield
