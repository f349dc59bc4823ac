"""Of concurrent attempts on one task exactly one wins; on different tasks all succeed."""

from __future__ import annotations

import threading
from collections import Counter

from sqlalchemy import text

from phancap.engine.errors import TransitionNotAllowed
from phancap.engine.queries import list_tasks, verify_audit
from phancap.engine.runtime import TaskEngine
from tests.helpers import audit_count, instance


def race(n: int, action: object) -> Counter[str]:
    outcomes: Counter[str] = Counter()
    lock, start = threading.Lock(), threading.Barrier(n)

    def run(i: int) -> None:
        start.wait()
        try:
            action(i)  # type: ignore[operator]
            result = "ok"
        except TransitionNotAllowed as exc:
            result = exc.rule
        with lock:
            outcomes[result] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_same_transition_on_one_task_exactly_one_wins(seeded: TaskEngine) -> None:
    tid = int(instance(seeded.db, "HN-2025", "1.1", "HN-SCT")["id"])
    outcomes = race(12, lambda i: seeded.fire(tid, "submit_for_review", "cv.sct", version=1))
    assert outcomes["ok"] == 1 and sum(outcomes.values()) == 12
    assert set(outcomes) <= {"ok", "version", "state"}
    assert audit_count(seeded.db, tid) == 2  # the assignment and the one winner
    assert verify_audit(seeded.db).ok


def test_transitions_on_different_tasks_all_succeed(seeded: TaskEngine) -> None:
    ids = [int(t["id"]) for t in list_tasks(seeded.db, plan="HN-2025", unit="HN-SCT") if t["task"] != "1.2"]
    outcomes = race(len(ids), lambda i: seeded.fire(ids[i], "submit_for_review", "cv.sct"))
    assert outcomes == Counter({"ok": len(ids)})
    assert all(t["state"] == "in_review" for t in list_tasks(seeded.db, unit="HN-SCT") if int(t["id"]) in ids)
    assert verify_audit(seeded.db).ok


def test_idempotency_key_answers_a_retry_with_the_first_result(seeded: TaskEngine) -> None:
    from phancap.engine.runtime import TaskEngine as Fresh

    tid = int(instance(seeded.db, "HN-2025", "1.1", "HN-SCT")["id"])
    first = seeded.fire(tid, "submit_for_review", "cv.sct", idempotency_key="req-1")
    seeded.db.dispose()  # as if the process restarted
    restarted = Fresh(seeded.db, seeded.workflows, seeded.clock)
    again = restarted.fire(tid, "submit_for_review", "cv.sct", idempotency_key="req-1")
    assert again == first and audit_count(seeded.db, tid) == 2
    other = race(8, lambda i: restarted.fire(tid, "submit", "dm.stp", idempotency_key="req-2"))
    assert other == Counter({"ok": 8}) and audit_count(seeded.db, tid) == 3
    try:  # keys belong to their user: req-1 is new for dm.stp, so the request is judged on its own
        restarted.fire(tid, "return", "dm.stp", comment="x", idempotency_key="req-1")
        raise AssertionError("return from submitted is the approver's")
    except TransitionNotAllowed as exc:
        assert exc.rule == "role"
    try:
        restarted.fire(tid, "approve", "dm.stp", idempotency_key="req-2")
        raise AssertionError("a reused key with another request must be refused")
    except TransitionNotAllowed as exc:
        assert exc.rule == "idempotency"


def test_a_change_that_reads_before_it_writes_is_not_refused_when_another_writer_commits_between(
        seeded: TaskEngine) -> None:
    """An officer's account saved while the worker beats: on SQLite a deferred transaction that had read would fail
    at its first write with "database is locked" at once (WAL's snapshot rule); db.begin() takes the lock first."""
    def heartbeat() -> None:
        with seeded.db.write() as cur:
            cur.execute(seeded.db.sql("INSERT INTO worker_heartbeat (name, started_at, beat_at) VALUES (?, ?, ?)"),
                        ("w", "2025-04-16T02:00:00Z", "2025-04-16T02:00:00Z"))

    with seeded.db.begin() as conn:
        assert conn.execute(text("SELECT 1 FROM unit WHERE code = 'HN-SCT'")).first() is not None
        other = threading.Thread(target=heartbeat)
        other.start()
        other.join(0.3)  # it commits now if it can (a deferred transaction), or waits for ours
        conn.execute(text("UPDATE unit SET name = name WHERE code = 'HN-SCT'"))
    other.join(10)
    with seeded.db.read() as cur:
        cur.execute("SELECT name FROM worker_heartbeat")
        assert [r[0] for r in cur.fetchall()] == ["w"]
