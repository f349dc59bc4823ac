"""the audit chain covers every field that decides who acts and when (issue 11)

- plan.definition_sha256: the version of each plan's definition text, backfilled;
- audit_event.snapshot: what each event commits to (engine/audit.py); NULL for the events written
  before, which verify as they always did (legacy);
- audit_head: one row holding the newest task's first event hash (deleted tasks show), set here
  to the current newest task's.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 14:00:00
"""
from __future__ import annotations

import hashlib

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade() -> None:
    # plain ADD COLUMN (no table copy), so audit_event keeps its append-only triggers
    op.add_column("plan", sa.Column("definition_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    op.add_column("audit_event", sa.Column("snapshot", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    bind = op.get_bind()
    for code, definition in bind.execute(sa.text("SELECT code, definition FROM plan")).all():
        bind.execute(sa.text("UPDATE plan SET definition_sha256 = :h WHERE code = :c"),
                     {"h": hashlib.sha256(str(definition).encode("utf-8")).hexdigest(), "c": code})
    newest = bind.execute(sa.text(
        "SELECT a.hash FROM audit_event a WHERE a.seq = 1 AND a.task_id = (SELECT MAX(id) FROM task_instance)")).scalar()
    bind.execute(sa.text("INSERT INTO audit_head (id, hash) VALUES (1, :h)"), {"h": newest or GENESIS})


def downgrade() -> None:
    op.drop_table("audit_head")
    # plain DROP COLUMN (SQLite >= 3.35), not a table copy that would drop audit_event's triggers
    op.execute("ALTER TABLE audit_event DROP COLUMN snapshot")
    op.execute("ALTER TABLE plan DROP COLUMN definition_sha256")
