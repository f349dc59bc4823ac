"""The Hà Nội reporting cascade, report content from the engine's data, and difficulties."""

from __future__ import annotations

from datetime import date

import pytest

from phancap.engine.clock import Clock
from phancap.engine.difficulties import raise_difficulty
from phancap.engine.errors import TransitionNotAllowed
from phancap.engine.queries import history, list_tasks, verify_audit
from phancap.engine.report_recipients import recipients_of
from phancap.engine.reports import create_reports, report_content
from phancap.engine.runtime import TaskEngine
from phancap.engine.tick import tick
from phancap.engine.users import add_user
from tests.helpers import instance

COMMUNES = 126  # Hà Nội's commune-level units (Decision 19/2025/QĐ-TTg)
FOCAL = {"HN-STP", "HN-SNV", "HN-STC", "HN-SKHCN"}  # agencies tracking the tasks communes lead or coordinate


def reports(seeded: TaskEngine, **filters: str) -> list[dict[str, object]]:
    """The plan's reports, each with its `to`: the set of units it is sent to."""
    rows = list_tasks(seeded.db, plan="HN-2025", kind="report", **filters)
    found = recipients_of(seeded.db, [int(str(r["id"])) for r in rows])
    return [{**r, "to": {x["unit"] for x in found.get(int(str(r["id"])), [])}} for r in rows]


def test_hanoi_cascade_for_the_first_half_of_2025(seeded: TaskEngine) -> None:
    result = create_reports(seeded.db, seeded.workflows, seeded.clock, "HN-2025", "semiannual", 2025)
    assert result.skipped and "Sở Nội vụ" in result.skipped[0]  # its consolidation has no date in the plan
    rows = reports(seeded)
    communes = [r for r in rows if str(r["unit"]).startswith(("HN-P-", "HN-X-"))]
    # one report per commune for the period, sent to every focal department (not one per department)
    assert len(communes) == COMMUNES and all(r["to"] == FOCAL for r in communes)
    assert {r["task"] for r in rows} == {"BC-2025-6T"} and {r["focal"] for r in rows} == {None}
    assert {r["deadline"] for r in communes} == {"2025-06-09"}  # "trước ngày 10 tháng 6"
    departments = [r for r in rows if not str(r["unit"]).startswith(("HN-P-", "HN-X-"))]
    assert {r["unit"] for r in departments} == {"HN-STP", "HN-STC", "HN-SKHCN"}
    assert all(r["to"] == {"HN-SNV"} for r in departments)
    assert {r["deadline"] for r in departments} == {"2025-06-13"}  # "trước ngày 14 tháng 6"
    again = create_reports(seeded.db, seeded.workflows, seeded.clock, "HN-2025", "semiannual", 2025)
    assert again.created == 0 and again.existing == result.created
    with_due = create_reports(seeded.db, seeded.workflows, seeded.clock, "HN-2025", "semiannual", 2025,
                              undated_due=date(2025, 6, 20))
    assert with_due.created == 1 and reports(seeded, unit="HN-SNV", state="assigned")[-1]["to"] == {"HN-UBND"}


def test_late_commune_reports_show_in_the_focal_departments_report(seeded: TaskEngine) -> None:
    create_reports(seeded.db, seeded.workflows, seeded.clock, "HN-2025", "semiannual", 2025)
    ward = "HN-P-HOANKIEM"
    add_user(seeded.db, "cv.hoankiem", ward, ["officer"], seeded.clock)
    (sent,) = reports(seeded, unit=ward)
    seeded.fire(int(str(sent["id"])), "submit", "cv.hoankiem", comment="Phường đã rà soát, đề xuất 3 nội dung")
    seeded.fire(int(str(sent["id"])), "accept", "dm.snv")
    tick(seeded.db, seeded.workflows, Clock.parse("2025-06-11"))
    assert next(r for r in reports(seeded, unit="HN-X-SOCSON"))["state"] == "overdue"
    assert next(r for r in reports(seeded, unit="HN-SKHCN"))["state"] == "assigned"  # due 13/6: not late yet
    # Sở Nội vụ's consolidated view: what it received from the communes for the period
    consolidated = create_reports(seeded.db, seeded.workflows, seeded.clock, "HN-2025", "semiannual", 2025,
                                  undated_due=date(2025, 6, 20))
    assert consolidated.created == 1
    own = reports(seeded, unit="HN-SNV")[-1]
    content = report_content(seeded.db, int(own["id"]), date(2025, 6, 11), seeded.status)
    assert content["scope"] == "plan"
    missing = {m["unit"] for m in content["missing_or_late"]}
    assert ward not in missing and len(missing) == COMMUNES - 1 + 3  # the other communes, and 3 departments
    late = {m["unit"] for m in content["missing_or_late"] if m["late"]}
    assert len(late) == COMMUNES - 1 and not late & {"HN-STP", "HN-STC", "HN-SKHCN"}
    received = {r["unit"]: r["state"] for r in content["received"]}
    assert received[ward] == "accepted"


def test_report_figures_match_the_engine(seeded: TaskEngine) -> None:
    create_reports(seeded.db, seeded.workflows, seeded.clock, "HN-2025", "semiannual", 2025)
    sct = int(instance(seeded.db, "HN-2025", "1.1", "HN-SCT")["id"])
    seeded.fire(sct, "submit_for_review", "cv.sct")
    seeded.fire(sct, "submit", "dm.stp")
    seeded.fire(sct, "approve", "pd.ubnd")
    tick(seeded.db, seeded.workflows, Clock.parse("2025-06-15"))
    stp = next(r for r in reports(seeded, unit="HN-STP"))
    content = report_content(seeded.db, int(stp["id"]), date(2025, 6, 15), seeded.status)
    # Sở Tư pháp tracks 1.1 for 15 departments: one approved on time, 14 overdue.
    assert content["by_task"]["1.1"]["done_on_time"] == 1 and content["by_task"]["1.1"]["open_overdue"] == 14
    assert {o["task"] for o in content["overdue"]} >= {"1.1"}
    assert verify_audit(seeded.db).ok


def test_difficulty_is_answered_or_escalated(seeded: TaskEngine) -> None:
    tid = int(instance(seeded.db, "HN-2025", "1.1", "HN-SCT")["id"])
    with pytest.raises(TransitionNotAllowed) as caught:
        raise_difficulty(seeded, tid, "cv.xa1", "Không thuộc phạm vi")  # a Kon Tum commune has no part in it
    assert caught.value.rule == "task" and caught.value.state is None
    vm = raise_difficulty(seeded, tid, "cv.sct", "Chưa có hướng dẫn của Bộ về danh mục văn bản")
    row = list_tasks(seeded.db, kind="difficulty")[0]
    assert (row["id"], row["unit"], row["focal"], row["state"], row["parent_id"]) == (vm, "HN-SCT", "HN-SNV", "raised", tid)
    with pytest.raises(TransitionNotAllowed):
        seeded.fire(vm, "answer", "cv.sct", comment="tự trả lời")
    seeded.fire(vm, "escalate", "dm.snv", comment="Vượt thẩm quyền, trình UBND Thành phố")
    seeded.fire(vm, "answer", "pd.ubnd", comment="Giao Sở Tư pháp hướng dẫn")
    assert [e["trigger"] for e in history(seeded.db, vm)] == ["raise", "escalate", "answer"]
    assert verify_audit(seeded.db).ok


def test_urging_overdue_and_due_soon_tasks_at_once(seeded: TaskEngine) -> None:
    from phancap.engine.urging import select_for_urging, urge_many

    late = TaskEngine(seeded.db, seeded.workflows, Clock.parse("2025-04-12"))
    chosen = select_for_urging(late, plan="HN-2025")
    # on 12/4, 1.1 and 1.2 (last day 14/4) are due soon for 15 departments; nothing is overdue yet
    assert len(chosen) == 30
    result = urge_many(late, "dm.snv", chosen, comment="Đề nghị khẩn trương hoàn thành")
    assert len(result.urged) == 30 and not result.refused
    by_stp = urge_many(late, "dm.stp", chosen)  # Sở Tư pháp tracks only 1.1
    assert len(by_stp.urged) == 15 and all("role" in r for r in by_stp.refused.values())
