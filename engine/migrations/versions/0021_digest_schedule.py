"""worker_heartbeat.last_digest_on: the Việt Nam day of the last daily digest a worker queued, so that several
workers (or one restarted) queue each day's digest once, at PHANCAP_DIGEST_AT, not at every start

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 04:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("worker_heartbeat") as batch:
        batch.add_column(sa.Column("last_digest_on", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("worker_heartbeat") as batch:
        batch.drop_column("last_digest_on")
