"""The official categories computed in SQL (progress, reports, dashboard over a million tasks) agree with
status_of, their Python oracle, whatever the states, deadlines, finishing days and due-soon window."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from phancap.engine.queries import list_tasks, progress
from phancap.engine.runtime import TaskEngine
from phancap.engine.status import StatusRules, Tally


@pytest.mark.parametrize("soon", [0, 3, 10])
def test_sql_and_python_rules_agree(seeded: TaskEngine, soon: int) -> None:
    rng = random.Random(7 + soon)
    today = date(2025, 4, 14)
    rules = StatusRules.of([m.workflow for m in seeded.workflows.values()], soon)
    with seeded.db.engine.begin() as conn:  # test data: arbitrary states, deadlines and finishing days
        for task in list_tasks(seeded.db, plan="HN-2025"):
            deadline = rng.choice([None, today - timedelta(days=rng.randint(1, 5)), today,
                                   today + timedelta(days=rng.randint(0, 12))])
            state = rng.choice(list(seeded.workflows[task["workflow"]].workflow.states))
            done_on = today - timedelta(days=rng.randint(-2, 8)) if rules.is_done(task["workflow"], state) else None
            conn.execute(text("UPDATE task_instance SET state = :s, deadline = :d, done_on = :o WHERE id = :i"),
                         {"s": state, "d": deadline, "o": done_on, "i": task["id"]})
    expected, states = Tally(), Counter[str]()
    for task in list_tasks(seeded.db, plan="HN-2025"):
        expected.add(rules.status(task, today))
        states[task["state"]] += 1
    report = progress(seeded.db, "HN-2025", today, rules)
    assert report["categories"] == expected.to_json()
    assert report["states"] == dict(states)
    assert set(report["categories"]) >= {"done_late", "open_overdue", "withdrawn"}
