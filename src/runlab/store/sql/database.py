"""The one database object every SQL part of the metadata store shares.

:class:`SqlDatabase` owns the engine and the transactions: :meth:`SqlDatabase.read` and
:meth:`SqlDatabase.write` run an operation in one transaction, again while the database is
busy (:func:`~runlab.store.sql.engine.retrying`), with every SQLAlchemy error translated to
:class:`~runlab.errors.BackendError` (:func:`~runlab.store.sql.engine.translate_errors`).
Each concept's SQL class (runs, metrics, model registry, ...) derives from
:class:`SqlStorePart` and runs its queries through the database it was given, so several
parts, or :class:`~runlab.store.sql.SqlMetadataStore` which is all of them, share one engine.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa

from runlab.store.sql import migrate
from runlab.store.sql.engine import create_store_engine, mask_url, retrying, translate_errors

__all__ = ["SqlDatabase", "SqlStorePart"]

T = TypeVar("T")


class SqlDatabase:
    """A SQL database holding runlab's metadata, migrated to the head revision on open.

    Thread-safe: each transaction takes a connection of the engine's pool (an in-memory
    SQLite database, which is one connection, is shared by taking turns).

    Args:
        uri: ``sqlite:///PATH``, ``sqlite://`` (in memory) or ``postgresql://...``.

    Raises:
        ValidationError: the URL is malformed or its driver is missing.
        BackendError: the database cannot be reached or migrated.
    """

    def __init__(self, uri: str) -> None:
        self._uri = uri
        self.engine = create_store_engine(uri)
        self._writer = self.engine.execution_options(write=True)
        in_memory = self.engine.url.get_backend_name() == "sqlite" and (
            self.engine.url.database in (None, "", ":memory:")
        )
        self._turns: contextlib.AbstractContextManager[Any] = (
            threading.RLock() if in_memory else contextlib.nullcontext()
        )
        with translate_errors(f"open {mask_url(uri)}"):
            retrying(lambda: migrate.upgrade(self.engine), what=f"migrate {mask_url(uri)}")

    @property
    def uri(self) -> str:
        """The database URL, password masked."""
        return mask_url(self._uri)

    @property
    def dialect(self) -> sa.Dialect:
        """The engine's dialect (SQLite or PostgreSQL)."""
        return self.engine.dialect

    def read(self, what: str, operation: Callable[[sa.Connection], T]) -> T:
        """``operation`` in a read transaction, retried while the database is busy.

        Args:
            what: what it does, for error messages ("read run 'x'").
            operation: the queries, given the transaction's connection.

        Raises:
            BackendError: the database failed (the runlab errors ``operation`` raises pass).
        """

        def attempt() -> T:
            with self._turns, self.engine.connect() as connection:
                return operation(connection)

        with translate_errors(what):
            return retrying(attempt, what=what)

    def write(self, what: str, operation: Callable[[sa.Connection], T]) -> T:
        """``operation`` in a write transaction (SQLite: ``BEGIN IMMEDIATE``), committed when
        it returns, rolled back when it raises, retried while the database is busy.

        Raises:
            BackendError: the database failed (the runlab errors ``operation`` raises pass).
        """

        def attempt() -> T:
            with self._turns, self._writer.begin() as connection:
                return operation(connection)

        with translate_errors(what):
            return retrying(attempt, what=what)

    def close(self) -> None:
        """Dispose of the connection pool."""
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"SqlDatabase({self.uri!r})"


class SqlStorePart:
    """The base of each concept's SQL class: the database it runs its queries in.

    Args:
        database: the shared database.
    """

    def __init__(self, database: SqlDatabase) -> None:
        self._database = database

    @property
    def uri(self) -> str:
        """The database URL, password masked."""
        return self._database.uri

    @property
    def database(self) -> SqlDatabase:
        """The shared database (for tests and tools; not part of the store contract)."""
        return self._database

    def close(self) -> None:
        """Dispose of the database's connection pool (shared with the other parts)."""
        self._database.close()
