"""Small helpers shared by tests (not fixtures)."""

from __future__ import annotations

from sqlalchemy import text

from phancap.engine.db import Database
from phancap.engine.queries import list_tasks


def instance(db: Database, plan: str, task: str, unit: str) -> dict[str, object]:
    rows = [t for t in list_tasks(db, plan=plan, unit=unit) if t["task"] == task]
    assert len(rows) == 1, f"expected one instance of {plan} {task} for {unit}, got {rows}"
    return rows[0]


def audit_count(db: Database, task_id: object | None = None) -> int:
    with db.engine.connect() as conn:
        if task_id is None:
            return int(conn.execute(text("SELECT COUNT(*) FROM audit_event")).scalar_one())
        return int(conn.execute(text("SELECT COUNT(*) FROM audit_event WHERE task_id = :t"), {"t": task_id}).scalar_one())


def allow_tampering(db: Database) -> None:
    """Take the database's append-only guard away, as a malicious administrator could."""
    with db.engine.begin() as conn:
        if db.is_sqlite:
            conn.execute(text("DROP TRIGGER audit_event_no_update"))
            conn.execute(text("DROP TRIGGER audit_event_no_delete"))
        else:
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change"))
