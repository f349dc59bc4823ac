"""plans across levels: a plan's parent plan, a task's parent task

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 10:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("plan", sa.Column("parent_code", sa.String(length=64), nullable=True))
    op.add_column("plan_task", sa.Column("parent_task", sa.String(length=32), nullable=True))
    op.create_index("ix_plan_parent_code", "plan", ["parent_code"])


def downgrade() -> None:
    op.drop_index("ix_plan_parent_code", table_name="plan")
    with op.batch_alter_table("plan_task") as batch:
        batch.drop_column("parent_task")
    with op.batch_alter_table("plan") as batch:
        batch.drop_column("parent_code")
