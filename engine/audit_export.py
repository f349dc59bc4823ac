"""Exporting the audit trail (JSON Lines) and a checkpoint of every task's newest hash, and
verifying them offline, away from the database: removing the newest events shows against a
checkpoint taken earlier and kept elsewhere."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from phancap.engine.audit import EVENT_COLUMNS, HASHED_FIELDS, VerifyReport, verify_rows
from phancap.engine.db import Database

EXPORT_FIELDS = ("id", *HASHED_FIELDS, "prev_hash", "hash")


def export_events(db: Database) -> Iterator[dict[str, Any]]:
    with db.read() as cur:
        cur.execute(f"SELECT {EVENT_COLUMNS} FROM audit_event ORDER BY task_id, seq, id")
        for row in iter(cur.fetchone, None):
            yield dict(zip(EXPORT_FIELDS, row, strict=True))


def checkpoint(db: Database) -> dict[str, Any]:
    with db.read() as cur:
        cur.execute("SELECT id, state, version, last_hash FROM task_instance ORDER BY id")
        return {"tasks": {str(i): {"state": s, "version": v, "hash": h} for i, s, v, h in cur.fetchall()}}


def verify_offline(events: Iterable[dict[str, Any]], point: dict[str, Any]) -> VerifyReport:
    """Verify exported events against a checkpoint; tasks created after the checkpoint are checked
    for their chain only."""
    rows = sorted((tuple(e[k] for k in EXPORT_FIELDS) for e in events), key=lambda r: (r[1], r[2], r[0]))
    tasks = {int(k): (int(k), v["state"], v["version"], v["hash"]) for k, v in point["tasks"].items()}
    report = verify_rows(tasks, iter(rows))
    return report


def read_jsonl(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    for line in lines:
        if line.strip():
            yield json.loads(line)
