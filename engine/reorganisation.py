"""Reorganisation of units (issue 13): an open task moved to another lead unit by a decision, task by task
(`phancap transfer TASK --to UNIT --decision TEXT`), e.g. when a district office's work passes to a
commune or to the province. One audited `transfer` event on the instance, in the same transaction as
the move; its data keeps the old unit, so history still names it. Done or withdrawn instances are
never moved. Whole units are succeeded with engine/succession.py (`phancap units succeed`)."""

from __future__ import annotations

from typing import Any


from phancap.engine.audit import data_json, event_hash, snapshot_json
from phancap.engine.clock import Clock, stamp
from phancap.engine.db import Database
from phancap.engine.errors import BadRequest, NotFound, Refusal
from phancap.engine.machine import WorkflowMachine
from phancap.engine.policy import require_manage_registry
from phancap.engine.users import User

TRANSFER_TRIGGER = "transfer"
COLUMNS = ("id", "plan", "task", "unit", "workflow", "state", "stage", "version", "focal", "authority", "monitor",
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
        cur.execute(db.sql(f"SELECT {', '.join(COLUMNS)} FROM task_instance WHERE id = ?{lock}"), (task_id,))
        found = cur.fetchone()
        if found is None:
            raise NotFound(f"Không có nhiệm vụ số {task_id}", f"no task {task_id}")
        inst = dict(zip(COLUMNS, found, strict=True))
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

