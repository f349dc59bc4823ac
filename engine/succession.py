"""Succession of units (issue 13): `phancap units succeed OLD… --by NEW --effective DATE --decision TEXT`.
From the effective date the old units are inactive (their users cannot act; groups and new fan-outs drop
them) and every open instance they lead (tasks, periodic reports, difficulties) moves to the successor
through one audited `transfer` event citing the decision; focal, authority, monitor, justice and coordinator
references follow. Ended
instances keep the old unit, so history and the reports of periods before the date still name it.

A later effective date is scheduled (engine/unit_changes.py) and applied by the deadline sweep on that day,
as the system actor, through `apply_succession` here: one code path either way."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from phancap.engine import admin_log
from phancap.engine.audit import data_json, event_hash, snapshot_json
from phancap.engine.clock import Clock, stamp
from phancap.engine.db import Database
from phancap.engine.errors import BadRequest, NotFound
from phancap.engine.loader import refresh_group_members
from phancap.engine.machine import WorkflowMachine
from phancap.engine.policy import require_manage_registry
from phancap.engine.reorganisation import COLUMNS, TRANSFER_TRIGGER, TransferRefused
from phancap.engine.roles import SYSTEM_ACTOR, SYSTEM_ROLE
from phancap.engine.unit_changes import refuse_if_scheduled, schedule_succession
from phancap.engine.users import User

# the instance's other references to units, which follow the successor like the lead unit
_REFERENCES = ("focal", "authority", "monitor", "justice")
_AUDIT_COLUMNS = ("task_id", "seq", "trigger", "from_state", "to_state", "actor", "unit", "role", "capacity", "at",
                  "comment", "evidence", "data")


@dataclass(frozen=True)
class Actor:
    """Who the transfer events name: the administrator acting now, or the system applying a scheduled change."""

    name: str
    unit: str | None
    role: str

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.name, user.unit, "admin")


SYSTEM = Actor(SYSTEM_ACTOR, None, SYSTEM_ROLE)


def normalise(olds: list[str], new: str, decision: str) -> tuple[list[str], str]:
    decision = " ".join(decision.split())
    olds = list(dict.fromkeys(o.strip() for o in olds if o.strip()))
    if not decision:
        raise BadRequest("Cần nêu quyết định (số, ngày, cơ quan ban hành)", "the decision is required (number, date, issuer)")
    if not olds or new in olds:
        raise BadRequest("Cần ít nhất một đơn vị cũ, khác đơn vị kế thừa", "name at least one old unit, other than the successor")
    return olds, decision


def check_units(conn: Connection, olds: list[str], new: str, user: User | None) -> dict[str, Any]:
    """The units as they stand (each must exist and be active); the user, if any, must administer the old
    units' registry. Returns code → (code, region, active, name)."""
    units = {r[0]: r for r in conn.execute(text("SELECT code, region, active, name FROM unit WHERE code IN :codes")
                                            .bindparams(bindparam("codes", expanding=True)), {"codes": [*olds, new]})}
    for code in (*olds, new):
        if code not in units:
            raise NotFound(f"Không có đơn vị {code}", f"no unit {code}")
        if not units[code][2]:
            raise TransferRefused(f"Đơn vị {code} đã ngừng hoạt động", f"unit {code} is inactive")
    if user is not None:
        mine = conn.execute(text("SELECT region FROM unit WHERE code = :u"), {"u": user.unit}).scalar()
        for code in olds:
            require_manage_registry(user, None if mine is None else str(mine), str(units[code][1]))
    return units


def succeed_units(db: Database, workflows: dict[str, WorkflowMachine], clock: Clock, user: User, olds: list[str],
                  new: str, effective: date, decision: str) -> dict[str, Any]:
    """Units OLD… are succeeded by NEW from `effective`: today or before, applied now in one transaction; later,
    scheduled (the result carries `scheduled`: the change's id) and applied by the sweep on that day."""
    olds, decision = normalise(olds, new, decision)
    if effective > clock.today():
        return schedule_succession(db, clock, user, olds, new, effective, decision)
    with db.begin() as conn:
        # the first statement writes, so SQLite takes its write lock before anything is read
        conn.execute(text("UPDATE unit SET active = active WHERE code = :c"), {"c": new})
        units = check_units(conn, olds, new, user)
        refuse_if_scheduled(conn, [*olds, new])
        return apply_succession(conn, db.is_sqlite, workflows, stamp(clock.now()), Actor.of(user), olds, new, effective,
                                decision, units)


def _coordinators(text_: str | None) -> list[str]:
    try:
        value = json.loads(text_ or "[]")
    except ValueError:
        return []
    return [str(c) for c in value] if isinstance(value, list) else []


def _withdrawn_state(machine: WorkflowMachine) -> str | None:
    return next((n for n, s in machine.workflow.states.items() if s.category == "withdrawn" and s.final), None)


def apply_succession(conn: Connection, sqlite: bool, workflows: dict[str, WorkflowMachine], at: str, actor: Actor,
                     olds: list[str], new: str, effective: date, decision: str, units: dict[str, Any],
                     change: int | None = None) -> dict[str, Any]:
    """The succession itself, inside the caller's transaction (the units checked by `check_units`). An
    instance of something NEW already leads is withdrawn by its transfer event (the work merges into NEW's);
    where its workflow has no withdrawn state (a periodic report) it stays with the old unit and is listed
    in `kept`."""
    params: dict[str, Any] = {f"o{i}": code for i, code in enumerate(olds)}
    params |= {f"c{i}": f'%"{code}"%' for i, code in enumerate(olds)}
    listed = ", ".join(f":o{i}" for i in range(len(olds)))
    where = (" OR ".join(f"{column} IN ({listed})" for column in ("unit", *_REFERENCES)) + " OR "
             + " OR ".join(f"coordinators LIKE :c{i}" for i in range(len(olds)))
             + f" OR id IN (SELECT task_id FROM report_recipient WHERE unit IN ({listed}))")
    lock = "" if sqlite else " FOR UPDATE"
    rows = [dict(zip(COLUMNS, r, strict=True)) for r in conn.execute(
        text(f"SELECT {', '.join(COLUMNS)} FROM task_instance WHERE {where} ORDER BY id{lock}"), params)]
    taken = {(str(p), str(t)) for p, t in conn.execute(
        text("SELECT plan, task FROM task_instance WHERE unit = :n"), {"n": new})}
    shas: dict[str, str] = {str(c): str(h) for c, h in conn.execute(text("SELECT code, definition_sha256 FROM plan"))}
    addressed: dict[int, dict[str, Any]] = {}  # report id -> {recipient: received_at}
    for task_id, unit_, received in conn.execute(text(
            f"SELECT task_id, unit, received_at FROM report_recipient WHERE task_id IN (SELECT task_id FROM "
            f"report_recipient WHERE unit IN ({listed})) ORDER BY task_id, unit"), params):
        addressed.setdefault(int(task_id), {})[str(unit_)] = received
    moved, merged, followed, kept = 0, 0, 0, []
    base: dict[str, Any] = {"decision": decision, "effective": effective.isoformat(), "successor": new}
    if change is not None:
        base["scheduled_change"] = change
    for inst in rows:
        machine = workflows.get(str(inst["workflow"]))
        state = machine.workflow.states.get(str(inst["state"])) if machine else None
        if machine is None or state is None or state.final:
            continue  # ended: its history keeps the old unit
        data = dict(base)
        unit, to_state, stage = str(inst["unit"]), str(inst["state"]), str(inst["stage"])
        if unit in olds:
            key = (str(inst["plan"]), str(inst["task"]))
            withdrawn = _withdrawn_state(machine)
            if key in taken and withdrawn is None:
                kept.append(int(inst["id"]))
            elif key in taken:
                to_state = stage = str(withdrawn)
                data["merged_into"] = new
            else:
                taken.add(key)
                data |= {"unit_from": unit, "unit_to": new}
                unit = new
        refs = {column: inst[column] for column in _REFERENCES}
        for column, value in refs.items():
            if value in olds:
                data[column] = {"old": value, "new": new}
                refs[column] = new
        before = _coordinators(inst["coordinators"])
        after = list(dict.fromkeys(new if c in olds else c for c in before))
        after = [c for c in after if not (c == new and unit == new)]  # the successor does not coordinate its own task
        if after != before:
            data["coordinators"] = {"old": before, "new": after}
        sent_to = addressed.get(int(inst["id"]), {})
        readdressed = {(new if u in olds else u): r for u, r in sent_to.items()}
        if list(readdressed) != list(sent_to):
            data["recipients"] = {"old": list(sent_to), "new": list(readdressed)}
        if unit == inst["unit"] and to_state == inst["state"] and refs == {c: inst[c] for c in _REFERENCES} \
                and "coordinators" not in data and "recipients" not in data:
            continue
        coordinators = json.dumps(after) if after != before else (inst["coordinators"] or "[]")
        seq = int(inst["version"]) + 1
        comment = (f"Kế thừa theo {decision} (hiệu lực {effective.day:02d}/{effective.month:02d}/{effective.year}): "
                   f"{', '.join(olds)} → {new} / succession by {decision}, effective {effective.isoformat()}")
        state_due = None if to_state != inst["state"] else inst["state_due"]
        values = (inst["id"], seq, TRANSFER_TRIGGER, inst["state"], to_state, actor.name, actor.unit, actor.role, None, at,
                  comment, None, data_json(data))
        snapshot = snapshot_json(state=to_state, stage=stage, version=seq, unit=unit, focal=refs["focal"],
                                 authority=refs["authority"], monitor=refs["monitor"], justice=refs["justice"],
                                 coordinators=coordinators, deadline=inst["deadline"],
                                 pending_deadline=inst["pending_deadline"], state_due=state_due,
                                 overdue_at=inst["overdue_at"], complex=bool(inst["complex"]), plan=shas.get(inst["plan"]))
        digest = event_hash(str(inst["last_hash"]), values, snapshot)
        conn.execute(text(f"INSERT INTO audit_event ({', '.join(_AUDIT_COLUMNS)}, prev_hash, hash, snapshot) VALUES "
                          f"({', '.join(':' + n for n in _AUDIT_COLUMNS)}, :prev, :hash, :snap)"),
                     {**dict(zip(_AUDIT_COLUMNS, values, strict=True)), "prev": inst["last_hash"], "hash": digest,
                      "snap": snapshot})
        changed = conn.execute(text(
            # a new lead unit's head assigns its own officer: the old unit's assignee is cleared
            "UPDATE task_instance SET unit = :unit, assignee = CASE WHEN :handed THEN NULL ELSE assignee END, "
            "focal = :focal, authority = :authority, monitor = :monitor, "
            "justice = :justice, coordinators = :co, state = :state, stage = :stage, "
            "state_due = :due, state_since = CASE WHEN :moved THEN :at ELSE state_since END, version = :v, "
            "last_hash = :h WHERE id = :id AND version = :old"),
            {"unit": unit, **refs, "co": coordinators, "state": to_state, "stage": stage, "due": state_due,
             "moved": to_state != inst["state"], "handed": unit != inst["unit"], "at": at, "v": seq, "h": digest, "id": inst["id"], "old": inst["version"]})
        if changed.rowcount != 1:
            raise TransferRefused(f"Nhiệm vụ {inst['id']} vừa bị thay đổi; hãy thử lại", f"task {inst['id']} changed meanwhile")
        if "recipients" in data:  # the successor receives what the old units were sent (and when)
            conn.execute(text("DELETE FROM report_recipient WHERE task_id = :id"), {"id": inst["id"]})
            for recipient, received in readdressed.items():
                conn.execute(text("INSERT INTO report_recipient (task_id, unit, received_at) VALUES (:id, :u, :r)"),
                             {"id": inst["id"], "u": recipient, "r": received})
        if "merged_into" in data:
            merged += 1
        elif "unit_to" in data:
            moved += 1
        else:
            followed += 1
    for code in olds:
        conn.execute(text("UPDATE unit SET active = :no WHERE code = :c"), {"no": False, "c": code})
        admin_log.record(conn, at=at, actor=actor.name, action="unit.succeed", region=str(units[code][1]), subject=code,
                         data={**base, "active": [True, False]}, comment=decision)
    refresh_group_members(conn, {str(units[c][1]) for c in olds})
    return {"olds": olds, "successor": new, "effective": effective.isoformat(), "decision": decision, "at": at,
            "moved": moved, "merged": merged, "references": followed, "kept": kept}
