"""The deadline sweep: set-based, audited, idempotent; overdue tasks still move on."""

from __future__ import annotations

import logging
import threading

import pytest

from phancap.engine.clock import Clock
from phancap.engine.queries import history, list_tasks, verify_audit
from phancap.engine.runtime import TaskEngine
from phancap.engine.tick import tick
from tests.helpers import instance


def overdue_count(seeded: TaskEngine) -> int:
    return len(list_tasks(seeded.db, state="overdue"))


def test_nothing_is_overdue_before_the_deadline(seeded: TaskEngine) -> None:
    # Kon Tum task 1, "Trước ngày 06 tháng 4 năm 2025", has the earliest last day: 5/4/2025.
    assert tick(seeded.db, seeded.workflows, Clock.parse("2025-04-05T23:59")).marked == 0
    assert tick(seeded.db, seeded.workflows, Clock.parse("2025-04-06T00:00")).marked == len(
        list_tasks(seeded.db, plan="KT-2025")) - len([t for t in list_tasks(seeded.db, plan="KT-2025") if t["task"] != "1"])


def test_tasks_go_overdue_the_day_after_their_last_day(seeded: TaskEngine) -> None:
    # "Trước ngày 15/4/2025": the last day is 14/4; on 15/4 every open instance of 1.1 and 1.2 is late,
    # and Kon Tum's "Trước ngày 06 tháng 4 năm 2025" and "Trước ngày 15 tháng 4 năm 2025" too.
    result = tick(seeded.db, seeded.workflows, Clock.parse("2025-04-15T08:00"))
    hn = [t for t in list_tasks(seeded.db, plan="HN-2025", state="overdue")]
    assert {t["task"] for t in hn} == {"1.1", "1.2"}
    assert {t["task"] for t in list_tasks(seeded.db, plan="KT-2025", state="overdue")} == {"1", "3"}
    assert result.marked == overdue_count(seeded)
    row = history(seeded.db, int(hn[0]["id"]))[-1]
    assert (row["trigger"], row["from"], row["to"], row["actor"], row["role"]) == (
        "mark_overdue", "assigned", "overdue", "system", "system")
    assert verify_audit(seeded.db).ok
    assert tick(seeded.db, seeded.workflows, Clock.parse("2025-04-16")).marked == 0  # again: nothing


def test_open_deadline_never_goes_overdue(seeded: TaskEngine) -> None:
    tick(seeded.db, seeded.workflows, Clock.parse("2030-01-01"))
    late = {(t["plan"], t["task"]) for t in list_tasks(seeded.db, state="overdue")}
    assert ("HN-2025", "2.5") not in late and ("KT-2025", "2") not in late  # "Theo kế hoạch…", "Theo yêu cầu…"
    assert ("HN-2025", "2.4") in late


def test_overdue_task_moves_on_and_its_approval_counts_as_late(seeded: TaskEngine) -> None:
    tid = int(instance(seeded.db, "HN-2025", "1.1", "HN-SCT")["id"])
    seeded.fire(tid, "submit_for_review", "cv.sct")
    tick(seeded.db, seeded.workflows, Clock.parse("2025-04-20"))
    assert instance(seeded.db, "HN-2025", "1.1", "HN-SCT")["state"] == "overdue"
    assert {t.trigger for t in seeded.triggers(tid, "dm.stp")} == {"submit", "return", "comment", "urge"}
    assert {t.trigger for t in seeded.triggers(tid, "cv.sct")} == {"comment", "request_extension"}  # stage: in_review
    seeded.fire(tid, "submit", "dm.stp")
    done = seeded.fire(tid, "approve", "pd.ubnd")
    row = instance(seeded.db, "HN-2025", "1.1", "HN-SCT")
    assert done.to_state == "approved" and row["overdue_at"] is not None  # done late
    assert verify_audit(seeded.db).ok


def test_appraisal_limit_passing_makes_the_draft_overdue(seeded: TaskEngine) -> None:
    tid = int(instance(seeded.db, "HN-2025", "1.2", "HN-SCT")["id"])
    seeded.fire(tid, "submit_for_appraisal", "cv.sct", evidence={"title": "Hồ sơ dự thảo"})
    tick(seeded.db, seeded.workflows, Clock.parse("2025-04-08"))  # the 7-day limit ends 8/4
    assert instance(seeded.db, "HN-2025", "1.2", "HN-SCT")["state"] == "in_review"
    tick(seeded.db, seeded.workflows, Clock.parse("2025-04-09"))
    assert instance(seeded.db, "HN-2025", "1.2", "HN-SCT")["state"] == "overdue"


def test_concurrent_sweeps_mark_each_task_once(seeded: TaskEngine) -> None:
    clock = Clock.parse("2025-05-01")
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(tick(seeded.db, seeded.workflows, clock).marked))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == overdue_count(seeded) > 0
    assert verify_audit(seeded.db).ok


def test_each_sweep_logs_its_result(seeded: TaskEngine, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, "phancap.engine.tick"):
        result = tick(seeded.db, seeded.workflows, Clock.parse("2025-04-16"))
    [record] = [r for r in caplog.records if r.getMessage() == "deadline sweep"]
    assert (getattr(record, "marked"), getattr(record, "today")) == (result.marked, "2025-04-16") and result.marked > 0
