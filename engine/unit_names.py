"""A unit's name on a given day (issue 13): a rename takes effect on its effective date (or the day it was
made), so history and the reports of periods before that day still name the unit as it was then. Read from
the append-only admin events (`unit.rename`), which already keep every old and new name."""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, text

from phancap.engine.clock import VIETNAM
from phancap.engine.db import Database


class NameHistory:
    """Every unit's renames, each as (effective day, old name), oldest first."""

    def __init__(self, renames: Mapping[str, list[tuple[date, str]]]) -> None:
        self._renames = {code: sorted(items) for code, items in renames.items()}

    @classmethod
    def load(cls, db: Database) -> NameHistory:
        renames: dict[str, list[tuple[date, str]]] = {}
        with db.engine.connect() as conn:
            rows = conn.execute(text("SELECT subject, at, data FROM admin_event WHERE action = 'unit.rename' ORDER BY id"))
            for subject, at, data in rows:
                value = json.loads(data)
                day = value.get("effective") or str(at)[:10]
                renames.setdefault(str(subject), []).append((date.fromisoformat(day), str(value.get("old", ""))))
        return cls(renames)

    def name_on(self, code: str, day: date, current: str) -> str:
        """The name `code` bore on `day`: the old name of the first rename effective after that day, else the
        current one."""
        items = self._renames.get(code)
        if not items:
            return current
        later = bisect_right([d for d, _ in items], day)
        return items[later][1] if later < len(items) else current

    def __bool__(self) -> bool:
        return bool(self._renames)


def name_events(db: Database, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each event with `unit_name` (its actor's unit) and, for a transfer, `from_unit_name` and `to_unit_name`:
    each unit's name on the event's day in Việt Nam, the name it bore then."""
    def codes_of(e: dict[str, Any]) -> list[str]:
        data: dict[str, Any] = e["data"] if isinstance(e.get("data"), dict) else {}
        return [str(c) for c in (e.get("unit"), data.get("unit_from"), data.get("unit_to")) if c]

    codes = sorted({c for e in events for c in codes_of(e)})
    current: dict[str, str] = {}
    if codes:
        with db.engine.connect() as conn:
            current = {str(c): str(n) for c, n in conn.execute(
                text("SELECT code, name FROM unit WHERE code IN :codes").bindparams(bindparam("codes", expanding=True)),
                {"codes": codes})}
    names = NameHistory.load(db) if codes else NameHistory({})

    def on(code: object, day: date | None) -> str | None:
        if not code:
            return None
        now = current.get(str(code), str(code))
        return now if day is None else names.name_on(str(code), day, now)

    out = []
    for e in events:
        try:
            day: date | None = datetime.fromisoformat(str(e["at"])).astimezone(VIETNAM).date()
        except ValueError:
            day = None  # a malformed row (engine.audit.clean_event marks it): today's names
        data: dict[str, Any] = e["data"] if isinstance(e.get("data"), dict) else {}
        out.append({**e, "unit_name": on(e.get("unit"), day), "from_unit_name": on(data.get("unit_from"), day),
                    "to_unit_name": on(data.get("unit_to"), day)})
    return out
