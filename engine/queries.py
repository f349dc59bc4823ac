"""Read models for listings and history: plain dicts ready for JSON, no table rows leak."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from collections.abc import Collection, Iterator
from typing import Any, TypedDict

from sqlalchemy import and_, func, literal, select

from phancap.engine.db import Database
from phancap.engine.models import AuditEvent, Plan, PlanTask, Unit
from phancap.engine.status import TASK_INSTANCES, StatusRules, Tally
from phancap.engine.users import User

TASK_KIND = "task"  # plan tasks; reports and difficulties are instances of other kinds
PLANS, PLAN_TASKS = Plan.__table__, PlanTask.__table__  # type: ignore[attr-defined]
UNITS, AUDIT_EVENTS = Unit.__table__, AuditEvent.__table__  # type: ignore[attr-defined]

TASK_COLUMNS = ("id", "plan", "task", "unit", "focal", "state", "deadline", "version", "workflow", "stage",
                "overdue_at", "state_since", "authority", "kind", "title", "parent_id", "done_on")


class PlanSummary(TypedDict):
    code: str
    title: str
    issuer: str  # the issuing body's name
    issuer_code: str
    tasks: int  # tasks of the plan, headings not counted
    monitor: str


def list_plans(db: Database) -> list[PlanSummary]:
    plan, unit, task = PLANS, UNITS, PLAN_TASKS
    counted = (select(func.count()).where(task.c.plan == plan.c.code, task.c.heading.is_(False))
               .correlate(plan).scalar_subquery())
    stmt = (select(plan.c.code, plan.c.title, unit.c.name, plan.c.issuer, counted, plan.c.monitor)
            .select_from(plan.join(unit, unit.c.code == plan.c.issuer)).order_by(plan.c.code))
    with db.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return [PlanSummary(code=r[0], title=r[1], issuer=r[2], issuer_code=r[3], tasks=int(r[4]), monitor=r[5])
            for r in rows]


def plan_detail(db: Database, code: str) -> dict[str, Any] | None:
    """The plan as issued, with every task (headings too) and its fields; None when not loaded."""
    plan, task = PLANS, PLAN_TASKS
    with db.engine.connect() as conn:
        row = conn.execute(select(plan.c.code, plan.c.title, plan.c.region, plan.c.issuer, plan.c.authority,
                                  plan.c.monitor, plan.c.justice).where(plan.c.code == code)).first()
        if row is None:
            return None
        columns = ("number", "parent", "heading", "title", "content", "focal", "lead", "lead_text", "coordinators",
                   "coordinators_text", "product", "deadline_phrase", "deadline_kind", "deadline_due", "workflow")
        tasks = [dict(r._mapping) for r in conn.execute(
            select(*(task.c[c] for c in columns)).where(task.c.plan == code).order_by(task.c.id))]
    for item in tasks:
        item["lead"], item["coordinators"] = json.loads(item["lead"] or "[]"), json.loads(item["coordinators"] or "[]")
        item["heading"] = bool(item["heading"])
    return {**dict(row._mapping), "tasks": tasks}


def plan_monitor(db: Database, code: str) -> str | None:
    """The plan's monitoring body (Sở Nội vụ / Phòng Nội vụ), or None when no such plan is loaded."""
    with db.engine.connect() as conn:
        found = conn.execute(select(PLANS.c.monitor).where(PLANS.c.code == code)).scalar()
    return None if found is None else str(found)


def rollup_scope(db: Database, code: str, unit: str) -> tuple[dict[str, Any] | None, str | None]:
    """What policy.may_see_plan_rollup weighs: the plan's region and units (None when not loaded), and
    the region of the user's unit."""
    with db.engine.connect() as conn:
        row = conn.execute(select(PLANS.c.region, PLANS.c.issuer, PLANS.c.authority, PLANS.c.monitor,
                                  PLANS.c.justice).where(PLANS.c.code == code)).first()
        region = conn.execute(select(UNITS.c.region).where(UNITS.c.code == unit)).scalar()
    return (dict(row._mapping) if row is not None else None), (None if region is None else str(region))


def ping(db: Database) -> None:
    """Raise unless the database answers."""
    with db.engine.connect() as conn:
        conn.execute(select(literal(1)))


def latest_comments(db: Database, ids: list[int], triggers: tuple[str, ...]) -> dict[int, dict[str, str]]:
    """For each instance, the latest comment of each of the triggers (one query for all)."""
    if not ids:
        return {}
    a = AUDIT_EVENTS
    stmt = (select(a.c.task_id, a.c.trigger, a.c.comment).where(a.c.task_id.in_(ids), a.c.trigger.in_(triggers))
            .order_by(a.c.task_id, a.c.seq))
    found: dict[int, dict[str, str]] = {}
    with db.engine.connect() as conn:
        for task_id, trigger, comment in conn.execute(stmt).all():
            found.setdefault(int(task_id), {})[trigger] = comment
    return found


def _task_row(row: Any) -> dict[str, Any]:
    item = dict(row._mapping)
    for key in ("deadline", "done_on"):  # ISO text, as JSON shows them
        item[key] = item[key].isoformat() if item[key] is not None else None
    return item


def list_tasks(db: Database, plan: str | None = None, unit: str | None = None, state: str | None = None,
               limit: int | None = None, kind: str | None = TASK_KIND) -> list[dict[str, Any]]:
    """Task instances (or, with kind="report"/"difficulty", those instances); kind=None lists all."""
    t = TASK_INSTANCES
    stmt = select(*(t.c[c] for c in TASK_COLUMNS)).order_by(t.c.id)
    for column, value in (("plan", plan), ("unit", unit), ("state", state), ("kind", kind)):
        if value:
            stmt = stmt.where(t.c[column] == value)
    if limit:
        stmt = stmt.limit(int(limit))
    with db.engine.connect() as conn:
        return [_task_row(r) for r in conn.execute(stmt).all()]


def get_task(db: Database, task_id: int) -> dict[str, Any] | None:
    t = TASK_INSTANCES
    with db.engine.connect() as conn:
        row = conn.execute(select(*(t.c[c] for c in TASK_COLUMNS)).where(t.c.id == task_id)).first()
    return None if row is None else _task_row(row)


EVENT_KEYS = ("seq", "trigger", "from", "to", "actor", "unit", "role", "capacity", "at", "comment", "evidence", "data",
              "prev_hash", "hash")


def history(db: Database, task_id: int) -> list[dict[str, Any]]:
    """A task's audit events in order ("from"/"to" are the states; evidence and data decoded). A malformed
    row (engine.audit.clean_event) comes with `malformed` true and its unreadable parts left out."""
    from phancap.engine.audit import clean_event

    a = AUDIT_EVENTS
    stmt = (select(a.c.seq, a.c.trigger, a.c.from_state, a.c.to_state, a.c.actor, a.c.unit, a.c.role, a.c.capacity,
                   a.c.at, a.c.comment, a.c.evidence, a.c.data, a.c.prev_hash, a.c.hash)
            .where(a.c.task_id == task_id).order_by(a.c.seq))
    with db.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return [clean_event(dict(zip(EVENT_KEYS, r, strict=True))) for r in rows]


def verify_audit(db: Database) -> Any:
    with db.read() as cur:
        return verify_with(cur)


def verify_with(cur: Any) -> Any:
    """Verify every chain as seen by this cursor's transaction: the events, each task's checkpoint and its
    fields against the snapshot of its newest event, the creation links and head (deleted tasks), each
    plan's text against its recorded version, and each kept plan version against its own (issue 13)."""
    from phancap.engine.audit import EVENT_COLUMNS, verify_rows

    tasks, head, plans = audited_tasks(cur)
    problems = plan_version_problems(cur, plans)
    cur.execute(f"SELECT {EVENT_COLUMNS} FROM audit_event ORDER BY task_id, seq, id")
    report = verify_rows(tasks, iter(cur.fetchone, None), head, plans)
    report.problems.extend(problems)
    return report


TASK_AUDIT_COLUMNS = ("id", "state", "version", "last_hash", "plan", "stage", "unit", "focal", "authority", "monitor",
                      "justice", "coordinators", "deadline", "pending_deadline", "state_due", "overdue_at", "complex")


def _kept_versions(cur: Any) -> tuple[dict[str, set[str]], list[tuple[str, int, str | None, str]]]:
    """Each plan's kept versions whose text matches their sha256, and every version (plan, version, recorded, actual)."""
    from phancap.engine.audit import definition_sha256

    cur.execute("SELECT plan, version, definition_sha256, definition FROM plan_version ORDER BY plan, version")
    kept: dict[str, set[str]] = {}
    rows = []
    for plan, version, recorded, text in cur.fetchall():
        actual = definition_sha256(str(text))
        rows.append((str(plan), int(version), recorded, actual))
        if recorded == actual:
            kept.setdefault(str(plan), set()).add(actual)
    return kept, rows


def plan_version_problems(cur: Any, plans: dict[str, tuple[str | None, str]]) -> list[str]:
    """A kept version whose text was edited; a plan whose current text is not its newest version."""
    _, rows = _kept_versions(cur)
    problems, newest = [], {}
    for plan, version, recorded, actual in rows:
        newest[plan] = (version, actual)
        if recorded != actual:
            problems.append(f"plan {plan} version {version}: definition text does not match its recorded version "
                            f"(edited?) / kế hoạch {plan} phiên bản {version}: nội dung bị sửa")
    for code, (version, actual) in sorted(newest.items()):
        if code in plans and plans[code][1] != actual:
            problems.append(f"plan {code}: its definition is not its newest version {version} (changed without a "
                            f"version?) / kế hoạch {code}: nội dung khác phiên bản mới nhất {version}")
    return problems


def _chunks(ids: list[int], size: int = 500) -> Iterator[tuple[str, list[int]]]:
    """` AND t.id IN (…)` clauses of at most `size` ids each (SQLite bounds the parameters of a statement)."""
    for start in range(0, len(ids), size):
        part = ids[start:start + size]
        yield f" AND t.id IN ({', '.join(str(int(i)) for i in part)})", part


def _restricted(cur: Any, sql: str, only: Collection[int] | None) -> list[tuple[Any, ...]]:
    """Rows of `sql` (a query over task_instance t ending in a WHERE clause), for the tasks `only` when given."""
    if only is None:
        cur.execute(sql)
        return list(cur.fetchall())
    rows: list[tuple[Any, ...]] = []
    for clause, _ in _chunks(sorted(only)):
        cur.execute(sql + clause)
        rows.extend(cur.fetchall())
    return rows


def _followed(cur: Any, kept: dict[str, set[str]], plans_of: dict[Any, str],
              only: Collection[int] | None = None) -> dict[Any, str]:
    """The plan version (sha256) each task's newest event committed to, when it is a kept version of its plan:
    a task done or withdrawn before an amendment, or not affected by it, still follows the version before."""
    found: dict[Any, str] = {}
    for task_id, snapshot in _restricted(cur, "SELECT a.task_id, a.snapshot FROM audit_event a JOIN task_instance t "
                                              "ON t.id = a.task_id AND a.seq = t.version WHERE a.snapshot IS NOT NULL",
                                         only):
        try:
            value = json.loads(snapshot).get("plan") if isinstance(snapshot, str) else None
        except (ValueError, AttributeError):
            continue
        if isinstance(value, str) and value in kept.get(plans_of.get(task_id, ""), set()):
            found[task_id] = value
    return found


def audited_tasks(cur: Any, only: Collection[int] | None = None
                  ) -> tuple[dict[Any, tuple[Any, ...]], str | None, dict[str, tuple[str | None, str]]]:
    """Every task (or those `only`) as verification takes it, the audit head, and each plan's (recorded, actual)
    version. A task's `plan` is the sha256 of its plan's current text, or of the kept earlier version it still follows."""
    from phancap.engine.audit import current_fields, definition_sha256

    cur.execute("SELECT code, definition_sha256, definition FROM plan")
    plans = {str(code): (recorded, definition_sha256(str(text))) for code, recorded, text in cur.fetchall()}
    actual = {code: pair[1] for code, pair in plans.items()}
    kept, versions = _kept_versions(cur)
    newest = {plan: actual_sha for plan, _, _, actual_sha in versions}  # rows come in version order
    # Only a plan whose text is its newest kept version lets tasks follow an earlier one: text edited
    # outside an amendment names every task again, as before versions were kept.
    kept = {code: shas for code, shas in kept.items()
            if code in plans and plans[code][0] == plans[code][1] == newest.get(code)}
    rows = _restricted(cur, f"SELECT {', '.join(f't.{c}' for c in TASK_AUDIT_COLUMNS)} FROM task_instance t WHERE 1 = 1",
                       only)
    followed = _followed(cur, kept, {row[0]: str(row[4]) for row in rows}, only)
    tasks: dict[Any, tuple[Any, ...]] = {}
    for row in rows:
        fields = dict(zip(TASK_AUDIT_COLUMNS, row, strict=True))
        current = current_fields(fields, actual)
        if row[0] in followed:
            current["plan"] = followed[row[0]]
        tasks[row[0]] = (*row[:4], current)
    cur.execute("SELECT hash FROM audit_head WHERE id = 1")
    found = cur.fetchone()
    return tasks, (None if found is None else str(found[0])), plans


def progress(db: Database, plan: str, today: date, rules: StatusRules, viewer: User | None = None) -> dict[str, Any]:
    """Counts per state and per official category, for the plan and for each unit (reports and difficulties
    are not plan tasks). `done` counts the tasks in a done state, with or without a deadline. For the whole
    plan (no viewer, or one who sees all) from the status counters, a few thousand rows however many tasks;
    for a viewer who sees only some, one GROUP BY over the tasks that viewer may see."""
    from phancap.engine.policy import sees_all

    if viewer is not None and not sees_all(viewer):
        return progress_scan(db, plan, today, rules, viewer)
    per_unit, done = counted_by_unit(db, plan, today, rules)
    total, states, units = Tally(), dict[str, int](), dict[str, Any]()
    for unit in sorted(per_unit):
        states_of, tally = per_unit[unit]
        total.counts.update(tally.counts)
        total.due_soon += tally.due_soon
        for state, n in states_of.items():
            states[state] = states.get(state, 0) + n
        units[unit] = {"states": states_of, "categories": tally.to_json()}
    return {"plan": plan, "today": today.isoformat(), "tasks": sum(states.values()), "done": done, "states": states,
            "categories": total.to_json(), "units": units}


def counted_by_unit(db: Database, plan: str, today: date,
                    rules: StatusRules) -> tuple[dict[str, tuple[dict[str, int], Tally]], int]:
    """Per lead unit of the plan's tasks, (tasks per state, official categories), and how many are done: from the
    status counters (engine/counters.py), a few rows per unit and deadline however many tasks."""
    from phancap.engine.counters import BY_UNIT

    c = BY_UNIT
    category, due_soon = rules.columns(c)
    stmt = (select(c.c.unit, c.c.workflow, c.c.state, category, due_soon, func.sum(c.c.n))
            .where(c.c.plan == plan, c.c.kind == TASK_KIND, c.c.n != 0)
            .group_by(c.c.unit, c.c.workflow, c.c.state, category, due_soon))
    with db.engine.connect() as conn:
        rows = conn.execute(stmt, rules.params(today)).all()
    # plain dicts in the loop: tens of thousands of grouped rows for a national plan
    per_unit: dict[str, tuple[dict[str, int], dict[str, int], list[int]]] = {}
    done_states = {(w, st) for w, states in rules.categories.items() for st in states if rules.is_done(w, st)}
    done = 0
    for unit, workflow, state, cat, soon, count in rows:
        n = int(count)
        found = per_unit.get(unit)
        if found is None:
            found = per_unit[unit] = ({}, {}, [0])
        states_of, categories_of, soon_of = found
        states_of[state] = states_of.get(state, 0) + n
        categories_of[cat] = categories_of.get(cat, 0) + n
        if soon:
            soon_of[0] += n
        if (workflow, state) in done_states:
            done += n
    return {u: (st, Tally(Counter(cats), soon[0])) for u, (st, cats, soon) in per_unit.items()}, done


def progress_scan(db: Database, plan: str, today: date, rules: StatusRules, viewer: User | None = None) -> dict[str, Any]:
    """`progress` by one GROUP BY over the plan's tasks (or those `viewer` may see): what the counters must
    agree with, and the figures of a viewer who sees only part of the plan."""
    from phancap.engine.visibility import visible_condition

    t = TASK_INSTANCES
    category, due_soon = rules.columns(t)
    stmt = (select(t.c.unit, t.c.workflow, t.c.state, category, due_soon, func.count())
            .where(t.c.plan == plan, t.c.kind == TASK_KIND)
            .group_by(t.c.unit, t.c.workflow, t.c.state, category, due_soon))
    if viewer is not None:
        stmt = stmt.where(visible_condition(viewer, t))
    with db.engine.connect() as conn:
        rows = conn.execute(stmt, rules.params(today)).all()
    total, by_unit = Tally(), dict[str, Tally]()
    states: dict[str, int] = {}
    unit_states: dict[str, dict[str, int]] = {}
    done = 0
    for unit, workflow, state, cat, soon, count in rows:
        total.add_counted(cat, soon, count)
        by_unit.setdefault(unit, Tally()).add_counted(cat, soon, count)
        states[state] = states.get(state, 0) + count
        per_unit = unit_states.setdefault(unit, {})
        per_unit[state] = per_unit.get(state, 0) + count
        done += count if rules.is_done(workflow, state) else 0
    return {
        "plan": plan, "today": today.isoformat(), "tasks": sum(states.values()), "done": done, "states": states,
        "categories": total.to_json(),
        "units": {u: {"states": unit_states[u], "categories": t.to_json()} for u, t in sorted(by_unit.items())},
    }


def _day(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def rollup(db: Database, plan: str, today: date, rules: StatusRules) -> dict[str, Any]:
    """A parent plan's tasks with the progress of the child plans' tasks that carry each out."""
    from phancap.engine.counters import BY_TASK

    t, pt, child = BY_TASK, PLAN_TASKS, PLANS  # the child plans' counts per task, not their instances
    category, due_soon = rules.columns(t)
    stmt = (select(pt.c.parent_task, t.c.plan, category, due_soon, func.sum(t.c.n))
            .select_from(t.join(pt, and_(pt.c.plan == t.c.plan, pt.c.number == t.c.task))
                         .join(child, child.c.code == t.c.plan))
            .where(child.c.parent_code == plan, pt.c.parent_task.is_not(None), t.c.kind == TASK_KIND, t.c.n != 0)
            .group_by(pt.c.parent_task, t.c.plan, category, due_soon))
    with db.engine.connect() as conn:
        tasks = conn.execute(select(pt.c.number, pt.c.title).where(pt.c.plan == plan, pt.c.heading.is_(False))
                             .order_by(pt.c.id)).all()
        rows = conn.execute(stmt, rules.params(today)).all()
        children = list(conn.execute(select(child.c.code).where(child.c.parent_code == plan)
                                     .order_by(child.c.code)).scalars())
    own = progress(db, plan, today, rules)
    by_task: dict[str, dict[str, Tally]] = {}
    for parent_task, child_plan, cat, soon, count in rows:
        by_task.setdefault(parent_task, {}).setdefault(child_plan, Tally()).add_counted(cat, soon, int(count))
    return {
        "plan": plan, "today": today.isoformat(), "children": children, "own": own["categories"],
        "tasks": [{"number": n, "title": title,
                   "children": {c: tally.to_json() for c, tally in sorted(by_task.get(n, {}).items())}}
                  for n, title in tasks],
    }


def plan_numbers(db: Database) -> tuple[dict[str, str], set[str]]:
    """The loaded plans' numbers ("245/KH-UBND") with their registry, and every loaded plan code: what
    the importer needs to tell an ambiguous issuer by its parent plan and to choose a code not taken."""
    import json

    numbers: dict[str, str] = {}
    codes: set[str] = set()
    with db.engine.connect() as conn:
        for code, region, definition in conn.execute(select(PLANS.c.code, PLANS.c.region, PLANS.c.definition)):
            codes.add(str(code))
            try:
                number = json.loads(definition or "{}").get("number")
            except ValueError:
                number = None
            if number:
                numbers.setdefault(str(number), str(region))
    return numbers, codes
