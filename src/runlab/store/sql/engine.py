"""Engines for the SQL store: SQLite set up for many processes, PostgreSQL by URL.

Also the boundary where SQLAlchemy's exceptions become runlab's: :func:`translate_errors`
and :func:`retrying` are the only places that look at them.
"""

from __future__ import annotations

import contextlib
import os
import random
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.pool import StaticPool

from runlab.errors import BackendError, RunlabError, ValidationError

__all__ = ["create_store_engine", "mask_url", "retrying", "translate_errors"]

T = TypeVar("T")

# How long a writer waits for another process's write lock before giving up, in all.
BUSY_TIMEOUT_S = 60.0

_DRIVERS = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}


def _parse_url(uri: str) -> sa.URL:
    try:
        url = sa.make_url(uri)
    except exc.ArgumentError as error:
        raise ValidationError(
            f"{uri!r} is not a database URL: use sqlite:///PATH or postgresql://USER@HOST/DB"
        ) from error
    driver = _DRIVERS.get(url.drivername)
    return url.set(drivername=driver) if driver else url


def mask_url(uri: str) -> str:
    """``uri`` with any password replaced by ``***``, safe to show or log."""
    try:
        return sa.make_url(uri).render_as_string(hide_password=True)
    except exc.ArgumentError:
        return "<not a database URL>"


def create_store_engine(uri: str) -> sa.Engine:
    """An engine for ``uri``, set up for runlab's access pattern.

    SQLite files get WAL journaling (readers never block the writer), a busy timeout, and
    writes that take the write lock when they begin (``BEGIN IMMEDIATE``), so two processes
    never deadlock upgrading a read lock. ``postgresql://`` URLs use psycopg 3.

    Raises:
        ValidationError: the URL is malformed or names a database runlab does not support.
    """
    url = _parse_url(uri)
    backend = url.get_backend_name()
    try:
        if backend == "sqlite":
            return _forgotten_in_forks(_sqlite_engine(url))
        if backend == "postgresql":
            return _forgotten_in_forks(
                sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)
            )
    except ModuleNotFoundError as error:
        raise ValidationError(
            f"the database driver for {mask_url(uri)} is not installed:"
            f" pip install 'runlab[postgres]' ({error.name} is missing)"
        ) from error
    raise ValidationError(
        f"runlab keeps metadata in SQLite or PostgreSQL, not {backend!r} ({mask_url(uri)})"
    )


def _forgotten_in_forks(engine: sa.Engine) -> sa.Engine:
    """``engine``, made safe to use in a forked copy of this process (a sweep's warm worker
    forks one per trial): the copy drops the pooled connections it inherited, without closing
    them under the parent, and opens its own (SQLAlchemy's advice for ``os.fork``)."""
    if hasattr(os, "register_at_fork"):
        reference = weakref.ref(engine)

        def _in_child() -> None:
            forked = reference()
            if forked is not None:
                forked.dispose(close=False)

        os.register_at_fork(after_in_child=_in_child)
    return engine


def _sqlite_engine(url: sa.URL) -> sa.Engine:
    in_memory = url.database in (None, "", ":memory:")
    if in_memory:
        engine = sa.create_engine(
            url, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
    else:
        folder = Path(url.database or "").expanduser().parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise BackendError(
                f"cannot create the folder {folder} for the metadata store: {error}"
            ) from error
        engine = sa.create_engine(
            url, connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False}
        )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (pysqlite's implicit transactions are not serializable).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        mode = "IMMEDIATE" if connection.get_execution_options().get("write") else "DEFERRED"
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _is_transient(error: exc.DBAPIError) -> bool:
    message = str(error.orig).lower()
    if "database is locked" in message or "database table is locked" in message:
        return True
    sqlstate = getattr(error.orig, "sqlstate", None)
    # serialization_failure, deadlock_detected: PostgreSQL asks the client to try again.
    return sqlstate in {"40001", "40P01"}


def retrying(operation: Callable[[], T], *, what: str, timeout_s: float = BUSY_TIMEOUT_S) -> T:
    """Run ``operation``, again after a short random pause while the database is busy."""
    deadline = time.monotonic() + timeout_s
    pause = 0.01
    while True:
        try:
            return operation()
        except exc.DBAPIError as error:
            if not _is_transient(error) or time.monotonic() > deadline:
                raise BackendError(f"the metadata store failed to {what}: {error.orig}") from error
        time.sleep(pause * (1 + random.random()))
        pause = min(pause * 2, 0.5)


@contextlib.contextmanager
def translate_errors(what: str) -> Iterator[None]:
    """Turn any SQLAlchemy or driver exception into :class:`BackendError` naming ``what``."""
    try:
        yield
    except RunlabError:
        raise
    except exc.SQLAlchemyError as error:
        detail = getattr(error, "orig", None) or error
        raise BackendError(f"the metadata store failed to {what}: {detail}") from error
