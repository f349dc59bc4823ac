"""assignee: the officer a unit's head assigned an instance to ("phân công chuyên viên xử lý", issue 15)

Each assignment, reassignment or unassignment is one audited `assign_officer` event (engine/assignment.py);
the column keeps the current assignee for the queue. NULL: nobody in particular, the whole unit.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 10:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("task_instance", sa.Column("assignee", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    op.create_index("ix_task_instance_assignee", "task_instance", ["assignee"])


def downgrade() -> None:
    op.drop_index("ix_task_instance_assignee", table_name="task_instance")
    # SQLite drops a column in place since 3.35; a batch copy of task_instance would break its references
    op.execute("ALTER TABLE task_instance DROP COLUMN assignee")
