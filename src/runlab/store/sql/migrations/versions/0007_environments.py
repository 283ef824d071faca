"""Environments: the versions of the environments registered in a workspace.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "environment_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("spec", Json, nullable=False),
        sa.Column("created_time", sa.Double, nullable=False),
        sa.UniqueConstraint("name", "version", name="uq_environment_versions_name_version"),
    )


def downgrade() -> None:
    op.drop_table("environment_versions")
