"""Audit events as downloads: CSV and JSON Lines, shaped for people and for machines. The CSV neutralises text a
spreadsheet would run as a formula (engine/cells.py); the JSON Lines stay faithful to the stored events."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

from phancap.api.views import event_fields
from phancap.engine.audit import HASHED_FIELDS
from phancap.engine.cells import csv_row

CSV_COLUMNS = ("id", "plan", "task", "task_unit", *HASHED_FIELDS, "prev_hash", "hash", "malformed")


def audit_csv(rows: Iterable[dict[str, object]]) -> Iterator[str]:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # a UTF-8 BOM: Excel then reads Vietnamese as written
    writer = csv.writer(buffer)
    writer.writerow(csv_row(CSV_COLUMNS))
    for row in rows:
        values = dict(row, from_state=row["from"], to_state=row["to"], malformed="malformed" if row.get("malformed") else "",
                      evidence=json.dumps(row["evidence"], ensure_ascii=False) if row["evidence"] else "")
        writer.writerow(csv_row("" if values.get(c) is None else values.get(c) for c in CSV_COLUMNS))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.getvalue():  # no rows: the header alone
        yield buffer.getvalue()


def audit_jsonl(rows: Iterable[dict[str, object]]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(event_fields(row), ensure_ascii=False) + "\n"
