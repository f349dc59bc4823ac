"""Periodic reports from a plan's reporting regime: one report instance per reporter, recipient
and period, in the cascade the plan sets (communes → focal departments → Sở Nội vụ → UBND)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select

from phancap.engine.clock import Clock, stamp
from phancap.engine.db import Database
from phancap.engine.deadlines import read_deadline
from phancap.engine.errors import DefinitionError
from phancap.engine.instantiate import NewInstance, expand, group_index, open_instances
from phancap.engine.machine import WorkflowMachine
from phancap.engine.models import AuditEvent
from phancap.engine.queries import PLANS, TASK_KIND, _day
from phancap.engine.status import DONE, TASK_INSTANCES, WITHDRAWN, StatusRules, Tally

AUDIT_EVENTS = AuditEvent.__table__  # type: ignore[attr-defined]

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


def report_code(year: int, period: str, recipient: str) -> str:
    return f"BC-{year}-{PERIODS[period][0]}/{recipient}"


def _recipients(cur: Any, db: Database, plan: str, reporter: str, recipient: str) -> list[str]:
    if recipient != "focal":
        return [recipient]
    # "the focal departments": every agency tracking a task the reporter leads or coordinates
    cur.execute(db.sql("SELECT DISTINCT focal, unit, coordinators FROM task_instance WHERE plan = ? AND kind = 'task'"),
                (plan,))
    found = {focal for focal, unit, coordinators in cur.fetchall()
             if focal and (unit == reporter or reporter in json.loads(coordinators))}
    return sorted(found - {reporter})


def create_reports(db: Database, workflows: dict[str, WorkflowMachine], clock: Clock, plan: str, period: str,
                   year: int, undated_due: date | None = None) -> ReportsResult:
    """Create the period's report instances (again: changes nothing). Regime entries the plan gives
    no date for are created only with `undated_due`, else listed as skipped."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}")
    result = ReportsResult(plan, period, year)
    machine = workflows[WORKFLOW]
    with db.write() as cur:
        cur.execute(db.sql("SELECT region, monitor, definition FROM plan WHERE code = ?"), (plan,))
        row = cur.fetchone()
        if row is None:
            raise DefinitionError([f"plan {plan}: not loaded"])
        region, monitor, definition = row
        units, groups = group_index(cur, db, region)
        cur.execute(db.sql("SELECT task, unit FROM task_instance WHERE plan = ? AND kind = ?"), (plan, KIND))
        existing = {(r[0], r[1]) for r in cur.fetchall()}
        at = stamp(clock.now())
        batch: list[tuple[NewInstance, str]] = []
        for entry in json.loads(definition).get("reporting") or []:
            if entry.get("period") not in (period, None):
                continue
            if entry.get("phrase"):
                due, phrase = read_deadline(entry["phrase"]).due_in(year), entry["phrase"]
            elif undated_due is not None:
                due, phrase = undated_due, f"theo cấu hình: {undated_due.isoformat()}"
            else:
                result.skipped.append(f"{entry.get('name')}: the plan gives no date; pass a due date")
                continue
            for reporter in expand(entry.get("reporters") or [], groups, units):
                for recipient in _recipients(cur, db, plan, reporter, str(entry.get("recipient"))):
                    code = report_code(year, period, recipient)
                    if (code, reporter) in existing:
                        result.existing += 1
                        continue
                    title = f"{entry.get('name')} ({PERIODS[period][1]} {year})"
                    new = NewInstance(plan, code, reporter, recipient, recipient, monitor, None, machine, due, phrase,
                                      kind=KIND, title=title)
                    batch.append((new, f"Yêu cầu báo cáo: {title}"))
                    existing.add((code, reporter))
                    result.created += 1
        open_instances(db, cur, batch, at)
    return result


def report_content(db: Database, report_id: int, today: date, rules: StatusRules) -> dict[str, Any]:
    """The figures of one report, from the engine's data: the reporter's tasks (led, tracked, or the
    whole plan for its monitor) by official category, overdue tasks, extensions, difficulties, and
    the reports it should have received for the same period. Set-based: no list of ids is sent."""
    t, a, d = TASK_INSTANCES, AUDIT_EVENTS, TASK_INSTANCES.alias("d")
    category, due_soon = rules.columns(t)
    params = rules.params(today)
    with db.engine.connect() as conn:
        row = conn.execute(select(t.c.plan, t.c.task, t.c.unit, t.c.focal, t.c.state, t.c.deadline, t.c.title)
                           .where(t.c.id == report_id, t.c.kind == KIND)).first()
        if row is None:
            raise KeyError(report_id)
        plan, code, reporter, recipient, state, due, title = row
        whole_plan = conn.execute(select(PLANS.c.monitor).where(PLANS.c.code == plan)).scalar_one() == reporter
        scope = and_(t.c.plan == plan, t.c.kind == TASK_KIND)
        if not whole_plan:
            scope = and_(scope, or_(t.c.unit == reporter, t.c.focal == reporter))
        total, per_task = Tally(), dict[str, Tally]()
        for number, cat, soon, count in conn.execute(
                select(t.c.task, category, due_soon, func.count()).where(scope)
                .group_by(t.c.task, category, due_soon), params):
            total.add_counted(cat, soon, count)
            per_task.setdefault(number, Tally()).add_counted(cat, soon, count)
        overdue = [{"id": i, "task": n, "unit": u, "deadline": str(dl)} for i, n, u, dl in conn.execute(
            select(t.c.id, t.c.task, t.c.unit, t.c.deadline).where(scope, category == "open_overdue")
            .order_by(t.c.task, t.c.unit), params)]
        extensions = [{"task_id": i, **json.loads(data)} for i, data in conn.execute(
            select(a.c.task_id, a.c.data).select_from(a.join(t, t.c.id == a.c.task_id))
            .where(a.c.trigger == "grant_extension", scope).order_by(a.c.id))]
        difficulties = [{"id": i, "unit": u, "state": s, "title": ti} for i, u, s, ti in conn.execute(
            select(d.c.id, d.c.unit, d.c.state, d.c.title).select_from(d.join(t, t.c.id == d.c.parent_id))
            .where(d.c.kind == "difficulty", scope).order_by(d.c.id))]
        done_days = conn.execute(
            select(t.c.done_on, func.count()).where(scope, t.c.done_on.is_not(None))  # set only while done
            .group_by(t.c.done_on).order_by(t.c.done_on)).all()
        period_prefix = code.split("/")[0]
        received = conn.execute(
            select(t.c.id, t.c.unit, t.c.workflow, t.c.state, t.c.deadline, category, due_soon)
            .where(t.c.plan == plan, t.c.kind == KIND, t.c.focal == reporter, t.c.task == f"{period_prefix}/{reporter}")
            .order_by(t.c.unit), params).all()
    inputs = []
    for i, u, wf, s, dl, cat, soon in received:
        standing = report_standing(rules, {"workflow": wf, "state": s, "category": cat, "due_soon": soon}, today)
        inputs.append({"id": i, "unit": u, "state": s, "deadline": str(dl), "missing": standing.missing,
                       "late": standing.late})
    return {
        "report": {"id": report_id, "plan": plan, "code": code, "title": title, "unit": reporter, "to": recipient,
                   "state": state, "deadline": str(due) if due else None},
        "today": today.isoformat(), "scope": "plan" if whole_plan else "unit",
        "categories": total.to_json(), "by_task": {k: v.to_json() for k, v in sorted(per_task.items())},
        "overdue": overdue, "extensions": extensions,
        "difficulties": {"open": [x for x in difficulties if x["state"] != "answered"],
                         "answered": [x for x in difficulties if x["state"] == "answered"]},
        "received": inputs,
        "missing_or_late": [i for i in inputs if i["missing"] or i["late"]],
        "timeline": timeline([(_day(day), n) for day, n in done_days], today),
    }


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


def report_documents(db: Database, report_id: int, today: date, rules: StatusRules) -> tuple[bytes, bytes, dict[str, Any]]:
    """The report as (DOCX, XLSX, content); the issuing body, place, signer and recipients come from the plan."""
    from phancap.engine.documents import report_docx, report_xlsx

    content = report_content(db, report_id, today, rules)
    meta = content["report"]
    with db.read() as cur:
        cur.execute(db.sql("SELECT p.definition, i.name FROM plan p JOIN unit i ON i.code = p.issuer WHERE p.code = ?"),
                    (meta["plan"],))
        definition, issuer_name = cur.fetchone()
        cur.execute(db.sql("SELECT code, name FROM unit WHERE code IN (?, ?)"), (meta["unit"], meta["to"]))
        names = dict(cur.fetchall())
        cur.execute(db.sql("SELECT comment, actor FROM audit_event WHERE task_id = ? AND trigger = 'submit' "
                           "ORDER BY seq DESC"), (report_id,))
        submitted = cur.fetchone()
    plan = json.loads(definition)
    place = "Hà Nội" if plan.get("registry") == "HN" else "Kon Tum"
    signer = {"block": f"TL. {names.get(meta['to'], meta['to']).upper()} / THỦ TRƯỞNG ĐƠN VỊ",
              "name": submitted[1] if submitted else ""}
    docx_bytes = report_docx(content, issuer=issuer_name, body_name=names.get(meta["unit"], meta["unit"]), place=place,
                             signer=signer, free_text=submitted[0] if submitted else None,
                             recipients=[names.get(meta["to"], meta["to"])], today=today)
    return docx_bytes, report_xlsx(content), content
