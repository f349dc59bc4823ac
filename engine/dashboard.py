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
from phancap.engine.policy import receives, sees_all
from phancap.engine.queries import PLANS, TASK_KIND, PlanSummary, counted_by_unit, list_plans
from phancap.engine.report_recipients import RECIPIENTS, recipient_condition, with_recipients
from phancap.engine.reports import KIND as REPORT_KIND
from phancap.engine.reports import ReportStanding, done_days, report_standing, timeline, unit_names
from phancap.engine.runtime import TaskEngine
from phancap.engine.status import TASK_INSTANCES, Tally
from phancap.engine.users import User
from phancap.engine.visibility import T as SEARCHED
from phancap.engine.visibility import TaskFilter, count_tasks, search_tasks, tracked_condition

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
    """One plan's board: what the user's unit tracks (policy.tracks) and the reports it receives. Counted in SQL,
    never instance by instance in Python: from the status counters for one who follows the whole plan, else by one
    GROUP BY over the tasks its unit tracks; only the nearest LISTED overdue and due-soon tasks are read."""
    today, rules, db, code = engine.clock.today(), engine.status, engine.db, plan["code"]
    narrowing: list[Any] = []
    if follows_whole_plan(db, user, plan):
        per_unit, _done = counted_by_unit(db, code, today, rules)
        with db.engine.connect() as conn:
            days = [(_as_day(d), int(n)) for d, n in conn.execute(done_days(TASK_INSTANCES.c.plan == code, code, True))]
    else:
        narrowing = [tracked_condition(user, plan["monitor"], SEARCHED)]
        tasks = TaskFilter(plan=code, kind=TASK_KIND)
        per_unit = _by_unit(count_tasks(db, user, tasks, today, rules, ("unit", "state"), narrowing))
        finished = Counter[date]()
        for done_on, _category, _soon, n in count_tasks(db, user, tasks, today, rules, ("done_on",),
                                                         [*narrowing, SEARCHED.c.done_on.is_not(None)]):
            finished[_as_day(done_on)] += int(n)
        days = sorted(finished.items())
    received = search_tasks(db, user, TaskFilter(plan=code, kind=REPORT_KIND), today, rules, limit=1_000_000,
                            extra=[] if sees_all(user) else [recipient_condition(user.unit, SEARCHED)], count=False)[0]
    reports = [i for i in with_recipients(db, received) if receives(user, i)]
    if not per_unit and not reports:
        return None
    total, states = Tally(), Counter[str]()
    for unit_states, tally in per_unit.values():
        total.counts.update(tally.counts)
        total.due_soon += tally.due_soon
        states.update(unit_states)
    _category, soon = rules.columns(SEARCHED)

    def first(f: TaskFilter, *extra: Any) -> list[dict[str, Any]]:
        return sorted(search_tasks(db, user, f, today, rules, limit=LISTED, extra=[*narrowing, *extra], count=False)[0],
                      key=_by_deadline)

    # the deadline bounds are implied by the categories; stated, they let (plan, deadline) serve the lists
    soon_until = rules.params(today)["soon_until"]
    overdue = first(TaskFilter(plan=code, kind=TASK_KIND, category="open_overdue", sort="deadline"),
                    SEARCHED.c.deadline < today)
    due_soon = first(TaskFilter(plan=code, kind=TASK_KIND, sort="deadline", deadline_from=today,
                                deadline_to=soon_until), soon == 1)  # due soon is never overdue (engine.status)
    with db.engine.connect() as conn:
        names = unit_names(conn, set(per_unit))
    agencies = [AgencyFigures(u, names.get(u), dict(st), tally) for u, (st, tally) in per_unit.items()]
    return PlanFigures(
        plan=code, title=plan["title"], tasks=sum(states.values()), categories=total, states=dict(states),
        agencies=sorted(agencies, key=lambda a: a.unit_name or a.unit), overdue=overdue, due_soon=due_soon,
        reports=_period_figures(engine, reports, today, period) if reports else None,
        timeline=timeline(list(days), today), overdue_total=total.counts["open_overdue"],
        due_soon_total=total.due_soon)


def _by_unit(rows: list[tuple[Any, ...]]) -> dict[str, tuple[dict[str, int], Tally]]:
    """count_tasks rows (unit, state, category, due_soon, n) as counted_by_unit gives them."""
    per_unit: dict[str, tuple[dict[str, int], Tally]] = {}
    for unit, state, category, soon, n in rows:
        states, tally = per_unit.setdefault(unit, ({}, Tally()))
        states[state] = states.get(state, 0) + int(n)
        tally.add_counted(category, soon, int(n))
    return per_unit


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
