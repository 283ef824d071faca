"""The metrics' index also orders by id and holds the number, so a metric's last point (and
its value, to sort runs by) is one probe of the index, without a read of the table.

Replaces ``ix_metrics_run_name_step`` (run_pk, name, step), a prefix of the new one, which
serves every query the old one did.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_metrics_run_name_step_id", "metrics", ["run_pk", "name", "step", "id", "number"]
    )
    op.drop_index("ix_metrics_run_name_step", table_name="metrics")


def downgrade() -> None:
    op.create_index("ix_metrics_run_name_step", "metrics", ["run_pk", "name", "step"])
    op.drop_index("ix_metrics_run_name_step_id", table_name="metrics")
