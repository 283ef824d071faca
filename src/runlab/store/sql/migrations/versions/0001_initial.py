"""Experiments, runs and metrics.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(255), nullable=False, unique=True),
        sa.Column("created_time", sa.Double, nullable=False),
    )
    op.create_table(
        "runs",
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
        sa.Column("parent_run_id", sa.String(400), nullable=True),
        sa.Column("target", sa.String(255), nullable=False),
        sa.Column("created_time", sa.Double, nullable=False),
        sa.Column("start_time", sa.Double, nullable=True),
        sa.Column("end_time", sa.Double, nullable=True),
        sa.Column("tags", Json, nullable=False),
        sa.Column("properties", Json, nullable=False),
        sa.Column("error_details", Json, nullable=True),
        sa.UniqueConstraint("experiment_id", "number", name="uq_runs_experiment_number"),
    )
    op.create_index("ix_runs_parent_run_id", "runs", ["parent_run_id"])
    op.create_index("ix_runs_experiment_created", "runs", ["experiment_id", "created_time"])
    op.create_index("ix_runs_status_created", "runs", ["status", "created_time"])
    op.create_table(
        "metrics",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("run_pk", BigId, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.SmallInteger, nullable=False),
        sa.Column("number", sa.Double, nullable=True),
        sa.Column("text", sa.Text, nullable=True),
        sa.Column("timestamp", sa.Double, nullable=False),
        sa.Column("description", sa.Text, nullable=True),
    )
    op.create_index("ix_metrics_run_name_step", "metrics", ["run_pk", "name", "step"])


def downgrade() -> None:
    op.drop_table("metrics")
    op.drop_table("runs")
    op.drop_table("experiments")
