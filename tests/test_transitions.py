"""Firing transitions through the engine on a real database: life cycle, refusals, atomicity."""

from __future__ import annotations

import pytest

from phancap.engine.errors import TransitionNotAllowed
from phancap.engine.queries import history
from phancap.engine.runtime import TaskEngine
from tests.helpers import audit_count, instance

PLAN, TASK, UNIT = "HN-2025", "1.1", "HN-SCT"  # Sở Công Thương leads 1.1; Sở Tư pháp tracks it


def sct_instance(seeded: TaskEngine) -> int:
    return int(instance(seeded.db, PLAN, TASK, UNIT)["id"])


def refused(engine: TaskEngine, task_id: int, trigger: str, user: str, **kwargs: object) -> TransitionNotAllowed:
    before = instance_state(engine, task_id)
    events = audit_count(engine.db, task_id)
    with pytest.raises(TransitionNotAllowed) as caught:
        engine.fire(task_id, trigger, user, **kwargs)  # type: ignore[arg-type]
    assert instance_state(engine, task_id) == before, "a refusal must change nothing"
    assert audit_count(engine.db, task_id) == events
    return caught.value


def instance_state(engine: TaskEngine, task_id: int) -> tuple[object, object]:
    with engine.db.read() as cur:
        cur.execute(engine.db.sql("SELECT state, version FROM task_instance WHERE id = ?"), (task_id,))
        return tuple(cur.fetchone())


def test_full_life_cycle_with_return_and_delegated_approval(seeded: TaskEngine) -> None:
    tid = sct_instance(seeded)
    assert seeded.fire(tid, "submit_for_review", "cv.sct").to_state == "in_review"
    assert seeded.fire(tid, "return", "dm.stp", comment="Bổ sung danh mục văn bản").to_state == "assigned"
    assert seeded.fire(tid, "submit_for_review", "ld.sct").to_state == "in_review"
    assert seeded.fire(tid, "submit", "dm.stp").to_state == "submitted"
    done = seeded.fire(tid, "approve", "pd.ubnd", capacity="kt chủ tịch")
    assert (done.to_state, done.version, done.capacity) == ("approved", 6, "KT. chủ tịch")
    rows = history(seeded.db, tid)
    assert [(r["trigger"], r["from"], r["to"], r["actor"], r["role"]) for r in rows] == [
        ("assign", None, "assigned", "system", "system"),
        ("submit_for_review", "assigned", "in_review", "cv.sct", "officer"),
        ("return", "in_review", "assigned", "dm.stp", "reviewer"),
        ("submit_for_review", "assigned", "in_review", "ld.sct", "head"),
        ("submit", "in_review", "submitted", "dm.stp", "reviewer"),
        ("approve", "submitted", "approved", "pd.ubnd", "approver"),
    ]
    assert rows[2]["comment"] == "Bổ sung danh mục văn bản" and rows[2]["unit"] == "HN-STP"
    assert rows[5]["capacity"] == "KT. chủ tịch" and rows[5]["unit"] == "HN-UBND"
    assert all(rows[i]["prev_hash"] == rows[i - 1]["hash"] for i in range(1, len(rows)))
    # approved is final: nothing leaves it
    assert refused(seeded, tid, "return", "pd.ubnd", comment="x").rule == "state"


@pytest.mark.parametrize(
    ("user", "trigger", "kwargs", "rule"),
    [
        ("cv.sct", "approve", {}, "state"),             # not from assigned
        ("pd.ubnd", "submit_for_review", {}, "role"),   # the approver is not the lead unit's officer
        ("dm.stp", "submit_for_review", {}, "role"),    # the focal agency does not do the lead's work
        ("cv.xa1", "submit_for_review", {}, "task"),    # an officer of a unit with no relation: as if missing
        ("nobody", "submit_for_review", {}, "user"),
        ("cv.sct", "fly", {}, "trigger"),
        ("cv.sct", "submit_for_review", {"version": 7}, "version"),
        ("cv.sct", "submit_for_review", {"capacity": "Thay mặt"}, "guard"),
        ("cv.sct", "mark_overdue", {}, "role"),         # only the system marks overdue
    ],
)
def test_refusals_say_why_and_change_nothing(seeded: TaskEngine, user: str, trigger: str,
                                             kwargs: dict[str, object], rule: str) -> None:
    error = refused(seeded, sct_instance(seeded), trigger, user, **kwargs)
    assert error.rule == rule
    assert error.message_vi and error.message_en and error.trigger == trigger


def test_officer_of_another_department_cannot_move_this_units_instance(seeded: TaskEngine) -> None:
    other = int(instance(seeded.db, PLAN, TASK, "HN-SYT")["id"])  # Sở Y tế's own instance
    error = refused(seeded, other, "submit_for_review", "cv.sct")
    # Sở Công Thương has no relation to Sở Y tế's instance: refused as if it did not exist, its state unsaid
    assert error.rule == "task" and error.state is None and "not visible" in error.message_en


def test_return_needs_a_comment_and_the_focal_agency(seeded: TaskEngine) -> None:
    tid = sct_instance(seeded)
    seeded.fire(tid, "submit_for_review", "cv.sct")
    assert refused(seeded, tid, "return", "dm.stp").rule == "guard"
    assert refused(seeded, tid, "return", "dm.stp", comment="   ").rule == "guard"
    # Sở Tài chính reviews other tasks, not 1.1: it has no relation to this instance at all
    assert refused(seeded, tid, "return", "dm.stc", comment="x").rule == "task"
    assert refused(seeded, tid, "submit", "dm.stc").rule == "task"
    # the monitor sees every instance, so it is told which rule refused it
    assert refused(seeded, tid, "submit", "dm.snv").rule == "role"


def test_coordinator_may_comment_but_never_advance(seeded: TaskEngine) -> None:
    # Kon Tum task 2: Phòng Tư pháp leads; the communes coordinate.
    tid = int(instance(seeded.db, "KT-2025", "2", "KT-PTP")["id"])
    note = seeded.fire(tid, "comment", "cv.xa1", comment="Xã đề nghị bổ sung văn bản")
    assert (note.from_state, note.to_state, note.role) == ("assigned", "assigned", "officer")
    assert refused(seeded, tid, "submit_for_review", "cv.xa1").rule == "role"
    assert [t.trigger for t in seeded.triggers(tid, "cv.xa1")] == ["comment"]


def test_triggers_lists_what_the_caller_may_fire_now(seeded: TaskEngine) -> None:
    tid = sct_instance(seeded)
    assert {t.trigger for t in seeded.triggers(tid, "cv.sct")} == {"submit_for_review", "comment", "request_extension"}
    assert {t.trigger for t in seeded.triggers(tid, "pd.ubnd")} == {"comment", "withdraw"}
    seeded.fire(tid, "submit_for_review", "cv.sct")
    seeded.fire(tid, "submit", "dm.stp")
    assert {t.trigger for t in seeded.triggers(tid, "pd.ubnd")} == {"approve", "return", "comment", "withdraw"}
    assert {t.trigger for t in seeded.triggers(tid, "kiemtoan")} == set()


def test_shortened_procedure_needs_appraisal_and_the_document_number(seeded: TaskEngine) -> None:
    tid = int(instance(seeded.db, PLAN, "1.2", UNIT)["id"])  # 1.2 says "Theo quy trình rút gọn"
    assert refused(seeded, tid, "submit_for_appraisal", "cv.sct").rule == "guard"  # the dossier is evidence
    seeded.fire(tid, "submit_for_appraisal", "cv.sct", evidence={"title": "Tờ trình, dự thảo Quyết định"})
    with seeded.db.read() as cur:
        cur.execute(seeded.db.sql("SELECT state_due FROM task_instance WHERE id = ?"), (tid,))
        due = str(cur.fetchone()[0])
    assert due == "2025-04-08"  # 7 days from Tuesday 1/4/2025, first day not counted
    assert refused(seeded, tid, "appraise", "cv.sct", evidence={"title": "x"}).rule == "role"
    seeded.fire(tid, "appraise", "dm.stp", evidence={"number": "45/BC-STP", "title": "Báo cáo thẩm định"})
    assert refused(seeded, tid, "adopt", "pd.ubnd", evidence={"title": "Quyết định"}).rule == "guard"
    adopted = seeded.fire(tid, "adopt", "pd.ubnd", evidence={"number": "12/2025/QĐ-UBND"}, capacity="KT.")
    assert adopted.to_state == "approved"
    assert history(seeded.db, tid)[-1]["evidence"] == {"number": "12/2025/QĐ-UBND"}
