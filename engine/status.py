"""Status as government reports count it, defined once: done on time, done late, open within the
deadline, open and overdue; tasks without a deadline counted apart; withdrawn tasks apart; and due soon
(PHANCAP_DUE_SOON_DAYS, 3 by default).

What counts as done or withdrawn comes from each workflow state's `category` in the YAML; when a task
finished is its `done_on` day. `StatusRules.columns()` is the one SQL expression every count uses;
`status_of` is the same rule in Python, kept as its test oracle and for single items (badges)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Date, FromClause, Integer, String, Table, and_, bindparam, case, literal, or_
from sqlalchemy.sql.elements import ColumnElement

from phancap.engine.clock import VIETNAM
from phancap.engine.models import TaskInstance
from phancap.engine.workflow import Workflow

Category = Literal["done_on_time", "done_late", "open_on_time", "open_overdue", "no_deadline", "withdrawn"]
CATEGORIES: tuple[Category, ...] = ("done_on_time", "done_late", "open_on_time", "open_overdue", "no_deadline", "withdrawn")
DONE_CATEGORIES: tuple[Category, ...] = ("done_on_time", "done_late")
LABELS_VI: dict[str, str] = {
    "done_on_time": "Đã hoàn thành đúng hạn",
    "done_late": "Đã hoàn thành quá hạn",
    "open_on_time": "Chưa hoàn thành trong hạn",
    "open_overdue": "Chưa hoàn thành quá hạn",
    "no_deadline": "Không có thời hạn",
    "withdrawn": "Đã thu hồi",
}
# A state's category in the workflow YAML (engine/workflow.py validates it).
OPEN, DONE, WITHDRAWN, OVERDUE = "open", "done", "withdrawn", "overdue"
Badge = Literal["overdue", "stage_overdue", "due_soon", "no_deadline"]
TASK_INSTANCES: Table = TaskInstance.__table__  # type: ignore[attr-defined]
NO_DAY = date(9999, 12, 31)  # "no deadline" in a status counter's key (engine/counters.py), which has no NULL


def local_day(stamp_text: str) -> date:
    return datetime.fromisoformat(stamp_text.replace("Z", "+00:00")).astimezone(VIETNAM).date()


@dataclass(frozen=True)
class Status:
    category: Category
    done: bool
    due_soon: bool

    def to_json(self) -> dict[str, Any]:
        return {"category": self.category, "label": LABELS_VI[self.category], "done": self.done, "due_soon": self.due_soon}


def status_of(state_category: str, deadline: date | None, done_on: date | None, today: date, soon: int) -> Status:
    """An item's official category on `today`, by its own deadline: done late when it finished after its
    last day. A state of category `overdue` reached on a stage's own limit (appraisal) is kept in the
    history and shown as a badge, but does not make the task late while its deadline holds."""
    if state_category == WITHDRAWN:
        return Status("withdrawn", False, False)
    done = state_category == DONE
    if deadline is None:
        return Status("no_deadline", done, False)
    if done:
        late = done_on is not None and done_on > deadline
        return Status("done_late" if late else "done_on_time", True, False)
    if deadline < today:
        return Status("open_overdue", False, False)
    return Status("open_on_time", False, (deadline - today).days <= soon)


_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class StatusRules:
    """The categories of every workflow's states and the due-soon window: built once from the
    loaded workflows and the settings, held by the engine."""

    categories: Mapping[str, Mapping[str, str]]  # workflow → state → category
    due_soon_days: int = 3

    @classmethod
    def of(cls, workflows: Iterable[Workflow], due_soon_days: int = 3) -> StatusRules:
        return cls({w.name: w.categories() for w in workflows}, due_soon_days)

    def state_category(self, workflow: str, state: str) -> str:
        return self.categories.get(workflow, {}).get(state, OPEN)

    def is_done(self, workflow: str, state: str) -> bool:
        return self.state_category(workflow, state) == DONE

    def status(self, item: Mapping[str, Any], today: date) -> Status:
        """The status of one read-model row (workflow, state, deadline, done_on)."""
        return status_of(self.state_category(item["workflow"], item["state"]), _day(item.get("deadline")),
                         _day(item.get("done_on")), today, self.due_soon_days)

    def category(self, item: Mapping[str, Any], today: date) -> tuple[str, bool]:
        """(category, due_soon) of a row: the SQL columns when it was read with them, else status_of."""
        if "category" in item:
            return str(item["category"]), bool(item["due_soon"])
        status = self.status(item, today)
        return status.category, status.due_soon

    def badge(self, item: Mapping[str, Any], today: date) -> Badge | None:
        """What a listing shows next to an item, from its official category: overdue, due soon, no
        deadline; or stage_overdue when only a stage's own limit (appraisal) passed while the deadline
        holds; nothing once done or withdrawn."""
        category, soon = self.category(item, today)
        state_category = self.state_category(item["workflow"], item["state"])
        if category == "open_overdue":
            return "overdue"
        if state_category in (DONE, WITHDRAWN):
            return None
        if state_category == OVERDUE:
            return "stage_overdue"
        if category == "no_deadline":
            return "no_deadline"
        return "due_soon" if soon else None

    def params(self, today: date) -> dict[str, date]:
        """The bound parameters of `columns()`."""
        return {"today": today, "soon_until": today + timedelta(days=self.due_soon_days)}

    def in_category(self, table: FromClause, wanted: str) -> ColumnElement[bool]:
        """SQL: the row's (workflow, state) is one of a state category (done, withdrawn…)."""
        return self._in(table, wanted)

    def _in(self, table: FromClause, wanted: str) -> ColumnElement[bool]:
        pairs = []
        for workflow, states in sorted(self.categories.items()):
            names = sorted(s for s, c in states.items() if c == wanted)
            assert _NAME.match(workflow) and all(_NAME.match(s) for s in names), "validated workflow names"
            if names:
                pairs.append(and_(table.c.workflow == literal(workflow, String), table.c.state.in_(names)))
        return or_(*pairs) if pairs else literal(False)

    def columns(self, table: FromClause = TASK_INSTANCES) -> tuple[ColumnElement[str], ColumnElement[int]]:
        """(category, due_soon) as SQL over task_instance columns, with the rules of status_of; they take
        the bound parameters :today and :soon_until (`params()`). Over a status counter (engine/counters.py)
        the same rule reads its stored inputs: deadline NO_DAY for none, and the done_late flag."""
        t = table
        today, soon_until = bindparam("today", type_=Date), bindparam("soon_until", type_=Date)
        done, withdrawn = self._in(t, DONE), self._in(t, WITHDRAWN)
        if "done_late" in t.c:
            no_deadline: ColumnElement[bool] = t.c.deadline == literal(NO_DAY, Date)
            late: ColumnElement[bool] = t.c.done_late.is_(True)
        else:
            no_deadline = t.c.deadline.is_(None)
            late = and_(t.c.done_on.is_not(None), t.c.done_on > t.c.deadline)
        category = case(
            (withdrawn, literal("withdrawn")),
            (no_deadline, literal("no_deadline")),
            (done, case((late, literal("done_late")), else_=literal("done_on_time"))),
            (t.c.deadline < today, literal("open_overdue")),
            else_=literal("open_on_time"),
        ).label("category")
        due_soon = case(
            (and_(~done, ~withdrawn, ~no_deadline, t.c.deadline >= today, t.c.deadline <= soon_until),
             literal(1, Integer)),
            else_=literal(0, Integer),
        ).label("due_soon")
        return category, due_soon


def _day(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


@dataclass
class Tally:
    counts: Counter[str] = field(default_factory=Counter)
    due_soon: int = 0

    def add(self, status: Status) -> None:
        self.counts[status.category] += 1
        self.due_soon += status.due_soon

    def add_counted(self, category: str, due_soon: int, count: int) -> None:
        """Add one row of a GROUP BY over `StatusRules.columns()`."""
        self.counts[category] += count
        self.due_soon += count if due_soon else 0

    @property
    def due(self) -> int:
        """Tasks whose deadline has come: the base of the completion rate."""
        return self.counts["done_on_time"] + self.counts["done_late"] + self.counts["open_overdue"]

    @property
    def done(self) -> int:
        return self.counts["done_on_time"] + self.counts["done_late"]

    @property
    def completion_rate(self) -> float | None:
        return round(self.done / self.due, 4) if self.due else None

    def to_json(self) -> dict[str, Any]:
        return {**{c: self.counts[c] for c in CATEGORIES}, "due_soon": self.due_soon, "due": self.due,
                "completion_rate": self.completion_rate}
