"""Experiments get tags and, like runs, a deletion mark (MLflow's lifecycle stage): a deleted
experiment or run keeps all its data and can be restored.

Revision ID: 0012
Revises: 0010 (on this branch; re-chained onto 0011 when the branches merge)
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0012"
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
