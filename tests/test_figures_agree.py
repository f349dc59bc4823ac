"""Property: on the same data, the plan's progress, the monitoring dashboard, the progress API, the
monitor's consolidated report, the task search with its badges and the urging selection all count the
same tasks the same way, and agree with status_of (the Python oracle), whatever the states, deadlines,
finishing days, today and the due-soon window. Reports and difficulties never count as plan tasks."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from phancap.api.app import create_app
from phancap.engine.clock import Clock
from phancap.engine.dashboard import dashboard
from phancap.engine.queries import list_tasks, progress
from phancap.engine.reports import create_reports, report_content, report_standing
from phancap.engine.runtime import TaskEngine
from phancap.engine.settings import Settings
from phancap.engine.status import Tally
from phancap.engine.urging import select_for_urging
from phancap.engine.users import get_user
from phancap.engine.visibility import TaskFilter, search_tasks

PLAN = "HN-2025"
MONITOR = "dm.snv"  # Sở Nội vụ: the plan's monitor, sees everything
SECRET = "figures-agree-secret-key-0123456789abcdef"


def scramble(engine: TaskEngine, seed: int, today: date) -> None:
    """Arbitrary states of each instance's own workflow, deadlines around today, finishing days for done ones."""
    rng = random.Random(seed)
    rules = engine.status
    with engine.db.engine.begin() as conn:
        for item in list_tasks(engine.db, plan=PLAN, kind=None):
            state = rng.choice(list(engine.workflows[item["workflow"]].workflow.states))
            deadline = rng.choice([None, today - timedelta(days=rng.randint(1, 30)), today,
                                   today + timedelta(days=rng.randint(0, 15))])
            done_on = today - timedelta(days=rng.randint(-3, 20)) if rules.is_done(item["workflow"], state) else None
            conn.execute(text("UPDATE task_instance SET state = :s, deadline = :d, done_on = :o WHERE id = :i"),
                         {"s": state, "d": deadline, "o": done_on, "i": item["id"]})


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), offset=st.integers(-40, 200), soon=st.sampled_from([0, 1, 3, 7, 14]))
def test_every_figure_agrees_with_status_of(seeded: TaskEngine, seed: int, offset: int, soon: int) -> None:
    today = date(2025, 4, 1) + timedelta(days=offset)
    engine = TaskEngine(seeded.db, seeded.workflows, Clock.parse(today.isoformat()), due_soon_days=soon)
    if not list_tasks(engine.db, plan=PLAN, kind="report"):
        create_reports(engine.db, engine.workflows, engine.clock, PLAN, "semiannual", 2025, date(2025, 6, 15))
    scramble(engine, seed, today)
    rules = engine.status

    # the oracle, row by row
    tasks = list_tasks(engine.db, plan=PLAN)  # kind="task" only
    oracle, states = Tally(), Counter[str]()
    overdue, due_soon, done = set(), set(), 0
    for item in tasks:
        status = rules.status(item, today)
        oracle.add(status)
        states[item["state"]] += 1
        done += rules.is_done(item["workflow"], item["state"])
        if status.category == "open_overdue":
            overdue.add(item["id"])
        elif status.due_soon:
            due_soon.add(item["id"])

    figures = progress(engine.db, PLAN, today, rules)
    assert figures["categories"] == oracle.to_json()
    assert figures["states"] == dict(states) and figures["tasks"] == len(tasks) and figures["done"] == done

    monitor = get_user(engine.db, MONITOR)
    assert monitor is not None
    board = next(p for p in dashboard(engine, monitor, PLAN).plans if p.plan == PLAN)
    assert board.categories.to_json() == oracle.to_json() and board.tasks == len(tasks)
    assert {i["id"] for i in board.overdue} == overdue and {i["id"] for i in board.due_soon} == due_soon
    by_unit = {u: v["categories"] for u, v in figures["units"].items()}
    assert {a.unit: a.categories.to_json() for a in board.agencies} == by_unit
    assert board.reports is not None
    for item, standing in board.reports.reports:
        assert standing == report_standing(rules, {k: v for k, v in item.items() if k not in ("category", "due_soon")},
                                           today)

    consolidated = next(r for r in list_tasks(engine.db, plan=PLAN, kind="report") if r["unit"] == "HN-SNV")
    content = report_content(engine.db, int(consolidated["id"]), today, rules)
    assert content["scope"] == "plan" and content["categories"] == oracle.to_json()
    assert {o["id"] for o in content["overdue"]} == overdue

    found, total = search_tasks(engine.db, monitor, TaskFilter(plan=PLAN, kind="task"), today, rules, limit=10_000)
    assert total == len(tasks)
    for item in found:  # the badge from the SQL columns equals the badge from status_of
        bare = {k: v for k, v in item.items() if k not in ("category", "due_soon")}
        assert rules.badge(item, today) == rules.badge(bare, today)
    late, _ = search_tasks(engine.db, monitor, TaskFilter(plan=PLAN, overdue=True, kind="task"), today, rules,
                           limit=10_000)
    assert {i["id"] for i in late} == overdue
    assert set(select_for_urging(engine, PLAN)) == overdue | due_soon

    app = create_app(database=engine.db, clock=engine.clock, workflows=engine.workflows,
                     settings=Settings.from_env(secret_key=SECRET, due_soon_days=soon))
    with TestClient(app) as client:
        token = app.state.services.signer.token(MONITOR)
        answer: dict[str, Any] = client.get(f"/api/v1/plans/{PLAN}/progress",
                                            headers={"Authorization": f"Bearer {token}"}).json()
    assert answer["total"] == len(tasks) and answer["approved"] == done
    assert answer["overdue"] == oracle.counts["open_overdue"] and answer["categories"] == oracle.to_json()
