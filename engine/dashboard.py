"""The monitoring dashboard's figures: per plan the tasks the caller's unit tracks by official category
and lead agency, the overdue and due-soon ones, the current period's reports, and progress over time.
Every category comes from the engine's one status expression (engine/status.py); the API only shapes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import or_, select

from phancap.engine.db import Database
from phancap.engine.errors import Forbidden, NotFound
from phancap.engine.policy import receives, sees_all, tracks
from phancap.engine.queries import PLANS, TASK_KIND, PlanSummary, counted_by_unit, list_plans
from phancap.engine.report_recipients import RECIPIENTS, recipient_condition, with_recipients
from phancap.engine.reports import KIND as REPORT_KIND
from phancap.engine.reports import ReportStanding, done_days, report_standing, timeline, unit_names
from phancap.engine.runtime import TaskEngine
from phancap.engine.status import TASK_INSTANCES, StatusRules, Tally
from phancap.engine.users import User
from phancap.engine.visibility import T as SEARCHED
from phancap.engine.visibility import TaskFilter, plan_matrix, search_tasks

CURRENT_PERIOD_LEAD = timedelta(days=30)  # a period becomes "current" a month before its first deadline
LISTED = 500  # overdue and due-soon tasks listed per plan, nearest deadline first; *_total says how many in all


def period_of(item: dict[str, Any]) -> str:
    """A report's period code (BC-2025-6T): its task code, or before migration 0015 the part before the
    recipient (BC-2025-6T/HN-SNV)."""
    return str(item["task"]).split("/")[0]


@dataclass
class AgencyFigures:
    unit: str
    unit_name: str | None
    states: dict[str, int] = field(default_factory=dict)
    categories: Tally = field(default_factory=Tally)


@dataclass
class PeriodFigures:
    period: str
    periods: list[str]
    reports: list[tuple[dict[str, Any], ReportStanding]]  # the current period's, by deadline and unit


@dataclass
class PlanFigures:
    plan: str
    title: str
    tasks: int
    categories: Tally
    states: dict[str, int]
    agencies: list[AgencyFigures]
    overdue: list[dict[str, Any]]
    due_soon: list[dict[str, Any]]
    reports: PeriodFigures | None
    timeline: list[dict[str, Any]]
    overdue_total: int = 0
    due_soon_total: int = 0


@dataclass
class DashboardFigures:
    today: date
    scope: str  # "all", or the caller's unit
    plans: list[PlanFigures]


def current_period(firsts: dict[str, date | None], today: date, wanted: str | None) -> str | None:
    """The asked period if it exists, else the latest whose first deadline is at most a month away."""
    if wanted in firsts:
        return wanted
    ordered = sorted(firsts, key=lambda p: (firsts[p] or date.max, p))
    begun = [p for p in ordered if (first := firsts[p]) is not None and first <= today + CURRENT_PERIOD_LEAD]
    return begun[-1] if begun else (ordered[0] if ordered else None)


def _by_deadline(item: dict[str, Any]) -> tuple[Any, ...]:
    return item["deadline"] or date.max, item["task"], item["unit"]


def follows_whole_plan(db: Database, user: User, plan: PlanSummary) -> bool:
    """Whether the user's dashboard counts every task of the plan: those who see all, and the plan's monitor
    while every instance names it as monitor (a succession may have moved some to another)."""
    if sees_all(user):
        return True
    if user.unit != plan["monitor"]:
        return False
    t = TASK_INSTANCES
    with db.engine.connect() as conn:  # two ranges of (plan, monitor): no scan of the plan's instances
        other = conn.execute(select(t.c.id).where(t.c.plan == plan["code"], or_(
            t.c.monitor < user.unit, t.c.monitor > user.unit, t.c.monitor.is_(None))).limit(1)).first()
    return other is None


def plan_figures(engine: TaskEngine, user: User, plan: PlanSummary, period: str | None) -> PlanFigures | None:
    if follows_whole_plan(engine.db, user, plan):
        return _whole_plan_figures(engine, user, plan, period)
    today, rules = engine.clock.today(), engine.status
    tasks, reports = _tracked(engine.db, user, plan, today, rules)
    if not tasks and not reports:
        return None
    total, agencies, states = Tally(), dict[str, AgencyFigures](), Counter[str]()
    overdue: list[dict[str, Any]] = []
    due_soon: list[dict[str, Any]] = []
    for item in sorted(tasks, key=_by_deadline):
        total.add_counted(item["category"], item["due_soon"], 1)
        agency = agencies.setdefault(item["unit"], AgencyFigures(item["unit"], item["unit_name"]))
        agency.categories.add_counted(item["category"], item["due_soon"], 1)
        agency.states[item["state"]] = agency.states.get(item["state"], 0) + 1
        states[item["state"]] += 1
        if item["category"] == "open_overdue":
            overdue.append(item)
        elif item["due_soon"]:
            due_soon.append(item)
    done_on = Counter(i["done_on"] for i in tasks if i["done_on"] is not None)
    return PlanFigures(
        plan=plan["code"], title=plan["title"], tasks=len(tasks), categories=total, states=dict(states),
        agencies=sorted(agencies.values(), key=lambda a: a.unit_name or a.unit), overdue=overdue[:LISTED],
        due_soon=due_soon[:LISTED], reports=_period_figures(engine, reports, today, period) if reports else None,
        timeline=timeline(list(done_on.items()), today), overdue_total=len(overdue), due_soon_total=len(due_soon))


def _tracked(db: Database, user: User, plan: PlanSummary, today: date,
             rules: StatusRules) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The plan's tasks the user's unit tracks and the reports it receives (policy.tracks, policy.receives). A
    focal agency's are read through its relations (the focal and recipient indexes), not by testing every
    instance of the plan it may see; one who sees all, or a monitor that some instances left, reads what it
    may see, as before."""
    if sees_all(user) or user.unit == plan["monitor"]:
        items = plan_matrix(db, user, plan["code"], today, rules)
        tasks = [i for i in items if i["kind"] == TASK_KIND]
        reports = [i for i in items if i["kind"] == REPORT_KIND]
    else:
        t, code = SEARCHED, plan["code"]
        tasks = search_tasks(db, user, TaskFilter(plan=code, kind=TASK_KIND), today, rules, limit=1_000_000,
                             extra=[or_(t.c.focal == user.unit, t.c.authority == user.unit)], count=False)[0]
        reports = search_tasks(db, user, TaskFilter(plan=code, kind=REPORT_KIND), today, rules, limit=1_000_000,
                               extra=[recipient_condition(user.unit, t)], count=False)[0]
    return ([i for i in tasks if tracks(user, i, plan["monitor"])],
            [i for i in with_recipients(db, reports) if receives(user, i)])


def _whole_plan_figures(engine: TaskEngine, user: User, plan: PlanSummary, period: str | None) -> PlanFigures | None:
    """`plan_figures` for one who follows the whole plan: the counts from the status counters and only the first
    LISTED overdue and due-soon tasks read, so a plan of a million instances costs what its units cost."""
    today, rules, db, code = engine.clock.today(), engine.status, engine.db, plan["code"]
    per_unit, _done = counted_by_unit(db, code, today, rules)
    reports = [i for i in with_recipients(db, search_tasks(db, user, TaskFilter(plan=code, kind=REPORT_KIND), today,
                                                              rules, limit=1_000_000, count=False)[0])
               if receives(user, i)]
    if not per_unit and not reports:
        return None
    total, states = Tally(), Counter[str]()
    for unit_states, tally in per_unit.values():
        total.counts.update(tally.counts)
        total.due_soon += tally.due_soon
        states.update(unit_states)
    _category, soon = rules.columns(SEARCHED)

    def first(f: TaskFilter, *extra: Any) -> list[dict[str, Any]]:
        return sorted(search_tasks(db, user, f, today, rules, limit=LISTED, extra=list(extra), count=False)[0],
                      key=_by_deadline)

    # the deadline bounds are implied by the categories; stated, they let (plan, deadline) serve the lists
    soon_until = rules.params(today)["soon_until"]
    overdue = first(TaskFilter(plan=code, kind=TASK_KIND, category="open_overdue", sort="deadline"),
                    SEARCHED.c.deadline < today)
    due_soon = first(TaskFilter(plan=code, kind=TASK_KIND, sort="deadline", deadline_from=today,
                                deadline_to=soon_until), soon == 1)  # due soon is never overdue (engine.status)
    with db.engine.connect() as conn:
        names = unit_names(conn, set(per_unit))
        days = conn.execute(done_days(TASK_INSTANCES.c.plan == code, code, True)).all()
    agencies = [AgencyFigures(u, names.get(u), dict(st), tally) for u, (st, tally) in per_unit.items()]
    return PlanFigures(
        plan=code, title=plan["title"], tasks=sum(states.values()), categories=total, states=dict(states),
        agencies=sorted(agencies, key=lambda a: a.unit_name or a.unit), overdue=overdue, due_soon=due_soon,
        reports=_period_figures(engine, reports, today, period) if reports else None,
        timeline=timeline([(_as_day(d), int(n)) for d, n in days], today),
        overdue_total=total.counts["open_overdue"], due_soon_total=total.due_soon)


def _as_day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _period_figures(engine: TaskEngine, reports: list[dict[str, Any]], today: date,
                    period: str | None) -> PeriodFigures:
    firsts: dict[str, date | None] = {}
    for item in reports:
        p, due = period_of(item), item["deadline"]
        first = firsts.get(p)
        if p not in firsts or (due is not None and (first is None or due < first)):
            firsts[p] = due
    current = current_period(firsts, today, period)
    shown = sorted((i for i in reports if period_of(i) == current),
                   key=lambda i: (i["deadline"] or date.max, i["unit_name"] or i["unit"], i["focal"] or ""))
    return PeriodFigures(period=str(current), periods=sorted(firsts, key=lambda p: (firsts[p] or date.max, p)),
                         reports=[(i, report_standing(engine.status, i, today)) for i in shown])


def dashboard(engine: TaskEngine, user: User, plan: str | None = None, period: str | None = None) -> DashboardFigures:
    """Refused (rule forbidden) when the caller's unit tracks nothing in any plan."""
    plans = list_plans(engine.db)
    if plan:
        plans = [p for p in plans if p["code"] == plan]
        if not plans:
            raise NotFound(f"Không có kế hoạch '{plan}'", f"no plan '{plan}'")
    boards = [b for b in (plan_figures(engine, user, p, period) for p in plans) if b]
    if not boards and not plan:
        raise Forbidden("forbidden", "Bảng theo dõi dành cho Sở Nội vụ và các cơ quan đầu mối theo dõi",
                        "the dashboard is for the monitor and the focal agencies (nothing tracked by your unit)")
    return DashboardFigures(today=engine.clock.today(), scope="all" if sees_all(user) else user.unit, plans=boards)


def may_open_dashboard(db: Database, user: User) -> bool:
    """Whether `dashboard` would show the user anything (the menu shows it only then): those who see all,
    and units that track a task as its focal agency or approving authority, receive a report, or monitor
    a plan. The same condition as `tracks` and `receives`, asked of the database once."""
    if sees_all(user):
        return True
    t, p = TASK_INSTANCES, PLANS
    with db.engine.connect() as conn:
        tracked = conn.execute(select(t.c.id).where(or_(t.c.focal == user.unit, t.c.authority == user.unit)).limit(1)).first()
        tracked = tracked or conn.execute(select(RECIPIENTS.c.task_id).where(RECIPIENTS.c.unit == user.unit).limit(1)).first()
        monitored = tracked or conn.execute(select(p.c.code).where(p.c.monitor == user.unit).limit(1)).first()
    return monitored is not None
