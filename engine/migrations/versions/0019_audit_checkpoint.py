"""audit verification that scales (issue 16): audit_checkpoint, append-only like audit_event, records each
verification so the next one reads only the events after it; (actor|unit|trigger, id) indexes make the
audit search page by keyset; on PostgreSQL audit_event becomes partitioned by month of `at`
(engine/audit_partitions.py), its rows copied over

Revision ID: 0019
Revises: 0016
Create Date: 2026-12-03 14:00:00
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

from phancap.engine.audit_partitions import DEFAULT, is_partitioned, months, next_month, partition_sql, truncate_guard

MONTHS_AHEAD = 3

revision = "0019"
down_revision = "0018"
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
        _partition_audit_events()
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_checkpoint_no_{action.lower()} BEFORE {action} ON audit_checkpoint "
                       f"BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only ({action})'); END")


def _execute(sql: str) -> list[tuple[Any, ...]]:
    result = op.get_bind().exec_driver_sql(sql)
    return [tuple(r) for r in result.fetchall()] if result.returns_rows else []


def _move_aside() -> list[str]:
    """Rename audit_event to audit_event_old, free its constraint and index names; return the index definitions."""
    indexes = [str(r[0]) for r in _execute(
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'audit_event' AND indexname NOT IN "
        "(SELECT conname FROM pg_constraint WHERE conrelid = 'audit_event'::regclass)")]
    names = [str(r[0]) for r in _execute("SELECT indexname FROM pg_indexes WHERE tablename = 'audit_event' AND indexname "
                                         "NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'audit_event'::regclass)")]
    _execute("ALTER TABLE audit_event RENAME TO audit_event_old")
    for name in names:
        _execute(f"DROP INDEX {name}")
    for (constraint,) in _execute("SELECT conname FROM pg_constraint WHERE conrelid = 'audit_event_old'::regclass"):
        if str(constraint).startswith("audit_event_"):
            _execute(f"ALTER TABLE audit_event_old RENAME CONSTRAINT {constraint} TO old_{constraint}")
    return [i.replace("ON ONLY ", "ON ") for i in indexes]


def _fill(key: str, indexes: list[str]) -> None:
    """The new audit_event's constraints (the partition key in each unique one), rows, indexes and guards."""
    _execute(f"ALTER TABLE audit_event ADD CONSTRAINT audit_event_pkey PRIMARY KEY (id{key})")
    _execute(f"ALTER TABLE audit_event ADD CONSTRAINT audit_event_task_id_seq_key UNIQUE (task_id, seq{key})")
    _execute("ALTER TABLE audit_event ADD CONSTRAINT audit_event_task_id_fkey FOREIGN KEY (task_id) "
             "REFERENCES task_instance (id)")
    _execute("INSERT INTO audit_event SELECT * FROM audit_event_old ORDER BY id")
    (sequence,) = _execute("SELECT pg_get_serial_sequence('audit_event_old', 'id')")[0]
    _execute(f"ALTER SEQUENCE {sequence} OWNED BY audit_event.id")
    _execute("DROP TABLE audit_event_old")  # its triggers go with it
    for definition in indexes:
        _execute(definition)
    _execute("CREATE TRIGGER audit_event_no_change BEFORE UPDATE OR DELETE ON audit_event "
             "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()")
    _execute(truncate_guard("audit_event"))


def _partition_audit_events() -> None:
    if is_partitioned(_execute):
        return
    indexes = _move_aside()
    _execute("CREATE TABLE audit_event (LIKE audit_event_old INCLUDING DEFAULTS) PARTITION BY RANGE (at)")
    _execute(f"CREATE TABLE {DEFAULT} PARTITION OF audit_event DEFAULT")
    _execute(truncate_guard(DEFAULT))
    oldest, newest = _execute("SELECT MIN(at), MAX(at) FROM audit_event_old WHERE at ~ '^[0-9]{4}-[0-9]{2}-'")[0]
    today = datetime.now(UTC).date().replace(day=1)
    first = min(today, date.fromisoformat(str(oldest)[:7] + "-01")) if oldest else today
    last = max(today, date.fromisoformat(str(newest)[:7] + "-01")) if newest else today
    for _ in range(MONTHS_AHEAD):
        last = next_month(last)
    for month in months(first, last):
        for sql in partition_sql(month):
            _execute(sql)
    _fill(", at", indexes)


def _unpartition_audit_events() -> None:
    if not is_partitioned(_execute):
        return
    indexes = _move_aside()
    _execute("CREATE TABLE audit_event (LIKE audit_event_old INCLUDING DEFAULTS)")
    _fill("", indexes)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _unpartition_audit_events()
        op.execute("DROP TRIGGER IF EXISTS audit_checkpoint_no_truncate ON audit_checkpoint")
        op.execute("DROP TRIGGER IF EXISTS audit_checkpoint_no_change ON audit_checkpoint")
        op.execute("DROP FUNCTION IF EXISTS audit_checkpoint_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_checkpoint_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_checkpoint_no_delete")
    for name, _ in KEYSET_INDEXES:
        op.drop_index(name, table_name="audit_event")
    op.drop_table("audit_checkpoint")
