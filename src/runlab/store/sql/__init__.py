"""The SQL metadata store (SQLite, PostgreSQL) and its Alembic migrations."""

from runlab.store.sql.store import SqlMetadataStore

__all__ = ["SqlMetadataStore"]
