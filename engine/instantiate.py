"""Fan-out: a plan task becomes one task instance per lead unit (groups expanded), each its own
state machine with its focal agency and resolved deadline. Running it again changes nothing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from engine.audit import GENESIS, event_hash
from engine.clock import Clock, stamp
from engine.db import Database
from engine.errors import DefinitionError
from engine.machine import WorkflowMachine
from engine.roles import SYSTEM_ACTOR, SYSTEM_ROLE

ASSIGN_TRIGGER = "assign"


@dataclass(frozen=True)
class InstantiateResult:
    plan: str
    created: int
    existing: int

    def to_json(self) -> dict[str, Any]:
        return {"plan": self.plan, "created": self.created, "existing": self.existing}


def _expand(entries: list[str], region: str, groups: dict[str, list[str]], units: set[str]) -> list[str]:
    codes: list[str] = []
    for entry in entries:
        if entry in units:
            codes.append(entry)
        else:
            codes.extend(groups.get(" ".join(entry.split()).casefold(), []))
    return list(dict.fromkeys(codes))


def instantiate(db: Database, plan_code: str, workflows: dict[str, WorkflowMachine], clock: Clock) -> InstantiateResult:
    at = stamp(clock.now())
    with db.write() as cur:
        cur.execute(db.sql("SELECT region, authority, monitor, justice FROM plan WHERE code = ?"), (plan_code,))
        plan = cur.fetchone()
        if plan is None:
            raise DefinitionError([f"plan {plan_code}: not loaded (run `phancap load` first)"])
        region, plan_authority, monitor, justice = plan
        cur.execute(db.sql("SELECT code FROM unit"))
        units = {r[0] for r in cur.fetchall()}
        cur.execute(db.sql("SELECT name, aliases, members FROM unit_group WHERE region = ?"), (region,))
        groups: dict[str, list[str]] = {}
        for name, aliases, members in cur.fetchall():
            for key in [name, *json.loads(aliases)]:
                groups[" ".join(key.split()).casefold()] = json.loads(members)
        cur.execute(db.sql("SELECT task, unit FROM task_instance WHERE plan = ?"), (plan_code,))
        existing = {(r[0], r[1]) for r in cur.fetchall()}
        cur.execute(db.sql(
            "SELECT number, focal, lead, coordinators, deadline_due, deadline_phrase, workflow, complex FROM plan_task "
            "WHERE plan = ? AND heading = ? ORDER BY id"), (plan_code, False))
        created = 0
        insert_task = db.sql(
            "INSERT INTO task_instance (plan, task, unit, focal, authority, monitor, justice, coordinators, workflow, "
            "state, stage, version, deadline, deadline_phrase, state_due, complex, state_since, overdue_at, created_at, "
            "last_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, NULL, ?, ?, NULL, ?, ?) RETURNING id")
        insert_event = db.sql(
            "INSERT INTO audit_event (task_id, seq, trigger, from_state, to_state, actor, unit, role, capacity, at, "
            "comment, evidence, prev_hash, hash) VALUES (?, 1, ?, NULL, ?, ?, NULL, ?, NULL, ?, ?, NULL, ?, ?)")
        set_hash = db.sql("UPDATE task_instance SET last_hash = ? WHERE id = ?")
        for number, focal, lead, coordinators, due, phrase, workflow_name, complex_draft in cur.fetchall():
            initial = workflows[workflow_name].workflow.initial
            coordinator_units = _expand(json.loads(coordinators), region, groups, units)
            for unit in _expand(json.loads(lead), region, groups, units):
                if (number, unit) in existing:
                    continue
                comment = f"Giao nhiệm vụ {number} của kế hoạch {plan_code}"
                cur.execute(insert_task, (
                    plan_code, number, unit, focal or monitor, plan_authority, monitor, justice,
                    json.dumps(coordinator_units), workflow_name, initial, initial, due, phrase, bool(complex_draft), at, at, "",
                ))
                task_id = cur.fetchone()[0]
                values = (task_id, 1, ASSIGN_TRIGGER, None, initial, SYSTEM_ACTOR, None, SYSTEM_ROLE, None, at, comment, None,
                          None)
                digest = event_hash(GENESIS, values)
                cur.execute(insert_event, (task_id, ASSIGN_TRIGGER, initial, SYSTEM_ACTOR, SYSTEM_ROLE, at, comment,
                                           GENESIS, digest))
                cur.execute(set_hash, (digest, task_id))
                created += 1
    return InstantiateResult(plan_code, created, len(existing))
