"""Extensions, withdrawal and urging, and the official status categories."""

from __future__ import annotations

from datetime import date

import pytest

from phancap.engine.clock import Clock
from phancap.engine.errors import TransitionNotAllowed
from phancap.engine.queries import history, progress, verify_audit
from phancap.engine.runtime import TaskEngine
from phancap.engine.status import status_of
from phancap.engine.tick import tick
from tests.helpers import instance

PLAN, TASK, UNIT = "HN-2025", "1.1", "HN-SCT"


def row(seeded: TaskEngine) -> dict[str, object]:
    return instance(seeded.db, PLAN, TASK, UNIT)


def test_extension_changes_the_deadline_only_when_granted(seeded: TaskEngine) -> None:
    tid = int(row(seeded)["id"])
    with pytest.raises(TransitionNotAllowed) as no_date:
        seeded.fire(tid, "request_extension", "cv.sct", comment="Chờ ý kiến Bộ")
    assert no_date.value.rule == "guard"
    with pytest.raises(TransitionNotAllowed) as nothing_pending:
        seeded.fire(tid, "grant_extension", "pd.ubnd")
    assert nothing_pending.value.rule == "guard"
    seeded.fire(tid, "request_extension", "cv.sct", comment="Chờ ý kiến Bộ", proposed_deadline=date(2025, 5, 31))
    assert row(seeded)["deadline"] == "2025-04-14"  # asked, not granted
    with pytest.raises(TransitionNotAllowed) as not_assigner:
        seeded.fire(tid, "grant_extension", "dm.stp")
    assert not_assigner.value.rule == "role"
    seeded.fire(tid, "grant_extension", "pd.ubnd", comment="Đồng ý")
    assert row(seeded)["deadline"] == "2025-05-31"
    granted = history(seeded.db, tid)[-1]
    assert granted["data"] == {"deadline_from": "2025-04-14", "deadline_to": "2025-05-31"}  # the old one stays
    assert verify_audit(seeded.db).ok


def test_refused_extension_keeps_the_deadline(seeded: TaskEngine) -> None:
    tid = int(row(seeded)["id"])
    seeded.fire(tid, "request_extension", "cv.sct", comment="Lý do", proposed_deadline=date(2025, 6, 30))
    seeded.fire(tid, "refuse_extension", "pd.ubnd", comment="Nhiệm vụ cấp bách")
    assert row(seeded)["deadline"] == "2025-04-14"
    assert {t.trigger for t in seeded.triggers(tid, "pd.ubnd")} == {"comment", "withdraw"}


def test_overdue_task_with_a_later_deadline_is_re_evaluated(seeded: TaskEngine) -> None:
    tid = int(row(seeded)["id"])
    seeded.fire(tid, "submit_for_review", "cv.sct")
    late = Clock.parse("2025-04-20")
    tick(seeded.db, seeded.workflows, late)
    assert row(seeded)["state"] == "overdue"
    engine = TaskEngine(seeded.db, seeded.workflows, late)
    engine.fire(tid, "request_extension", "cv.sct", comment="Cần thêm thời gian", proposed_deadline=date(2025, 5, 15))
    engine.fire(tid, "grant_extension", "pd.ubnd")
    after = row(seeded)
    assert (after["state"], after["deadline"], after["overdue_at"]) == ("in_review", "2025-05-15", None)
    assert tick(seeded.db, seeded.workflows, late).marked == 0
    assert tick(seeded.db, seeded.workflows, Clock.parse("2025-05-16")).marked > 0
    assert row(seeded)["state"] == "overdue"


def test_withdrawal_ends_the_task_without_counting_it_done(seeded: TaskEngine) -> None:
    tid = int(row(seeded)["id"])
    with pytest.raises(TransitionNotAllowed):
        seeded.fire(tid, "withdraw", "pd.ubnd")  # needs the reason
    seeded.fire(tid, "withdraw", "pd.ubnd", comment="Nhiệm vụ không còn phù hợp")
    report = progress(seeded.db, PLAN, date(2025, 4, 20), seeded.status)
    assert report["units"][UNIT]["categories"]["withdrawn"] == 1
    assert report["units"][UNIT]["categories"]["done_on_time"] == 0
    assert seeded.triggers(tid, "cv.sct") == []


def test_urging_is_recorded_for_the_unit(seeded: TaskEngine) -> None:
    tid = int(row(seeded)["id"])
    seeded.fire(tid, "urge", "dm.snv", comment="Đề nghị hoàn thành trước 14/4")
    last = history(seeded.db, tid)[-1]
    assert (last["trigger"], last["actor"], last["role"], last["unit"]) == ("urge", "dm.snv", "monitor", "HN-SNV")
    with pytest.raises(TransitionNotAllowed) as caught:
        seeded.fire(tid, "urge", "cv.xa1")
    assert caught.value.rule == "task"  # a Kon Tum commune has no relation to it: as if it did not exist
    with pytest.raises(TransitionNotAllowed) as caught:
        seeded.fire(tid, "urge", "kiemtoan")
    assert caught.value.rule == "role"  # the auditor sees it but urging is not granted to auditors


@pytest.mark.parametrize(
    ("state_category", "deadline", "done_on", "today", "expected", "soon"),
    [
        ("done", date(2025, 4, 14), date(2025, 4, 14), date(2025, 5, 1), "done_on_time", False),
        ("done", date(2025, 4, 14), date(2025, 4, 15), date(2025, 5, 1), "done_late", False),  # finished the day after
        ("done", None, date(2025, 4, 15), date(2025, 5, 1), "no_deadline", False),
        ("open", date(2025, 4, 14), None, date(2025, 4, 11), "open_on_time", True),
        ("open", date(2025, 4, 14), None, date(2025, 4, 10), "open_on_time", False),
        ("overdue", date(2025, 4, 14), None, date(2025, 4, 15), "open_overdue", False),
        ("overdue", date(2025, 4, 14), None, date(2025, 4, 9), "open_on_time", False),  # late on appraisal only
        ("open", None, None, date(2025, 4, 15), "no_deadline", False),
        ("withdrawn", date(2025, 4, 14), None, date(2025, 4, 15), "withdrawn", False),
    ],
)
def test_status_categories(state_category: str, deadline: date | None, done_on: date | None, today: date,
                           expected: str, soon: bool) -> None:
    status = status_of(state_category, deadline, done_on, today, soon=3)
    assert (status.category, status.due_soon) == (expected, soon)


def test_progress_counts_by_category_and_unit(seeded: TaskEngine) -> None:
    tick(seeded.db, seeded.workflows, Clock.parse("2025-04-15"))
    report = progress(seeded.db, PLAN, date(2025, 4, 15), seeded.status)
    cats = report["categories"]
    assert cats["open_overdue"] == 30  # 1.1 and 1.2 for 15 departments
    assert cats["no_deadline"] == 15  # 2.5 "Theo kế hoạch chuyển đổi số"
    assert cats["completion_rate"] == 0.0 and cats["due"] == 30
    assert report["units"][UNIT]["states"]["overdue"] == 2
