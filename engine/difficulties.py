"""Difficulties (vướng mắc, kiến nghị): a unit raises one on a task; it goes to the plan's
`difficulties_to` body (Sở Nội vụ / Phòng Nội vụ), which answers or escalates it to the People's
Committee. Each is its own instance of the `difficulty` workflow, with its own audit trail."""

from __future__ import annotations

import json

from phancap.engine.clock import stamp
from phancap.engine.errors import TransitionNotAllowed
from phancap.engine.instantiate import NewInstance, open_instance
from phancap.engine.policy import difficulty_grant
from phancap.engine.runtime import TaskEngine
from phancap.engine.workflow import OPEN_TRIGGER

WORKFLOW = "difficulty"


def raise_difficulty(engine: TaskEngine, task_id: int, actor: str, text: str) -> int:
    """Open a difficulty on a task; the actor must be granted `opened_by` relative to that task."""
    if not text or not text.strip():
        raise TransitionNotAllowed("guard", "Cần nêu nội dung vướng mắc, kiến nghị", "the difficulty needs a text",
                                   task_id=task_id, trigger=OPEN_TRIGGER)
    machine = engine.workflows[WORKFLOW]
    db = engine.db
    with db.write() as cur:
        _, ctx = engine.load_context(cur, task_id, actor, lock=True)
        grant = difficulty_grant(ctx.actor, machine.workflow, ctx.relations())
        if grant is None:
            allowed = ", ".join(str(g) for g in machine.workflow.opened_by)
            raise TransitionNotAllowed(
                "role", f"'{actor}' không được nêu vướng mắc đối với nhiệm vụ này; chỉ: {allowed}",
                f"'{actor}' may not raise a difficulty on this task; granted to: {allowed}",
                task_id=task_id, state=ctx.state, trigger=OPEN_TRIGGER)
        cur.execute(db.sql("SELECT t.plan, t.task, p.authority, p.monitor, p.definition FROM task_instance t "
                           "JOIN plan p ON p.code = t.plan WHERE t.id = ?"), (task_id,))
        plan, number, authority, monitor, definition = cur.fetchone()
        to = json.loads(definition).get("difficulties_to") or monitor
        cur.execute(db.sql("SELECT COUNT(*) FROM task_instance WHERE parent_id = ? AND kind = ?"), (task_id, WORKFLOW))
        ordinal = int(cur.fetchone()[0]) + 1
        new = NewInstance(plan, f"{number}/VM-{task_id}-{ordinal}", str(ctx.actor.unit), to, authority, monitor, None,
                          machine, kind=WORKFLOW, parent_id=task_id, title=" ".join(text.split())[:200])
        return open_instance(db, cur, new, stamp(engine.clock.now()), text.strip(), trigger=OPEN_TRIGGER, actor=actor,
                             actor_unit=ctx.actor.unit, role=grant.role)
