"""the national registry: registries, unit official codes, parents and state; admin events (issue 12)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 14:30:00
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, no batch copy: recreating `unit` on SQLite is refused by the foreign keys pointing at it.
    op.add_column("unit", sa.Column("official_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
    op.add_column("unit", sa.Column("official_name", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
    op.add_column("unit", sa.Column("parent", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    op.add_column("unit", sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.add_column("unit", sa.Column("origin", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                    server_default="file"))
    op.create_index("ix_unit_official_code", "unit", ["official_code"], unique=False)
    op.add_column("unit_group", sa.Column("kinds", sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                          server_default="[]"))
    op.add_column("unit_group", sa.Column("listed", sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                                          server_default="[]"))
    op.create_table(
        "registry",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("official_code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "admin_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("region", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("data", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("comment", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("admin_event") as batch:
        for column in ("at", "actor", "action", "region", "subject"):
            batch.create_index(batch.f(f"ix_admin_event_{column}"), [column], unique=False)
    _append_only()


def _append_only() -> None:
    """Admin events are never edited or deleted: the database refuses it, as for audit_event (0001)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION admin_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'admin events are append-only (%)', TG_OP; END $$"
        )
        op.execute("CREATE TRIGGER admin_event_no_change BEFORE UPDATE OR DELETE ON admin_event "
                   "FOR EACH ROW EXECUTE FUNCTION admin_event_append_only()")
        op.execute("CREATE TRIGGER admin_event_no_truncate BEFORE TRUNCATE ON admin_event "
                   "FOR EACH STATEMENT EXECUTE FUNCTION admin_event_append_only()")
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER admin_event_no_{action.lower()} BEFORE {action} ON admin_event "
                       f"BEGIN SELECT RAISE(ABORT, 'admin events are append-only ({action})'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS admin_event_no_truncate ON admin_event")
        op.execute("DROP TRIGGER IF EXISTS admin_event_no_change ON admin_event")
        op.execute("DROP FUNCTION IF EXISTS admin_event_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS admin_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS admin_event_no_delete")
    with op.batch_alter_table("admin_event") as batch:
        for column in ("subject", "region", "action", "actor", "at"):
            batch.drop_index(batch.f(f"ix_admin_event_{column}"))
    op.drop_table("admin_event")
    op.drop_table("registry")
    # Plain DROP COLUMN (SQLite 3.35+ has it): a batch copy would drop and recreate `unit`, which the
    # foreign keys pointing at it refuse while they are enforced.
    op.drop_index("ix_unit_official_code", table_name="unit")
    for table, columns in (("unit_group", ("listed", "kinds")),
                           ("unit", ("origin", "active", "parent", "official_name", "official_code"))):
        for column in columns:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
