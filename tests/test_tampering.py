"""A thousand random tamperings of the audit table, each detected. Every tampering runs inside a
transaction on the real database, is verified there, and is rolled back."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from phancap.engine.clock import Clock
from phancap.engine.db import Database
from phancap.engine.queries import verify_with
from phancap.engine.runtime import TaskEngine
from phancap.engine.tick import tick
from tests.helpers import allow_tampering, instance

ROUNDS = 250  # about 35 of each kind of tampering: each one must be caught
COLUMNS = ("trigger", "from_state", "to_state", "actor", "unit", "role", "capacity", "at", "comment", "evidence",
           "data", "prev_hash", "hash", "task_id", "snapshot")
# the instance fields every event commits to (issue 11), each changed so that it differs; unit takes another unit
TASK_EDITS = ("deadline = '2031-01-01'", "unit = (SELECT MIN(code) FROM unit WHERE code <> task_instance.unit)",
              "focal = 'X' || COALESCE(focal, '')", "authority = 'X' || COALESCE(authority, '')",
              "monitor = 'X' || COALESCE(monitor, '')", "justice = 'X' || COALESCE(justice, '')",
              "coordinators = '[\"X\"]'", "pending_deadline = '2031-02-01'", "stage = stage || 'x'",
              "overdue_at = COALESCE(overdue_at, '') || 'x'", "state_due = '2031-03-01'", "complex = NOT complex")


@pytest.fixture
def busy(seeded: TaskEngine) -> TaskEngine:
    """Some history: full life cycles, returns, overdue marks, comments."""
    for unit, officer in (("HN-SCT", "cv.sct"),):
        for number in ("1.1", "1.3", "2.1"):
            tid = int(instance(seeded.db, "HN-2025", number, unit)["id"])
            seeded.fire(tid, "submit_for_review", officer)
            seeded.fire(tid, "comment", officer, comment="Đã gửi kèm danh mục")
    tick(seeded.db, seeded.workflows, Clock.parse("2025-04-16"))
    allow_tampering(seeded.db)
    return seeded


def _events(cur: Any, db: Database) -> list[tuple[Any, ...]]:
    cur.execute("SELECT id, task_id, seq FROM audit_event ORDER BY id")
    return cur.fetchall()


def edit_field(cur: Any, db: Database, rng: random.Random) -> str:
    event_id, _task, _seq = rng.choice(_events(cur, db))
    column = rng.choice(COLUMNS)
    target = None
    if column == "task_id":  # move the event to a task where its seq is free
        cur.execute(db.sql("SELECT MIN(t.id) FROM task_instance t WHERE t.version < ?"), (_seq,))
        target = cur.fetchone()[0]
    if target is not None:
        cur.execute(db.sql("UPDATE audit_event SET task_id = ? WHERE id = ?"), (target, event_id))
    else:
        column = "comment" if column == "task_id" else column
        cur.execute(db.sql(f"UPDATE audit_event SET {column} = COALESCE({column}, '') || ? WHERE id = ?"),
                    (rng.choice(["x", "0", "ạ", "-"]), event_id))  # not a space: PostgreSQL drops trailing spaces that overflow a varchar
    return f"edit {column} of event {event_id}"


def delete_event(cur: Any, db: Database, rng: random.Random) -> str:
    event_id = rng.choice(_events(cur, db))[0]
    cur.execute(db.sql("DELETE FROM audit_event WHERE id = ?"), (event_id,))
    return f"delete event {event_id}"


def insert_event(cur: Any, db: Database, rng: random.Random) -> str:
    event_id, task_id, _seq = rng.choice(_events(cur, db))
    cur.execute(db.sql("SELECT MAX(seq) FROM audit_event WHERE task_id = ?"), (task_id,))
    new_seq = int(cur.fetchone()[0]) + rng.choice([1, 2, 50])
    cur.execute(db.sql(
        "INSERT INTO audit_event (task_id, seq, trigger, from_state, to_state, actor, unit, role, capacity, at, comment, "
        "evidence, data, prev_hash, hash) SELECT task_id, ?, 'approve', to_state, 'approved', 'pd.ubnd', 'HN-UBND', "
        "'approver', NULL, at, comment, evidence, data, hash, hash FROM audit_event WHERE id = ?"), (new_seq, event_id))
    return f"insert after event {event_id}"


def reorder(cur: Any, db: Database, rng: random.Random) -> str:
    rows = [r for r in _events(cur, db)]
    by_task: dict[int, list[tuple[Any, ...]]] = {}
    for r in rows:
        by_task.setdefault(r[1], []).append(r)
    task_rows = rng.choice([v for v in by_task.values() if len(v) >= 2])
    a, b = rng.sample(task_rows, 2)
    cur.execute(db.sql("UPDATE audit_event SET seq = -1 WHERE id = ?"), (a[0],))
    cur.execute(db.sql("UPDATE audit_event SET seq = ? WHERE id = ?"), (a[2], b[0]))
    cur.execute(db.sql("UPDATE audit_event SET seq = ? WHERE id = ?"), (b[2], a[0]))
    return f"swap events {a[0]} and {b[0]}"


def truncate_newest(cur: Any, db: Database, rng: random.Random) -> str:
    _id, task_id, _seq = rng.choice(_events(cur, db))
    cur.execute(db.sql("SELECT MAX(seq) FROM audit_event WHERE task_id = ?"), (task_id,))
    newest = int(cur.fetchone()[0])
    keep = rng.randint(0, newest - 1)
    cur.execute(db.sql("DELETE FROM audit_event WHERE task_id = ? AND seq > ?"), (task_id, keep))
    return f"truncate task {task_id} to {keep} events"


def _tasks(cur: Any) -> list[int]:
    cur.execute("SELECT id FROM task_instance ORDER BY id")
    return [r[0] for r in cur.fetchall()]


def edit_task(cur: Any, db: Database, rng: random.Random) -> str:
    """A field that decides who acts and when, or the plan's text, changed without audit."""
    task_id = rng.choice(_tasks(cur))
    if rng.random() < 0.1:
        cur.execute(db.sql("UPDATE plan SET definition = definition || ' ' WHERE code = "
                           "(SELECT plan FROM task_instance WHERE id = ?)"), (task_id,))
        return f"edit the plan text of task {task_id}"
    edit = rng.choice(TASK_EDITS)
    cur.execute(db.sql(f"UPDATE task_instance SET {edit} WHERE id = ?"), (task_id,))
    return f"{edit} on task {task_id}"


def delete_task(cur: Any, db: Database, rng: random.Random) -> str:
    """A task removed together with every one of its events."""
    task_id = rng.choice(_tasks(cur))
    cur.execute(db.sql("DELETE FROM audit_event WHERE task_id = ?"), (task_id,))
    cur.execute(db.sql("DELETE FROM task_instance WHERE id = ?"), (task_id,))
    return f"delete task {task_id} with its events"


TAMPERINGS: tuple[Callable[[Any, Database, random.Random], str], ...] = (
    edit_field, delete_event, insert_event, reorder, truncate_newest, edit_task, delete_task)


@pytest.mark.slow  # many random edits, each verified over the whole trail
def test_every_random_tampering_is_detected(busy: TaskEngine) -> None:
    db = busy.db
    rng = random.Random(20250415)
    rounds = ROUNDS
    conn = db.engine.raw_connection()
    try:
        cur = conn.cursor()
        assert verify_with(cur).ok
        conn.rollback()
        missed, kinds, applied, refused_by_database = [], {t.__name__: 0 for t in TAMPERINGS}, 0, 0
        while applied < rounds:
            if db.is_sqlite:
                cur.execute("BEGIN")
            tamper = rng.choice(TAMPERINGS)
            try:
                what = tamper(cur, db, rng)
            except (sqlite3.DatabaseError, psycopg.Error):
                refused_by_database += 1  # the schema itself prevented it (length, uniqueness): not a miss
                conn.rollback()
                continue
            applied += 1
            kinds[tamper.__name__] += 1
            if verify_with(cur).ok:
                missed.append(what)
            conn.rollback()
        assert verify_with(cur).ok  # every tampering was rolled back
        conn.rollback()
    finally:
        conn.close()
    assert missed == []
    assert all(n > rounds // 10 for n in kinds.values()), kinds
    assert refused_by_database < rounds // 4
