"""Status counters (issue 16): how many instances share each time-independent input of the official category
(plan, kind, unit or task, workflow, state, deadline, done late), and how many finished on each day.

Triggers on task_instance (migration 0017) keep them in the transaction of every write, whatever the path:
transitions, the sweep, amendments, transfers, inserts, raw bulk loads. Figures read them and apply the one
status rule (StatusRules.columns over a counter table), so a plan of a million instances is counted from a few
thousand rows. `verify` recomputes them from the instances; `rebuild` rewrites them (audited) should they
ever differ, e.g. after loading a dump made without the triggers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Date, Table, and_, delete, func, insert, literal, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from phancap.engine import admin_log
from phancap.engine.db import Database
from phancap.engine.models import DoneDayCounter, StatusCounter, TaskStatusCounter
from phancap.engine.policy import REBUILD_COUNTERS
from phancap.engine.status import NO_DAY, TASK_INSTANCES
from phancap.engine.users import User

BY_UNIT: Table = StatusCounter.__table__  # type: ignore[attr-defined]
BY_TASK: Table = TaskStatusCounter.__table__  # type: ignore[attr-defined]
BY_DONE_DAY: Table = DoneDayCounter.__table__  # type: ignore[attr-defined]
COUNTERS = (BY_UNIT, BY_TASK, BY_DONE_DAY)


def _keys(counter: Table) -> list[tuple[str, ColumnElement[Any]]]:
    """Each key column of a counter with its value for a task_instance row: the same as the triggers compute."""
    t = TASK_INSTANCES
    if counter is BY_DONE_DAY:
        return [("plan", t.c.plan), ("kind", t.c.kind), ("done_on", t.c.done_on)]
    late = and_(t.c.done_on.is_not(None), t.c.deadline.is_not(None), t.c.done_on > t.c.deadline)
    by = "unit" if counter is BY_UNIT else "task"
    return [("plan", t.c.plan), ("kind", t.c.kind), (by, t.c[by]), ("workflow", t.c.workflow), ("state", t.c.state),
            ("deadline", func.coalesce(t.c.deadline, literal(NO_DAY, Date))), ("done_late", late)]


def _recount(counter: Table) -> Any:
    """SELECT key..., count: the counter as the instances say it should be."""
    rows = select(*(e.label(k) for k, e in _keys(counter)))
    if counter is BY_DONE_DAY:
        rows = rows.where(TASK_INSTANCES.c.done_on.is_not(None))
    keyed = rows.subquery()
    return select(*keyed.c, func.count().label("n")).group_by(*keyed.c)


@dataclass(frozen=True)
class Difference:
    counter: str
    key: dict[str, Any]
    stored: int
    actual: int

    def to_json(self) -> dict[str, Any]:
        return {"counter": self.counter, "key": {k: _text(v) for k, v in self.key.items()}, "stored": self.stored,
                "actual": self.actual}

    def line(self) -> str:
        key = ", ".join(f"{k}={_text(v)}" for k, v in self.key.items())
        return f"{self.counter} ({key}): stored {self.stored}, actual {self.actual}"


def _text(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _normal(value: Any) -> Any:
    """done_late as a bool on both databases (SQLite's comparison gives 0 or 1)."""
    return bool(value) if isinstance(value, int) and not isinstance(value, bool) else value


def differences(conn: Connection) -> list[Difference]:
    """Every counter row that differs from a count of the instances (a zero row equals a missing one)."""
    found: list[Difference] = []
    for counter in COUNTERS:
        names = [k for k, _ in _keys(counter)]
        stored = {tuple(_normal(v) for v in row[:-1]): int(row[-1])
                  for row in conn.execute(select(*(counter.c[k] for k in names), counter.c.n))}
        actual = {tuple(_normal(v) for v in row[:-1]): int(row[-1]) for row in conn.execute(_recount(counter))}
        for key in sorted(stored.keys() | actual.keys(), key=repr):
            have, want = stored.get(key, 0), actual.get(key, 0)
            if have != want:
                found.append(Difference(counter.name, dict(zip(names, key, strict=True)), have, want))
    return found


def verify(db: Database) -> list[Difference]:
    with db.engine.connect() as conn:
        return differences(conn)


def rebuild(db: Database, user: User, at: str, comment: str | None = None) -> dict[str, Any]:
    """Rewrite every counter from the instances (administrators only), audited as an admin event
    (`counters.rebuild`) with the differences it repaired. On PostgreSQL writers wait meanwhile (SHARE lock)."""
    REBUILD_COUNTERS.require(user)
    actor = user.name
    with db.begin() as conn:
        if not db.is_sqlite:
            conn.exec_driver_sql("LOCK TABLE task_instance IN SHARE MODE")
        repaired = differences(conn)
        rows = {}
        for counter in COUNTERS:
            conn.execute(delete(counter))
            conn.execute(insert(counter).from_select([*(k for k, _ in _keys(counter)), "n"], _recount(counter)))
            rows[counter.name] = int(conn.execute(select(func.count()).select_from(counter)).scalar_one())
        admin_log.record(conn, at=at, actor=actor, action="counters.rebuild", region=None, subject="status_counter",
                         data={"repaired": len(repaired), "rows": rows,
                               "differences": [d.to_json() for d in repaired[:100]]}, comment=comment)
    return {"repaired": [d.to_json() for d in repaired], "rows": rows}
