"""What awaits a user's decision now ("Chờ tôi xử lý"): the instances on which the user may fire a
transition that the workflow marks as waiting (`queue` in the YAML: by default one that changes the
state; also deciding a pending extension; never a comment, an urging or a withdrawal).

Two steps, so the rule stays the machine's: SQL narrows the instances the user sees to those whose
workflow, state (or interrupted stage) and relation give one of the user's roles such a grant, and
whose pending request the transition's state guard needs; then the machine checks each candidate
exactly (grants, guards, separation of duties) and lists the actions open to the user."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import and_, bindparam, false, or_, text
from sqlalchemy.sql.elements import ColumnElement

from phancap.engine.runtime import TaskEngine
from phancap.engine.users import User
from phancap.engine.visibility import T, TaskFilter, relation_condition, search_tasks
from phancap.engine.workflow import TransitionDef

CANDIDATE_CAP = 5000  # instances checked exactly at most; beyond it the queue says it is cut


def _state_condition(t: TransitionDef) -> ColumnElement[bool]:
    same = T.c.state == t.source
    return and_(same, T.c.stage == t.stage) if t.stage else same


def _guard_condition(t: TransitionDef) -> list[ColumnElement[bool]]:
    return [T.c.pending_deadline.is_not(None)] if "extension_pending" in t.guards else []


def candidate_condition(engine: TaskEngine, user: User) -> ColumnElement[bool]:
    """True for instances where one of the user's roles is granted a queued transition from the instance's
    state through a relation the user's unit holds (the machine's exact check follows)."""
    held = set(user.roles)
    clauses: list[ColumnElement[bool]] = []
    for name, machine in engine.workflows.items():
        for t in machine.workflow.transitions:
            if not t.queue:
                continue
            relations = sorted({g.relation for g in t.grants if g.role in held and g.relation is not None})
            if relations:
                clauses.append(and_(T.c.workflow == name, _state_condition(t), *_guard_condition(t),
                                    or_(*(relation_condition(user, r) for r in relations))))
    return or_(*clauses) if clauses else false()


@dataclass(frozen=True)
class Queue:
    items: list[dict[str, Any]]  # the instance's fields (`assignee` …), `actions` [{trigger, label}], `returned` or None
    total: int
    cut: bool  # more candidates than CANDIDATE_CAP: the queue holds the most urgent ones only


def queue(engine: TaskEngine, user: User, f: TaskFilter | None = None, *, limit: int = 50,
          offset: int = 0) -> Queue:
    """The user's queue: what is assigned to the user first, then most urgent first (overdue, then the
    nearest deadline), filtered and paged."""
    narrowed = replace(f or TaskFilter(), sort="urgency")
    rows, found = search_tasks(engine.db, user, narrowed, engine.clock.today(), engine.status, limit=CANDIDATE_CAP,
                               extra=[candidate_condition(engine, user)])
    waiting = []
    allowed = engine.triggers_many([int(item["id"]) for item in rows], user.name)
    for item in rows:
        actions = [t for t in allowed.get(int(item["id"]), []) if t.queue]
        if actions:
            item["actions"] = list({t.trigger: {"trigger": t.trigger, "label": t.label} for t in actions}.values())
            waiting.append(item)
    # what the head assigned to me comes first (the urgency order kept within); a colleague's stays, marked
    waiting.sort(key=lambda i: i.get("assignee") != user.name)
    page = waiting[offset:offset + limit]
    marks = returned_marks(engine, [int(i["id"]) for i in page])
    for item in page:
        item["returned"] = marks.get(int(item["id"]))
    return Queue(page, len(waiting), found > CANDIDATE_CAP)


def returned_marks(engine: TaskEngine, ids: list[int]) -> dict[int, dict[str, Any]]:
    """For the instances whose last move by a person was a return: who returned it, when, and the
    comment (what the unit must now correct)."""
    if not ids:
        return {}
    stmt = text("SELECT task_id, trigger, actor, at, comment FROM audit_event WHERE task_id IN :ids "
                "AND from_state <> to_state AND actor <> 'system' ORDER BY task_id, seq DESC")
    latest: dict[int, Any] = {}
    with engine.db.engine.connect() as conn:
        for row in conn.execute(stmt.bindparams(bindparam("ids", expanding=True)), {"ids": ids}):
            latest.setdefault(int(row[0]), row)
    return {task: {"actor": row[2], "at": row[3], "comment": row[4]} for task, row in latest.items()
            if row[1] == "return"}
