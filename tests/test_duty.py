"""Separation of duties (issue 11): one person holding two roles never decides on their own step.

The probe's reproductions on a real database (SQLite and PostgreSQL): a person with officer and
reviewer roles submits and then reviews their own work; a drafter who is also an appraiser appraises
their own dossier; an approver who submitted approves; the raiser of a difficulty answers it. Each is
refused with rule `duty`, changes nothing, and the trigger is absent from what the person may fire."""

from __future__ import annotations

import shutil
import threading
from datetime import date
from pathlib import Path

import pytest

from phancap.engine.clock import Clock
from phancap.engine.difficulties import raise_difficulty
from phancap.engine.errors import TransitionNotAllowed
from phancap.engine.instantiate import instantiate
from phancap.engine.loader import read_definitions, shipped_definitions_dir, store_definitions
from phancap.engine.machine import WorkflowMachine
from phancap.engine.queries import history
from phancap.engine.runtime import SYSTEM, TaskEngine
from phancap.engine.users import add_user
from tests.helpers import audit_count, instance

# Sở Tư pháp leads its own instance of 1.1 (which it also tracks as focal) and of 1.2 (shortened
# procedure: it is also the justice body that appraises): one person there may hold every role.
STP = "HN-STP"
DUAL = "cv.stp"  # officer + reviewer + appraiser of Sở Tư pháp (test data)


def snapshot(engine: TaskEngine, task_id: int) -> tuple[object, ...]:
    with engine.db.read() as cur:
        cur.execute(engine.db.sql("SELECT state, stage, version, last_hash FROM task_instance WHERE id = ?"), (task_id,))
        return (*cur.fetchone(), audit_count(engine.db, task_id))


def refused_for_duty(engine: TaskEngine, task_id: int, trigger: str, user: str, **kwargs: object) -> TransitionNotAllowed:
    """Refused with rule duty; no audit row, no version bump, nothing else changed; and not offered."""
    before = snapshot(engine, task_id)
    assert trigger not in {t.trigger for t in engine.triggers(task_id, user)}
    with pytest.raises(TransitionNotAllowed) as caught:
        engine.fire(task_id, trigger, user, **kwargs)  # type: ignore[arg-type]
    assert snapshot(engine, task_id) == before, "a refusal must change nothing"
    error = caught.value
    assert (error.rule, error.trigger, error.state) == ("duty", trigger, before[0])
    assert "phân tách nhiệm vụ" in error.message_vi and "separation of duties" in error.message_en
    assert user in error.message_vi and user in error.message_en
    return error


@pytest.fixture
def dual(seeded: TaskEngine, clock: Clock) -> TaskEngine:
    add_user(seeded.db, DUAL, STP, ["officer", "reviewer", "appraiser"], clock)
    return seeded


def test_officer_reviewer_cannot_review_their_own_submission(dual: TaskEngine) -> None:
    tid = int(instance(dual.db, "HN-2025", "1.1", STP)["id"])
    dual.fire(tid, "submit_for_review", DUAL)
    error = refused_for_duty(dual, tid, "submit", DUAL)
    assert "gửi đầu mối xem xét" in error.message_vi and "'submit_for_review'" in error.message_en
    refused_for_duty(dual, tid, "return", DUAL, comment="Tự trả lại")  # returning is a review too
    # the person still comments on it: comments are never restricted
    assert {t.trigger for t in dual.triggers(tid, DUAL)} >= {"comment"}
    # another reviewer of the focal agency reviews it
    assert "submit" in {t.trigger for t in dual.triggers(tid, "dm.stp")}
    assert dual.fire(tid, "submit", "dm.stp").to_state == "submitted"


def test_most_recent_submission_decides_who_may_review(dual: TaskEngine, clock: Clock) -> None:
    """not_by looks at the latest firing: once a colleague resubmits, the first author may review."""
    add_user(dual.db, "cv2.stp", STP, ["officer"], clock)
    tid = int(instance(dual.db, "HN-2025", "1.1", STP)["id"])
    dual.fire(tid, "submit_for_review", DUAL)
    dual.fire(tid, "return", "dm.stp", comment="Bổ sung")
    dual.fire(tid, "submit_for_review", "cv2.stp")
    assert "submit" in {t.trigger for t in dual.triggers(tid, DUAL)}
    assert dual.fire(tid, "submit", DUAL).to_state == "submitted"


def test_drafter_appraiser_cannot_appraise_their_own_dossier(dual: TaskEngine) -> None:
    tid = int(instance(dual.db, "HN-2025", "1.2", STP)["id"])  # shortened procedure, Sở Tư pháp drafts
    dual.fire(tid, "submit_for_appraisal", DUAL, evidence={"title": "Tờ trình, dự thảo Quyết định"})
    refused_for_duty(dual, tid, "appraise", DUAL, evidence={"number": "45/BC-STP", "title": "Báo cáo thẩm định"})
    refused_for_duty(dual, tid, "return", DUAL, comment="Tự trả lại")
    appraised = dual.fire(tid, "appraise", "dm.stp", evidence={"number": "45/BC-STP", "title": "Báo cáo thẩm định"})
    assert appraised.to_state == "submitted"
    assert [(e["trigger"], e["actor"]) for e in history(dual.db, tid)][1:] == [
        ("submit_for_appraisal", DUAL), ("appraise", "dm.stp")]


def test_duty_holds_on_the_path_through_overdue(dual: TaskEngine, workflows: dict[str, WorkflowMachine]) -> None:
    """The copies leaving the overdue state keep the rule: going overdue launders nobody's step."""
    tid = int(instance(dual.db, "HN-2025", "1.1", STP)["id"])
    dual.fire(tid, "submit_for_review", DUAL)
    late = TaskEngine(dual.db, workflows, Clock.parse("2025-04-20T09:00:00+07:00"))
    assert late.fire(tid, "mark_overdue", SYSTEM).to_state == "overdue"
    refused_for_duty(late, tid, "submit", DUAL)
    assert late.fire(tid, "submit", "dm.stp").to_state == "submitted"


# A plan of the test's own in which the People's Committee leads one task and tracks another, so that one
# of its people can hold officer, reviewer and approver and meet their own step at the approval.
OWN_PLAN = """code: HN-DUTY
title: "Kế hoạch thử phân tách nhiệm vụ (dữ liệu kiểm thử)"
registry: HN
issuer: HN-UBND
monitor: HN-SNV
tasks:
  - number: "1"
    title: "UBND Thành phố tự chủ trì"
    lead: [HN-UBND]
    focal: HN-SNV
    deadline: {phrase: "Trong năm 2025"}
  - number: "2"
    title: "UBND Thành phố làm đầu mối"
    lead: [HN-SCT]
    focal: HN-UBND
    deadline: {phrase: "Trong năm 2025"}
"""
APPROVER = "pd.vp"  # officer + reviewer + approver of the City People's Committee (test data)


@pytest.fixture
def own_plan(seeded: TaskEngine, clock: Clock, workflows: dict[str, WorkflowMachine], tmp_path: Path) -> TaskEngine:
    folder = tmp_path / "definitions"
    shutil.copytree(shipped_definitions_dir(), folder)
    (folder / "plans" / "HN-DUTY.yaml").write_text(OWN_PLAN, encoding="utf-8")
    store_definitions(seeded.db, read_definitions(folder, set(workflows)), clock)
    instantiate(seeded.db, "HN-DUTY", workflows, clock)
    add_user(seeded.db, APPROVER, "HN-UBND", ["officer", "reviewer", "approver"], clock)
    return seeded


def test_approver_who_submitted_cannot_approve(own_plan: TaskEngine) -> None:
    # task 1: the approver did the work (submit_for_review)
    own = int(instance(own_plan.db, "HN-DUTY", "1", "HN-UBND")["id"])
    own_plan.fire(own, "submit_for_review", APPROVER)
    own_plan.fire(own, "submit", "dm.snv")
    refused_for_duty(own_plan, own, "approve", APPROVER, capacity="KT.")
    refused_for_duty(own_plan, own, "return", APPROVER, comment="Tự trả lại")
    assert own_plan.fire(own, "approve", "pd.ubnd").to_state == "approved"
    # task 2: the approver forwarded it to the authority (submit)
    forwarded = int(instance(own_plan.db, "HN-DUTY", "2", "HN-SCT")["id"])
    own_plan.fire(forwarded, "submit_for_review", "cv.sct")
    own_plan.fire(forwarded, "submit", APPROVER)
    refused_for_duty(own_plan, forwarded, "approve", APPROVER)
    assert own_plan.fire(forwarded, "approve", "pd.ubnd").to_state == "approved"


def test_nobody_grants_their_own_extension(own_plan: TaskEngine) -> None:
    own = int(instance(own_plan.db, "HN-DUTY", "1", "HN-UBND")["id"])
    own_plan.fire(own, "request_extension", APPROVER, comment="Cần thêm thời gian", proposed_deadline=date(2026, 3, 31))
    refused_for_duty(own_plan, own, "grant_extension", APPROVER)
    refused_for_duty(own_plan, own, "refuse_extension", APPROVER, comment="Không")
    assert own_plan.fire(own, "grant_extension", "pd.ubnd").to_state == "assigned"


def test_raiser_cannot_answer_their_own_difficulty(seeded: TaskEngine, clock: Clock) -> None:
    # Sở Nội vụ leads its own instance of 2.1 and receives the plan's difficulties (difficulties_to)
    add_user(seeded.db, "tp.snv", "HN-SNV", ["officer", "reviewer", "monitor"], clock)
    task = int(instance(seeded.db, "HN-2025", "2.1", "HN-SNV")["id"])
    vm = raise_difficulty(seeded, task, "tp.snv", "Chưa rõ thẩm quyền phê duyệt")
    assert history(seeded.db, vm)[0]["trigger"] == "raise"
    error = refused_for_duty(seeded, vm, "answer", "tp.snv", comment="Tự trả lời")
    assert "nêu vướng mắc" in error.message_vi.casefold()
    refused_for_duty(seeded, vm, "escalate", "tp.snv", comment="Tự trình")
    assert seeded.fire(vm, "comment", "tp.snv", comment="Bổ sung thông tin").to_state == "raised"
    assert seeded.fire(vm, "answer", "dm.snv", comment="Hướng dẫn").to_state == "answered"


def test_a_context_without_earlier_actors_is_refused(dual: TaskEngine) -> None:
    """The condition fails closed: a caller that did not load the earlier actors may not fire."""
    tid = int(instance(dual.db, "HN-2025", "1.1", STP)["id"])
    dual.fire(tid, "submit_for_review", DUAL)
    with dual.db.read() as cur:
        machine, ctx = dual.load_context(cur, tid, "dm.stp", lock=False)
    assert ctx.earlier_actors == {"submit_for_review": DUAL}
    ctx.earlier_actors = None
    assert "submit" not in {t.trigger for t in machine.allowed_triggers(ctx)}
    with pytest.raises(TransitionNotAllowed) as caught:
        machine.fire(ctx, "submit")
    assert caught.value.rule == "duty"


def test_a_review_waiting_for_the_lock_sees_the_submission_that_held_it(dual: TaskEngine) -> None:
    """The person's own submission commits while their review waits for the task's row lock: the review is
    refused for duty, though the review's first snapshot (PostgreSQL) was taken before that submission."""
    tid = int(instance(dual.db, "HN-2025", "1.1", STP)["id"])
    outcome: list[str] = []

    def review() -> None:
        try:
            dual.fire(tid, "submit", DUAL)
            outcome.append("fired")
        except TransitionNotAllowed as exc:
            outcome.append(exc.rule)

    reviewer = threading.Thread(target=review)

    def while_locked(_cur: object, _result: object) -> None:
        reviewer.start()
        reviewer.join(0.5)  # it waits for the lock this transaction holds

    dual.fire(tid, "submit_for_review", DUAL, then=while_locked)
    reviewer.join(10)
    assert outcome == ["duty"]
    assert [e["trigger"] for e in history(dual.db, tid)][-1] == "submit_for_review"
