"""Unit changes decided ahead of their effective date (issue 13): `phancap units succeed … --effective
2025-07-01` or `units rename … --effective …` given before that day is scheduled here (table `unit_change`,
with an admin event), listed by `phancap units changes`, cancellable until it applies, and applied by the
deadline sweep on the day (engine/tick.py) as the system actor, through the same code as an immediate
change. Applying marks the change in the same transaction as the change itself, so two sweeps never apply
it twice; a change that can no longer apply (a unit deactivated meanwhile) is marked failed with the reason."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from phancap.engine import admin_log
from phancap.engine.clock import Clock, stamp
from phancap.engine.db import Database
from phancap.engine.errors import NotFound, Refusal
from phancap.engine.machine import WorkflowMachine
from phancap.engine.policy import require_manage_registry
from phancap.engine.roles import SYSTEM_ACTOR
from phancap.engine.users import User

_COLUMNS = "id, kind, units, successor, name, effective, decision, actor, scheduled_at, status, closed_at, result"


class ChangeRefused(Refusal):
    """A scheduled change refused (conflicting, already applied); nothing changed."""

    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__("state", message_vi, message_en)


def _public(row: Any) -> dict[str, Any]:
    effective = row["effective"]
    return {"id": row["id"], "kind": row["kind"], "units": json.loads(row["units"]), "successor": row["successor"],
            "name": row["name"], "effective": effective.isoformat() if isinstance(effective, date) else str(effective),
            "decision": row["decision"], "actor": row["actor"], "scheduled_at": row["scheduled_at"],
            "status": row["status"], "closed_at": row["closed_at"],
            "result": None if row["result"] is None else json.loads(row["result"])}


def refuse_if_scheduled(conn: Connection, codes: list[str]) -> None:
    """A unit already in a scheduled change takes no other until that one is cancelled: two decisions about
    the same unit must not race to the same day."""
    for row in conn.execute(text(f"SELECT {_COLUMNS} FROM unit_change WHERE status = 'scheduled'")).mappings():
        clash = sorted(set(codes) & {*json.loads(row["units"]), *([row["successor"]] if row["successor"] else [])})
        if clash:
            raise ChangeRefused(
                f"{', '.join(clash)} đã có thay đổi số {row['id']} lên lịch ngày {row['effective']}: hãy hủy nó trước",
                f"{', '.join(clash)} already in change {row['id']} scheduled for {row['effective']}: cancel it first")


def _insert(conn: Connection, at: str, user: User, region: str, kind: str, units: list[str], successor: str | None,
            name: str | None, effective: date, decision: str) -> dict[str, Any]:
    # RETURNING, not "the newest row": another scheduler's row may be committed meanwhile
    row = conn.execute(text(
        "INSERT INTO unit_change (kind, units, successor, name, effective, decision, actor, scheduled_at, status) "
        f"VALUES (:kind, :units, :successor, :name, :effective, :decision, :actor, :at, 'scheduled') RETURNING {_COLUMNS}"),
        {"kind": kind, "units": json.dumps(units, ensure_ascii=False), "successor": successor, "name": name,
         "effective": effective, "decision": decision, "actor": user.name, "at": at}).mappings().one()
    for code in units:
        admin_log.record(conn, at=at, actor=user.name, action="unit.schedule", region=region, subject=code,
                         data={"change": row["id"], "kind": kind, "successor": successor, "name": name,
                               "effective": effective.isoformat(), "decision": decision}, comment=decision)
    return _public(row)


def schedule_succession(db: Database, clock: Clock, user: User, olds: list[str], new: str, effective: date,
                        decision: str) -> dict[str, Any]:
    from phancap.engine.succession import check_units

    with db.begin() as conn:
        conn.execute(text("UPDATE unit SET active = active WHERE code = :c"), {"c": new})  # SQLite: write lock first
        units = check_units(conn, olds, new, user)
        refuse_if_scheduled(conn, [*olds, new])
        change = _insert(conn, stamp(clock.now()), user, str(units[olds[0]][1]), "succeed", olds, new, None, effective,
                         decision)
    return {"olds": olds, "successor": new, "effective": effective.isoformat(), "decision": decision,
            "scheduled": change["id"], "status": "scheduled", "moved": 0, "merged": 0, "references": 0, "kept": []}


def schedule_rename(db: Database, clock: Clock, user: User, code: str, name: str, effective: date,
                    decision: str | None, comment: str | None) -> dict[str, Any]:
    from phancap.engine.units import unit_row, user_region

    with db.begin() as conn:
        conn.execute(text("UPDATE unit SET active = active WHERE code = :c"), {"c": code})
        row = unit_row(conn, code)
        require_manage_registry(user, user_region(conn, user), row["region"])
        if row["name"] == name:
            raise ChangeRefused(f"Đơn vị {code} đã mang tên {name}", f"unit {code} is already named {name}")
        refuse_if_scheduled(conn, [code])
        change = _insert(conn, stamp(clock.now()), user, str(row["region"]), "rename", [code], None, name, effective,
                         decision or comment or "")
    return {"code": code, "name": row["name"], "new_name": name, "effective": effective.isoformat(),
            "decision": decision, "scheduled": change["id"], "status": "scheduled"}


def list_changes(db: Database, status: str | None = None, region: str | None = None) -> list[dict[str, Any]]:
    """Every scheduled, applied, failed or cancelled change (of one registry's units if `region`), by effective
    date."""
    where, params = ("WHERE status = :status", {"status": status}) if status else ("", {})
    with db.engine.connect() as conn:
        rows = [_public(r) for r in conn.execute(
            text(f"SELECT {_COLUMNS} FROM unit_change {where} ORDER BY effective, id"), params).mappings()]
        if region is None:
            return rows
        mine = {str(c) for c in conn.execute(text("SELECT code FROM unit WHERE region = :r"), {"r": region}).scalars()}
    return [r for r in rows if mine & set(r["units"])]


def cancel_change(db: Database, clock: Clock, user: User, change_id: int, reason: str) -> dict[str, Any]:
    from phancap.engine.units import user_region

    reason = " ".join(reason.split())
    with db.begin() as conn:
        row = conn.execute(text(f"SELECT {_COLUMNS} FROM unit_change WHERE id = :id"), {"id": change_id}).mappings().first()
        if row is None:
            raise NotFound(f"Không có thay đổi số {change_id}", f"no change {change_id}")
        code = json.loads(row["units"])[0]
        region = conn.execute(text("SELECT region FROM unit WHERE code = :c"), {"c": code}).scalar_one()
        require_manage_registry(user, user_region(conn, user), str(region))
        at = stamp(clock.now())
        done = conn.execute(text("UPDATE unit_change SET status = 'cancelled', closed_at = :at, result = :r "
                                 "WHERE id = :id AND status = 'scheduled'"),
                            {"at": at, "r": json.dumps({"reason": reason}, ensure_ascii=False), "id": change_id})
        if done.rowcount != 1:
            raise ChangeRefused(f"Thay đổi số {change_id} đã {row['status']}: không hủy được",
                                f"change {change_id} is {row['status']}: it cannot be cancelled")
        admin_log.record(conn, at=at, actor=user.name, action="unit.cancel_change", region=str(region), subject=code,
                         data={"change": change_id}, comment=reason or None)
        return _public(conn.execute(text(f"SELECT {_COLUMNS} FROM unit_change WHERE id = :id"),
                                    {"id": change_id}).mappings().one())


def apply_due_changes(db: Database, workflows: dict[str, WorkflowMachine], clock: Clock) -> list[dict[str, Any]]:
    """Apply every scheduled change whose day has come, oldest first, each in its own transaction."""
    today = clock.today()
    with db.engine.connect() as conn:
        due = [int(i) for i in conn.execute(text(
            "SELECT id FROM unit_change WHERE status = 'scheduled' AND effective <= :today ORDER BY effective, id"),
            {"today": today}).scalars()]
    return [r for r in (_apply(db, workflows, clock, change) for change in due) if r is not None]


def _apply(db: Database, workflows: dict[str, WorkflowMachine], clock: Clock, change_id: int) -> dict[str, Any] | None:
    from phancap.engine.succession import SYSTEM, apply_succession, check_units
    from phancap.engine.units import apply_rename

    at = stamp(clock.now())
    with db.begin() as conn:
        # claiming the change is the first write: a second sweep finds it applied and does nothing
        claimed = conn.execute(text("UPDATE unit_change SET status = 'applied', closed_at = :at "
                                    "WHERE id = :id AND status = 'scheduled'"), {"at": at, "id": change_id})
        if claimed.rowcount != 1:
            return None
        row = conn.execute(text(f"SELECT {_COLUMNS} FROM unit_change WHERE id = :id"), {"id": change_id}).mappings().one()
        units, effective = json.loads(row["units"]), row["effective"]
        effective = effective if isinstance(effective, date) else date.fromisoformat(str(effective))
        savepoint = conn.begin_nested()
        try:
            if row["kind"] == "succeed":
                checked = check_units(conn, units, str(row["successor"]), None)
                result = apply_succession(conn, db.is_sqlite, workflows, at, SYSTEM, units, str(row["successor"]),
                                          effective, str(row["decision"]), checked, change=change_id)
            else:
                result = apply_rename(conn, at, SYSTEM_ACTOR, units[0], str(row["name"]), None, effective,
                                      row["decision"] or None, change=change_id)
            savepoint.commit()
            status = "applied"
        except Refusal as refused:
            savepoint.rollback()
            status, result = "failed", {"reason": refused.message_vi, "reason_en": refused.message_en}
            region = conn.execute(text("SELECT region FROM unit WHERE code = :c"), {"c": units[0]}).scalar()
            admin_log.record(conn, at=at, actor=SYSTEM_ACTOR, action="unit.change_failed",
                             region=None if region is None else str(region), subject=units[0],
                             data={"change": change_id, **result}, comment=refused.message_vi)
        conn.execute(text("UPDATE unit_change SET status = :s, result = :r WHERE id = :id"),
                     {"s": status, "r": json.dumps(result, ensure_ascii=False, default=str), "id": change_id})
    return {"change": change_id, "kind": row["kind"], "status": status, **result}
