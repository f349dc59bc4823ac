"""Periodic reports from a plan's reporting regime: one report instance per reporter, recipient
and period, in the cascade the plan sets (communes → focal departments → Sở Nội vụ → UBND)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from phancap.engine.clock import Clock, stamp
from phancap.engine.db import Database
from phancap.engine.deadlines import read_deadline
from phancap.engine.errors import DefinitionError
from phancap.engine.instantiate import NewInstance, expand, group_index, open_instances
from phancap.engine.machine import WorkflowMachine
from phancap.engine.models import AuditEvent, Unit
from phancap.engine.report_recipients import RECIPIENTS, add_recipients, recipients_of
from phancap.engine.queries import PLANS, TASK_KIND, _day
from phancap.engine.status import DONE, TASK_INSTANCES, WITHDRAWN, StatusRules, Tally

AUDIT_EVENTS = AuditEvent.__table__  # type: ignore[attr-defined]
UNITS = Unit.__table__  # type: ignore[attr-defined]

WORKFLOW = "periodic_report"
KIND = "report"
PERIODS = {"semiannual": ("6T", "6 tháng đầu năm"), "annual": ("NAM", "năm")}


@dataclass
class ReportsResult:
    plan: str
    period: str
    year: int
    created: int = 0
    existing: int = 0
    skipped: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"plan": self.plan, "period": self.period, "year": self.year, "created": self.created,
                "existing": self.existing, "skipped": self.skipped}


def report_code(year: int, period: str) -> str:
    """The period's code, which is every report's task code for that period (BC-2025-6T). Reports made
    before migration 0015 carry their one recipient after a slash (BC-2025-6T/HN-SNV)."""
    return f"BC-{year}-{PERIODS[period][0]}"


def of_period(t: Any, code: str) -> ColumnElement[bool]:
    """The report instances of a period, in either form of task code."""
    return or_(t.c.task == code, t.c.task.like(code.replace("%", "").replace("_", "\\_") + "/%", escape="\\"))


def _recipients(cur: Any, db: Database, plan: str, reporter: str, recipient: str) -> list[str]:
    if recipient != "focal":
        return [recipient]
    # "the focal departments": every agency tracking a task the reporter leads or coordinates
    cur.execute(db.sql("SELECT DISTINCT focal, unit, coordinators FROM task_instance WHERE plan = ? AND kind = 'task'"),
                (plan,))
    found = {focal for focal, unit, coordinators in cur.fetchall()
             if focal and (unit == reporter or reporter in json.loads(coordinators))}
    return sorted(found - {reporter})


@dataclass
class _Planned:
    """One reporter's report for the period: every regime entry naming it, merged."""

    name: str
    due: date
    phrase: str
    recipients: set[str] = field(default_factory=set)


def create_reports(db: Database, workflows: dict[str, WorkflowMachine], clock: Clock, plan: str, period: str,
                   year: int, undated_due: date | None = None) -> ReportsResult:
    """Create the period's report instances, one per reporter sent to all its recipients (again: changes
    nothing). Regime entries the plan gives no date for are created only with `undated_due`, else listed
    as skipped. A reporter that already has a report for the period (in either form) gets no other."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}")
    result = ReportsResult(plan, period, year)
    machine, code = workflows[WORKFLOW], report_code(year, period)
    with db.write() as cur:
        cur.execute(db.sql("SELECT region, monitor, definition FROM plan WHERE code = ?"), (plan,))
        row = cur.fetchone()
        if row is None:
            raise DefinitionError([f"plan {plan}: not loaded"])
        region, monitor, definition = row
        units, groups = group_index(cur, db, region)
        cur.execute(db.sql("SELECT DISTINCT unit FROM task_instance WHERE plan = ? AND kind = ? AND (task = ? OR task LIKE ?)"),
                    (plan, KIND, code, code + "/%"))
        existing = {r[0] for r in cur.fetchall()}
        planned: dict[str, _Planned] = {}
        kept: set[str] = set()
        for entry in json.loads(definition).get("reporting") or []:
            if entry.get("period") not in (period, None):
                continue
            if entry.get("phrase"):
                read = read_deadline(entry["phrase"]).due_in(year)
                if read is None:  # a phrase without a recurring date ("theo yêu cầu"): as if it gave none
                    result.skipped.append(f"{entry.get('name')}: '{entry['phrase']}' gives no date; pass a due date")
                    continue
                due, phrase = read, entry["phrase"]
            elif undated_due is not None:
                due, phrase = undated_due, f"theo cấu hình: {undated_due.isoformat()}"
            else:
                result.skipped.append(f"{entry.get('name')}: the plan gives no date; pass a due date")
                continue
            for reporter in expand(entry.get("reporters") or [], groups, units):
                if reporter in existing:
                    kept.add(reporter)
                    continue
                found = planned.setdefault(reporter, _Planned(str(entry.get("name")), due, phrase))
                if due < found.due:  # named twice in one period: the earlier deadline holds
                    found.due, found.phrase = due, phrase
                found.recipients.update(_recipients(cur, db, plan, reporter, str(entry.get("recipient"))))
        at = stamp(clock.now())
        batch, addressed = [], []
        for reporter, report in planned.items():
            if not report.recipients:
                continue
            title = f"{report.name} ({PERIODS[period][1]} {year})"
            to = sorted(report.recipients)
            batch.append((NewInstance(plan, code, reporter, None, None, monitor, None, machine, report.due,
                                      report.phrase, kind=KIND, title=title),
                          f"Yêu cầu báo cáo: {title}; nơi nhận: {', '.join(to)}"))
            addressed.append(to)
        ids = open_instances(db, cur, batch, at)
        add_recipients(db, cur, [(i, unit) for i, to in zip(ids, addressed, strict=True) for unit in to])
        result.created, result.existing = len(ids), len(kept)
    return result


OVERDUE_PAGE = 500  # overdue tasks listed at once; `overdue_page` says how many there are in all


def report_content(db: Database, report_id: int, today: date, rules: StatusRules, overdue_limit: int = OVERDUE_PAGE,
                   overdue_offset: int = 0) -> dict[str, Any]:
    """The figures of one report, from the engine's data: the reporter's tasks (led, tracked, or the
    whole plan for its monitor) by official category, overdue tasks (one page of them, by task and unit),
    extensions, difficulties, and the reports it should have received for the same period. Set-based: no
    list of ids is sent; the whole plan's counts come from the status counters (engine/counters.py)."""
    t, a, d = TASK_INSTANCES, AUDIT_EVENTS, TASK_INSTANCES.alias("d")
    category, due_soon = rules.columns(t)
    params = rules.params(today)
    with db.engine.connect() as conn:
        row = conn.execute(select(t.c.plan, t.c.task, t.c.unit, t.c.focal, t.c.state, t.c.deadline, t.c.title)
                           .where(t.c.id == report_id, t.c.kind == KIND)).first()
        if row is None:
            raise KeyError(report_id)
        plan, code, reporter, _focal, state, due, title = row
        whole_plan = conn.execute(select(PLANS.c.monitor).where(PLANS.c.code == plan)).scalar_one() == reporter
        scope = and_(t.c.plan == plan, t.c.kind == TASK_KIND)
        if not whole_plan:
            scope = and_(scope, or_(t.c.unit == reporter, t.c.focal == reporter))
        total, per_task = Tally(), dict[str, Tally]()
        for number, cat, soon, count in conn.execute(_by_task(rules, scope, plan, whole_plan), params):
            total.add_counted(cat, soon, int(count))
            per_task.setdefault(number, Tally()).add_counted(cat, soon, int(count))
        overdue = [{"id": i, "task": n, "unit": u, "deadline": str(dl)} for i, n, u, dl in conn.execute(
            select(t.c.id, t.c.task, t.c.unit, t.c.deadline).where(scope, category == "open_overdue")
            .order_by(t.c.task, t.c.unit).limit(max(0, int(overdue_limit))).offset(max(0, int(overdue_offset))),
            params)]
        extensions = [{"task_id": i, **json.loads(data)} for i, data in conn.execute(
            select(a.c.task_id, a.c.data).select_from(a.join(t, t.c.id == a.c.task_id))
            .where(a.c.trigger == "grant_extension", scope).order_by(a.c.id))]
        difficulties = [{"id": i, "unit": u, "state": s, "title": ti} for i, u, s, ti in conn.execute(
            select(d.c.id, d.c.unit, d.c.state, d.c.title).select_from(d.join(t, t.c.id == d.c.parent_id))
            .where(d.c.kind == "difficulty", scope).order_by(d.c.id))]
        finished = conn.execute(done_days(scope, plan, whole_plan)).all()
        r = RECIPIENTS
        received = conn.execute(
            select(t.c.id, t.c.unit, t.c.workflow, t.c.state, t.c.deadline, category, due_soon)
            .select_from(t.join(r, r.c.task_id == t.c.id))
            .where(t.c.plan == plan, t.c.kind == KIND, r.c.unit == reporter, t.c.id != report_id,
                   of_period(t, code.split("/")[0]))
            .order_by(t.c.unit), params).all()
        inputs = []
        for i, u, wf, s, dl, cat, soon in received:
            standing = report_standing(rules, {"workflow": wf, "state": s, "category": cat, "due_soon": soon}, today)
            inputs.append({"id": i, "unit": u, "state": s, "deadline": str(dl), "missing": standing.missing,
                           "late": standing.late})
        names = unit_names(conn, {reporter} | {o["unit"] for o in overdue} | {x["unit"] for x in difficulties}
                            | {str(x[1]) for x in received})
    for listed in (overdue, difficulties, inputs):
        for x in listed:
            x["unit_name"] = names.get(x["unit"], x["unit"])
    recipients = recipients_of(db, [report_id]).get(report_id, [])
    return {
        "report": {"id": report_id, "plan": plan, "code": code, "title": title, "unit": reporter,
                   "unit_name": names.get(reporter, reporter), "to": recipients[0]["unit"] if recipients else None, "recipients": recipients,
                   "state": state, "deadline": str(due) if due else None},
        "today": today.isoformat(), "scope": "plan" if whole_plan else "unit",
        "categories": total.to_json(), "by_task": {k: v.to_json() for k, v in sorted(per_task.items())},
        "overdue": overdue, "overdue_page": {"offset": max(0, int(overdue_offset)), "limit": max(0, int(overdue_limit)),
                                             "total": total.counts["open_overdue"]},
        "extensions": extensions,
        "difficulties": {"open": [x for x in difficulties if x["state"] != "answered"],
                         "answered": [x for x in difficulties if x["state"] == "answered"]},
        "received": inputs,
        "missing_or_late": [i for i in inputs if i["missing"] or i["late"]],
        "timeline": timeline([(_day(day), n) for day, n in finished], today),
    }


def _by_task(rules: StatusRules, scope: ColumnElement[bool], plan: str, whole_plan: bool) -> Any:
    """(task number, category, due_soon, count): the whole plan's from the counters, a unit's by its tasks."""
    if whole_plan:
        from phancap.engine.counters import BY_TASK

        c = BY_TASK
        category, due_soon = rules.columns(c)
        return (select(c.c.task, category, due_soon, func.sum(c.c.n))
                .where(c.c.plan == plan, c.c.kind == TASK_KIND, c.c.n != 0).group_by(c.c.task, category, due_soon))
    t = TASK_INSTANCES
    category, due_soon = rules.columns(t)
    return select(t.c.task, category, due_soon, func.count()).where(scope).group_by(t.c.task, category, due_soon)


def done_days(scope: ColumnElement[bool], plan: str, whole_plan: bool) -> Any:
    """(day, tasks done that day and still done), in day order."""
    if whole_plan:
        from phancap.engine.counters import BY_DONE_DAY

        d = BY_DONE_DAY
        return (select(d.c.done_on, d.c.n).where(d.c.plan == plan, d.c.kind == TASK_KIND, d.c.n != 0)
                .order_by(d.c.done_on))
    t = TASK_INSTANCES
    return (select(t.c.done_on, func.count()).where(scope, t.c.done_on.is_not(None))  # set only while done
            .group_by(t.c.done_on).order_by(t.c.done_on))


def unit_names(conn: Any, codes: set[str]) -> dict[str, str]:
    wanted, names = sorted(codes), dict[str, str]()
    for start in range(0, len(wanted), 500):
        names.update((str(c), str(n)) for c, n in conn.execute(
            select(UNITS.c.code, UNITS.c.name).where(UNITS.c.code.in_(wanted[start:start + 500]))))
    return names


@dataclass(frozen=True)
class ReportStanding:
    """A report seen by its recipient: received (done), missing (not yet sent), late (past its deadline
    unsent, or sent after it)."""

    received: bool
    missing: bool
    late: bool


def report_standing(rules: StatusRules, item: Mapping[str, Any], today: date) -> ReportStanding:
    category, _soon = rules.category(item, today)
    state_category = rules.state_category(item["workflow"], item["state"])
    return ReportStanding(received=state_category == DONE, missing=state_category not in (DONE, WITHDRAWN),
                          late=category in ("open_overdue", "done_late"))


def timeline(done_days: list[tuple[date | None, int]], today: date) -> list[dict[str, Any]]:
    """Tasks done by the end of each month of the report's year, up to today: progress over time."""
    points, month = [], 1
    while month <= 12 and date(today.year, month, 1) <= today:
        end = min(today, (date(today.year, month + 1, 1) if month < 12 else date(today.year + 1, 1, 1)) - timedelta(days=1))
        points.append({"date": end.isoformat(), "done": sum(n for d, n in done_days if d is not None and d <= end)})
        month += 1
    return points
