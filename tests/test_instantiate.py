"""Fan-out of plan tasks into task instances, one per lead unit; idempotent."""

from __future__ import annotations

from phancap.engine.clock import Clock
from phancap.engine.db import Database
from phancap.engine.instantiate import instantiate
from phancap.engine.machine import WorkflowMachine
from phancap.engine.queries import list_tasks, verify_audit

DEPARTMENTS = 15


def test_groups_fan_out_and_deadlines_resolve(db: Database, workflows: dict[str, WorkflowMachine], clock: Clock) -> None:
    hn = instantiate(db, "HN-2025", workflows, clock)
    tasks = list_tasks(db, plan="HN-2025")
    assert hn.created == len(tasks)
    by_task: dict[str, list[dict[str, object]]] = {}
    for t in tasks:
        by_task.setdefault(str(t["task"]), []).append(t)
    assert len(by_task["1.1"]) == DEPARTMENTS  # "Các Sở, ngành"
    assert {t["focal"] for t in by_task["1.1"]} == {"HN-STP"} and {t["deadline"] for t in by_task["1.1"]} == {"2025-04-14"}
    communes = 126  # Hà Nội's commune-level units (51 phường, 75 xã; Decision 19/2025/QĐ-TTg)
    assert len(by_task["2.1"]) == DEPARTMENTS + communes  # "Các Sở, ban, ngành, chính quyền địa phương cấp cơ sở"
    assert {t["workflow"] for t in by_task["1.2"]} == {"shortened_procedure"}
    assert {t["deadline"] for t in by_task["2.5"]} == {None}  # "Theo kế hoạch chuyển đổi số": no deadline
    assert {t["focal"] for t in by_task["2.1"]} == {"HN-SNV"}  # no focal named: the plan's monitor
    assert "1" not in by_task and "2" not in by_task  # headings are not tasks
    assert {t["state"] for t in tasks} == {"assigned"} and {t["version"] for t in tasks} == {1}


def test_kon_tum_plan_expands_offices_and_communes(db: Database, workflows: dict[str, WorkflowMachine], clock: Clock) -> None:
    instantiate(db, "KT-2025", workflows, clock)
    tasks = list_tasks(db, plan="KT-2025")
    units = {t["unit"] for t in tasks if t["task"] == "1"}
    assert "KT-PTP" in units and "KT-X-01" in units and "KT-TT-01" in units and "KT-UBND" not in units
    assert [t["unit"] for t in tasks if t["task"] == "2"] == ["KT-PTP"]
    window = {t["deadline"] for t in tasks if t["task"] == "5"}
    assert window == {"2026-12-31"}


def test_running_it_again_changes_nothing(db: Database, workflows: dict[str, WorkflowMachine], clock: Clock) -> None:
    first = instantiate(db, "KT-2025", workflows, clock)
    before = list_tasks(db)
    again = instantiate(db, "KT-2025", workflows, Clock.parse("2025-06-01"))
    assert (again.created, again.existing) == (0, first.created)
    assert list_tasks(db) == before
    report = verify_audit(db)
    assert report.ok and report.events == first.created
