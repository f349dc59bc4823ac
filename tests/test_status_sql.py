"""The official categories computed in SQL (for reports over a million tasks) agree with status_of."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

from sqlalchemy import text

from phancap.engine.queries import list_tasks, progress
from phancap.engine.runtime import TaskEngine
from phancap.engine.status import Tally, status_of


def test_sql_and_python_rules_agree(seeded: TaskEngine) -> None:
    rng = random.Random(7)
    today = date(2025, 4, 14)
    with seeded.db.engine.begin() as conn:  # test data: arbitrary states, deadlines and times
        for task in list_tasks(seeded.db, plan="HN-2025"):
            deadline = rng.choice([None, today - timedelta(days=rng.randint(1, 5)), today,
                                   today + timedelta(days=rng.randint(0, 6))])
            since = f"2025-04-{rng.randint(10, 16):02d}T{rng.choice([0, 16, 17, 23]):02d}:30:00.000000Z"
            state = rng.choice(["assigned", "in_review", "approved", "overdue", "withdrawn"])
            conn.execute(text("UPDATE task_instance SET state = :s, deadline = :d, state_since = :t WHERE id = :i"),
                         {"s": state, "d": deadline, "t": since, "i": task["id"]})
    expected, states = Tally(), Counter()
    for task in list_tasks(seeded.db, plan="HN-2025"):
        deadline = date.fromisoformat(task["deadline"]) if task["deadline"] else None
        expected.add(status_of(str(task["state"]), deadline, str(task["state_since"]), today, soon=3))
        states[task["state"]] += 1
    report = progress(seeded.db, "HN-2025", today)
    assert report["categories"] == expected.to_json()
    assert report["states"] == dict(states)
