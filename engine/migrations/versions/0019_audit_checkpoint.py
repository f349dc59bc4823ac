"""audit verification that scales (issue 16): audit_checkpoint, append-only like audit_event, records each
verification so the next one reads only the events after it; (actor|unit|trigger, id) indexes make the
audit search page by keyset

Revision ID: 0019
Revises: 0016
Create Date: 2026-12-03 14:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0019"
down_revision = "0016"
branch_labels = None
depends_on = None

KEYSET_INDEXES = (("ix_audit_event_actor_id", ["actor", "id"]), ("ix_audit_event_unit_id", ["unit", "id"]),
                  ("ix_audit_event_trigger_id", ["trigger", "id"]))


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "audit_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("verified_at", text(length=32), nullable=False),
        sa.Column("kind", text(length=16), nullable=False),
        sa.Column("from_event", sa.Integer(), nullable=False),
        sa.Column("up_to_event", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("tasks", sa.Integer(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("problem_count", sa.Integer(), nullable=False),
        sa.Column("problems", text(), nullable=False),
        sa.Column("verified_by", text(length=64), nullable=False),
        sa.Column("prev_hash", text(length=64), nullable=False),
        sa.Column("hash", text(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for name, columns in KEYSET_INDEXES:
        op.create_index(name, "audit_event", columns, unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE OR REPLACE FUNCTION audit_checkpoint_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   "BEGIN RAISE EXCEPTION 'audit checkpoints are append-only (%)', TG_OP; END $$")
        op.execute("CREATE TRIGGER audit_checkpoint_no_change BEFORE UPDATE OR DELETE ON audit_checkpoint "
                   "FOR EACH ROW EXECUTE FUNCTION audit_checkpoint_append_only()")
        op.execute("CREATE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE ON audit_checkpoint "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoint_append_only()")
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_checkpoint_no_{action.lower()} BEFORE {action} ON audit_checkpoint "
                       f"BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only ({action})'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_checkpoint_no_truncate ON audit_checkpoint")
        op.execute("DROP TRIGGER IF EXISTS audit_checkpoint_no_change ON audit_checkpoint")
        op.execute("DROP FUNCTION IF EXISTS audit_checkpoint_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_checkpoint_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_checkpoint_no_delete")
    for name, _ in KEYSET_INDEXES:
        op.drop_index(name, table_name="audit_event")
    op.drop_table("audit_checkpoint")
