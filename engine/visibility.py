"""Who sees which task instances, and the read models built on that rule.

A unit sees the instances it leads, coordinates, tracks (focal), approves (authority), monitors,
or appraises (justice: it must see a draft to appraise it). Users holding the SEE_ALL permission
(engine/policy.py: auditor, monitor) see every instance, read-only: seeing grants no transition (the workflow's
grants alone decide that)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text

from phancap.engine.db import Database
from phancap.engine.policy import sees_all
from phancap.engine.roles import COORDINATOR, RELATION_COLUMNS
from phancap.engine.users import User

DUE_SOON_DAYS = 3  # "sắp đến hạn": due within three days

_TASK_SELECT = (
    "SELECT t.id, t.plan, t.task, t.unit, u.name, t.focal, f.name, t.authority, t.monitor, t.justice, "
    "t.coordinators, t.workflow, t.state, t.stage, t.version, t.deadline, t.deadline_phrase, t.state_due, "
    "t.overdue_at, t.state_since, COALESCE(t.title, pt.title, ''), t.kind, t.parent_id, t.pending_deadline "
    "FROM task_instance t LEFT JOIN plan_task pt ON pt.plan = t.plan AND pt.number = t.task "
    "LEFT JOIN unit u ON u.code = t.unit LEFT JOIN unit f ON f.code = t.focal"
)
_TASK_KEYS = ("id", "plan", "task", "unit", "unit_name", "focal", "focal_name", "authority", "monitor", "justice",
              "coordinators", "workflow", "state", "stage", "version", "deadline", "deadline_phrase", "state_due",
              "overdue_at", "state_since", "title", "kind", "parent_id", "pending_deadline")


def visible_clause(user: User, alias: str = "t") -> tuple[str, dict[str, Any]]:
    """An SQL condition (named parameters) true for the instances the user may see."""
    if sees_all(user):
        return "1 = 1", {}
    escaped = user.unit.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    held = " OR ".join(f"{alias}.{column} = :vis_unit" for column in RELATION_COLUMNS.values())
    sql = f"({held} OR {alias}.coordinators LIKE :vis_like ESCAPE '\\')"
    return sql, {"vis_unit": user.unit, "vis_like": f'%"{escaped}"%'}


def relations(user: User, task: dict[str, Any]) -> list[str]:
    """How the user's unit relates to one instance: lead, focal, authority, coordinator, monitor, justice."""
    result = [name for name, column in RELATION_COLUMNS.items() if task.get(column) == user.unit]
    if user.unit in task.get("coordinators", []):
        result.append(COORDINATOR)
    return result


def deadline_badge(deadline: date | None, state: str, finals: Iterable[str], overdue_states: Iterable[str],
                   today: date) -> str | None:
    """'overdue', 'due_soon', 'no_deadline', or None (done, or not due soon)."""
    if state in set(finals):
        return None
    if state in set(overdue_states) or (deadline is not None and deadline < today):
        return "overdue"
    if deadline is None:
        return "no_deadline"
    if deadline <= today + timedelta(days=DUE_SOON_DAYS):
        return "due_soon"
    return None


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _task(row: Any) -> dict[str, Any]:
    item = dict(zip(_TASK_KEYS, row, strict=True))
    item["coordinators"] = json.loads(item["coordinators"] or "[]")
    for key in ("deadline", "state_due", "pending_deadline"):
        item[key] = _as_date(item[key])
    return item


@dataclass(frozen=True)
class TaskFilter:
    plan: str | None = None
    unit: str | None = None
    state: str | None = None
    overdue: bool | None = None
    due_before: date | None = None
    q: str | None = None
    mine: bool = False  # only the instances the user's own unit leads, tracks, approves or appraises


def search_tasks(db: Database, user: User, f: TaskFilter, today: date, finals: Iterable[str],
                 overdue_states: Iterable[str], limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """The instances the user may see that match the filter, and how many match in all."""
    clause, params = visible_clause(user)
    where = [clause]
    for column, value in (("plan", f.plan), ("unit", f.unit), ("state", f.state)):
        if value:
            where.append(f"t.{column} = :f_{column}")
            params[f"f_{column}"] = value
    finals, overdue_states = sorted(set(finals)) or ["-"], sorted(set(overdue_states)) or ["-"]
    fin = ", ".join(f":fin{i}" for i in range(len(finals)))
    ovd = ", ".join(f":ovd{i}" for i in range(len(overdue_states)))
    params |= {f"fin{i}": s for i, s in enumerate(finals)} | {f"ovd{i}": s for i, s in enumerate(overdue_states)}
    late = f"(t.state IN ({ovd}) OR (t.deadline IS NOT NULL AND t.deadline < :today AND t.state NOT IN ({fin})))"
    if f.overdue is not None:
        where.append(late if f.overdue else f"NOT {late}")
        params["today"] = today.isoformat()
    if f.due_before is not None:
        where.append("t.deadline IS NOT NULL AND t.deadline < :due_before")
        params["due_before"] = f.due_before.isoformat()
    if f.q:
        where.append("(LOWER(COALESCE(t.title, pt.title, '')) LIKE :q OR LOWER(COALESCE(pt.content, '')) LIKE :q "
                     "OR t.task = :qexact)")
        params["q"], params["qexact"] = f"%{f.q.strip().lower()}%", f.q.strip()
    if f.mine:
        where.append("(t.unit = :m OR t.focal = :m OR t.authority = :m OR t.justice = :m)")
        params["m"] = user.unit
    cond = " WHERE " + " AND ".join(where)
    frm = _TASK_SELECT[_TASK_SELECT.index(" FROM "):]
    with db.engine.connect() as conn:
        total = int(conn.execute(text("SELECT COUNT(*)" + frm + cond), params).scalar_one())
        rows = conn.execute(text(_TASK_SELECT + cond + " ORDER BY t.id LIMIT :lim OFFSET :off"),
                            params | {"lim": int(limit), "off": int(offset)}).all()
    return [_task(r) for r in rows], total


def visible_task(db: Database, user: User, task_id: int) -> dict[str, Any] | None:
    """One instance with its plan's fields for the task, or None when missing or not visible."""
    clause, params = visible_clause(user)
    sql = (_TASK_SELECT.replace(" FROM ", ", pt.content, pt.product, pt.lead_text, pt.coordinators_text, "
                                "pt.procedure_text, pt.deadline_kind, p.title, pt.focal FROM ", 1)
           + " JOIN plan p ON p.code = t.plan WHERE t.id = :tid AND " + clause)
    with db.engine.connect() as conn:
        row = conn.execute(text(sql), params | {"tid": task_id}).first()
    if row is None:
        return None
    item = _task(row[: len(_TASK_KEYS)])
    extra = ("content", "product", "lead_text", "coordinators_text", "procedure_text", "deadline_kind",
             "plan_title", "plan_focal")
    item.update(dict(zip(extra, row[len(_TASK_KEYS):], strict=True)))
    return item


def plan_matrix(db: Database, user: User, plan: str) -> list[dict[str, Any]]:
    """Every instance of the plan the user may see (for the tasks × units matrix and progress)."""
    items, _ = search_tasks(db, user, TaskFilter(plan=plan), date.min, (), (), limit=100_000)
    return items


def progress(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts per state and per unit (unit → state → count)."""
    by_state: dict[str, int] = {}
    by_unit: dict[str, dict[str, int]] = {}
    for item in items:
        by_state[item["state"]] = by_state.get(item["state"], 0) + 1
        unit = by_unit.setdefault(item["unit"], {})
        unit[item["state"]] = unit.get(item["state"], 0) + 1
    return {"total": len(items), "by_state": by_state, "by_unit": by_unit}


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


def search_audit(db: Database, f: AuditFilter, limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:
    """Audit events in the order they happened (time, then id)."""
    where, params = [], {}
    for column, value in (("t.plan", f.plan), ("a.actor", f.actor), ("a.trigger", f.trigger), ("a.task_id", f.task)):
        if value is not None and value != "":
            key = column.replace(".", "_")
            where.append(f"{column} = :{key}")
            params[key] = value
    if f.unit:
        where.append("(t.unit = :unit OR a.unit = :unit)")
        params["unit"] = f.unit
    if f.since:
        where.append("a.at >= :since")
        params["since"] = f.since
    if f.until:
        until = f.until
        if len(until) == 10:  # a whole day: up to the end of it
            until = (date.fromisoformat(until) + timedelta(days=1)).isoformat()
        where.append("a.at < :until")
        params["until"] = until
    sql = ("SELECT a.id, a.task_id, t.plan, t.task, t.unit, a.seq, a.trigger, a.from_state, a.to_state, a.actor, "
           "a.unit, a.role, a.capacity, a.at, a.comment, a.evidence, a.prev_hash, a.hash "
           "FROM audit_event a JOIN task_instance t ON t.id = a.task_id")
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY a.at, a.id"
    if limit is not None:
        sql += " LIMIT :lim OFFSET :off"
        params |= {"lim": int(limit), "off": int(offset)}
    with db.engine.connect() as conn:
        rows = conn.execute(text(sql), params).all()
    result = [dict(zip(AUDIT_KEYS, r, strict=True)) for r in rows]
    for item in result:
        item["evidence"] = json.loads(item["evidence"]) if item["evidence"] else None
    return result


def cases_visible_to(db: Database, user: User, kind: str, *, plan: str | None = None, unit: str | None = None,
                  state: str | None = None, period: str | None = None, recipient: str | None = None,
                  parent_id: int | None = None) -> list[dict[str, Any]]:
    """Reports or difficulties (kind) the user may see, with optional filters; period is a code like BC-2025-6T."""
    clause, params = visible_clause(user)
    where = [clause, "t.kind = :kind"]
    params["kind"] = kind
    for column, value in (("plan", plan), ("unit", unit), ("state", state), ("focal", recipient),
                          ("parent_id", parent_id)):
        if value is not None and value != "":
            where.append(f"t.{column} = :c_{column}")
            params[f"c_{column}"] = value
    if period:
        where.append("t.task LIKE :c_period")
        params["c_period"] = period.replace("%", "").replace("_", "") + "/%"
    sql = _TASK_SELECT + " WHERE " + " AND ".join(where) + " ORDER BY t.deadline, t.unit, t.id"
    with db.engine.connect() as conn:
        rows = conn.execute(text(sql), params).all()
    return [_task(r) for r in rows]
