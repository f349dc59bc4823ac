"""Reorganisation (issue 13): `transfer` moves one open task to another lead unit by a decision, `units succeed`
hands a unit's open tasks and references to its successor, `units rename` takes a decision and a date; each
audited, the old unit kept in the history. SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from phancap.engine.errors import Forbidden, NotFound, Refusal, TransitionNotAllowed
from phancap.engine.queries import history, verify_audit
from phancap.engine.reorganisation import transfer_task
from phancap.engine.runtime import TaskEngine
from phancap.engine.users import get_user
from tests.helpers import audit_count, instance

PLAN, DECISION = "HN-2025", "Quyết định số 12/QĐ-UBND ngày 30/6/2025"


def transfer(engine: TaskEngine, task: int, to: str, who: str = "admin", decision: str = DECISION) -> dict[str, object]:
    user = get_user(engine.db, who)
    assert user is not None
    return transfer_task(engine.db, engine.workflows, engine.clock, user, task, to, decision)


def test_a_task_moves_to_its_new_lead_unit_with_one_audited_event(seeded: TaskEngine) -> None:
    tid = int(instance(seeded.db, PLAN, "3", "HN-STP")["id"])
    before = audit_count(seeded.db)
    moved = transfer(seeded, tid, "HN-SCT")
    assert (moved["unit_from"], moved["unit_to"], moved["version"]) == ("HN-STP", "HN-SCT", 2)
    assert audit_count(seeded.db) == before + 1
    row = instance(seeded.db, PLAN, "3", "HN-SCT")
    assert (row["id"], row["state"], row["version"]) == (tid, "assigned", 2)
    event = history(seeded.db, tid)[-1]
    assert (event["trigger"], event["actor"], event["from"], event["to"]) == ("transfer", "admin", "assigned", "assigned")
    assert event["data"] == {"unit_from": "HN-STP", "unit_to": "HN-SCT", "decision": DECISION}
    assert DECISION in event["comment"]
    assert history(seeded.db, tid)[0]["data"] is None and verify_audit(seeded.db).ok
    seeded.fire(tid, "submit_for_review", "cv.sct")  # the new unit acts
    assert verify_audit(seeded.db).ok


def test_transfers_that_cannot_be_are_refused_and_change_nothing(seeded: TaskEngine) -> None:
    tid = int(instance(seeded.db, PLAN, "3", "HN-STP")["id"])
    before = audit_count(seeded.db)
    for to, who, decision, refusal, words in (
            ("HN-STC", "admin", DECISION, Refusal, "already leads"),
            ("HN-NOPE", "admin", DECISION, NotFound, "no unit"),
            ("HN-SCT", "admin", "  ", Refusal, "decision"),
            ("HN-SCT", "cv.sct", DECISION, Forbidden, "")):
        with pytest.raises(refusal) as refused:
            transfer(seeded, tid, to, who, decision)
        assert words in refused.value.message_en
    done = int(instance(seeded.db, PLAN, "1.1", "HN-SCT")["id"])
    seeded.fire(done, "withdraw", "pd.ubnd", comment="Không còn phù hợp")
    with pytest.raises(Refusal, match="has ended"):
        transfer(seeded, done, "HN-SNV")
    assert audit_count(seeded.db) == before + 1  # only the withdrawal
    assert instance(seeded.db, PLAN, "3", "HN-STP")["version"] == 1
    with pytest.raises(TransitionNotAllowed):
        seeded.fire(tid, "submit_for_review", "cv.sct")  # still the old unit's


KT, SUCCESSION = "KT-2025", "Nghị quyết số 1678/NQ-UBTVQH15 ngày 16/6/2025"


def kt_admin(engine: TaskEngine) -> None:
    from phancap.engine.users import add_user

    add_user(engine.db, "admin.kt", "KT-UBND", ["admin"], engine.clock)


def succeed(engine: TaskEngine, olds: list[str], new: str, day: str = "2025-04-01") -> dict[str, object]:
    from datetime import date

    from phancap.engine.succession import succeed_units

    user = get_user(engine.db, "admin.kt")
    assert user is not None
    return succeed_units(engine.db, engine.workflows, engine.clock, user, olds, new, date.fromisoformat(day), SUCCESSION)


def test_a_succeeded_unit_hands_its_open_tasks_and_references_to_its_successor(seeded: TaskEngine) -> None:
    from phancap.engine.queries import list_tasks

    kt_admin(seeded)
    done = int(instance(seeded.db, KT, "2", "KT-PTP")["id"])
    for who, trigger in (("cv.phtp", "submit_for_review"), ("dm.pnv", "submit"), ("pd.huyen", "approve")):
        seeded.fire(done, trigger, who)
    done_history = history(seeded.db, done)
    before = {int(t["id"]): (t, len(history(seeded.db, int(t["id"])))) for t in list_tasks(seeded.db, plan=KT)}
    result = succeed(seeded, ["KT-PTP"], "QNG-STP")
    led = [t for t, _ in before.values() if t["unit"] == "KT-PTP" and t["state"] != "approved"]
    assert result["moved"] == len(led) and result["merged"] == 0 and result["references"] > 0  # type: ignore[operator]
    for task in led:
        tid = int(task["id"])
        assert instance(seeded.db, KT, str(task["task"]), "QNG-STP")["id"] == tid
        events = history(seeded.db, tid)
        assert len(events) == before[tid][1] + 1 and events[-1]["trigger"] == "transfer"
        assert events[-1]["data"]["unit_from"] == "KT-PTP" and events[-1]["data"]["decision"] == SUCCESSION
    coordinated = [t for t, _ in before.values() if t["task"] in ("4.a", "4.b") and t["unit"] != "KT-PTP"]
    for task in coordinated:
        last = history(seeded.db, int(task["id"]))
        assert len(last) == before[int(task["id"])][1] + 1
        assert last[-1]["data"]["coordinators"] == {"old": ["KT-PTP", "KT-PNV"], "new": ["QNG-STP", "KT-PNV"]}
    assert instance(seeded.db, KT, "2", "KT-PTP")["state"] == "approved" and history(seeded.db, done) == done_history
    from phancap.engine.units import list_groups, search_units

    assert not any(u["code"] == "KT-PTP" for u in search_units(seeded.db, region="KT"))  # inactive
    assert all("KT-PTP" not in g["members"] for g in list_groups(seeded.db, "KT"))
    from phancap.engine import admin_log

    assert [e["action"] for e in admin_log.search(seeded.db, subject="KT-PTP")] == ["unit.succeed"]
    with pytest.raises(TransitionNotAllowed):
        seeded.fire(int(led[0]["id"]), "submit_for_review", "cv.phtp")  # the old unit's users no longer act on it
    assert verify_audit(seeded.db).ok, verify_audit(seeded.db).problems


def test_a_task_the_successor_already_leads_is_merged(seeded: TaskEngine) -> None:
    kt_admin(seeded)
    from phancap.engine.queries import list_tasks

    open_ = list_tasks(seeded.db, plan=KT, unit="KT-X-01")
    result = succeed(seeded, ["KT-X-01"], "KT-X-02")
    assert result["merged"] == len(open_) and result["moved"] == 0
    for task in open_:
        event = history(seeded.db, int(task["id"]))[-1]
        assert (event["trigger"], event["to"], event["data"]["merged_into"]) == ("transfer", "withdrawn", "KT-X-02")
    assert verify_audit(seeded.db).ok, verify_audit(seeded.db).problems


def test_units_rename_takes_a_decision_and_an_effective_date_and_keeps_its_old_form(tmp_path: Path) -> None:
    import json

    from tests.test_cli import run

    run(tmp_path, "load")
    run(tmp_path, "user", "add", "qt", "--unit", "HN-VPUB", "--role", "admin")
    run(tmp_path, "units", "rename", "HN-SDL", "Sở Du lịch Hà Nội", "--as", "qt")
    run(tmp_path, "units", "rename", "HN-SDL", "--name", "Sở Du lịch", "--effective", "2025-03-01",
        "--decision", "Quyết định số 3/QĐ-UBND", "--as", "qt")
    events = json.loads(run(tmp_path, "admin-events", "--action", "unit.rename", "--json").stdout)
    assert [e["data"] for e in events] == [
        {"old": "Sở Du lịch", "new": "Sở Du lịch Hà Nội"},
        {"old": "Sở Du lịch Hà Nội", "new": "Sở Du lịch", "effective": "2025-03-01", "decision": "Quyết định số 3/QĐ-UBND"}]
    both = run(tmp_path, "units", "rename", "HN-SDL", "Y", "--name", "X", "--as", "qt", check=False)
    assert both.returncode == 2
