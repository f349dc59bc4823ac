"""The dashboard of one who follows a whole plan (those who see all, the plan's monitor) is counted from the
status counters and lists only the nearest LISTED overdue and due-soon tasks (issue 16); its figures are the
same as the task-by-task count of what that user may see, on both databases."""

from __future__ import annotations

from typing import Any

import pytest

from phancap.engine import dashboard as board
from phancap.engine.clock import Clock
from phancap.engine.dashboard import dashboard, follows_whole_plan
from phancap.engine.policy import receives, tracks
from phancap.engine.queries import list_plans
from phancap.engine.report_recipients import with_recipients
from phancap.engine.runtime import TaskEngine
from phancap.engine.status import Tally
from phancap.engine.users import User, get_user
from phancap.engine.visibility import plan_matrix
from tests.helpers import instance


def _user(engine: TaskEngine, name: str) -> User:
    found = get_user(engine.db, name)
    assert found is not None
    return found


def _counts(tally: Tally) -> dict[str, int]:
    return {k: v for k, v in tally.counts.items() if v} | {"due_soon": tally.due_soon}


def _figures(engine: TaskEngine, user: User, plan: str) -> dict[str, Any]:
    [f] = dashboard(engine, user, plan).plans
    return {
        "tasks": f.tasks, "categories": _counts(f.categories), "states": f.states, "timeline": f.timeline,
        "agencies": [(a.unit, a.unit_name, a.states, _counts(a.categories)) for a in f.agencies],
        "overdue": [i["id"] for i in f.overdue], "due_soon": [i["id"] for i in f.due_soon],
        "overdue_total": f.overdue_total, "due_soon_total": f.due_soon_total,
        "reports": None if f.reports is None else (f.reports.period, [i["id"] for i, _ in f.reports.reports]),
    }


def _task_by_task(engine: TaskEngine, user: User, plan: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    with monkeypatch.context() as m:
        m.setattr(board, "follows_whole_plan", lambda *_: False)  # the same user, counted instance by instance
        return _figures(engine, user, plan)


@pytest.mark.parametrize(("name", "plan"), [("dm.snv", "HN-2025"), ("dm.pnv", "KT-2025"), ("kiemtoan", "KT-2025")])
def test_the_counted_dashboard_equals_the_task_by_task_one(seeded: TaskEngine, name: str, plan: str,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    sct = int(instance(seeded.db, "HN-2025", "1.1", "HN-SCT")["id"])
    seeded.fire(sct, "submit_for_review", "cv.sct")
    seeded.fire(sct, "submit", "dm.stp")
    seeded.fire(sct, "approve", "pd.ubnd")
    later = TaskEngine(seeded.db, seeded.workflows, Clock.parse("2025-06-28T09:00"))  # some overdue, some due soon
    user = _user(seeded, name)
    summary = next(p for p in list_plans(seeded.db) if p["code"] == plan)
    assert follows_whole_plan(seeded.db, user, summary)
    counted = _figures(later, user, plan)
    assert counted["tasks"] > 0 and counted["overdue_total"] == len(counted["overdue"]) > 0
    assert counted == _task_by_task(later, user, plan, monkeypatch)


def test_only_the_nearest_tasks_are_listed_and_the_totals_count_them_all(seeded: TaskEngine,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    later = TaskEngine(seeded.db, seeded.workflows, Clock.parse("2026-01-20T09:00"))
    user = _user(seeded, "dm.snv")
    monkeypatch.setattr(board, "LISTED", 3)
    counted = _figures(later, user, "HN-2025")
    assert len(counted["overdue"]) == 3 < counted["overdue_total"] == counted["categories"]["open_overdue"]
    assert counted == _task_by_task(later, user, "HN-2025", monkeypatch)
    deadlines = [i["deadline"] for i in dashboard(later, user, "HN-2025").plans[0].overdue]
    assert deadlines == sorted(deadlines)


@pytest.mark.parametrize(("name", "plan"), [("dm.stp", "HN-2025"), ("pd.ubnd", "HN-2025"), ("dm.stc", "HN-2025")])
def test_a_focal_agency_reads_what_it_tracks_through_its_relations(seeded: TaskEngine, name: str, plan: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    later = TaskEngine(seeded.db, seeded.workflows, Clock.parse("2025-06-28T09:00"))
    user = _user(seeded, name)
    summary = next(p for p in list_plans(seeded.db) if p["code"] == plan)
    assert not follows_whole_plan(seeded.db, user, summary)
    narrowed = _figures(later, user, plan)
    assert narrowed["tasks"] > 0

    def every_visible(db: Any, user: User, plan: Any, today: Any, rules: Any) -> Any:
        """What the dashboard did before: every instance the user may see, then policy.tracks and receives."""
        items = plan_matrix(db, user, plan["code"], today, rules)
        return ([i for i in items if i["kind"] == "task" and tracks(user, i, plan["monitor"])],
                [i for i in with_recipients(db, [i for i in items if i["kind"] == "report"]) if receives(user, i)])

    monkeypatch.setattr(board, "_tracked", every_visible)
    assert narrowed == _figures(later, user, plan)
