"""Plans across levels: a child plan names its parent plan and, per task, the parent task it
carries out; the parent's progress rolls up the children's tasks."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from phancap.engine.clock import Clock
from phancap.engine.db import Database
from phancap.engine.errors import DefinitionError
from phancap.engine.instantiate import instantiate
from phancap.engine.loader import read_definitions, shipped_definitions_dir, store_definitions
from phancap.engine.machine import WorkflowMachine
from phancap.engine.queries import list_tasks, rollup
from phancap.engine.runtime import TaskEngine
from phancap.engine.users import add_user

# Test data only: a stand-in for the province's plan 1036/KH-UBND (not shipped: its text is not in the seeds).
PARENT = """code: KT-TINH-1036
title: "Kế hoạch số 1036/KH-UBND (bản giả lập cho kiểm thử)"
registry: KT
issuer: KT-UBND
monitor: KT-PNV
tasks:
  - number: "1"
    title: "Quán triệt, phổ biến Luật Tổ chức chính quyền địa phương"
    lead: [KT-PNV]
    deadline: {phrase: "Trước ngày 10/4/2025"}
  - number: "2"
    title: "Rà soát văn bản quy phạm pháp luật"
    lead: [KT-PTP]
    deadline: {phrase: "Trong năm 2025"}
"""


@pytest.fixture
def levels(tmp_path: Path) -> Path:
    folder = tmp_path / "definitions"
    shutil.copytree(shipped_definitions_dir(), folder)
    (folder / "plans" / "KT-TINH-1036.yaml").write_text(PARENT, encoding="utf-8")
    child = folder / "plans" / "KT-2025.yaml"
    text = child.read_text(encoding="utf-8").replace("\ntasks:\n", "\nparent_code: KT-TINH-1036\ntasks:\n", 1)
    for number, parent in (('"1"', "1"), ('"3"', "2")):
        text = text.replace(f"  - number: {number}\n", f"  - number: {number}\n    parent_task: \"{parent}\"\n", 1)
    child.write_text(text, encoding="utf-8")
    return folder


def test_parent_progress_rolls_up_the_child_plans_tasks(db: Database, workflows: dict[str, WorkflowMachine],
                                                        clock: Clock, levels: Path) -> None:
    store_definitions(db, read_definitions(levels, set(workflows)), clock)
    for plan in ("KT-TINH-1036", "KT-2025"):
        instantiate(db, plan, workflows, clock)
    add_user(db, "cv.ptp", "KT-PTP", ["officer"], clock)
    add_user(db, "dm.pnv", "KT-PNV", ["reviewer"], clock)
    add_user(db, "pd.huyen", "KT-UBND", ["approver"], clock)
    engine = TaskEngine(db, workflows, clock)
    tid = next(int(t["id"]) for t in list_tasks(db, plan="KT-2025", unit="KT-PTP") if t["task"] == "3")
    for trigger, user in (("submit_for_review", "cv.ptp"), ("submit", "dm.pnv"), ("approve", "pd.huyen")):
        engine.fire(tid, trigger, user)
    report = rollup(db, "KT-TINH-1036", date(2025, 4, 20), engine.status)
    assert report["children"] == ["KT-2025"]
    by_number = {t["number"]: t["children"] for t in report["tasks"]}
    child_3 = len([t for t in list_tasks(db, plan="KT-2025") if t["task"] == "3"])
    assert by_number["2"]["KT-2025"]["done_on_time"] == 1
    assert by_number["2"]["KT-2025"]["open_overdue"] == child_3 - 1  # "Trước ngày 15 tháng 4 năm 2025"
    child_1 = len([t for t in list_tasks(db, plan="KT-2025") if t["task"] == "1"])
    assert by_number["1"]["KT-2025"]["open_overdue"] == child_1
    assert report["own"]["open_overdue"] == 1  # the parent's own task 1 (last day 9/4)


def test_unknown_parent_task_is_refused(workflows: dict[str, WorkflowMachine], levels: Path) -> None:
    child = levels / "plans" / "KT-2025.yaml"
    child.write_text(child.read_text(encoding="utf-8").replace('parent_task: "2"', 'parent_task: "9"'), encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        read_definitions(levels, set(workflows))
    assert any("KT-2025.yaml:" in p and "field 'parent_task': plan KT-TINH-1036 has no task 9" in p
               for p in caught.value.problems)
