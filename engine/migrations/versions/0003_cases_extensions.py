"""workflow instances beyond plan tasks (reports, difficulties), deadline extensions, event data

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 09:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on both databases: no table is rebuilt, no audit row is touched.
    op.add_column("task_instance", sa.Column("kind", sa.String(length=16), nullable=False, server_default="task"))
    if op.get_bind().dialect.name == "sqlite":  # SQLite adds a referencing column natively, without a rebuild
        op.execute("ALTER TABLE task_instance ADD COLUMN parent_id INTEGER REFERENCES task_instance (id)")
    else:
        op.add_column("task_instance", sa.Column("parent_id", sa.Integer(), nullable=True))
        op.create_foreign_key("task_instance_parent_id_fkey", "task_instance", "task_instance", ["parent_id"], ["id"])
    op.add_column("task_instance", sa.Column("pending_deadline", sa.Date(), nullable=True))
    op.add_column("task_instance", sa.Column("title", sa.String(), nullable=True))
    op.create_index("ix_task_instance_kind", "task_instance", ["kind"])
    op.add_column("audit_event", sa.Column("data", sa.String(), nullable=True))
    op.add_column("app_user", sa.Column("email", sa.String(length=254), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("email")
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_column("data")
    op.drop_index("ix_task_instance_kind", table_name="task_instance")
    with op.batch_alter_table("task_instance") as batch:
        batch.drop_column("title")
        batch.drop_column("pending_deadline")
        batch.drop_column("parent_id")
        batch.drop_column("kind")
