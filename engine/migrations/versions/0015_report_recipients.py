"""report recipients: one periodic report per reporter and period, sent to all its recipients (issue 15)

Until now a report instance had one recipient (its `focal`) and a unit wrote one per recipient. Each
existing report instance keeps working as a report with that one recipient: it gets its
report_recipient row, received when it was last sent (the newest `submit` event while it is sent or
accepted). Old instances keep their task codes (BC-2025-6T/HN-SNV); the engine reads both forms.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 10:40:00
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_recipient",
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("received_at", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.ForeignKeyConstraint(["task_id"], ["task_instance.id"]),
        sa.ForeignKeyConstraint(["unit"], ["unit.code"]),
        sa.PrimaryKeyConstraint("task_id", "unit"),
    )
    op.create_index(op.f("ix_report_recipient_unit"), "report_recipient", ["unit"], unique=False)
    op.execute(
        "INSERT INTO report_recipient (task_id, unit, received_at) "
        "SELECT t.id, t.focal, CASE WHEN t.state IN ('submitted', 'accepted') THEN "
        "(SELECT MAX(a.at) FROM audit_event a WHERE a.task_id = t.id AND a.trigger = 'submit') END "
        "FROM task_instance t WHERE t.kind = 'report' AND t.focal IS NOT NULL "
        "AND EXISTS (SELECT 1 FROM unit u WHERE u.code = t.focal)"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_report_recipient_unit"), table_name="report_recipient")
    op.drop_table("report_recipient")
