"""The dashboard is counted in SQL (issue 16): from the status counters for one who follows a whole plan (those
who see all, the plan's monitor), by one GROUP BY over its tracked tasks for a focal agency, listing only the
nearest LISTED overdue and due-soon tasks. Its figures equal a count instance by instance of what the user may
see and tracks (policy.tracks, policy.receives), on both databases."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import pytest

from phancap.engine import dashboard as board
from phancap.engine.clock import Clock
from phancap.engine.dashboard import dashboard, follows_whole_plan
from phancap.engine.policy import receives, tracks
from phancap.engine.queries import list_plans
from phancap.engine.reports import timeline
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
        m.setattr(board, "follows_whole_plan", lambda *_: False)  # the same user, by one GROUP BY of the instances
        return _figures(engine, user, plan)


def _instance_by_instance(engine: TaskEngine, user: User, plan: str) -> dict[str, Any]:
    """The reference: every instance the user may see, read into Python, kept by policy.tracks and receives and
    counted one by one (what the dashboard did before issue 16)."""
    today, rules = engine.clock.today(), engine.status
    summary = next(p for p in list_plans(engine.db) if p["code"] == plan)
    items = plan_matrix(engine.db, user, plan, today, rules)
    tasks = sorted((i for i in items if i["kind"] == "task" and tracks(user, i, summary["monitor"])),
                   key=lambda i: (i["deadline"] or date.max, i["task"], i["unit"]))
    reports = [i for i in with_recipients(engine.db, [i for i in items if i["kind"] == "report"]) if receives(user, i)]
    total, states, agencies = Tally(), Counter[str](), dict[str, tuple[str | None, Counter[str], Tally]]()
    for i in tasks:
        total.add_counted(i["category"], i["due_soon"], 1)
        states[i["state"]] += 1
        agency = agencies.setdefault(i["unit"], (i["unit_name"], Counter(), Tally()))
        agency[1][i["state"]] += 1
        agency[2].add_counted(i["category"], i["due_soon"], 1)
    overdue = [i["id"] for i in tasks if i["category"] == "open_overdue"]
    due_soon = [i["id"] for i in tasks if i["category"] != "open_overdue" and i["due_soon"]]
    [figures] = dashboard(engine, user, plan).plans  # its reports' period is checked by the reports' tests
    return {
        "tasks": len(tasks), "categories": _counts(total), "states": dict(states),
        "timeline": timeline(sorted(Counter(i["done_on"] for i in tasks if i["done_on"]).items()), today),
        "agencies": sorted(((u, n, dict(st), _counts(t)) for u, (n, st, t) in agencies.items()),
                           key=lambda a: a[1] or a[0]),
        "overdue": overdue[:board.LISTED], "due_soon": due_soon[:board.LISTED],
        "overdue_total": len(overdue), "due_soon_total": len(due_soon),
        "reports": None if not reports else (figures.reports and figures.reports.period, sorted(
            i["id"] for i in reports if figures.reports and board.period_of(i) == figures.reports.period)),
    }


def _sorted_reports(figures: dict[str, Any]) -> dict[str, Any]:
    if figures["reports"] is not None:
        figures["reports"] = (figures["reports"][0], sorted(figures["reports"][1]))
    return figures


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
    assert _sorted_reports(counted) == _instance_by_instance(later, user, plan)


def test_only_the_nearest_tasks_are_listed_and_the_totals_count_them_all(seeded: TaskEngine,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    later = TaskEngine(seeded.db, seeded.workflows, Clock.parse("2026-01-20T09:00"))
    user = _user(seeded, "dm.snv")
    monkeypatch.setattr(board, "LISTED", 3)
    counted = _figures(later, user, "HN-2025")
    assert len(counted["overdue"]) == 3 < counted["overdue_total"] == counted["categories"]["open_overdue"]
    assert counted == _task_by_task(later, user, "HN-2025", monkeypatch)
    assert _sorted_reports(counted) == _instance_by_instance(later, user, "HN-2025")
    deadlines = [i["deadline"] for i in dashboard(later, user, "HN-2025").plans[0].overdue]
    assert deadlines == sorted(deadlines)


@pytest.mark.parametrize(("name", "plan"), [("dm.stp", "HN-2025"), ("pd.ubnd", "HN-2025"), ("dm.stc", "HN-2025")])
def test_a_focal_agency_counts_what_it_tracks(seeded: TaskEngine, name: str, plan: str) -> None:
    later = TaskEngine(seeded.db, seeded.workflows, Clock.parse("2025-06-28T09:00"))
    user = _user(seeded, name)
    summary = next(p for p in list_plans(seeded.db) if p["code"] == plan)
    assert not follows_whole_plan(seeded.db, user, summary)
    narrowed = _figures(later, user, plan)
    assert narrowed["tasks"] > 0
    assert _sorted_reports(narrowed) == _instance_by_instance(later, user, plan)
