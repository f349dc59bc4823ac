"""Exporting the audit trail (JSON Lines) and a checkpoint of every task's newest hash and audited
fields, and verifying them offline, away from the database: removing the newest events, or a whole
task with its events, shows against a checkpoint taken earlier and kept elsewhere; a field changed
without audit shows in a checkpoint taken with the export (its fields are compared with the
snapshot of each task's newest exported event, as online)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from phancap.engine.audit import EVENT_COLUMNS, HASHED_FIELDS, VerifyReport, verify_rows
from phancap.engine.db import Database

EXPORT_FIELDS = ("id", *HASHED_FIELDS, "prev_hash", "hash", "snapshot")


EXPORT_PAGE = 5000  # events read per query: an export of millions holds one page in memory


def export_events(db: Database, page: int = EXPORT_PAGE) -> Iterator[dict[str, Any]]:
    """Every event ordered by task, sequence and id, read page by page by keyset (no OFFSET: each page
    starts where the unique (task_id, seq) index left off), up to the committed bound taken when it starts."""
    from phancap.engine.audit_checkpoint import committed_bound

    bound, last = committed_bound(db), None
    while True:
        with db.read() as cur:
            after = "" if last is None else " AND (task_id, seq) > (?, ?)"  # unique: each page starts after the last
            cur.execute(db.sql(f"SELECT {EVENT_COLUMNS} FROM audit_event WHERE id <= ?{after} "
                               f"ORDER BY task_id, seq, id LIMIT {int(page)}"), (bound, *(last or ())))
            rows = cur.fetchall()
        for row in rows:
            yield dict(zip(EXPORT_FIELDS, row, strict=True))
        if len(rows) < page:
            return
        last = (rows[-1][1], rows[-1][2])


def export_page(db: Database, after: int = 0, limit: int = 1000) -> tuple[list[dict[str, Any]], int | None]:
    """The events with an id above `after`, in id order, and the `after` of the next page (None: no more yet)."""
    from phancap.engine.audit_checkpoint import committed_bound

    bound = committed_bound(db)
    with db.read() as cur:
        cur.execute(db.sql(f"SELECT {EVENT_COLUMNS} FROM audit_event WHERE id > ? AND id <= ? ORDER BY id "
                           f"LIMIT {int(limit)}"), (after, bound))
        rows = [dict(zip(EXPORT_FIELDS, row, strict=True)) for row in cur.fetchall()]
    return rows, (int(rows[-1]["id"]) if len(rows) == limit else None)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def checkpoint(db: Database) -> dict[str, Any]:
    """tasks: id -> state, version, hash and the audited fields as they stand ("fields"); head: the newest
    task's first event hash; plans: code -> sha256 of the definition text."""
    from phancap.engine.queries import audited_tasks

    with db.read() as cur:
        tasks, head, plans = audited_tasks(cur)
    return {
        "tasks": {str(i): {"state": t[1], "version": t[2], "hash": t[3],
                           "fields": {k: _plain(v) for k, v in t[4].items()}} for i, t in sorted(tasks.items())},
        "head": head,
        "plans": {code: actual for code, (_recorded, actual) in sorted(plans.items())},
    }


def _as_int(value: Any) -> Any:
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def verify_offline(events: Iterable[dict[str, Any]], point: dict[str, Any]) -> VerifyReport:
    """Verify exported events against a checkpoint; tasks created after the checkpoint are checked
    for their chain only. A checkpoint from before issue 11 (no fields, no head) checks what it has."""
    rows = [tuple(e.get(k) for k in EXPORT_FIELDS) for e in events]
    rows.sort(key=lambda r: (str(type(r[1])), r[1] if isinstance(r[1], int) else str(r[1]),
                             r[2] if isinstance(r[2], int) else -1, r[0] if isinstance(r[0], int) else -1))
    tasks: dict[Any, tuple[Any, ...]] = {}
    for key, value in point["tasks"].items():
        task_id = _as_int(key)
        base = (task_id, value["state"], value["version"], value["hash"])
        tasks[task_id] = (*base, value["fields"]) if isinstance(value.get("fields"), dict) else base
    return verify_rows(tasks, iter(rows), point.get("head"))


def read_jsonl(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Decoded lines; a line that is not a JSON object becomes an event with only `malformed` (verification names it)."""
    for number, line in enumerate(lines, 1):
        if line.strip():
            try:
                value = json.loads(line)
            except ValueError:
                value = None
            yield value if isinstance(value, dict) else {"id": f"line {number}", "task_id": None, "seq": None}
