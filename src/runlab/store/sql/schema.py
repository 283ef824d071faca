"""The tables of the SQL metadata store.

Alembic migrations in ``migrations/`` create and change these tables; this module describes
the head revision for queries. ``tests/store/test_migrations.py`` checks the two agree.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

__all__ = [
    "dataset_versions",
    "datastores",
    "environment_versions",
    "experiments",
    "logged_models",
    "metadata",
    "metrics",
    "model_aliases",
    "model_versions",
    "registered_models",
    "runs",
    "services",
]

metadata = sa.MetaData()

# Integer primary keys are SQLite's rowid (fast); PostgreSQL gets 64 bits where rows add up.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

experiments = sa.Table(
    "experiments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("created_time", sa.Double, nullable=False),
    sa.Column("tags", Json, nullable=True),
    sa.Column("deleted_time", sa.Double, nullable=True),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(400), nullable=False, unique=True),
    sa.Column(
        "experiment_id",
        sa.Integer,
        sa.ForeignKey("experiments.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("display_name", sa.String(400), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("parent_run_id", sa.String(400), nullable=True, index=True),
    sa.Column("target", sa.String(255), nullable=False),
    sa.Column("created_time", sa.Double, nullable=False),
    sa.Column("start_time", sa.Double, nullable=True),
    sa.Column("end_time", sa.Double, nullable=True),
    sa.Column("tags", Json, nullable=False),
    sa.Column("properties", Json, nullable=False),
    sa.Column("error_details", Json, nullable=True),
    # A job's entry beats every few seconds; a run silent for longer than its timeout is
    # failed by the next reader (see SqlMetadataStore._reap_stale).
    sa.Column("heartbeat_time", sa.Double, nullable=True),
    sa.Column("heartbeat_timeout", sa.Double, nullable=True),
    sa.Column("deleted_time", sa.Double, nullable=True),
    sa.UniqueConstraint("experiment_id", "number", name="uq_runs_experiment_number"),
    sa.Index("ix_runs_experiment_created", "experiment_id", "created_time"),
    sa.Index("ix_runs_status_created", "status", "created_time"),
)

metrics = sa.Table(
    "metrics",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("run_pk", BigId, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("step", sa.BigInteger, nullable=False),
    sa.Column("kind", sa.SmallInteger, nullable=False),
    sa.Column("number", sa.Double, nullable=True),
    sa.Column("text", sa.Text, nullable=True),
    sa.Column("timestamp", sa.Double, nullable=False),
    sa.Column("description", sa.Text, nullable=True),
    # A metric's points in history order (step, then the order logged), with the number:
    # its last point and that point's value are one probe of the index (migration 0006).
    sa.Index("ix_metrics_run_name_step_id", "run_pk", "name", "step", "id", "number"),
)

# One row per model version. A version is "registering" while its files are stored, then
# "ready"; a deleted one stays as "deleted" so its number is never given out again.
model_versions = sa.Table(
    "model_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("run_id", sa.String(400), nullable=True, index=True),
    sa.Column("experiment_name", sa.String(255), nullable=True),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("tags", Json, nullable=False),
    sa.Column("properties", Json, nullable=False),
    sa.Column("created_time", sa.Double, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("files", Json, nullable=False),
    # Also the index that finds a name's versions and its highest number.
    sa.UniqueConstraint("name", "version", name="uq_model_versions_name_version"),
)

# One row per registered datastore: where its files are and the storage options that are not
# secret (credentials stay out of the database; see runlab.data). The partial unique index lets
# at most one row be the default, so two writers racing to set it cannot both win.
datastores = sa.Table(
    "datastores",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("options", Json, nullable=False),
    sa.Column("is_default", sa.Boolean, nullable=False),
    sa.Column("created_time", sa.Double, nullable=False),
    sa.Index(
        "uq_datastores_default",
        "is_default",
        unique=True,
        sqlite_where=sa.text("is_default"),
        postgresql_where=sa.text("is_default"),
    ),
)

# One row per named compute target (a Ray cluster runlab started, or one it attached to): what
# the user asked for (config) and what the backend keeps about it (state), both JSON.
compute_targets = sa.Table(
    "compute_targets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("config", Json, nullable=False),
    sa.Column("state", Json, nullable=False),
    sa.Column("created_time", sa.Double, nullable=False),
)

# One row per registered environment version (env.register(ws)): its spec as JSON.
environment_versions = sa.Table(
    "environment_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("spec", Json, nullable=False),
    sa.Column("created_time", sa.Double, nullable=False),
    sa.UniqueConstraint("name", "version", name="uq_environment_versions_name_version"),
)

# One row per dataset version: never updated once written. ``files`` pins the content (each
# file's path, source, size and sha256); ``content_hash`` hashes that list.
dataset_versions = sa.Table(
    "dataset_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("tags", Json, nullable=False),
    sa.Column("definition", Json, nullable=False),
    sa.Column("files", Json, nullable=False),
    sa.Column("content_hash", sa.String(64), nullable=False),
    sa.Column("snapshot", sa.Boolean, nullable=False),
    sa.Column("created_time", sa.Double, nullable=False),
    sa.UniqueConstraint("name", "version", name="uq_dataset_versions_name_version"),
)

services = sa.Table(
    "services",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("state", sa.String(32), nullable=False),
    sa.Column("models", Json, nullable=False),
    sa.Column("config", Json, nullable=False),
    sa.Column("details", Json, nullable=False),
    sa.Column("created_time", sa.Double, nullable=False),
    sa.Column("updated_time", sa.Double, nullable=False),
)

# A registered model's own record (migration 0010): its description and tags, and that it
# exists before its first version. Its versions are rows of ``model_versions``.
registered_models = sa.Table(
    "registered_models",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("tags", Json, nullable=False),
    sa.Column("created_time", sa.Double, nullable=False),
    sa.Column("updated_time", sa.Double, nullable=False),
)

# ``name@alias`` -> one version of the model; the unique pair makes moving an alias one write.
model_aliases = sa.Table(
    "model_aliases",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("alias", sa.String(255), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.UniqueConstraint("name", "alias", name="uq_model_aliases_name_alias"),
)

# A model logged from a run (MLflow 3's LoggedModel): its files are under
# ``logged_models/<model_id>/`` in the artifact store.
logged_models = sa.Table(
    "logged_models",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("model_id", sa.String(64), nullable=False, unique=True),
    sa.Column(
        "experiment_id",
        sa.Integer,
        sa.ForeignKey("experiments.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("source_run_id", sa.String(400), nullable=True, index=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("model_type", sa.String(255), nullable=True),
    sa.Column("tags", Json, nullable=False),
    sa.Column("params", Json, nullable=False),
    sa.Column("created_time", sa.Double, nullable=False),
    sa.Column("updated_time", sa.Double, nullable=False),
)
