"""Status as government reports count it: done on time, done late, open within the deadline,
open and overdue; tasks without a deadline counted apart; and due soon (3 days by default)."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from phancap.engine.clock import VIETNAM

Category = Literal["done_on_time", "done_late", "open_on_time", "open_overdue", "no_deadline", "withdrawn"]
CATEGORIES: tuple[Category, ...] = ("done_on_time", "done_late", "open_on_time", "open_overdue", "no_deadline", "withdrawn")
LABELS_VI: dict[str, str] = {
    "done_on_time": "Đã hoàn thành đúng hạn",
    "done_late": "Đã hoàn thành quá hạn",
    "open_on_time": "Chưa hoàn thành trong hạn",
    "open_overdue": "Chưa hoàn thành quá hạn",
    "no_deadline": "Không có thời hạn",
    "withdrawn": "Đã thu hồi",
}
DONE_STATES = frozenset({"approved"})
WITHDRAWN_STATES = frozenset({"withdrawn"})


def due_soon_days() -> int:
    return int(os.environ.get("PHANCAP_DUE_SOON_DAYS", "3"))


def local_day(stamp_text: str) -> date:
    return datetime.fromisoformat(stamp_text.replace("Z", "+00:00")).astimezone(VIETNAM).date()


@dataclass(frozen=True)
class Status:
    category: Category
    done: bool
    due_soon: bool

    def to_json(self) -> dict[str, Any]:
        return {"category": self.category, "label": LABELS_VI[self.category], "done": self.done, "due_soon": self.due_soon}


def status_of(state: str, deadline: date | None, state_since: str, today: date,
              soon: int | None = None) -> Status:
    """A task's category on `today`, by the task's own deadline as official reports count it: done
    late when approved after its last day. Going overdue on a stage's own limit (appraisal) is kept
    in the history but does not make the task late while its deadline holds."""
    if state in WITHDRAWN_STATES:
        return Status("withdrawn", False, False)
    done = state in DONE_STATES
    if deadline is None:
        return Status("no_deadline", done, False)
    if done:
        late = local_day(state_since) > deadline
        return Status("done_late" if late else "done_on_time", True, False)
    if deadline < today:
        return Status("open_overdue", False, False)
    window = due_soon_days() if soon is None else soon
    return Status("open_on_time", False, (deadline - today).days <= window)


@dataclass
class Tally:
    counts: Counter[str] = field(default_factory=Counter)
    due_soon: int = 0

    def add(self, status: Status) -> None:
        self.counts[status.category] += 1
        self.due_soon += status.due_soon

    @property
    def due(self) -> int:
        """Tasks whose deadline has come: the base of the completion rate."""
        return self.counts["done_on_time"] + self.counts["done_late"] + self.counts["open_overdue"]

    @property
    def completion_rate(self) -> float | None:
        done = self.counts["done_on_time"] + self.counts["done_late"]
        return round(done / self.due, 4) if self.due else None

    def to_json(self) -> dict[str, Any]:
        return {**{c: self.counts[c] for c in CATEGORIES}, "due_soon": self.due_soon, "due": self.due,
                "completion_rate": self.completion_rate}


def _quoted(states: frozenset[str]) -> str:
    return ", ".join(f"'{s}'" for s in sorted(states))  # fixed identifiers from this module, not user input


def category_sql(sqlite: bool, alias: str = "") -> tuple[str, str]:
    """The same rules as status_of, as SQL over task_instance columns: (category, due_soon) expressions.
    They take the bound parameters :today and :soon_until. state_since is stamp()'s UTC text."""
    a = alias
    local_day = (f"date(substr({a}state_since, 1, 19), '+7 hours')" if sqlite else
                 f"CAST(CAST(substr({a}state_since, 1, 19) AS timestamp) + interval '7 hours' AS date)")
    done, withdrawn = _quoted(DONE_STATES), _quoted(WITHDRAWN_STATES)
    category = (
        f"CASE WHEN {a}state IN ({withdrawn}) THEN 'withdrawn' "
        f"WHEN {a}deadline IS NULL THEN 'no_deadline' "
        f"WHEN {a}state IN ({done}) THEN CASE WHEN {local_day} > {a}deadline THEN 'done_late' ELSE 'done_on_time' END "
        f"WHEN {a}deadline < :today THEN 'open_overdue' ELSE 'open_on_time' END"
    )
    due_soon = (f"CASE WHEN {a}state NOT IN ({done}, {withdrawn}) AND {a}deadline IS NOT NULL "
                f"AND {a}deadline >= :today AND {a}deadline <= :soon_until THEN 1 ELSE 0 END")
    return category, due_soon


def category_params(today: date, soon: int | None = None) -> dict[str, Any]:
    from datetime import timedelta

    window = due_soon_days() if soon is None else soon
    return {"today": today, "soon_until": today + timedelta(days=window)}


def tally_add(tally: Tally, category: str, due_soon: int, count: int) -> None:
    tally.counts[category] += count
    tally.due_soon += count if due_soon else 0
