"""Urging (đôn đốc) many tasks at once: one audited `urge` transition per task, each refused or
accepted on its own grants; selection by category (overdue, due soon)."""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import or_, select

from phancap.engine.db import Database
from phancap.engine.errors import TransitionNotAllowed
from phancap.engine.notify import Delivery, Notifier, Outgoing, Sender
from phancap.engine.policy import require_urge, urging_relations
from phancap.engine.queries import TASK_KIND, get_task
from phancap.engine.roles import RELATION_COLUMNS
from phancap.engine.runtime import FireResult, TaskEngine
from phancap.engine.status import TASK_INSTANCES
from phancap.engine.users import User

URGE = "urge"


@dataclass
class UrgeResult:
    """`delivery`: what was sent (delivered in place: the command line), or what was queued in the outbox for
    the worker (`queued`: the web server); failures of queued deliveries show in the admin pages."""
    urged: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)
    delivery: Delivery = field(default_factory=Delivery)
    queued: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"urged": self.urged, "refused": {str(k): v for k, v in self.refused.items()},
                "emails": self.delivery.emails, "webhooks": self.delivery.webhooks, "errors": self.delivery.errors,
                "queued": self.queued}


def select_for_urging(engine: TaskEngine, plan: str | None = None, unit: str | None = None, *,
                      overdue: bool = True, due_soon: bool = True) -> list[int]:
    """Plan tasks open past their deadline and/or due soon (the engine's status rules), by id."""
    t = TASK_INSTANCES
    category, soon = engine.status.columns(t)
    wanted = []
    if overdue:
        wanted.append(category == "open_overdue")
    if due_soon:
        wanted.append(soon == 1)
    if not wanted:
        return []
    stmt = select(t.c.id).where(t.c.kind == TASK_KIND, or_(*wanted)).order_by(t.c.id)
    if plan:
        stmt = stmt.where(t.c.plan == plan)
    if unit:
        stmt = stmt.where(t.c.unit == unit)
    with engine.db.engine.connect() as conn:
        return [int(i) for i in conn.execute(stmt, engine.status.params(engine.clock.today())).scalars()]


def tracked_for_urging(db: Database, unit: str, relations: tuple[str, ...]) -> set[int]:
    """The plan tasks the unit holds one of `relations` to: those it may urge (policy.urging_relations)."""
    t = TASK_INSTANCES
    columns = [t.c[RELATION_COLUMNS[r]] for r in relations if r in RELATION_COLUMNS]
    if not columns:
        return set()
    with db.engine.connect() as conn:
        found = conn.execute(select(t.c.id).where(t.c.kind == TASK_KIND, or_(*(c == unit for c in columns))))
        return {int(i) for i in found.scalars()}


def urge(engine: TaskEngine, user: User, *, plan: str | None = None, unit: str | None = None,
         tasks: Iterable[int] | None = None, comment: str | None = None,
         notifier: Notifier | None = None, notices: Callable[[], None] | None = None) -> UrgeResult:
    """What `POST /urge` and `phancap urge` both do: urge the overdue and due-soon tasks the user's unit
    tracks through a relation the workflows grant `urge` to (optionally only `tasks`); each is still
    fired, decided on its own grants and audited. Refused outright when the user may not urge at all."""
    workflows = [m.workflow for m in engine.workflows.values()]
    require_urge(user, workflows)
    tracked = tracked_for_urging(engine.db, user.unit, urging_relations(user, workflows))
    wanted = set(tasks) if tasks is not None else None
    chosen = [i for i in select_for_urging(engine, plan, unit) if i in tracked and (wanted is None or i in wanted)]
    return urge_many(engine, user.name, chosen, (comment or "").strip() or None, notifier, notices)


def urge_many(engine: TaskEngine, actor: str, task_ids: list[int], comment: str | None = None,
              notifier: Notifier | None = None, notices: Callable[[], None] | None = None) -> UrgeResult:
    """Each urging is committed (audited) with its notices in the outbox, in one transaction: a refused urging
    writes none, a committed one cannot lose them. Without `notices` they are delivered in place after (the
    command line: a failed one is reported and stays in the outbox for the worker to retry); with it (the web
    server) they are left to the worker and `notices()` wakes it; the result lists what was queued."""
    result = UrgeResult(queued=notices is not None)
    keys: list[str] = []
    for task_id in task_ids:
        then = None
        if notifier is not None:
            task = get_task(engine.db, task_id)
            if task is not None:
                notice = {"task": task_id, "plan": task["plan"], "number": task["task"], "unit": task["unit"],
                          "deadline": task["deadline"], "comment": comment, "actor": actor}
                outgoing = notifier.outgoing(notice)
                if outgoing.to or outgoing.webhook:
                    then = _enqueue_notices(notifier, outgoing, keys, result)
        try:
            engine.fire(task_id, URGE, actor, comment=comment, then=then)
        except TransitionNotAllowed as exc:
            result.refused[task_id] = f"[{exc.rule}] {exc.message_en}"
            continue
        result.urged.append(task_id)
    if notifier is None or not keys:
        return result
    if notices is not None:
        notices()
    else:
        from phancap.engine.worker import deliver_now

        result.delivery = deliver_now(engine.db, Sender(notifier.settings), keys, engine.clock)
    return result


def _enqueue_notices(notifier: Notifier, outgoing: Outgoing, keys: list[str],
                     result: UrgeResult) -> Callable[[Any, FireResult], None]:
    def then(cur: Any, fired: FireResult) -> None:
        written = Outgoing({**outgoing.notice, "at": fired.at}, outgoing.to, outgoing.webhook)
        keys.extend(notifier.enqueue(cur, written, fired.hash))
        result.delivery.emails.extend(outgoing.to)  # queued (replaced by what was sent when delivered in place)
        result.delivery.webhooks += int(outgoing.webhook)
    return then
