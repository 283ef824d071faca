"""Experiments get tags and, like runs, a deletion mark (MLflow's lifecycle stage): a deleted
experiment or run keeps all its data and can be restored.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.add_column("experiments", sa.Column("tags", _JSON, nullable=True))
    op.add_column("experiments", sa.Column("deleted_time", sa.Double, nullable=True))
    op.add_column("runs", sa.Column("deleted_time", sa.Double, nullable=True))


def downgrade() -> None:
    op.drop_column("runs", "deleted_time")
    op.drop_column("experiments", "deleted_time")
    op.drop_column("experiments", "tags")
