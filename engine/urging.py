"""Urging (đôn đốc) many tasks at once: one audited `urge` transition per task, each refused or
accepted on its own grants; selection by category (overdue, due soon)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text

from phancap.engine.db import Database
from phancap.engine.errors import TransitionNotAllowed
from phancap.engine.notify import Delivery, Notifier
from phancap.engine.queries import _day, get_task, list_tasks
from phancap.engine.roles import RELATION_COLUMNS
from phancap.engine.runtime import TaskEngine
from phancap.engine.status import status_of

URGE = "urge"


@dataclass
class UrgeResult:
    urged: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)
    delivery: Delivery = field(default_factory=Delivery)

    def to_json(self) -> dict[str, Any]:
        return {"urged": self.urged, "refused": {str(k): v for k, v in self.refused.items()},
                "emails": self.delivery.emails, "webhooks": self.delivery.webhooks, "errors": self.delivery.errors}


def select_for_urging(engine: TaskEngine, plan: str | None = None, unit: str | None = None, *,
                      overdue: bool = True, due_soon: bool = True) -> list[int]:
    today = engine.clock.today()
    chosen = []
    for task in list_tasks(engine.db, plan=plan, unit=unit):
        status = status_of(str(task["state"]), _day(task["deadline"]), str(task["state_since"]), today)
        if (overdue and status.category == "open_overdue") or (due_soon and status.due_soon):
            chosen.append(int(task["id"]))
    return chosen


def tracked_for_urging(db: Database, unit: str, relations: tuple[str, ...]) -> set[int]:
    """The plan tasks the unit holds one of `relations` to: those it may urge (policy.urging_relations)."""
    columns = [RELATION_COLUMNS[r] for r in relations if r in RELATION_COLUMNS]
    if not columns:
        return set()
    held = " OR ".join(f"{c} = :u" for c in columns)
    with db.engine.connect() as conn:
        rows = conn.execute(text(f"SELECT id FROM task_instance WHERE kind = 'task' AND ({held})"), {"u": unit})
        return {int(r[0]) for r in rows}


def urge_many(engine: TaskEngine, actor: str, task_ids: list[int], comment: str | None = None,
              notifier: Notifier | None = None) -> UrgeResult:
    """Each urging is committed (audited) first; notices go out after, and a failed one is reported."""
    result = UrgeResult()
    for task_id in task_ids:
        try:
            fired = engine.fire(task_id, URGE, actor, comment=comment)
        except TransitionNotAllowed as exc:
            result.refused[task_id] = f"[{exc.rule}] {exc.message_en}"
            continue
        result.urged.append(task_id)
        if notifier is not None:
            task = get_task(engine.db, task_id)
            assert task is not None
            notifier.urged({"task": task_id, "plan": task["plan"], "number": task["task"], "unit": task["unit"],
                            "deadline": task["deadline"], "comment": comment, "actor": actor, "at": fired.at},
                           result.delivery)
    return result
