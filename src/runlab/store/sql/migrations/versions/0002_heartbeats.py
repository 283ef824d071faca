"""Heartbeats of job runs, so a run whose job vanished does not stay Running forever.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("heartbeat_time", sa.Double, nullable=True))
        batch.add_column(sa.Column("heartbeat_timeout", sa.Double, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("heartbeat_timeout")
        batch.drop_column("heartbeat_time")
