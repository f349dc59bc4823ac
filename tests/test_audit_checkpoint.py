"""Audit verification that scales (issue 16): checkpoints, incremental verification, full on demand."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from phancap.engine.audit_checkpoint import verify_full, verify_incremental
from phancap.engine.difficulties import raise_difficulty
from phancap.engine.runtime import TaskEngine
from tests.helpers import allow_tampering, audit_count, instance

AT = "2025-04-15T09:00:00+07:00"


def execute(seeded: TaskEngine, sql: str, **params: object) -> None:
    with seeded.db.engine.begin() as conn:
        conn.execute(text(sql), params)


def newest_id(seeded: TaskEngine) -> int:
    with seeded.db.engine.connect() as conn:
        return int(conn.execute(text("SELECT MAX(id) FROM audit_event")).scalar_one())


def two_steps(seeded: TaskEngine) -> int:
    tid = int(instance(seeded.db, "HN-2025", "1.1", "HN-SCT")["id"])
    seeded.fire(tid, "submit_for_review", "cv.sct")
    seeded.fire(tid, "return", "dm.stp", comment="Bổ sung")
    return tid


def test_incremental_reads_only_the_events_after_the_checkpoint(seeded: TaskEngine) -> None:
    first, point = verify_full(seeded.db, "test", AT)
    assert first.ok and point.kind == "full" and point.up_to_event == newest_id(seeded) == first.events > 50
    assert point.events == audit_count(seeded.db)
    tid = two_steps(seeded)
    report, later = verify_incremental(seeded.db, "kiemtoan", AT)
    assert report.ok, report.problems
    assert (report.events, report.tasks) == (2, 1)  # the two new events of one task, nothing else read
    assert later.kind == "incremental" and later.from_event == point.up_to_event
    assert later.up_to_event == newest_id(seeded) and later.verified_by == "kiemtoan" and later.id == point.id + 1
    again, same = verify_incremental(seeded.db, "kiemtoan", AT)
    assert again.ok and again.events == 0 and same.id == later.id  # nothing new: no checkpoint written
    assert tid


def test_incremental_catches_tampering_after_the_checkpoint(seeded: TaskEngine) -> None:
    verify_full(seeded.db, "test", AT)
    tid = two_steps(seeded)
    allow_tampering(seeded.db)
    execute(seeded, "UPDATE audit_event SET comment = 'Đồng ý' WHERE task_id = :t AND seq = 3", t=tid)
    report, point = verify_incremental(seeded.db, "test", AT)
    assert not report.ok and not point.ok and point.problem_count == len(report.problems)
    assert any(f"task {tid} event seq 3" in p and "edited" in p for p in report.problems), report.problems
    # a failed checkpoint is no base: the next run reads the same events again and finds the same
    again, _ = verify_incremental(seeded.db, "test", AT)
    assert again.events == 2 and again.problems == report.problems


def test_incremental_catches_a_change_to_the_event_it_links_to(seeded: TaskEngine) -> None:
    tid = int(instance(seeded.db, "HN-2025", "1.1", "HN-SCT")["id"])
    verify_full(seeded.db, "test", AT)
    seeded.fire(tid, "submit_for_review", "cv.sct")
    allow_tampering(seeded.db)
    execute(seeded, "UPDATE audit_event SET actor = 'ke.gian' WHERE task_id = :t AND seq = 1", t=tid)
    report, _ = verify_incremental(seeded.db, "test", AT)
    assert report.events == 1 and any(f"task {tid} event seq 1" in p and "edited" in p for p in report.problems)


def test_tampering_before_the_checkpoint_needs_a_full_verification(seeded: TaskEngine) -> None:
    tid = two_steps(seeded)
    verify_full(seeded.db, "test", AT)
    other = int(instance(seeded.db, "HN-2025", "1.3", "HN-SCT")["id"])
    seeded.fire(other, "submit_for_review", "cv.sct")
    allow_tampering(seeded.db)
    execute(seeded, "UPDATE audit_event SET comment = 'Đồng ý' WHERE task_id = :t AND seq = 2", t=tid)
    report, _ = verify_incremental(seeded.db, "test", AT)
    assert report.ok and report.events == 1  # what an incremental check cannot promise (engine/audit_checkpoint.py)
    full, point = verify_full(seeded.db, "auditor", AT)
    assert not full.ok and not point.ok and any(f"task {tid} event seq 2" in p for p in full.problems)
    # the failed full verification stands: incremental runs after it say so
    seeded.fire(other, "comment", "cv.sct", comment="Đã gửi")
    after, _ = verify_incremental(seeded.db, "test", AT)
    assert not after.ok and any("newest full verification" in p for p in after.problems)
    assert any(f"task {tid} event seq 2" in p for p in after.problems)


def test_incremental_checks_every_task_newest_event(seeded: TaskEngine) -> None:
    """Removing the newest event of a task untouched since the checkpoint, or changing its state, shows."""
    tid = two_steps(seeded)
    verify_full(seeded.db, "test", AT)
    allow_tampering(seeded.db)
    execute(seeded, "DELETE FROM audit_event WHERE task_id = :t AND seq = 3", t=tid)
    report, _ = verify_incremental(seeded.db, "test", AT)
    assert report.events == 0
    assert any(f"task {tid}: checkpoint is version 3" in p for p in report.problems), report.problems
    other = int(instance(seeded.db, "HN-2025", "1.3", "HN-SCT")["id"])
    execute(seeded, "UPDATE task_instance SET state = 'done' WHERE id = :t", t=other)
    report, _ = verify_incremental(seeded.db, "test", AT)
    assert any(f"task {other}: state 'done'" in p for p in report.problems), report.problems


def test_tasks_opened_after_the_checkpoint_link_and_the_newest_deleted_shows(seeded: TaskEngine) -> None:
    tid = int(instance(seeded.db, "HN-2025", "1.1", "HN-SCT")["id"])
    verify_full(seeded.db, "test", AT)
    first = raise_difficulty(seeded, tid, "cv.sct", "Chưa có hướng dẫn")
    second = raise_difficulty(seeded, tid, "cv.sct", "Thiếu kinh phí")
    report, _ = verify_incremental(seeded.db, "test", AT)
    assert report.ok and report.tasks == 2, report.problems
    third = raise_difficulty(seeded, tid, "cv.sct", "Thiếu nhân lực")
    allow_tampering(seeded.db)
    execute(seeded, "DELETE FROM audit_event WHERE task_id = :t", t=third)
    execute(seeded, "DELETE FROM task_instance WHERE id = :t", t=third)
    report, _ = verify_incremental(seeded.db, "test", AT)
    assert report.events == 0 and any("the newest task deleted with its events?" in p for p in report.problems)
    assert first < second < third


@pytest.mark.parametrize("sql", ["UPDATE audit_checkpoint SET ok = NOT ok", "DELETE FROM audit_checkpoint"])
def test_the_database_refuses_to_edit_or_delete_checkpoints(seeded: TaskEngine, sql: str) -> None:
    verify_full(seeded.db, "test", AT)
    with pytest.raises(DatabaseError, match="append-only"):
        execute(seeded, sql)


def test_a_forged_checkpoint_is_caught_by_a_full_verification(seeded: TaskEngine) -> None:
    _, point = verify_full(seeded.db, "test", AT)
    execute(seeded, "INSERT INTO audit_checkpoint (verified_at, kind, from_event, up_to_event, events, tasks, ok, "
                    "problem_count, problems, verified_by, prev_hash, hash) VALUES (:at, 'full', 0, 999999, 0, 0, "
                    ":ok, 0, '[]', 'ke.gian', :prev, :prev)", at=AT, ok=True, prev=point.hash)
    report, _ = verify_full(seeded.db, "test", AT)
    assert any("audit checkpoint" in p and "edited, inserted or deleted" in p for p in report.problems)
