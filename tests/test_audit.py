"""The audit trail: append-only in the database, hash-chained per task, checkpointed on the task."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from phancap.engine.queries import verify_audit
from phancap.engine.runtime import TaskEngine
from tests.helpers import allow_tampering, instance


def life_cycle(seeded: TaskEngine) -> int:
    tid = int(instance(seeded.db, "HN-2025", "1.1", "HN-SCT")["id"])
    seeded.fire(tid, "submit_for_review", "cv.sct")
    seeded.fire(tid, "return", "dm.stp", comment="Bổ sung")
    seeded.fire(tid, "submit_for_review", "cv.sct")
    seeded.fire(tid, "submit", "dm.stp")
    return tid


def execute(seeded: TaskEngine, sql: str, **params: object) -> None:
    with seeded.db.engine.begin() as conn:
        conn.execute(text(sql), params)


def test_chain_verifies_after_activity(seeded: TaskEngine) -> None:
    life_cycle(seeded)
    report = verify_audit(seeded.db)
    assert report.ok, report.problems
    assert report.events == report.tasks + 4


@pytest.mark.parametrize("sql", ["UPDATE audit_event SET comment = 'sửa' WHERE seq = 1",
                                 "DELETE FROM audit_event WHERE seq = 1"])
def test_the_database_refuses_to_edit_or_delete_audit_rows(seeded: TaskEngine, sql: str) -> None:
    with pytest.raises(DatabaseError, match="append-only"):
        execute(seeded, sql)
    assert verify_audit(seeded.db).ok


def test_edited_event_is_named(seeded: TaskEngine) -> None:
    tid = life_cycle(seeded)
    allow_tampering(seeded.db)
    execute(seeded, "UPDATE audit_event SET comment = 'Đồng ý' WHERE task_id = :t AND seq = 3", t=tid)
    problems = verify_audit(seeded.db).problems
    assert problems == [p for p in problems if f"task {tid}" in p] and problems
    assert any(f"task {tid} event seq 3" in p and "edited" in p for p in problems)


def test_deleted_event_is_named(seeded: TaskEngine) -> None:
    tid = life_cycle(seeded)
    allow_tampering(seeded.db)
    execute(seeded, "DELETE FROM audit_event WHERE task_id = :t AND seq = 2", t=tid)
    problems = verify_audit(seeded.db).problems
    assert any(f"task {tid}: event seq 2 missing" in p for p in problems), problems


def test_removing_the_newest_events_is_caught_by_the_checkpoint(seeded: TaskEngine) -> None:
    tid = life_cycle(seeded)
    allow_tampering(seeded.db)
    execute(seeded, "DELETE FROM audit_event WHERE task_id = :t AND seq >= 4", t=tid)
    problems = verify_audit(seeded.db).problems
    assert any(f"task {tid}: checkpoint is version 5" in p for p in problems), problems


def test_reordered_events_are_named(seeded: TaskEngine) -> None:
    tid = life_cycle(seeded)
    allow_tampering(seeded.db)
    execute(seeded, "UPDATE audit_event SET seq = 100 WHERE task_id = :t AND seq = 2", t=tid)
    execute(seeded, "UPDATE audit_event SET seq = 2 WHERE task_id = :t AND seq = 3", t=tid)
    execute(seeded, "UPDATE audit_event SET seq = 3 WHERE task_id = :t AND seq = 100", t=tid)
    problems = verify_audit(seeded.db).problems
    assert any(f"task {tid} event seq 2" in p and "chain broken" in p for p in problems), problems


def test_inserted_event_is_named(seeded: TaskEngine) -> None:
    tid = life_cycle(seeded)
    allow_tampering(seeded.db)
    execute(seeded, "INSERT INTO audit_event (task_id, seq, trigger, from_state, to_state, actor, unit, role, capacity, "
                    "at, comment, evidence, prev_hash, hash) SELECT task_id, 6, 'approve', 'submitted', 'approved', "
                    "'pd.ubnd', 'HN-UBND', 'approver', NULL, at, NULL, NULL, hash, hash FROM audit_event "
                    "WHERE task_id = :t AND seq = 5", t=tid)
    problems = verify_audit(seeded.db).problems
    assert any(f"task {tid} event seq 6" in p for p in problems), problems


def test_state_changed_without_audit_is_caught(seeded: TaskEngine) -> None:
    tid = life_cycle(seeded)
    execute(seeded, "UPDATE task_instance SET state = 'approved' WHERE id = :t", t=tid)
    problems = verify_audit(seeded.db).problems
    assert any(f"task {tid}: state 'approved'" in p and "without audit" in p for p in problems), problems
