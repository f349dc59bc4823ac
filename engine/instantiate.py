"""Opening workflow instances. Fan-out: a plan task becomes one task instance per lead unit
(groups expanded), each its own state machine with its focal agency and resolved deadline.
Running it again changes nothing. Reports and difficulties open through `open_instances` too."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from phancap.engine.audit import GENESIS, event_hash, snapshot_json
from phancap.engine.clock import Clock, stamp
from phancap.engine.db import Database
from phancap.engine.errors import DefinitionError
from phancap.engine.machine import WorkflowMachine
from phancap.engine.organisations import name_key
from phancap.engine.roles import SYSTEM_ACTOR, SYSTEM_ROLE

ASSIGN_TRIGGER = "assign"

_INSTANCE_COLUMNS = (
    "id", "plan", "task", "unit", "focal", "authority", "monitor", "justice", "coordinators", "workflow", "state",
    "stage", "version", "deadline", "deadline_phrase", "state_due", "complex", "state_since", "overdue_at",
    "created_at", "last_hash", "kind", "parent_id", "title",
)
_INSERT_INSTANCE = (f"INSERT INTO task_instance ({', '.join(_INSTANCE_COLUMNS)}) "
                    f"VALUES ({', '.join('?' for _ in _INSTANCE_COLUMNS)})")
_INSERT_FIRST_EVENT = (
    "INSERT INTO audit_event (task_id, seq, trigger, from_state, to_state, actor, unit, role, capacity, at, "
    "comment, evidence, data, prev_hash, hash, snapshot) VALUES (?, 1, ?, NULL, ?, ?, ?, ?, NULL, ?, ?, NULL, ?, ?, ?, ?)"
)


@dataclass(frozen=True)
class NewInstance:
    plan: str
    task: str
    unit: str
    focal: str | None
    authority: str | None
    monitor: str | None
    justice: str | None
    workflow: WorkflowMachine
    deadline: date | None = None
    deadline_phrase: str | None = None
    coordinators: tuple[str, ...] = ()
    complex: bool = False
    kind: str = "task"
    parent_id: int | None = None
    title: str | None = None


def _take_ids(db: Database, cur: Any, count: int) -> list[int]:
    """Ids for a batch, taken up front so both tables are written in one pass each."""
    if not db.is_sqlite:
        cur.execute("SELECT nextval(pg_get_serial_sequence('task_instance', 'id')) FROM generate_series(1, %s)", (count,))
        return sorted(int(r[0]) for r in cur.fetchall())
    cur.execute("SELECT COALESCE(MAX(id), 0) FROM task_instance")  # under BEGIN IMMEDIATE nobody else inserts
    first = int(cur.fetchone()[0]) + 1
    return list(range(first, first + count))


def open_instances(db: Database, cur: Any, batch: list[tuple[NewInstance, str]], at: str, *,
                   trigger: str = ASSIGN_TRIGGER, actor: str = SYSTEM_ACTOR, actor_unit: str | None = None,
                   role: str = SYSTEM_ROLE, data: str | None = None) -> list[int]:
    """Insert instances in their initial state, each with its first audit event, inside the caller's
    transaction: one executemany per table (measured 26x faster than a row at a time on PostgreSQL)."""
    if not batch:
        return []
    # The head's row lock orders creations (ids taken after it): each first event names the one before
    # (engine/audit.py, deleted tasks).
    cur.execute("SELECT hash FROM audit_head WHERE id = 1" + ("" if db.is_sqlite else " FOR UPDATE"))
    found = cur.fetchone()
    link = str(found[0]) if found else GENESIS
    ids = _take_ids(db, cur, len(batch))
    codes = sorted({new.plan for new, _ in batch})
    cur.execute(db.sql(f"SELECT code, definition_sha256 FROM plan WHERE code IN ({', '.join('?' for _ in codes)})"),
                codes)
    versions = {str(code): sha for code, sha in cur.fetchall()}
    instances, events = [], []
    for task_id, (new, comment) in zip(ids, batch, strict=True):
        initial = new.workflow.workflow.initial
        coordinators = json.dumps(list(new.coordinators))
        snapshot = snapshot_json(state=initial, stage=initial, version=1, unit=new.unit, focal=new.focal,
                                 authority=new.authority, monitor=new.monitor, justice=new.justice,
                                 coordinators=coordinators, deadline=new.deadline, pending_deadline=None,
                                 state_due=None, overdue_at=None, complex=new.complex, plan=versions.get(new.plan),
                                 created_after=link)
        digest = event_hash(GENESIS, (task_id, 1, trigger, None, initial, actor, actor_unit, role, None, at, comment,
                                      None, data), snapshot)
        instances.append((task_id, new.plan, new.task, new.unit, new.focal, new.authority, new.monitor, new.justice,
                          coordinators, new.workflow.workflow.name, initial, initial, 1,
                          new.deadline, new.deadline_phrase, None, new.complex, at, None, at, digest, new.kind,
                          new.parent_id, new.title))
        events.append((task_id, trigger, initial, actor, actor_unit, role, at, comment, data, GENESIS, digest, snapshot))
        link = digest
    cur.executemany(db.sql(_INSERT_INSTANCE), instances)
    cur.executemany(db.sql(_INSERT_FIRST_EVENT), events)
    if found:
        cur.execute(db.sql("UPDATE audit_head SET hash = ? WHERE id = 1"), (link,))
    else:
        cur.execute(db.sql("INSERT INTO audit_head (id, hash) VALUES (1, ?)"), (link,))
    return ids


def open_instance(db: Database, cur: Any, new: NewInstance, at: str, comment: str, **who: Any) -> int:
    return open_instances(db, cur, [(new, comment)], at, **who)[0]


@dataclass(frozen=True)
class InstantiateResult:
    plan: str
    created: int
    existing: int

    def to_json(self) -> dict[str, Any]:
        return {"plan": self.plan, "created": self.created, "existing": self.existing}


def group_index(cur: Any, db: Database, region: str) -> tuple[set[str], dict[str, list[str]]]:
    """All unit codes, and each group's members under its name and aliases (matched by name_key: case,
    abbreviations such as UBND, old-style tones)."""
    cur.execute(db.sql("SELECT code FROM unit"))
    units = {r[0] for r in cur.fetchall()}
    cur.execute(db.sql("SELECT name, aliases, members FROM unit_group WHERE region = ?"), (region,))
    groups: dict[str, list[str]] = {}
    for name, aliases, members in cur.fetchall():
        for key in [name, *json.loads(aliases)]:
            groups[name_key(key)] = json.loads(members)
    return units, groups


def expand(entries: list[str], groups: dict[str, list[str]], units: set[str]) -> list[str]:
    codes: list[str] = []
    for entry in entries:
        codes.extend([entry] if entry in units else groups.get(name_key(entry), []))
    return list(dict.fromkeys(codes))


def instantiate(db: Database, plan_code: str, workflows: dict[str, WorkflowMachine], clock: Clock) -> InstantiateResult:
    at = stamp(clock.now())
    with db.write() as cur:
        cur.execute(db.sql("SELECT region, authority, monitor, justice FROM plan WHERE code = ?"), (plan_code,))
        plan = cur.fetchone()
        if plan is None:
            raise DefinitionError([f"plan {plan_code}: not loaded (run `phancap load` first)"])
        region, authority, monitor, justice = plan
        units, groups = group_index(cur, db, region)
        cur.execute(db.sql("SELECT task, unit FROM task_instance WHERE plan = ? AND kind = 'task'"), (plan_code,))
        existing = {(r[0], r[1]) for r in cur.fetchall()}
        cur.execute(db.sql(
            "SELECT number, focal, lead, coordinators, deadline_due, deadline_phrase, workflow, complex FROM plan_task "
            "WHERE plan = ? AND heading = ? ORDER BY id"), (plan_code, False))
        batch: list[tuple[NewInstance, str]] = []
        for number, focal, lead, coordinators, due, phrase, workflow_name, complex_draft in cur.fetchall():
            coordinator_units = tuple(expand(json.loads(coordinators), groups, units))
            for unit in expand(json.loads(lead), groups, units):
                if (number, unit) not in existing:
                    batch.append((NewInstance(plan_code, number, unit, focal or monitor, authority, monitor, justice,
                                              workflows[workflow_name], due, phrase, coordinator_units,
                                              bool(complex_draft)),
                                  f"Giao nhiệm vụ {number} của kế hoạch {plan_code}"))
        open_instances(db, cur, batch, at)
    return InstantiateResult(plan_code, len(batch), len(existing))
