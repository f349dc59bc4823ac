"""Successions and renames decided ahead (issue 13): scheduled, applied by the deadline sweep on their day as
the system, exactly once, with the periodic reports following the successor and names dated; cancelled or
failed changes move nothing. SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from pathlib import Path

import pytest

from phancap.engine import admin_log
from phancap.engine.errors import Refusal, TransitionNotAllowed
from phancap.engine.machine import WorkflowMachine
from phancap.engine.queries import history, list_tasks, verify_audit
from phancap.engine.reports import create_reports
from phancap.engine.runtime import TaskEngine
from phancap.engine.succession import succeed_units
from phancap.engine.tick import tick
from phancap.engine.unit_changes import cancel_change, list_changes
from phancap.engine.unit_names import NameHistory, name_events
from phancap.engine.units import deactivate_unit, rename_unit, search_units
from phancap.engine.users import add_user, get_user, User
from tests.helpers import audit_count, instance

KT, DECISION = "KT-2025", "Nghị quyết số 1678/NQ-UBTVQH15 ngày 16/6/2025"
JULY_1 = date(2025, 7, 1)


def admin(engine: TaskEngine) -> User:
    add_user(engine.db, "admin.kt", "KT-UBND", ["admin"], engine.clock)
    user = get_user(engine.db, "admin.kt")
    assert user is not None
    return user


def move_clock_to(engine: TaskEngine, day: date) -> None:
    engine.clock.shift += timedelta(days=(day - engine.clock.today()).days)


def test_a_later_succession_waits_for_its_day_then_the_sweep_applies_it_once(seeded: TaskEngine) -> None:
    user = admin(seeded)
    create_reports(seeded.db, seeded.workflows, seeded.clock, KT, "annual", 2025, date(2025, 12, 20))
    before = audit_count(seeded.db)
    offices = succeed_units(seeded.db, seeded.workflows, seeded.clock, user, ["KT-PTP"], "QNG-STP", JULY_1, DECISION)
    home = succeed_units(seeded.db, seeded.workflows, seeded.clock, user, ["KT-PNV"], "QNG-SNV", JULY_1, DECISION)
    assert offices["status"] == home["status"] == "scheduled" and offices["moved"] == 0
    assert audit_count(seeded.db) == before  # nothing moved yet
    assert [(c["id"], c["status"], c["units"], c["successor"]) for c in list_changes(seeded.db)] == [
        (offices["scheduled"], "scheduled", ["KT-PTP"], "QNG-STP"), (home["scheduled"], "scheduled", ["KT-PNV"], "QNG-SNV")]
    assert [e["action"] for e in admin_log.search(seeded.db, subject="KT-PTP")] == ["unit.schedule"]
    tasks = list_tasks(seeded.db, plan=KT, unit="KT-PTP")
    [report] = list_tasks(seeded.db, plan=KT, unit="KT-PNV", kind="report")
    assert len(tasks) >= 2
    seeded.fire(int(tasks[0]["id"]), "submit_for_review", "cv.phtp")  # until the day, the old unit still acts
    assert tick(seeded.db, seeded.workflows, seeded.clock).unit_changes == ()

    move_clock_to(seeded, JULY_1)
    swept = tick(seeded.db, seeded.workflows, seeded.clock)
    assert [(u["change"], u["status"]) for u in swept.unit_changes] == [(offices["scheduled"], "applied"),
                                                                      (home["scheduled"], "applied")]
    assert swept.unit_changes[0]["moved"] == len(tasks)
    for task in tasks:
        moved = instance(seeded.db, KT, str(task["task"]), "QNG-STP")
        last = [e for e in history(seeded.db, int(moved["id"])) if e["trigger"] == "transfer"][0]
        assert (last["actor"], last["role"]) == ("system", "system")
        assert last["data"]["unit_from"] == "KT-PTP" and last["data"]["scheduled_change"] == offices["scheduled"]
    # the report due after the date is the successor's; focal references followed
    assert [int(r["id"]) for r in list_tasks(seeded.db, plan=KT, unit="QNG-SNV", kind="report")] == [int(report["id"])]
    assert {t["focal"] for t in list_tasks(seeded.db, plan=KT)} == {"QNG-SNV"}
    assert not any(u["code"] in ("KT-PTP", "KT-PNV") for u in search_units(seeded.db, region="KT"))
    assert {c["status"] for c in list_changes(seeded.db)} == {"applied"}
    with pytest.raises(TransitionNotAllowed):
        seeded.fire(int(tasks[1]["id"]), "submit_for_review", "cv.phtp")
    count = audit_count(seeded.db)
    assert tick(seeded.db, seeded.workflows, seeded.clock).unit_changes == ()  # once only
    assert audit_count(seeded.db) == count
    assert verify_audit(seeded.db).ok, verify_audit(seeded.db).problems


def test_a_cancelled_change_never_applies_and_a_unit_takes_one_scheduled_change_at_a_time(seeded: TaskEngine) -> None:
    user = admin(seeded)
    first = succeed_units(seeded.db, seeded.workflows, seeded.clock, user, ["KT-X-01"], "KT-X-02", JULY_1, DECISION)
    for attempt in (lambda: succeed_units(seeded.db, seeded.workflows, seeded.clock, user, ["KT-X-01"], "KT-X-03",
                                          JULY_1, DECISION),
                    lambda: succeed_units(seeded.db, seeded.workflows, seeded.clock, user, ["KT-X-01"], "KT-X-03",
                                          seeded.clock.today(), DECISION),
                    lambda: rename_unit(seeded.db, user, seeded.clock, "KT-X-02", "UBND xã Mới", effective=JULY_1)):
        with pytest.raises(Refusal, match="cancel it first"):
            attempt()
    cancelled = cancel_change(seeded.db, seeded.clock, user, int(first["scheduled"]), "Quyết định bị thay thế")
    assert cancelled["status"] == "cancelled" and cancelled["result"] == {"reason": "Quyết định bị thay thế"}
    with pytest.raises(Refusal, match="cannot be cancelled"):
        cancel_change(seeded.db, seeded.clock, user, int(first["scheduled"]), "lần nữa")
    move_clock_to(seeded, JULY_1)
    assert tick(seeded.db, seeded.workflows, seeded.clock).unit_changes == ()
    assert any(u["code"] == "KT-X-01" for u in search_units(seeded.db, region="KT"))
    assert all(e["trigger"] != "transfer" for t in list_tasks(seeded.db, plan=KT, unit="KT-X-01")
               for e in history(seeded.db, int(t["id"])))


def test_a_change_that_can_no_longer_apply_fails_with_its_reason_and_moves_nothing(seeded: TaskEngine) -> None:
    user = admin(seeded)
    change = succeed_units(seeded.db, seeded.workflows, seeded.clock, user, ["KT-X-03"], "KT-X-04", JULY_1, DECISION)
    deactivate_unit(seeded.db, user, seeded.clock, "KT-X-04", "sáp nhập khác")
    move_clock_to(seeded, JULY_1)
    swept = tick(seeded.db, seeded.workflows, seeded.clock)
    assert [(u["change"], u["status"]) for u in swept.unit_changes] == [(change["scheduled"], "failed")]
    assert "KT-X-04" in swept.unit_changes[0]["reason"]
    assert list_changes(seeded.db, "failed")[0]["result"]["reason_en"] == "unit KT-X-04 is inactive"
    assert [e["action"] for e in admin_log.search(seeded.db, subject="KT-X-03")] == ["unit.schedule", "unit.change_failed"]
    assert all(t["unit"] == "KT-X-03" for t in list_tasks(seeded.db, plan=KT, unit="KT-X-03"))
    assert any(u["code"] == "KT-X-03" for u in search_units(seeded.db, region="KT"))


def test_a_later_rename_applies_on_its_day_and_history_keeps_the_name_of_its_time(seeded: TaskEngine) -> None:
    user = admin(seeded)
    tid = int(instance(seeded.db, KT, "2", "KT-PTP")["id"])
    seeded.fire(tid, "submit_for_review", "cv.phtp")
    scheduled = rename_unit(seeded.db, user, seeded.clock, "KT-PTP", "Phòng Tư pháp (mới)", effective=JULY_1,
                            decision=DECISION)
    assert scheduled["status"] == "scheduled" and scheduled["name"] == "Phòng Tư pháp"
    move_clock_to(seeded, JULY_1)
    swept = tick(seeded.db, seeded.workflows, seeded.clock)
    assert [(u["status"], u["name"]) for u in swept.unit_changes] == [("applied", "Phòng Tư pháp (mới)")]
    names = NameHistory.load(seeded.db)
    assert names.name_on("KT-PTP", date(2025, 6, 30), "Phòng Tư pháp (mới)") == "Phòng Tư pháp"
    assert names.name_on("KT-PTP", JULY_1, "Phòng Tư pháp (mới)") == "Phòng Tư pháp (mới)"
    seeded.fire(int(instance(seeded.db, KT, "3", "KT-PTP")["id"]), "submit_for_review", "cv.phtp")
    [early] = [e for e in name_events(seeded.db, history(seeded.db, tid)) if e["trigger"] == "submit_for_review"]
    assert early["unit_name"] == "Phòng Tư pháp"  # acted in April: the name it bore then
    late = name_events(seeded.db, history(seeded.db, int(instance(seeded.db, KT, "3", "KT-PTP")["id"])))[-1]
    assert late["unit_name"] == "Phòng Tư pháp (mới)"


def test_fires_racing_a_succession_lose_no_event_and_double_none(seeded: TaskEngine) -> None:
    """Officers of the old unit fire while the succession runs: each fire either lands before it (and the task
    moves in its new state) or is refused after it; every chain verifies and each instance has one transfer."""
    user = admin(seeded)
    led = [int(t["id"]) for t in list_tasks(seeded.db, plan=KT, unit="KT-PTP")]
    results: list[str] = []

    def officer() -> None:
        for tid in led:
            try:
                seeded.fire(tid, "submit_for_review", "cv.phtp")
                results.append("fired")
            except Refusal:
                results.append("refused")

    threads = [threading.Thread(target=officer)]
    threads[0].start()
    succession = succeed_units(seeded.db, seeded.workflows, seeded.clock, user, ["KT-PTP"], "QNG-STP",
                               seeded.clock.today(), DECISION)
    threads[0].join()
    fired = results.count("fired")
    assert len(results) == len(led) and succession["moved"] == len(led)
    states = []
    for tid in led:
        events = history(seeded.db, tid)
        assert [e["trigger"] for e in events].count("transfer") == 1
        assert [e["trigger"] for e in events].count("submit_for_review") <= 1
        states.append(events[-1]["to"])
    assert states.count("in_review") == fired  # every fire that was answered yes is in the history
    assert verify_audit(seeded.db).ok, verify_audit(seeded.db).problems



def test_the_demo_hands_the_kon_tum_district_to_quang_ngai_on_1_july_2025(tmp_path: Path,
                                                                          workflows: dict[str, WorkflowMachine]) -> None:
    """Issue 13's done-when: the district's open tasks appear under their successors from 1/7/2025 with the old
    unit in their history, and the audit chain verifies."""
    from phancap.demo import DEMO_START, DEMO_SUCCESSIONS, build_demo
    from phancap.engine.clock import Clock
    from phancap.engine.db import Database

    clock = Clock.parse(DEMO_START)
    build_demo(tmp_path / "demo.db", clock)
    db = Database(f"sqlite:///{tmp_path / 'demo.db'}")
    try:
        assert [c["status"] for c in list_changes(db)] == ["scheduled"] * len(DEMO_SUCCESSIONS)
        before = {int(t["id"]): t for t in list_tasks(db, plan=KT, kind=None)}
        clock.shift += timedelta(days=91)  # 1/4 → 1/7/2025
        assert clock.today() == JULY_1
        swept = tick(db, workflows, clock)
        assert [c["status"] for c in swept.unit_changes] == ["applied"] * len(DEMO_SUCCESSIONS)
        successor = {old: new for olds, new in DEMO_SUCCESSIONS for old in olds}
        after = {int(t["id"]): t for t in list_tasks(db, plan=KT, kind=None)}
        for tid, task in before.items():
            if task["unit"] in successor:
                new = successor[str(task["unit"])]
                [moved] = [e for e in history(db, tid) if e["trigger"] == "transfer" and
                           ("unit_from" in e["data"] or "merged_into" in e["data"])]
                if "merged_into" in moved["data"]:  # two old offices led it: one copy carries on, the other merges
                    assert (after[tid]["state"], moved["data"]["merged_into"]) == ("withdrawn", new)
                    continue
                assert after[tid]["unit"] == new and moved["data"]["unit_from"] == task["unit"]
                assert name_events(db, [moved])[0]["from_unit_name"]  # the old unit is named in the history
        assert {t["authority"] for t in after.values() if t["kind"] == "task"} == {"QNG-UBND"}
        from phancap.engine.report_recipients import recipients_of

        reports = [int(t["id"]) for t in after.values() if t["kind"] == "report"]
        sent_to = {r["unit"] for rs in recipients_of(db, reports).values() for r in rs}
        assert reports and sent_to == {"QNG-UBND"}  # the district's reports now go to the province
        engine = TaskEngine(db, workflows, clock)
        task = next(t for t in after.values() if t["unit"] == "QNG-STP" and t["kind"] == "task")
        engine.fire(int(task["id"]), "submit_for_review", "cv.stp.qng")  # the successor's officer carries it on
        with pytest.raises(TransitionNotAllowed):
            engine.fire(int(task["id"]), "submit", "dm.pnv")  # the dissolved office's reviewer no longer acts
        assert verify_audit(db).ok, verify_audit(db).problems
    finally:
        db.dispose()
