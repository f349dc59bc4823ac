"""The audit trail: append-only in the database, hash-chained per task, checkpointed on the task."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from phancap.engine.clock import Clock
from phancap.engine.db import Database
from phancap.engine.machine import WorkflowMachine
from phancap.engine.queries import verify_audit
from phancap.engine.runtime import TaskEngine
from phancap.engine.users import add_user
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


# --- issue 11: the chain covers every field that decides who acts and when, and the plan's text ---------------

from phancap.engine.audit_export import checkpoint, export_events, read_jsonl, verify_offline  # noqa: E402
from phancap.engine.queries import history  # noqa: E402
from phancap.engine.tick import tick  # noqa: E402
from phancap.engine.visibility import AuditFilter, search_audit  # noqa: E402

# field -> how a tamperer changes it (the same SQL on SQLite and PostgreSQL)
FIELD_EDITS = {
    "deadline": "deadline = '2026-12-31'",
    "unit": ("unit = CASE WHEN task = '1.1' THEN 'HN-P-HOANKIEM' WHEN unit = 'HN-SCT' THEN 'HN-X-SOCSON' "
             "ELSE 'HN-P-HOANKIEM' END"),
    "focal": "focal = 'HN-SNV'",
    "authority": "authority = 'HN-SNV'",
    "coordinators": "coordinators = '[\"HN-STC\"]'",
    "pending_deadline": "pending_deadline = '2026-01-31'",
    "stage": "stage = 'approved'",
    "overdue_at": "overdue_at = '2025-04-02T01:00:00+00:00'",
    "monitor": "monitor = 'HN-STC'",
    "justice": "justice = 'HN-STC'",
    "state_due": "state_due = '2030-01-01'",
    "complex": "complex = NOT complex",
}


def three_writers(seeded: TaskEngine) -> dict[str, int]:
    """A task whose newest event each writer of events wrote: instantiate (fresh), a transition, the sweep."""
    swept = life_cycle(seeded)  # 1.1 is due before 15/4: the sweep marks it
    tick(seeded.db, seeded.workflows, Clock.parse("2025-04-16"))
    fired = int(instance(seeded.db, "HN-2025", "1.3", "HN-SCT")["id"])  # due at the end of the year
    seeded.fire(fired, "submit_for_review", "cv.sct")
    seeded.fire(fired, "return", "dm.stc", comment="Bổ sung số liệu")
    fresh = int(instance(seeded.db, "HN-2025", "1.3", "HN-STC")["id"])
    with seeded.db.engine.connect() as conn:
        newest = dict(conn.execute(text(
            "SELECT t.id, a.trigger FROM task_instance t JOIN audit_event a ON a.task_id = t.id AND a.seq = t.version "
            f"WHERE t.id IN ({swept}, {fired}, {fresh})")).all())
    assert newest == {swept: "mark_overdue", fired: "return", fresh: "assign"}, newest
    return {"instantiate": fresh, "fire": fired, "tick": swept}


def offline_problems(seeded: TaskEngine) -> list[str]:
    """What an auditor sees verifying an export and a checkpoint taken now, away from the database."""
    import json

    lines = [json.dumps(e, ensure_ascii=False, default=str) for e in export_events(seeded.db)]
    point = json.loads(json.dumps(checkpoint(seeded.db), default=str))
    return verify_offline(read_jsonl(lines), point).problems


@pytest.mark.parametrize("field", list(FIELD_EDITS))
def test_each_audited_field_changed_without_audit_is_named(seeded: TaskEngine, field: str) -> None:
    tasks = three_writers(seeded)
    assert verify_audit(seeded.db).ok and offline_problems(seeded) == []
    ids = ", ".join(str(t) for t in tasks.values())
    execute(seeded, f"UPDATE task_instance SET {FIELD_EDITS[field]} WHERE id IN ({ids})")
    online, offline = verify_audit(seeded.db).problems, offline_problems(seeded)
    for writer, tid in tasks.items():
        named = f"task {tid}: {field} differs from the audited value"
        assert any(p.startswith(named) for p in online), (writer, online)
        assert any(p.startswith(named) for p in offline), (writer, offline)
    assert all(p.split(":")[0] in {f"task {t}" for t in tasks.values()} for p in online), online


@pytest.mark.parametrize("with_version", [False, True], ids=["text", "text-and-version"])
def test_plan_text_changed_without_audit_is_named(seeded: TaskEngine, with_version: bool) -> None:
    tasks = three_writers(seeded)
    edit = "definition = REPLACE(definition, '15/4/2025', '15/5/2025')"
    if with_version:  # the tamperer also rewrites the recorded version: the tasks' snapshots still differ
        from phancap.engine.audit import definition_sha256

        with seeded.db.engine.connect() as conn:
            old = conn.execute(text("SELECT definition FROM plan WHERE code = 'HN-2025'")).scalar_one()
        edit += f", definition_sha256 = '{definition_sha256(old.replace('15/4/2025', '15/5/2025'))}'"
    execute(seeded, f"UPDATE plan SET {edit} WHERE code = 'HN-2025'")
    online, offline = verify_audit(seeded.db).problems, offline_problems(seeded)
    for tid in tasks.values():
        named = f"task {tid}: plan definition differs from the audited value"
        assert any(p.startswith(named) for p in online), online
        assert any(p.startswith(named) for p in offline), offline
    assert any(p.startswith("plan HN-2025: definition text does not match") for p in online) is not with_version
    assert not any("KT-2025" in p for p in online)


def test_reloading_a_changed_plan_is_refused_and_an_amendment_keeps_the_chain(seeded: TaskEngine, tmp_path: Path) -> None:
    from phancap.engine.amendments import AmendmentRefused, amend_plan
    from phancap.engine.loader import read_definitions, shipped_definitions_dir, store_definitions

    tid = life_cycle(seeded)
    folder = tmp_path / "definitions"
    shutil.copytree(shipped_definitions_dir(), folder)
    plan = folder / "plans" / "HN-2025.yaml"
    plan.write_text(plan.read_text(encoding="utf-8").replace('\ntitle: "Kế hoạch', '\ntitle: "Kế hoạch (sửa đổi)', 1),
                    encoding="utf-8")
    before = history(seeded.db, tid)
    with pytest.raises(AmendmentRefused) as refused:
        store_definitions(seeded.db, read_definitions(folder, set(seeded.workflows)), seeded.clock, seeded.workflows)
    assert "plan amend" in refused.value.message_en and "plan title" in refused.value.message_en
    assert history(seeded.db, tid) == before
    defs = read_definitions(plan, set(seeded.workflows))
    amend_plan(seeded.db, defs.plans[0], seeded.workflows, seeded.clock, number="1234/KH-UBND")
    assert history(seeded.db, tid) == before  # only the plan's title changed: no task is affected
    assert verify_audit(seeded.db).ok, verify_audit(seeded.db).problems
    seeded.fire(tid, "approve", "pd.ubnd", version=5)  # the task goes on under the new version
    assert verify_audit(seeded.db).ok


def delete_task(seeded: TaskEngine, tid: int) -> None:
    execute(seeded, "DELETE FROM audit_event WHERE task_id = :t", t=tid)
    execute(seeded, "DELETE FROM task_instance WHERE id = :t", t=tid)


def test_a_task_deleted_with_its_events_is_caught(seeded: TaskEngine) -> None:
    with seeded.db.engine.connect() as conn:
        ids = list(conn.execute(text("SELECT id FROM task_instance ORDER BY id")).scalars())
    before = checkpoint(seeded.db)  # kept elsewhere by the auditor
    allow_tampering(seeded.db)
    middle = ids[len(ids) // 2]
    delete_task(seeded, middle)
    following = ids[ids.index(middle) + 1]
    problems = verify_audit(seeded.db).problems
    assert any(p.startswith(f"task {following}: was created after a task whose first event is not here") and
               f"task {ids[ids.index(middle) - 1]}" in p for p in problems), problems
    assert any(f"task {following}: was created after" in p for p in offline_problems(seeded))
    exported = [dict(e) for e in export_events(seeded.db)]
    assert any(p.startswith(f"task {middle}: has no audit events") for p in verify_offline(exported, before).problems)


def test_the_newest_task_deleted_with_its_events_is_caught(seeded: TaskEngine) -> None:
    with seeded.db.engine.connect() as conn:
        newest = int(conn.execute(text("SELECT MAX(id) FROM task_instance")).scalar_one())
    allow_tampering(seeded.db)
    delete_task(seeded, newest)
    problems = verify_audit(seeded.db).problems
    assert len(problems) == 1 and "the newest task deleted with its events?" in problems[0], problems
    assert any("the newest task deleted with its events?" in p for p in offline_problems(seeded))


def test_tasks_opened_later_link_to_the_newest(seeded: TaskEngine) -> None:
    """Opening more instances (a plan instantiated later) keeps the creation links and the head in step."""
    from phancap.engine.instantiate import instantiate
    from phancap.engine.loader import read_definitions, store_definitions

    execute(seeded, "DELETE FROM idempotency_key")  # a write outside the chain: nothing to do with it
    store_definitions(seeded.db, read_definitions(None, set(seeded.workflows)), seeded.clock)
    assert instantiate(seeded.db, "HN-2025", seeded.workflows, seeded.clock).created == 0
    assert verify_audit(seeded.db).ok


# --- malformed rows: reported by verify, shown with a marker, never an error ----------------------------------

MALFORMED = {
    "evidence": "evidence = '{\"sha256\": '",
    "data": "data = 'not json'",
    "hash": "hash = 'zzz'",
    "at": "at = 'garbage'",
    "seq": "seq = 'abc'",  # SQLite keeps text in an integer column; PostgreSQL refuses it
}


def malform(seeded: TaskEngine, kind: str) -> int:
    if kind == "seq" and not seeded.db.is_sqlite:
        pytest.skip("PostgreSQL's types refuse text in an integer column")
    tid = life_cycle(seeded)
    allow_tampering(seeded.db)
    execute(seeded, f"UPDATE audit_event SET {MALFORMED[kind]} WHERE task_id = :t AND seq = 3", t=tid)
    return tid


@pytest.mark.parametrize("kind", list(MALFORMED))
def test_a_malformed_row_is_reported_by_verify(seeded: TaskEngine, kind: str) -> None:
    tid = malform(seeded, kind)
    problems = verify_audit(seeded.db).problems
    assert any(p.startswith(f"task {tid} event") and ("malformed row" in p or "edited" in p) for p in problems), problems
    if kind != "at":  # a garbage instant is text all the same: the hash names it edited
        assert any(f"task {tid} event id" in p and "malformed row" in p for p in problems), problems
    assert any(f"task {tid}" in p for p in offline_problems(seeded))


@pytest.mark.parametrize("kind", list(MALFORMED))
def test_a_malformed_row_is_marked_in_history_and_search(seeded: TaskEngine, kind: str) -> None:
    tid = malform(seeded, kind)
    events = history(seeded.db, tid)
    assert len(events) == 5 and [e["malformed"] for e in events].count(True) == 1, events
    bad = next(e for e in events if e["malformed"])
    assert bad["trigger"] == "return" and bad["comment"] == "Bổ sung"
    if kind in ("evidence", "data"):
        assert bad[kind] is None
    found = search_audit(seeded.db, AuditFilter(task=tid))
    assert len(found) == 5 and [e["malformed"] for e in found].count(True) == 1, found


def test_offline_verify_names_unreadable_lines_and_null_hashes(seeded: TaskEngine) -> None:
    import json

    tid = life_cycle(seeded)
    lines = [json.dumps(e, ensure_ascii=False, default=str) for e in export_events(seeded.db)]
    point = json.loads(json.dumps(checkpoint(seeded.db), default=str))
    index = next(i for i, line in enumerate(lines) if json.loads(line)["task_id"] == tid and json.loads(line)["seq"] == 2)
    nulled = dict(json.loads(lines[index]), hash=None)
    problems = verify_offline(read_jsonl([*lines[:index], json.dumps(nulled), *lines[index + 1:], "{oops"]),
                              point).problems
    assert any(f"task {tid} event id" in p and "malformed row (hash" in p for p in problems), problems
    assert any("malformed row" in p and "line" in p for p in problems), problems


def test_events_written_before_0008_still_verify_after_the_upgrade(db: Database, workflows: dict[str, WorkflowMachine],
                                                                     clock: Clock) -> None:
    """A database at 0007 with an instance and its (snapshot-less) event: after the upgrade it verifies as
    before, the head starts at it, and instances opened later link to it."""
    from alembic import command

    from phancap.engine.audit import GENESIS, event_hash
    from phancap.engine.instantiate import instantiate

    config = db.alembic_config()
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0007")
    at = "2025-04-01T02:00:00+00:00"
    values = (1, 1, "assign", None, "assigned", "system", None, "system", None, at, "Giao (cũ)", None, None)
    digest = event_hash(GENESIS, values)
    execute_on(db, "INSERT INTO task_instance (id, plan, task, unit, focal, authority, monitor, justice, coordinators, "
               "workflow, state, stage, version, deadline, complex, state_since, created_at, last_hash, kind) VALUES "
               "(1, 'HN-2025', '1.1', 'HN-SCT', 'HN-STP', 'HN-UBND', 'HN-SNV', 'HN-STP', '[]', 'plan_task', "
               "'assigned', 'assigned', 1, '2025-04-14', false, :at, :at, :h, 'task')", at=at, h=digest)
    names = ("task_id", "seq", "trigger", "from_state", "to_state", "actor", "unit", "role", "capacity", "at",
             "comment", "evidence", "data")
    execute_on(db, f"INSERT INTO audit_event ({', '.join(names)}, prev_hash, hash) VALUES "
               f"({', '.join(':' + n for n in names)}, :prev, :h)", **dict(zip(names, values)), prev=GENESIS, h=digest)
    if not db.is_sqlite:
        execute_on(db, "SELECT setval(pg_get_serial_sequence('task_instance', 'id'), 1)")
    db.upgrade()
    report = verify_audit(db)
    assert report.ok and (report.tasks, report.events) == (1, 1), report.problems
    instantiate(db, "HN-2025", workflows, clock)
    assert verify_audit(db).ok, verify_audit(db).problems
    engine = TaskEngine(db, workflows, clock)
    add_user(db, "cv.sct", "HN-SCT", ["officer"], clock)
    engine.fire(1, "submit_for_review", "cv.sct")  # the legacy task is covered from its next event on
    execute_on(db, "UPDATE task_instance SET deadline = '2026-12-31' WHERE id = 1")
    assert any(p.startswith("task 1: deadline differs") for p in verify_audit(db).problems)


def execute_on(db: Database, sql: str, **params: object) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(sql), params)
