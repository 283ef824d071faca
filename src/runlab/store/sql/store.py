"""``SqlMetadataStore``: the metadata store on SQLAlchemy 2 (SQLite or PostgreSQL)."""

from __future__ import annotations

import sqlalchemy as sa

from runlab.store.base import MetadataStore
from runlab.store.sql.compute_targets import SqlComputeTargetStore
from runlab.store.sql.database import SqlDatabase
from runlab.store.sql.datasets import SqlDatasetStore
from runlab.store.sql.datastores import SqlDatastoreStore
from runlab.store.sql.environments import SqlEnvironmentStore
from runlab.store.sql.logged_models import SqlLoggedModelStore
from runlab.store.sql.metrics import SqlMetricStore
from runlab.store.sql.model_registry import SqlModelRegistryStore
from runlab.store.sql.registered_models import SqlRegisteredModelStore
from runlab.store.sql.runs import SqlRunStore
from runlab.store.sql.services import SqlServiceStore

__all__ = ["SqlMetadataStore"]


class SqlMetadataStore(
    SqlRunStore,
    SqlMetricStore,
    SqlModelRegistryStore,
    SqlDatastoreStore,
    SqlComputeTargetStore,
    SqlEnvironmentStore,
    SqlDatasetStore,
    SqlServiceStore,
    SqlRegisteredModelStore,
    SqlLoggedModelStore,
    MetadataStore,
):
    """A metadata store in a SQL database: ``sqlite:///PATH`` (the embedded default, also
    ``sqlite://`` in memory) or ``postgresql://USER:PASSWORD@HOST:PORT/DB``.

    Every concept's SQL class, on one shared :class:`~runlab.store.sql.database.SqlDatabase`.
    Opening the store migrates its schema to the head revision if needed (see
    :mod:`runlab.store.sql.migrate`). See :class:`MetadataStore` for the contract.

    Args:
        uri: the database URL.

    Raises:
        ValidationError: the URL is malformed or its driver is missing.
        BackendError: the database cannot be reached or migrated.

    Example:
        >>> store = SqlMetadataStore("sqlite://")
        >>> store.create_experiment("mnist").name
        'mnist'
    """

    def __init__(self, uri: str) -> None:
        super().__init__(SqlDatabase(uri))

    @property
    def engine(self) -> sa.Engine:
        """The SQLAlchemy engine (for tests and tools; not part of the store contract)."""
        return self._database.engine

    def __repr__(self) -> str:
        return f"SqlMetadataStore({self.uri!r})"
