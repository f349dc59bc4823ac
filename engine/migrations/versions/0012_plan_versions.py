"""plan versions: every version of a plan's definition, with the document that amended it (issue 13)

Each plan gets version 1 from its current definition (its own number and issue date, loaded_at as
the time); `phancap plan amend` adds the next. A version is never edited (the database refuses
it); deleting one is allowed only so that a draft's failed activation can be undone (engine/drafts.py),
and verification names a removed version that the plan or a task still follows.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 17:40:00
"""
from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("issued", sa.Date(), nullable=True),
        sa.Column("at", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("definition", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("definition_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("changes", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["plan"], ["plan.code"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("plan", "version"),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT code, definition, definition_sha256, source, loaded_at FROM plan ORDER BY code")).all()
    for code, definition, sha, source, loaded_at in rows:
        try:
            document = json.loads(definition)
        except ValueError:
            document = {}
        number = document.get("number") if isinstance(document, dict) else None
        issued = document.get("issued") if isinstance(document, dict) else None
        bind.execute(sa.text(
            "INSERT INTO plan_version (plan, version, number, issued, at, definition, definition_sha256, changes, source) "
            "VALUES (:p, 1, :n, :d, :at, :def, :sha, '[]', :src)"),
            {"p": code, "n": None if number is None else str(number), "d": _day(issued), "at": loaded_at,
             "def": definition, "sha": sha or hashlib.sha256(str(definition).encode("utf-8")).hexdigest(),
             "src": source})
    _append_only()


def _day(value: object) -> object:
    from datetime import date

    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _append_only() -> None:
    """Plan versions are never edited: the database refuses it, as for audit_event (0001)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION plan_version_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'plan versions are never edited (%)', TG_OP; END $$"
        )
        op.execute("CREATE TRIGGER plan_version_no_change BEFORE UPDATE ON plan_version "
                   "FOR EACH ROW EXECUTE FUNCTION plan_version_append_only()")
    else:
        op.execute("CREATE TRIGGER plan_version_no_update BEFORE UPDATE ON plan_version "
                   "BEGIN SELECT RAISE(ABORT, 'plan versions are never edited (UPDATE)'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS plan_version_no_change ON plan_version")
        op.execute("DROP FUNCTION IF EXISTS plan_version_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS plan_version_no_update")
    op.drop_table("plan_version")
