"""Datasets: versions of named data, each pinning its files' sizes and hashes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "dataset_versions",
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


def downgrade() -> None:
    op.drop_table("dataset_versions")
