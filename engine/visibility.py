"""Who sees which task instances, and the read models built on that rule.

A unit sees the instances it leads, coordinates, tracks (focal), approves (authority), monitors,
or appraises (justice: it must see a draft to appraise it), and the reports sent to it (recipient). Users holding the SEE_ALL permission
(engine/policy.py: auditor, monitor) see every instance, read-only: seeing grants no transition (the workflow's
grants alone decide that)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from phancap.engine.audit import clean_event
from phancap.engine.db import Database
from phancap.engine.models import AppUser, AuditEvent, Plan, PlanTask, Unit
from phancap.engine.status import TASK_INSTANCES, StatusRules
from phancap.engine.policy import sees_all
from phancap.engine.report_recipients import recipient_condition, with_recipients
from phancap.engine.roles import COORDINATOR, RECIPIENT, RELATION_COLUMNS
from phancap.engine.users import User

T = TASK_INSTANCES.alias("t")
_PT = PlanTask.__table__.alias("pt")  # type: ignore[attr-defined]
_UNIT, _FOCAL = Unit.__table__.alias("u"), Unit.__table__.alias("f")  # type: ignore[attr-defined]
_PLAN = Plan.__table__.alias("p")  # type: ignore[attr-defined]
_ASSIGNEE = AppUser.__table__.alias("au")  # type: ignore[attr-defined]
_FROM = (T.outerjoin(_PT, and_(_PT.c.plan == T.c.plan, _PT.c.number == T.c.task))
         .outerjoin(_UNIT, _UNIT.c.code == T.c.unit).outerjoin(_FOCAL, _FOCAL.c.code == T.c.focal)
         .outerjoin(_ASSIGNEE, _ASSIGNEE.c.name == T.c.assignee))
_COLUMNS = (T.c.id, T.c.plan, T.c.task, T.c.unit, _UNIT.c.name.label("unit_name"), T.c.focal,
            _FOCAL.c.name.label("focal_name"), T.c.authority, T.c.monitor, T.c.justice, T.c.coordinators, T.c.workflow,
            T.c.state, T.c.stage, T.c.version, T.c.deadline, T.c.deadline_phrase, T.c.state_due, T.c.overdue_at,
            T.c.state_since, func.coalesce(T.c.title, _PT.c.title, "").label("title"), T.c.kind, T.c.parent_id,
            T.c.pending_deadline, T.c.done_on, T.c.assignee, _ASSIGNEE.c.full_name.label("assignee_name"))
_DETAIL = (_PT.c.content, _PT.c.product, _PT.c.lead_text, _PT.c.coordinators_text, _PT.c.procedure_text,
           _PT.c.deadline_kind, _PLAN.c.title.label("plan_title"), _PT.c.focal.label("plan_focal"))


def visible_condition(user: User, t: Any = T) -> ColumnElement[bool]:
    """True for the instances the user may see (t: task_instance or an alias of it)."""
    if sees_all(user):
        return true()
    escaped = user.unit.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    held = [t.c[column] == user.unit for column in RELATION_COLUMNS.values()]
    return or_(*held, t.c.coordinators.like(f'%"{escaped}"%', escape="\\"), recipient_condition(user.unit, t))


def tracked_condition(user: User, plan_monitor: str, t: Any = T) -> ColumnElement[bool]:
    """policy.tracks in SQL, for the instances the user already may see: everything for those who see all and
    for the plan's monitor, else the tasks its unit is focal agency or approving authority of."""
    if sees_all(user) or user.unit == plan_monitor:
        return true()
    return or_(t.c.focal == user.unit, t.c.authority == user.unit)


def relations(user: User, task: dict[str, Any]) -> list[str]:
    """How the user's unit relates to one instance: lead, focal, authority, coordinator, monitor, justice."""
    result = [name for name, column in RELATION_COLUMNS.items() if task.get(column) == user.unit]
    if user.unit in task.get("coordinators", []):
        result.append(COORDINATOR)
    if any(r["unit"] == user.unit for r in task.get("recipients") or []):
        result.append(RECIPIENT)
    return result


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _task(row: Any) -> dict[str, Any]:
    item = dict(row._mapping)
    item["coordinators"] = json.loads(item["coordinators"] or "[]")
    for key in ("deadline", "state_due", "pending_deadline", "done_on"):
        item[key] = _as_date(item[key])
    return item


@dataclass(frozen=True)
class TaskFilter:
    plan: str | None = None
    unit: str | None = None
    state: str | None = None
    overdue: bool | None = None  # open past the deadline (the official category), or not
    due_before: date | None = None
    q: str | None = None  # words of the title, content, unit, plan or task number; with or without diacritics
    mine: bool = False  # only the instances the user's own unit leads, tracks, approves or appraises
    kind: str | None = None
    category: str | None = None  # an official category (engine.status.CATEGORIES)
    relation: str | None = None  # only where the user's unit is the lead, focal, coordinator … (roles.RELATIONS)
    deadline_from: date | None = None  # deadline on or after
    deadline_to: date | None = None  # deadline on or before
    sort: str = "id"  # or "urgency": overdue first, then the nearest deadline (the queues' order); or "deadline"


SEARCH_CAP = 20_000  # rows a word search reads at most before filtering (see _words_match)


def filter_conditions(user: User, f: TaskFilter, category: ColumnElement[str]) -> list[ColumnElement[bool]]:
    """The WHERE of a task search: what the user may see, narrowed by the filter (but its words)."""
    where: list[ColumnElement[bool]] = [visible_condition(user)]
    for column, value in (("plan", f.plan), ("unit", f.unit), ("state", f.state), ("kind", f.kind)):
        if value:
            where.append(T.c[column] == value)
    if f.overdue is not None:
        where.append(category == "open_overdue" if f.overdue else category != "open_overdue")
    if f.category:
        where.append(category == f.category)
    if f.due_before is not None:
        where.append(and_(T.c.deadline.is_not(None), T.c.deadline < f.due_before))
    if f.deadline_from is not None:
        where.append(and_(T.c.deadline.is_not(None), T.c.deadline >= f.deadline_from))
    if f.deadline_to is not None:
        where.append(and_(T.c.deadline.is_not(None), T.c.deadline <= f.deadline_to))
    if f.mine:
        where.append(or_(*(T.c[c] == user.unit for c in ("unit", "focal", "authority", "justice"))))
    if f.relation:
        where.append(relation_condition(user, f.relation))
    return where


def relation_condition(user: User, relation: str, t: Any = T) -> ColumnElement[bool]:
    if relation == COORDINATOR:
        escaped = user.unit.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return t.c.coordinators.like(f'%"{escaped}"%', escape="\\")  # type: ignore[no-any-return]
    if relation == RECIPIENT:
        return recipient_condition(user.unit, t)
    if relation not in RELATION_COLUMNS:
        raise ValueError(f"unknown relation {relation!r} (one of {', '.join([*RELATION_COLUMNS, COORDINATOR, RECIPIENT])})")
    return t.c[RELATION_COLUMNS[relation]] == user.unit  # type: ignore[no-any-return]


def ordering(f: TaskFilter, category: ColumnElement[str]) -> list[Any]:
    if f.sort == "id":
        return [T.c.id]
    if f.sort == "deadline":  # the dashboard's lists (all with a deadline): nearest first, then by task and unit
        return [T.c.deadline, T.c.task, T.c.unit, T.c.id]
    return [case((category == "open_overdue", 0), else_=1), T.c.deadline.is_(None), T.c.deadline, T.c.id]


def _words_match(q: str, item: dict[str, Any]) -> bool:
    """Every word typed (any case, diacritics or none) is found in the task's title, content, unit, plan
    or number: Vietnamese without diacritics is how many people type on a phone."""
    from phancap.engine.organisations import fold

    haystack = fold(" ".join(str(item.get(k) or "") for k in ("title", "content", "unit_name", "unit", "plan", "task",
                                                            "focal_name")))
    return all(word in haystack for word in fold(q).split())


def search_tasks(db: Database, user: User, f: TaskFilter, today: date, rules: StatusRules, limit: int = 50,
                 offset: int = 0, extra: list[ColumnElement[bool]] | None = None,
                 count: bool = True) -> tuple[list[dict[str, Any]], int]:
    """The instances the user may see that match the filter, and how many match in all; each with its
    official `category` and `due_soon` (the engine's status rules, in SQL). Words (`q`) are matched
    without regard to diacritics, over at most SEARCH_CAP rows the other filters leave. `count` False: the
    caller knows the total (from the status counters); the rows' number is returned instead of a second scan."""
    category, due_soon = rules.columns(T)
    where = filter_conditions(user, f, category) + list(extra or [])
    params = rules.params(today)
    columns = (*_COLUMNS, category, due_soon, _PT.c.content)
    order = ordering(f, category)
    with db.engine.connect() as conn:
        if f.q and f.q.strip():
            rows = conn.execute(select(*columns).select_from(_FROM).where(*where).order_by(*order).limit(SEARCH_CAP),
                                params).all()
            found = [item for item in (_task(r) for r in rows) if _words_match(f.q, item)]
            return found[int(offset):int(offset) + int(limit)], len(found)
        total = int(conn.execute(select(func.count()).select_from(_FROM).where(*where), params).scalar_one()) \
            if count else -1
        rows = conn.execute(select(*columns).select_from(_FROM).where(*where)
                            .order_by(*order).limit(int(limit)).offset(int(offset)), params).all()
    return [_task(r) for r in rows], (total if count else len(rows))


def count_tasks(db: Database, user: User, f: TaskFilter, today: date, rules: StatusRules, by: tuple[str, ...],
                extra: list[ColumnElement[bool]] | None = None) -> list[tuple[Any, ...]]:
    """How many of the instances `search_tasks` would find, grouped by the task_instance columns `by` and the
    official category: rows of (*by, category, due_soon, count). Words (`q`) are not counted in SQL."""
    if f.q and f.q.strip():
        raise ValueError("count_tasks does not match words")
    category, due_soon = rules.columns(T)
    keys = [T.c[column] for column in by]
    stmt = (select(*keys, category, due_soon, func.count()).select_from(T)
            .where(*filter_conditions(user, f, category), *(extra or []))
            .group_by(*keys, category, due_soon))
    with db.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(stmt, rules.params(today))]


def visible_task(db: Database, user: User, task_id: int) -> dict[str, Any] | None:
    """One instance with its plan's fields for the task, or None when missing or not visible."""
    stmt = (select(*_COLUMNS, *_DETAIL).select_from(_FROM.join(_PLAN, _PLAN.c.code == T.c.plan))
            .where(T.c.id == task_id, visible_condition(user)))
    with db.engine.connect() as conn:
        row = conn.execute(stmt).first()
    return None if row is None else with_recipients(db, [_task(row)])[0]


def plan_matrix(db: Database, user: User, plan: str, today: date, rules: StatusRules) -> list[dict[str, Any]]:
    """Every instance of the plan the user may see (for the tasks × units matrix and the dashboard)."""
    items, _ = search_tasks(db, user, TaskFilter(plan=plan), today, rules, limit=1_000_000, count=False)
    return items


@dataclass(frozen=True)
class AuditFilter:
    plan: str | None = None
    unit: str | None = None  # the instance's lead unit or the acting user's unit
    actor: str | None = None
    trigger: str | None = None
    since: str | None = None  # ISO date or instant, inclusive
    until: str | None = None  # ISO date (inclusive day) or instant (exclusive)
    task: int | None = None


AUDIT_KEYS = ("id", "task_id", "plan", "task", "task_unit", "seq", "trigger", "from", "to", "actor", "unit", "role",
              "capacity", "at", "comment", "evidence", "prev_hash", "hash")


def search_audit(db: Database, f: AuditFilter, limit: int | None = None, offset: int = 0, *,
                 newest_first: bool = False, before_id: int | None = None, after_id: int | None = None,
                 up_to_id: int | None = None, with_workflow: bool = False) -> list[dict[str, Any]]:
    """Audit events in the order they happened (time, then id), or paged by keyset: oldest first in id order
    after `after_id` (up to `up_to_id`), or newest first below `before_id`; a malformed row comes with
    `malformed` true and its unreadable parts left out (engine.audit.clean_event), never an error.
    `with_workflow` adds the task's workflow (for labels)."""
    a = AuditEvent.__table__.alias("a")  # type: ignore[attr-defined]
    where: list[ColumnElement[bool]] = []
    for column, value in ((T.c.plan, f.plan), (a.c.actor, f.actor), (a.c.trigger, f.trigger), (a.c.task_id, f.task)):
        if value is not None and value != "":
            where.append(column == value)
    if f.unit:
        where.append(or_(T.c.unit == f.unit, a.c.unit == f.unit))
    if f.since:
        where.append(a.c.at >= f.since)
    if f.until:
        until = f.until
        if len(until) == 10:  # a whole day: up to the end of it
            until = (date.fromisoformat(until) + timedelta(days=1)).isoformat()
        where.append(a.c.at < until)
    if before_id is not None:
        where.append(a.c.id < before_id)
    if after_id is not None:
        where.append(a.c.id > after_id)
    if up_to_id is not None:
        where.append(a.c.id <= up_to_id)
    order = (a.c.id.desc(),) if newest_first else (a.c.id,) if after_id is not None else (a.c.at, a.c.id)
    stmt = (select(a.c.id, a.c.task_id, T.c.plan, T.c.task, T.c.unit, a.c.seq, a.c.trigger, a.c.from_state,
                   a.c.to_state, a.c.actor, a.c.unit, a.c.role, a.c.capacity, a.c.at, a.c.comment, a.c.evidence,
                   a.c.prev_hash, a.c.hash, a.c.data, T.c.workflow)
            .select_from(a.join(T, T.c.id == a.c.task_id)).where(*where).order_by(*order))
    if limit is not None:
        stmt = stmt.limit(int(limit)).offset(int(offset))
    with db.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    result = []
    for r in rows:
        item = clean_event(dict(zip((*AUDIT_KEYS, "data"), r[:-1], strict=True)))
        del item["data"]  # read only to notice a malformed one: the search shows no data
        if with_workflow:
            item["workflow"] = r[-1]
        result.append(item)
    return result


def cases_visible_to(db: Database, user: User, kind: str, *, plan: str | None = None, unit: str | None = None,
                     state: str | None = None, period: str | None = None, recipient: str | None = None,
                     parent_id: int | None = None) -> list[dict[str, Any]]:
    """Reports or difficulties (kind) the user may see, with optional filters; period is a code like BC-2025-6T."""
    where: list[ColumnElement[bool]] = [visible_condition(user), T.c.kind == kind]
    for column, value in (("plan", plan), ("unit", unit), ("state", state), ("parent_id", parent_id)):
        if value is not None and value != "":
            where.append(T.c[column] == value)
    if recipient:
        where.append(recipient_condition(recipient, T))
    if period:
        code = period.replace("%", "").replace("_", "")
        where.append(or_(T.c.task == code, T.c.task.like(code + "/%")))
    stmt = select(*_COLUMNS).select_from(_FROM).where(*where).order_by(T.c.deadline, T.c.unit, T.c.id)
    with db.engine.connect() as conn:
        items = [_task(r) for r in conn.execute(stmt).all()]
    return with_recipients(db, items)


def audit_page(db: Database, f: AuditFilter, after: int = 0, limit: int = 1000) -> tuple[list[dict[str, Any]], int | None]:
    """One page of the search by keyset (id > after, in id order) and the cursor of the next page (None: none
    yet). Pages end at the committed bound (engine.audit_checkpoint.committed_bound): on PostgreSQL an event
    with a lower id may commit after a higher one, and a cursor past it would skip it for good."""
    from phancap.engine.audit_checkpoint import committed_bound

    bound = committed_bound(db)
    rows = search_audit(db, f, limit, after_id=after, up_to_id=bound)
    return rows, (int(rows[-1]["id"]) if len(rows) == limit and rows[-1]["id"] is not None else None)


def iter_audit(db: Database, f: AuditFilter, page: int = 5000) -> Iterator[dict[str, Any]]:
    """Every event the search finds, in id order, read page by page by keyset (an export of millions of events
    holds one page in memory); the events committed after it starts are left to the next export."""
    from phancap.engine.audit_checkpoint import committed_bound

    bound, after = committed_bound(db), 0
    while True:
        rows = search_audit(db, f, page, after_id=after, up_to_id=bound)
        yield from rows
        if len(rows) < page or rows[-1]["id"] is None:
            return
        after = int(rows[-1]["id"])
