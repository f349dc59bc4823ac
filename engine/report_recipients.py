"""Who a periodic report goes to ("Nơi nhận"): one report per reporter and period is sent to all its
recipients, one `report_recipient` row each. A recipient sees the report, may accept or return it
(the workflow's `@recipient` grants), and has received it from the moment it was sent."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.sql.elements import ColumnElement

from phancap.engine.db import Database
from phancap.engine.models import ReportRecipient, Unit

RECIPIENTS = ReportRecipient.__table__  # type: ignore[attr-defined]
_UNITS = Unit.__table__  # type: ignore[attr-defined]
CHUNK = 500  # ids per IN list: well under every driver's limit on parameters


def recipient_condition(unit: str, t: Any) -> ColumnElement[bool]:
    """True for the report instances (t: task_instance or an alias) addressed to `unit`."""
    r = RECIPIENTS.alias("rr")
    return exists().where(r.c.task_id == t.c.id, r.c.unit == unit)


def add_recipients(db: Database, cur: Any, rows: Iterable[tuple[int, str]]) -> None:
    """Address new reports (task id, unit) inside the caller's transaction, which creates them."""
    cur.executemany(db.sql("INSERT INTO report_recipient (task_id, unit, received_at) VALUES (?, ?, NULL)"), list(rows))


MARK_RECEIVED = "UPDATE report_recipient SET received_at = ? WHERE task_id = ?"


def recipients_of(db: Database, ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """Each report's recipients (unit, name, received_at), by report id, in the order of their codes."""
    wanted, found = sorted({int(i) for i in ids}), dict[int, list[dict[str, Any]]]()
    r, u = RECIPIENTS, _UNITS
    with db.engine.connect() as conn:
        for start in range(0, len(wanted), CHUNK):
            stmt = (select(r.c.task_id, r.c.unit, u.c.name, r.c.received_at)
                    .select_from(r.outerjoin(u, u.c.code == r.c.unit))
                    .where(r.c.task_id.in_(wanted[start:start + CHUNK])).order_by(r.c.task_id, r.c.unit))
            for task_id, unit, name, received_at in conn.execute(stmt):
                found.setdefault(int(task_id), []).append({"unit": unit, "name": name, "received_at": received_at})
    return found


def with_recipients(db: Database, items: list[dict[str, Any]], report_kind: str = "report") -> list[dict[str, Any]]:
    """The items, each report given its `recipients` (other kinds an empty list); in place, returned."""
    found = recipients_of(db, [int(i["id"]) for i in items if i.get("kind") == report_kind])
    for item in items:
        item["recipients"] = found.get(int(item["id"]), [])
    return items
