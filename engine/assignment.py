"""Assignment inside a unit ("phân công chuyên viên xử lý", issue 15): the head of the unit that leads an
instance names the one officer of that unit who handles it, reassigns it or unassigns it.

The workflow decides who may (`assign_officer`, granted to head@lead in the YAML) and from which states;
this module checks the officer named (an active officer of the lead unit) and writes, in one transaction,
the audit event (its data: assignee_from, assignee_to) and the instance's `assignee`. The state never
changes and the unit still owns the instance: what each unit sees is unchanged."""

from __future__ import annotations

from typing import Any

from phancap.engine.db import Database
from phancap.engine.errors import TransitionNotAllowed
from phancap.engine.machine import TaskContext
from phancap.engine.runtime import TaskEngine, parse_roles

ASSIGN_TRIGGER = "assign_officer"
OFFICER_ROLE = "officer"
_ROW = ("SELECT t.version, t.last_hash, t.coordinators, t.assignee, p.definition_sha256 FROM task_instance t "
        "LEFT JOIN plan p ON p.code = t.plan WHERE t.id = ?")
_OFFICER = ("SELECT u.unit, u.roles, u.active, n.active, n.name FROM app_user u JOIN unit n ON n.code = u.unit "
            "WHERE u.name = ?")


def _refuse(ctx: TaskContext, vi: str, en: str) -> TransitionNotAllowed:
    return TransitionNotAllowed("guard", vi, en, task_id=ctx.task_id, state=ctx.state, trigger=ASSIGN_TRIGGER)


def _check_officer(cur: Any, db: Database, ctx: TaskContext, before: str | None, to: str | None) -> None:
    """Refuse unless `to` is a change to an active officer of the lead unit (or an unassignment)."""
    if to == before:
        if to is None:
            raise _refuse(ctx, "Nhiệm vụ chưa được phân công cho ai", "the task is not assigned to anyone")
        raise _refuse(ctx, f"Nhiệm vụ đã được phân công cho '{to}'", f"the task is already assigned to '{to}'")
    if to is None:
        return
    cur.execute(db.sql(_OFFICER), (to,))
    found = cur.fetchone()
    if found is None:
        raise _refuse(ctx, f"Không có người dùng '{to}'", f"no user '{to}'")
    unit, roles, active, unit_active, _ = found
    if not active or not unit_active:
        raise _refuse(ctx, f"Người dùng '{to}' đã ngừng hoạt động: không phân công được",
                      f"user '{to}' is inactive and cannot be assigned")
    if unit != ctx.unit:
        raise _refuse(ctx, f"'{to}' thuộc đơn vị {unit}, không thuộc đơn vị chủ trì {ctx.unit}: chỉ phân công "
                           "chuyên viên của đơn vị mình",
                      f"'{to}' belongs to unit {unit}, not to the lead unit {ctx.unit}: assign an officer of your own unit")
    if OFFICER_ROLE not in parse_roles(roles):
        raise _refuse(ctx, f"'{to}' không phải chuyên viên (vai trò officer) của đơn vị",
                      f"'{to}' is not an officer of the unit (role officer)")


def assign_officer(engine: TaskEngine, task_id: int, head: str, to: str | None, *, version: int | None = None,
                   comment: str | None = None) -> dict[str, Any]:
    """Assign instance `task_id` to officer `to` (None: unassign) as `head`; refusals change nothing."""
    to = (to or "").strip() or None
    db = engine.db
    with db.write() as cur:
        machine, ctx = engine.load_context(cur, task_id, head, lock=True, trigger=ASSIGN_TRIGGER)
        cur.execute(db.sql(_ROW), (task_id,))
        current_version, last_hash, coordinators, before, plan_sha = cur.fetchone()
        if version is not None and version != int(current_version):
            raise TransitionNotAllowed(
                "version", f"Nhiệm vụ đã thay đổi (phiên bản hiện tại {current_version}, bạn gửi {version}); hãy tải lại",
                f"stale version: the task is at version {current_version}, the request said {version}",
                task_id=task_id, state=ctx.state, trigger=ASSIGN_TRIGGER)
        state = machine.workflow.states[ctx.state]
        if state.final:
            raise TransitionNotAllowed(
                "state", f"Nhiệm vụ đã kết thúc ({state.label}): không phân công được",
                f"the task has ended ({ctx.state}): it is not assigned", task_id=task_id, state=ctx.state,
                trigger=ASSIGN_TRIGGER)
        ctx.assignment = (before, to)
        ctx.comment = (comment or "").strip() or None
        fired = machine.fire(ctx, ASSIGN_TRIGGER)  # the workflow's grant (head@lead) and states decide
        _check_officer(cur, db, ctx, before, to)
        result = engine.persist(cur, machine.workflow, ctx, fired, version=int(current_version),
                                last_hash=str(last_hash), plan_version=plan_sha, coordinators=coordinators)
        cur.execute(db.sql("UPDATE task_instance SET assignee = ? WHERE id = ?"), (to, task_id))
    return {"task": task_id, "assignee": to, "assignee_from": before, "state": result.to_state,
            "version": result.version, "actor": result.actor, "at": result.at, "hash": result.hash}


def unit_officers(db: Database, unit: str) -> list[dict[str, Any]]:
    """The active officers of `unit` a head may assign to (name, full_name), by name."""
    with db.read() as cur:
        cur.execute(db.sql("SELECT name, full_name, roles FROM app_user WHERE unit = ? AND active ORDER BY name"), (unit,))
        rows = cur.fetchall()
    return [{"name": name, "full_name": full} for name, full, roles in rows if OFFICER_ROLE in parse_roles(roles)]
