"""Reorganisation of units (issue 13): an open task moved to another lead unit by a decision, task by task
(`phancap transfer TASK --to UNIT --decision TEXT`), e.g. when a district office's work passes to a
commune or to the province. One audited `transfer` event on the instance, in the same transaction as
the move; its data keeps the old unit, so history still names it. Done or withdrawn instances are
never moved. Whole units are succeeded with `succeed_units` (`phancap units succeed`)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import bindparam, text

from phancap.engine import admin_log
from phancap.engine.audit import data_json, event_hash, snapshot_json
from phancap.engine.clock import Clock, stamp
from phancap.engine.db import Database
from phancap.engine.errors import BadRequest, NotFound, Refusal
from phancap.engine.loader import refresh_group_members
from phancap.engine.machine import WorkflowMachine
from phancap.engine.policy import require_manage_registry
from phancap.engine.users import User

TRANSFER_TRIGGER = "transfer"
_COLUMNS = ("id", "plan", "task", "unit", "workflow", "state", "stage", "version", "focal", "authority", "monitor",
            "justice", "coordinators", "deadline", "pending_deadline", "state_due", "overdue_at", "complex",
            "last_hash", "kind")


class TransferRefused(Refusal):
    """A transfer refused; nothing changed."""

    def __init__(self, message_vi: str, message_en: str) -> None:
        super().__init__("state", message_vi, message_en)


def transfer_task(db: Database, workflows: dict[str, WorkflowMachine], clock: Clock, user: User, task_id: int,
                  to_unit: str, decision: str) -> dict[str, Any]:
    """Move one open plan task instance to `to_unit` (an active unit not already leading the same task), as
    the administrator of the plan's registry, citing the decision."""
    decision = " ".join(decision.split())
    if not decision:
        raise BadRequest("Cần nêu quyết định điều chuyển (số, ngày, cơ quan ban hành)",
                         "the decision transferring the task is required (number, date, issuer)")
    lock = "" if db.is_sqlite else " FOR UPDATE"
    with db.write() as cur:
        cur.execute(db.sql(f"SELECT {', '.join(_COLUMNS)} FROM task_instance WHERE id = ?{lock}"), (task_id,))
        found = cur.fetchone()
        if found is None:
            raise NotFound(f"Không có nhiệm vụ số {task_id}", f"no task {task_id}")
        inst = dict(zip(_COLUMNS, found, strict=True))
        cur.execute(db.sql("SELECT region, definition_sha256 FROM plan WHERE code = ?"), (inst["plan"],))
        region, plan_sha = cur.fetchone()
        cur.execute(db.sql("SELECT region FROM unit WHERE code = ?"), (user.unit,))
        mine = cur.fetchone()
        require_manage_registry(user, None if mine is None else str(mine[0]), str(region))
        if inst["kind"] != "task":
            raise TransferRefused(f"Chỉ chuyển được nhiệm vụ của kế hoạch (đây là {inst['kind']})",
                                  f"only plan tasks are transferred (this is a {inst['kind']})")
        machine = workflows.get(str(inst["workflow"]))
        state = machine.workflow.states.get(str(inst["state"])) if machine else None
        if state is None or state.final:
            raise TransferRefused(f"Nhiệm vụ {task_id} đã kết thúc ({inst['state']}): không chuyển",
                                  f"task {task_id} has ended ({inst['state']}): it is not transferred")
        cur.execute(db.sql("SELECT code, name, active FROM unit WHERE code = ?"), (to_unit,))
        target = cur.fetchone()
        if target is None:
            raise NotFound(f"Không có đơn vị {to_unit}", f"no unit {to_unit}")
        if not target[2]:
            raise TransferRefused(f"Đơn vị {to_unit} đã ngừng hoạt động", f"unit {to_unit} is inactive")
        if to_unit == inst["unit"]:
            raise TransferRefused(f"Nhiệm vụ {task_id} đã do {to_unit} chủ trì", f"task {task_id} is already led by {to_unit}")
        cur.execute(db.sql("SELECT id FROM task_instance WHERE plan = ? AND task = ? AND unit = ?"),
                    (inst["plan"], inst["task"], to_unit))
        other = cur.fetchone()
        if other is not None:
            raise TransferRefused(
                f"{to_unit} đã chủ trì nhiệm vụ {inst['task']} của kế hoạch {inst['plan']} (số {other[0]}); hãy thu hồi "
                "một trong hai bản", f"{to_unit} already leads task {inst['task']} of plan {inst['plan']} (task "
                f"{other[0]}); withdraw one of the two instead")
        at = stamp(clock.now())
        seq = int(inst["version"]) + 1
        data = {"unit_from": inst["unit"], "unit_to": to_unit, "decision": decision}
        comment = (f"Chuyển đơn vị chủ trì từ {inst['unit']} sang {to_unit} theo {decision} / "
                   f"lead unit {inst['unit']} → {to_unit} by {decision}")
        values = (task_id, seq, TRANSFER_TRIGGER, inst["state"], inst["state"], user.name, user.unit, "admin", None, at,
                  comment, None, data_json(data))
        snapshot = snapshot_json(state=inst["state"], stage=inst["stage"], version=seq, unit=to_unit, focal=inst["focal"],
                                 authority=inst["authority"], monitor=inst["monitor"], justice=inst["justice"],
                                 coordinators=inst["coordinators"], deadline=inst["deadline"],
                                 pending_deadline=inst["pending_deadline"], state_due=inst["state_due"],
                                 overdue_at=inst["overdue_at"], complex=bool(inst["complex"]), plan=plan_sha)
        digest = event_hash(str(inst["last_hash"]), values, snapshot)
        cur.execute(db.sql(
            "INSERT INTO audit_event (task_id, seq, trigger, from_state, to_state, actor, unit, role, capacity, at, "
            "comment, evidence, data, prev_hash, hash, snapshot) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
            (*values, inst["last_hash"], digest, snapshot))
        # the assignee was an officer of the old unit: the new unit's head assigns it again
        cur.execute(db.sql("UPDATE task_instance SET unit = ?, assignee = NULL, version = ?, last_hash = ? WHERE id = ? AND version = ?"),
                    (to_unit, seq, digest, task_id, inst["version"]))
        if cur.rowcount != 1:
            raise TransferRefused(f"Nhiệm vụ {task_id} vừa bị thay đổi; hãy thử lại", f"task {task_id} changed meanwhile")
    return {"task": task_id, "plan": inst["plan"], "number": inst["task"], "unit_from": inst["unit"],
            "unit_to": to_unit, "decision": decision, "state": inst["state"], "version": seq, "at": at, "hash": digest}


_SUCCEED_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM task_instance WHERE kind = 'task' AND ({{where}}) ORDER BY id"


def _coordinators(text_: str | None) -> list[str]:
    try:
        value = json.loads(text_ or "[]")
    except ValueError:
        return []
    return [str(c) for c in value] if isinstance(value, list) else []


def succeed_units(db: Database, workflows: dict[str, WorkflowMachine], clock: Clock, user: User, olds: list[str],
                  new: str, effective: date, decision: str) -> dict[str, Any]:
    """Units OLD… are succeeded by NEW from `effective` (today or before: nothing is scheduled): in one
    transaction every open task instance they lead moves to NEW, and their focal and coordinator references
    follow, each instance through one audited `transfer` event citing the decision; an instance of a task NEW
    already leads is withdrawn by that event instead (the work is merged into NEW's); the old units become
    inactive (groups and new fan-outs drop them), each with an admin event. Ended instances keep the old unit."""
    decision = " ".join(decision.split())
    olds = list(dict.fromkeys(o.strip() for o in olds if o.strip()))
    if not decision:
        raise BadRequest("Cần nêu quyết định (số, ngày, cơ quan ban hành)", "the decision is required (number, date, issuer)")
    if not olds or new in olds:
        raise BadRequest("Cần ít nhất một đơn vị cũ, khác đơn vị kế thừa", "name at least one old unit, other than the successor")
    if effective > clock.today():
        raise TransferRefused(f"Ngày hiệu lực {effective.isoformat()} sau hôm nay: chưa lên lịch trước được",
                              f"the effective date {effective.isoformat()} is after today: successions are not scheduled ahead")
    at = stamp(clock.now())
    with db.engine.begin() as conn:
        # the first statement writes, so SQLite takes its write lock before anything is read
        conn.execute(text("UPDATE unit SET active = active WHERE code = :c"), {"c": new})
        units = {r[0]: r for r in conn.execute(text("SELECT code, region, active, name FROM unit WHERE code IN :codes")
                                                .bindparams(bindparam("codes", expanding=True)), {"codes": [*olds, new]})}
        for code in (*olds, new):
            if code not in units:
                raise NotFound(f"Không có đơn vị {code}", f"no unit {code}")
            if not units[code][2]:
                raise TransferRefused(f"Đơn vị {code} đã ngừng hoạt động", f"unit {code} is inactive")
        mine = conn.execute(text("SELECT region FROM unit WHERE code = :u"), {"u": user.unit}).scalar()
        for code in olds:
            require_manage_registry(user, None if mine is None else str(mine), str(units[code][1]))
        params: dict[str, Any] = {f"o{i}": code for i, code in enumerate(olds)}
        params |= {f"c{i}": f'%"{code}"%' for i, code in enumerate(olds)}
        listed = ", ".join(f":o{i}" for i in range(len(olds)))
        where = (f"unit IN ({listed}) OR focal IN ({listed}) OR "
                 + " OR ".join(f"coordinators LIKE :c{i}" for i in range(len(olds))))
        lock = "" if db.is_sqlite else " FOR UPDATE"
        rows = [dict(zip(_COLUMNS, r, strict=True)) for r in conn.execute(text(_SUCCEED_SELECT.format(where=where) + lock), params)]
        taken = {(str(p), str(t)) for p, t in conn.execute(
            text("SELECT plan, task FROM task_instance WHERE unit = :n AND kind = 'task'"), {"n": new})}
        shas: dict[str, str] = {str(c): str(h) for c, h in conn.execute(text("SELECT code, definition_sha256 FROM plan"))}
        moved, merged, followed = 0, 0, 0
        for inst in rows:
            machine = workflows.get(str(inst["workflow"]))
            state = machine.workflow.states.get(str(inst["state"])) if machine else None
            if machine is None or state is None or state.final:
                continue  # ended: its history keeps the old unit
            data: dict[str, Any] = {"decision": decision, "effective": effective.isoformat(), "successor": new}
            unit, to_state, stage = str(inst["unit"]), str(inst["state"]), str(inst["stage"])
            if unit in olds:
                key = (str(inst["plan"]), str(inst["task"]))
                if key in taken:
                    to_state = stage = next(n for n, s in machine.workflow.states.items()
                                            if s.category == "withdrawn" and s.final)
                    data["merged_into"] = new
                else:
                    taken.add(key)
                    data |= {"unit_from": unit, "unit_to": new}
                    unit = new
            focal = inst["focal"]
            if focal in olds:
                data["focal"] = {"old": focal, "new": new}
                focal = new
            before = _coordinators(inst["coordinators"])
            after = list(dict.fromkeys(new if c in olds else c for c in before))
            after = [c for c in after if not (c == new and unit == new)]  # the successor does not coordinate its own task
            if after != before:
                data["coordinators"] = {"old": before, "new": after}
            if unit == inst["unit"] and to_state == inst["state"] and "focal" not in data and "coordinators" not in data:
                continue
            coordinators = json.dumps(after) if after != before else (inst["coordinators"] or "[]")
            seq = int(inst["version"]) + 1
            comment = (f"Kế thừa theo {decision} (hiệu lực {effective.day:02d}/{effective.month:02d}/{effective.year}): "
                       f"{', '.join(olds)} → {new} / succession by {decision}, effective {effective.isoformat()}")
            state_due = None if to_state != inst["state"] else inst["state_due"]
            values = (inst["id"], seq, TRANSFER_TRIGGER, inst["state"], to_state, user.name, user.unit, "admin", None, at,
                      comment, None, data_json(data))
            snapshot = snapshot_json(state=to_state, stage=stage, version=seq, unit=unit, focal=focal,
                                     authority=inst["authority"], monitor=inst["monitor"], justice=inst["justice"],
                                     coordinators=coordinators, deadline=inst["deadline"],
                                     pending_deadline=inst["pending_deadline"], state_due=state_due,
                                     overdue_at=inst["overdue_at"], complex=bool(inst["complex"]),
                                     plan=shas.get(inst["plan"]))
            digest = event_hash(str(inst["last_hash"]), values, snapshot)
            names = ("task_id", "seq", "trigger", "from_state", "to_state", "actor", "unit", "role", "capacity", "at",
                     "comment", "evidence", "data")
            conn.execute(text(f"INSERT INTO audit_event ({', '.join(names)}, prev_hash, hash, snapshot) VALUES "
                              f"({', '.join(':' + n for n in names)}, :prev, :hash, :snap)"),
                         {**dict(zip(names, values, strict=True)), "prev": inst["last_hash"], "hash": digest, "snap": snapshot})
            changed = conn.execute(text(
                "UPDATE task_instance SET unit = :unit, assignee = CASE WHEN :handed THEN NULL ELSE assignee END, focal = :focal, coordinators = :co, state = :state, stage = :stage, "
                "state_due = :due, state_since = CASE WHEN :moved THEN :at ELSE state_since END, version = :v, "
                "last_hash = :h WHERE id = :id AND version = :old"),
                {"unit": unit, "focal": focal, "co": coordinators, "state": to_state, "stage": stage, "due": state_due,
                 "moved": to_state != inst["state"], "handed": unit != inst["unit"], "at": at, "v": seq, "h": digest, "id": inst["id"],
                 "old": inst["version"]})
            if changed.rowcount != 1:
                raise TransferRefused(f"Nhiệm vụ {inst['id']} vừa bị thay đổi; hãy thử lại", f"task {inst['id']} changed meanwhile")
            if "merged_into" in data:
                merged += 1
            elif "unit_to" in data:
                moved += 1
            else:
                followed += 1
        for code in olds:
            conn.execute(text("UPDATE unit SET active = :no WHERE code = :c"), {"no": False, "c": code})
            admin_log.record(conn, at=at, actor=user.name, action="unit.succeed", region=str(units[code][1]), subject=code,
                             data={"successor": new, "effective": effective.isoformat(), "decision": decision,
                                   "active": [True, False]}, comment=decision)
        refresh_group_members(conn, {str(units[c][1]) for c in olds})
    return {"olds": olds, "successor": new, "effective": effective.isoformat(), "decision": decision, "at": at,
            "moved": moved, "merged": merged, "references": followed}
