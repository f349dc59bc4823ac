"""Firing transitions: one database transaction per transition.

Inside it: lock the task row, check the version, let the workflow's shared machine decide
(state, role relative to the task, requirements, guards), then write the new state and exactly
one audit event. A refusal raises TransitionNotAllowed and the transaction writes nothing."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from phancap.engine import metrics
from phancap.engine.audit import data_json, event_hash, evidence_json, snapshot_json
from phancap.engine.clock import Clock, stamp
from phancap.engine.db import Database
from phancap.engine.evidence import check_cited
from phancap.engine.status import StatusRules
from phancap.engine.errors import TransitionNotAllowed
from phancap.engine.machine import Actor, TaskContext, WorkflowMachine
from phancap.engine.policy import sees_all
from phancap.engine.report_recipients import MARK_RECEIVED
from phancap.engine.roles import SYSTEM_ACTOR, SYSTEM_ROLE, normalise_capacity
from phancap.engine.workcalendar import WorkCalendar, default_calendar
from phancap.engine.workflow import TransitionDef, Workflow

SYSTEM = Actor(SYSTEM_ACTOR, None, frozenset({SYSTEM_ROLE}))

_SELECT_TASK = (
    "SELECT t.workflow, t.state, t.stage, t.version, t.unit, t.focal, t.authority, t.monitor, t.justice, "
    "t.coordinators, t.deadline, t.state_due, t.complex, t.last_hash, t.overdue_at, t.pending_deadline, "
    "u.unit, u.roles, p.definition_sha256, "
    "EXISTS (SELECT 1 FROM report_recipient r WHERE r.task_id = t.id AND r.unit = u.unit) "
    # a deactivated user, or one of an inactive unit, is no user: they cannot act, by any door
    "FROM task_instance t LEFT JOIN app_user u ON u.name = ? AND u.active "
    "AND EXISTS (SELECT 1 FROM unit n WHERE n.code = u.unit AND n.active) "
    "LEFT JOIN plan p ON p.code = t.plan WHERE t.id = ?"
)
# the same columns for many instances at once (TaskEngine.triggers_many), each row led by its id
_SELECT_TASK_COLUMNS = "SELECT t.id, " + _SELECT_TASK[len("SELECT "):_SELECT_TASK.index("WHERE t.id = ?")]
_CHUNK = 500  # instances per query: well under SQLite's 32,766 bound parameters
_UPDATE_TASK = (
    "UPDATE task_instance SET state = ?, stage = ?, version = ?, state_since = ?, state_due = ?, "
    "overdue_at = ?, deadline = ?, pending_deadline = ?, last_hash = ?, done_on = CASE WHEN ? THEN COALESCE(done_on, ?) "
    "ELSE NULL END WHERE id = ? AND version = ?"
)
_INSERT_EVENT = (
    "INSERT INTO audit_event (task_id, seq, trigger, from_state, to_state, actor, unit, role, capacity, "
    "at, comment, evidence, data, prev_hash, hash, snapshot) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)

# The task's UPDATE and its event's INSERT as one statement (PostgreSQL), saving a round trip per transition:
# the event is inserted from the updated row, so a row that did not move (version changed) inserts nothing.
_UPDATE_AND_INSERT = (
    "WITH moved AS (" + _UPDATE_TASK + " RETURNING id) "
    + _INSERT_EVENT[:_INSERT_EVENT.index("VALUES")]
    + "SELECT CAST(? AS INTEGER), CAST(? AS INTEGER), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM moved"
)


@dataclass(frozen=True)
class FireResult:
    task_id: int
    trigger: str
    from_state: str
    to_state: str
    version: int
    actor: str
    role: str
    capacity: str | None
    at: str
    hash: str
    workflow: str = ""  # the instance's workflow (for its state's label); "" in answers stored before it was kept

    def to_json(self) -> dict[str, Any]:
        return {
            "task": self.task_id, "trigger": self.trigger, "from": self.from_state, "state": self.to_state,
            "version": self.version, "actor": self.actor, "role": self.role, "capacity": self.capacity,
            "at": self.at, "hash": self.hash,
        }


def _request_digest(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str).encode()).hexdigest()


def as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def parse_roles(text: str | None) -> frozenset[str]:
    return frozenset(r.strip() for r in (text or "").split(",") if r.strip())


class TaskEngine:
    """The runtime over one database. Knows nothing of HTTP."""

    def __init__(self, db: Database, workflows: dict[str, WorkflowMachine], clock: Clock | None = None,
                 calendar: WorkCalendar | None = None, due_soon_days: int = 3) -> None:
        self.db = db
        self.workflows = workflows
        self.clock = clock or Clock.from_env()
        # late, due soon ("sắp đến hạn": PHANCAP_DUE_SOON_DAYS, passed in by the settings) and done
        self.status = StatusRules.of([m.workflow for m in workflows.values()], due_soon_days)
        self.calendar = calendar or default_calendar()
        self._select = db.sql(_SELECT_TASK + ("" if db.is_sqlite else " FOR UPDATE OF t"))
        self._select_read = db.sql(_SELECT_TASK)
        self._update = db.sql(_UPDATE_TASK)
        self._insert = db.sql(_INSERT_EVENT)
        self._update_and_insert = None if db.is_sqlite else db.sql(_UPDATE_AND_INSERT)
        self._mark_received = db.sql(MARK_RECEIVED)
        self._earlier: dict[int, str] = {}  # the earlier-actors query per number of triggers
        self._find_key = db.sql("SELECT request, response FROM idempotency_key WHERE actor = ? AND key = ?")
        self._store_key = db.sql("INSERT INTO idempotency_key (actor, key, request, response, created_at) "
                                 "VALUES (?, ?, ?, ?, ?)")

    def _context(self, row: tuple[Any, ...] | None, task_id: int, actor: Actor | str,
                 trigger: str | None = None) -> tuple[WorkflowMachine, TaskContext, int, str]:
        if row is None:
            raise TransitionNotAllowed("task", f"Không có nhiệm vụ số {task_id}", f"no task {task_id}", task_id=task_id,
                                       trigger=trigger)
        (workflow, state, stage, version, unit, focal, authority, monitor, justice, coordinators, deadline,
         state_due, _complex, last_hash, overdue_at, pending, user_unit, user_roles) = row[:18]
        if isinstance(actor, str):
            if user_unit is None:
                raise TransitionNotAllowed("user", f"Không có người dùng '{actor}'", f"no user '{actor}'",
                                           task_id=task_id, state=state, trigger=trigger)
            actor = Actor(actor, user_unit, parse_roles(user_roles))
        ctx = TaskContext(
            task_id=task_id, state=state, stage=stage, unit=unit, focal=focal, authority=authority,
            monitor=monitor, justice=justice, coordinators=frozenset(json.loads(coordinators or "[]")),
            deadline=as_date(deadline), state_due=as_date(state_due), today=self.clock.today(), actor=actor,
            complex=bool(_complex), pending_deadline=as_date(pending), overdue_at=overdue_at,
            recipient=bool(row[19]),
        )
        if not ctx.has_relation() and SYSTEM_ROLE not in actor.roles and not sees_all(actor):
            # No relation to the task: the same answer as a missing task, so writes reveal nothing reads hide.
            raise TransitionNotAllowed("task", f"Không có nhiệm vụ số {task_id} (hoặc bạn không được xem)",
                                       f"no task {task_id} (or not visible to you)", task_id=task_id, trigger=trigger)
        return self.workflows[workflow], ctx, int(version), last_hash

    def fire(self, task_id: int, trigger: str, actor: Actor | str, *, comment: str | None = None,
             evidence: dict[str, Any] | None = None, capacity: str | None = None,
             version: int | None = None, proposed_deadline: date | None = None,
             idempotency_key: str | None = None, sections: dict[str, str] | None = None,
             then: Callable[[Any, FireResult], None] | None = None) -> FireResult:
        """`then(cursor, result)`: more to write in the transition's own transaction (the outbox rows an urging
        causes); not called for a refused transition, nor for the repeat of an idempotent request.
        `sections`: a report's narrative parts (engine.effects.SECTIONS), kept in its `submit` event's data.
        With an idempotency key, a retry of the same request returns the first result and applies nothing;
        the key is stored in the transition's own transaction, so this holds across restarts. Counted by
        trigger in engine/metrics.py once its transaction has committed."""
        result = self._fire(task_id, trigger, actor, comment=comment, evidence=evidence, capacity=capacity,
                            version=version, proposed_deadline=proposed_deadline, idempotency_key=idempotency_key,
                            sections=sections, then=then)
        metrics.TRANSITIONS.labels(result.trigger).inc()
        return result

    def _fire(self, task_id: int, trigger: str, actor: Actor | str, *, comment: str | None,
              evidence: dict[str, Any] | None, capacity: str | None, version: int | None,
              proposed_deadline: date | None, idempotency_key: str | None,
              sections: dict[str, str] | None, then: Callable[[Any, FireResult], None] | None = None) -> FireResult:
        actor_name = actor if isinstance(actor, str) else actor.name
        request = None
        if idempotency_key is not None:
            request = _request_digest(task_id, trigger, comment, evidence, capacity, version, proposed_deadline,
                                      *(() if sections is None else (sections,)))
        with self.db.write() as cur:
            cur.execute(self._select, (actor_name, task_id))  # takes the row lock before the key is looked up
            row = cur.fetchone()
            if idempotency_key is not None:
                cur.execute(self._find_key, (actor_name, idempotency_key))
                seen = cur.fetchone()
                if seen is not None:
                    if seen[0] != request:
                        raise TransitionNotAllowed(
                            "idempotency", "Khóa Idempotency-Key đã dùng cho một yêu cầu khác",
                            "this Idempotency-Key was already used for a different request",
                            task_id=task_id, trigger=trigger)
                    return FireResult(**json.loads(seen[1]))
            machine, ctx, current_version, last_hash = self._context(row, task_id, actor, trigger)
            if version is not None and version != current_version:
                raise TransitionNotAllowed(
                    "version",
                    f"Nhiệm vụ đã thay đổi (phiên bản hiện tại {current_version}, bạn gửi {version}); hãy tải lại",
                    f"stale version: the task is at version {current_version}, the request said {version}",
                    task_id=task_id, state=ctx.state, trigger=trigger,
                )
            try:
                capacity = normalise_capacity(capacity)
            except ValueError:
                raise TransitionNotAllowed(
                    "guard", f"Thẩm quyền ký '{capacity}' không hợp lệ (KT., TL., TUQ.)",
                    f"capacity {capacity!r} is not one of KT., TL., TUQ.", task_id=task_id, state=ctx.state,
                    trigger=trigger,
                ) from None
            ctx.comment, ctx.evidence, ctx.capacity = comment, evidence, capacity
            ctx.proposed_deadline, ctx.sections = proposed_deadline, sections
            from_state = ctx.state
            self._load_earlier_actors(cur, machine, ctx, trigger)
            fired = machine.fire(ctx, trigger)
            check_cited(cur, self.db, task_id, evidence, state=from_state, trigger=trigger)
            result = self._persist(cur, machine.workflow, ctx, fired, from_state, current_version, last_hash,
                                   plan_version=row[18], coordinators=row[9])
            if idempotency_key is not None:
                cur.execute(self._store_key, (actor_name, idempotency_key, request,
                                              json.dumps(result.__dict__, ensure_ascii=False), result.at))
            if then is not None:
                then(cur, result)
            return result

    def persist(self, cur: Any, workflow: Workflow, ctx: TaskContext, fired: TransitionDef, *, version: int,
                last_hash: str, plan_version: str | None, coordinators: str | None) -> FireResult:
        """Write a transition the caller fired on `ctx` (loaded with load_context, lock=True) in the caller's
        transaction: the task's new fields and exactly one audit event, as `fire` does."""
        return self._persist(cur, workflow, ctx, fired, ctx.state, version, last_hash, plan_version=plan_version,
                             coordinators=coordinators)

    def _persist(self, cur: Any, workflow: Workflow, ctx: TaskContext, fired: TransitionDef, from_state: str,
                 current_version: int, last_hash: str, *, plan_version: str | None = None,
                 coordinators: str | None = None) -> FireResult:
        to_state = ctx.state
        overdue_state = workflow.overdue.state if workflow.overdue else None
        if to_state == overdue_state:  # the stage remembers where on the path the task was interrupted
            stage = ctx.stage if from_state == overdue_state else from_state
        else:
            stage = to_state
        at = stamp(self.clock.now())
        seq = current_version + 1
        overdue_at = ctx.overdue_at
        if ctx.overdue_cleared:
            overdue_at = None
        elif to_state == overdue_state and overdue_at is None:
            overdue_at = at
        values = (ctx.task_id, seq, fired.trigger, from_state, to_state, ctx.actor.name, ctx.actor.unit,
                  ctx.granted_role, ctx.capacity, at, ctx.comment, evidence_json(ctx.evidence), data_json(ctx.data))
        state_due = self._state_due(workflow, to_state, ctx) if to_state != from_state else ctx.state_due
        # what the event commits to, from the values in hand (engine/audit.py): no query
        snapshot = snapshot_json(state=to_state, stage=stage, version=seq, unit=ctx.unit, focal=ctx.focal,
                                 authority=ctx.authority, monitor=ctx.monitor, justice=ctx.justice,
                                 coordinators=coordinators, deadline=ctx.deadline,
                                 pending_deadline=ctx.pending_deadline, state_due=state_due, overdue_at=overdue_at,
                                 complex=ctx.complex, plan=plan_version)
        new_hash = event_hash(last_hash, values, snapshot)
        # done_on: kept while staying done, today on entering a done state, NULL on leaving (a report returned)
        done = workflow.states[to_state].category == "done"
        task = (to_state, stage, seq, at, state_due, overdue_at, ctx.deadline, ctx.pending_deadline, new_hash, done,
                ctx.today, ctx.task_id, current_version)
        event = (*values, last_hash, new_hash, snapshot)
        if self._update_and_insert is not None:  # PostgreSQL: one round trip; the event only if the row moved
            cur.execute(self._update_and_insert, (*task, *event))
        else:
            cur.execute(self._update, task)
            if cur.rowcount == 1:
                cur.execute(self._insert, event)
        if cur.rowcount != 1:  # the row lock makes this unreachable; kept as a last line of defence
            raise TransitionNotAllowed("version", "Nhiệm vụ vừa bị thay đổi", "concurrent change",
                                       task_id=ctx.task_id, state=from_state, trigger=fired.trigger)
        if ctx.delivered:  # a report sent: each recipient has received it, in the event's own transaction
            cur.execute(self._mark_received, (at, ctx.task_id))
        return FireResult(ctx.task_id, fired.trigger, from_state, to_state, seq, ctx.actor.name,
                          str(ctx.granted_role), ctx.capacity, at, new_hash, workflow.name)

    def _state_due(self, workflow: Workflow, state: str, ctx: TaskContext) -> date | None:
        limit = workflow.states[state].limit
        if limit is None:
            return None
        days = limit.complex_days if (ctx.complex and limit.complex_days) else limit.days
        if limit.counting == "working":
            return self.calendar.add_working_days(ctx.today, days)
        return self.calendar.add_days(ctx.today, days)

    def load_context(self, cur: Any, task_id: int, actor: Actor | str, *, lock: bool,
                     trigger: str | None = None) -> tuple[WorkflowMachine, TaskContext]:
        """The task as its machine sees it, with the actor resolved (inside the caller's transaction);
        `trigger`: the one about to be fired, named in a refusal."""
        actor_name = actor if isinstance(actor, str) else actor.name
        cur.execute(self._select if lock else self._select_read, (actor_name, task_id))
        machine, ctx, _, _ = self._context(cur.fetchone(), task_id, actor, trigger)
        self._load_earlier_actors(cur, machine, ctx)
        return machine, ctx

    def _load_earlier_actors(self, cur: Any, machine: WorkflowMachine, ctx: TaskContext,
                             trigger: str | None = None) -> None:
        """Who last fired each trigger that the current state's transitions (those of `trigger`, when given)
        granted to one of the actor's roles name in `not_by` (separation of duties), in the caller's
        transaction: one query on the (task_id, seq) index, and none when no such transition applies."""
        triggers = machine.duty_triggers(ctx.state, trigger, ctx.actor.roles)
        ctx.earlier_actors = {}
        if not triggers:
            return
        sql = self._earlier.get(len(triggers))
        if sql is None:
            sql = self._earlier[len(triggers)] = self.db.sql(
                "SELECT trigger, actor FROM audit_event WHERE task_id = ? AND trigger IN "
                f"({', '.join('?' * len(triggers))}) ORDER BY seq DESC")
        cur.execute(sql, (ctx.task_id, *triggers))
        for fired, who in cur.fetchall():
            ctx.earlier_actors.setdefault(fired, who)

    def triggers_many(self, task_ids: list[int], actor: str) -> dict[int, list[TransitionDef]]:
        """`triggers` for many instances in two queries per chunk (the instances with the user, then the
        earlier actors separation of duties needs), not two per instance: a queue checks thousands.
        Instances the actor has no relation to are left out, as `triggers` refuses them."""
        allowed: dict[int, list[TransitionDef]] = {}
        for start in range(0, len(task_ids), _CHUNK):
            chunk = task_ids[start:start + _CHUNK]
            marks = ", ".join("?" * len(chunk))
            contexts: list[tuple[WorkflowMachine, TaskContext]] = []
            with self.db.read() as cur:
                cur.execute(self.db.sql(_SELECT_TASK_COLUMNS + f"WHERE t.id IN ({marks})"), (actor, *chunk))
                for row in cur.fetchall():
                    try:
                        machine, ctx, _, _ = self._context(row[1:], int(row[0]), actor)
                    except TransitionNotAllowed:
                        continue
                    contexts.append((machine, ctx))
                self._load_earlier_actors_many(cur, contexts)
            for machine, ctx in contexts:
                allowed[ctx.task_id] = machine.allowed_triggers(ctx)
        return allowed

    def _load_earlier_actors_many(self, cur: Any, contexts: list[tuple[WorkflowMachine, TaskContext]]) -> None:
        needed = {ctx.task_id: machine.duty_triggers(ctx.state, None, ctx.actor.roles) for machine, ctx in contexts}
        for _, ctx in contexts:
            ctx.earlier_actors = {}
        ids = sorted(i for i, triggers in needed.items() if triggers)
        names = sorted({t for triggers in needed.values() for t in triggers})
        if not ids:
            return
        by_id = {ctx.task_id: ctx for _, ctx in contexts}
        cur.execute(self.db.sql(
            f"SELECT task_id, trigger, actor FROM audit_event WHERE task_id IN ({', '.join('?' * len(ids))}) "
            f"AND trigger IN ({', '.join('?' * len(names))}) ORDER BY task_id, seq DESC"), (*ids, *names))
        found: dict[int, dict[str, str]] = {i: {} for i in ids}
        for task_id, fired, who in cur.fetchall():
            if fired in needed[int(task_id)]:
                found[int(task_id)].setdefault(fired, who)
        for task_id, earlier in found.items():
            by_id[task_id].earlier_actors = earlier

    def triggers(self, task_id: int, actor: Actor | str) -> list[TransitionDef]:
        """What the actor may fire now (by state and grant; comments and evidence come with the request)."""
        actor_name = actor if isinstance(actor, str) else actor.name
        with self.db.read() as cur:
            cur.execute(self._select_read, (actor_name, task_id))
            machine, ctx, _, _ = self._context(cur.fetchone(), task_id, actor)
            self._load_earlier_actors(cur, machine, ctx)
        return machine.allowed_triggers(ctx)
