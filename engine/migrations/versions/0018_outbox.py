"""the outbox: e-mails and webhooks written with the event that causes them, delivered by `phancap worker`
with retries; and the workers' heartbeats (issue 16)

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-03 14:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("payload", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("delivered_at", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("locked_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("locked_until", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    op.create_index("ix_outbox_due", "outbox", ["status", "next_attempt_at"], unique=False)
    op.create_index(op.f("ix_outbox_unit"), "outbox", ["unit"], unique=False)
    op.create_table(
        "worker_heartbeat",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("started_at", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("beat_at", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("last_sweep_at", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("worker_heartbeat")
    op.drop_index(op.f("ix_outbox_unit"), table_name="outbox")
    op.drop_index("ix_outbox_due", table_name="outbox")
    op.drop_table("outbox")
