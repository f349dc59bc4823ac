"""Administrative events: every change an administrator makes to the registry (and, later, to users)
is one row of `admin_event`, written in the same transaction as the change. The table is append-only
(database triggers, migration 0011), like audit_event; an auditor searches it (`phancap admin-events`)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from phancap.engine.db import Database


def record(conn: Connection, *, at: str, actor: str, action: str, region: str | None, subject: str,
           data: dict[str, Any], comment: str | None = None) -> None:
    conn.execute(text(
        "INSERT INTO admin_event (at, actor, action, region, subject, data, comment) "
        "VALUES (:at, :actor, :action, :region, :subject, :data, :comment)"),
        {"at": at, "actor": actor, "action": action, "region": region, "subject": subject,
         "data": json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")), "comment": comment})


def search(db: Database, *, actor: str | None = None, action: str | None = None, subject: str | None = None,
           region: str | None = None, since: str | None = None, until: str | None = None,
           contains: str | None = None, newest_first: bool = False, before_id: int | None = None,
           limit: int = 1000) -> list[dict[str, Any]]:
    """Events by any of actor, action (prefix: 'unit.' matches every unit change), subject, registry,
    time (at >= since, at < until) and `contains` (a text inside the subject, the data or the comment,
    e.g. a role given: '"admin"'), oldest first (or newest first, paged by keyset with `before_id`)."""
    clauses, params = [], {"limit": limit}  # type: tuple[list[str], dict[str, Any]]
    for column, value in (("actor", actor), ("subject", subject), ("region", region)):
        if value is not None:
            clauses.append(f"{column} = :{column}")
            params[column] = value
    if action is not None:
        clauses.append("(action = :action OR action LIKE :action_prefix)")
        params |= {"action": action, "action_prefix": action.rstrip(".") + ".%"}
    if contains:
        like = "(subject LIKE :contains ESCAPE '!' OR data LIKE :contains ESCAPE '!' OR comment LIKE :contains ESCAPE '!')"
        clauses.append(like)
        params["contains"] = "%" + contains.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"
    if before_id is not None:
        clauses.append("id < :before_id")
        params["before_id"] = before_id
    if since is not None:
        clauses.append("at >= :since")
        params["since"] = since
    if until is not None:
        clauses.append("at < :until")
        params["until"] = until
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    with db.engine.connect() as conn:
        rows = conn.execute(text(f"SELECT id, at, actor, action, region, subject, data, comment FROM admin_event"
                                 f"{where} ORDER BY id{' DESC' if newest_first else ''} LIMIT :limit"), params).mappings().all()
    return [{**{k: v for k, v in r.items() if k != "region"}, "registry": r["region"], "data": json.loads(r["data"])}
            for r in rows]
