"""The SQL metadata store (SQLite, PostgreSQL) and its Alembic migrations.

``SqlMetadataStore`` is the union of one SQL class per concept (``runs.py``, ``metrics.py``,
``model_registry.py``, ``datastores.py``, ``compute_targets.py``), all running their queries
through one shared ``SqlDatabase`` (``database.py``).
"""

from runlab.store.sql.database import SqlDatabase
from runlab.store.sql.store import SqlMetadataStore

__all__ = ["SqlDatabase", "SqlMetadataStore"]
