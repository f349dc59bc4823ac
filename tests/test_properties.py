"""Property: random sequences of triggers by random users never reach a state or use a grant the
workflow does not give, and state and audit always agree. The oracle reads the YAML grant table
directly, independently of the engine's machine."""

from __future__ import annotations

from datetime import date
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phancap.engine.errors import TransitionNotAllowed
from phancap.engine.queries import history, verify_audit
from phancap.engine.runtime import TaskEngine
from phancap.demo import DEMO_USERS
from tests.helpers import instance

USERS = {name: (unit, set(roles)) for name, unit, roles in DEMO_USERS}
TRIGGERS = ["submit_for_review", "submit", "return", "approve", "comment", "request_extension", "grant_extension",
            "refuse_extension", "urge", "withdraw", "mark_overdue", "appraise", "adopt", "submit_for_appraisal"]
TASKS = [("HN-2025", "1.1", "HN-SCT"), ("HN-2025", "1.2", "HN-SCT"), ("KT-2025", "2", "KT-PTP"), ("KT-2025", "1", "KT-X-01")]

action = st.tuples(st.sampled_from(range(len(TASKS))), st.sampled_from(TRIGGERS), st.sampled_from(sorted(USERS)),
                   st.booleans(), st.booleans())


def relation_holds(task: dict[str, Any], relation: str | None, unit: str) -> bool:
    import json

    if relation == "lead":
        return unit == task["unit"]
    if relation == "coordinator":
        return unit in json.loads(task["coordinators"])
    return relation is not None and unit == task[relation]


def granted(engine: TaskEngine, task: dict[str, Any], trigger: str, user: str) -> set[str]:
    """States reachable by this (trigger, user) from the task's state, per the YAML alone."""
    workflow = engine.workflows[task["workflow"]].workflow
    unit, roles = USERS[user]
    dests = set()
    for t in workflow.transitions:
        if t.trigger != trigger or t.source != task["state"] or (t.stage and t.stage != task["stage"]):
            continue
        if any(g.role in roles and relation_holds(task, g.relation, unit) for g in t.grants):
            dests.add(t.dest or task["state"])
    return dests


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(action, min_size=5, max_size=25))
def test_random_firing_stays_within_the_workflow(seeded: TaskEngine, actions: list[tuple[int, str, str, bool, bool]]) -> None:
    ids = [int(instance(seeded.db, *t)["id"]) for t in TASKS]
    for index, trigger, user, with_comment, with_evidence in actions:
        tid = ids[index]
        before = full_task(seeded, tid)
        allowed = granted(seeded, before, trigger, user)
        evidence = {"number": "12/2025/QĐ-UBND", "title": "Hồ sơ"} if with_evidence else None
        try:
            result = seeded.fire(tid, trigger, user, comment="Ý kiến" if with_comment else None, evidence=evidence,
                                 proposed_deadline=date(2026, 12, 31))
        except TransitionNotAllowed as refusal:
            after = full_task(seeded, tid)
            assert (after["state"], after["version"]) == (before["state"], before["version"])
            if refusal.rule in ("role", "state", "trigger"):
                assert not allowed, f"{user} {trigger} from {before['state']} was refused ({refusal.rule}) but the YAML grants it"
            continue
        assert result.to_state in allowed, f"{user} {trigger} from {before['state']} reached {result.to_state}"
        assert result.from_state == before["state"] and result.version == before["version"] + 1
    report = verify_audit(seeded.db)
    assert report.ok, report.problems
    for tid in ids:
        events = history(seeded.db, tid)
        task = full_task(seeded, tid)
        assert events[-1]["to"] == task["state"] and len(events) == task["version"]


def full_task(engine: TaskEngine, task_id: int) -> dict[str, Any]:
    with engine.db.read() as cur:
        cur.execute(engine.db.sql("SELECT unit, focal, authority, monitor, justice, coordinators, workflow, state, stage, "
                                  "version FROM task_instance WHERE id = ?"), (task_id,))
        keys = ("unit", "focal", "authority", "monitor", "justice", "coordinators", "workflow", "state", "stage", "version")
        return dict(zip(keys, cur.fetchone(), strict=True))


