"""Named effects a transition may have on the task beyond its state. Each changes the context
(which the runtime then writes) and returns what it changed, for the audit event's data."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from phancap.engine.machine import TaskContext

Effect = Callable[["TaskContext"], dict[str, Any]]


def propose_deadline(ctx: TaskContext) -> dict[str, Any]:
    ctx.pending_deadline = ctx.proposed_deadline
    return {"deadline": ctx.deadline, "proposed_deadline": ctx.proposed_deadline}


def extend_deadline(ctx: TaskContext) -> dict[str, Any]:
    """The assigner grants the extension: the deadline moves; the old one stays in this event."""
    old, ctx.deadline, ctx.pending_deadline = ctx.deadline, ctx.pending_deadline, None
    ctx.overdue_cleared = True  # re-evaluated against the new deadline by the next sweep
    return {"deadline_from": old, "deadline_to": ctx.deadline}


def clear_proposal(ctx: TaskContext) -> dict[str, Any]:
    refused, ctx.pending_deadline = ctx.pending_deadline, None
    return {"refused_deadline": refused, "deadline": ctx.deadline}


SECTIONS = ("results", "shortcomings", "proposals")  # I. Kết quả; II. Tồn tại, hạn chế; III. Kiến nghị


def deliver_report(ctx: TaskContext) -> dict[str, Any]:
    """A report is sent: every recipient has it now; its narrative sections stay in this event."""
    ctx.delivered = True
    given = {k: str(v).strip() for k, v in (ctx.sections or {}).items() if k in SECTIONS and str(v).strip()}
    return {"sections": given} if given else {}


def assign_officer(ctx: TaskContext) -> dict[str, Any]:
    """The head names the officer who handles the task (None: unassigned); both ends stay in the event."""
    assert ctx.assignment is not None  # the `assignment` requirement holds before effects run
    before, after = ctx.assignment
    return {"assignee_from": before, "assignee_to": after}


EFFECTS: dict[str, Effect] = {
    "deliver_report": deliver_report,
    "propose_deadline": propose_deadline,
    "extend_deadline": extend_deadline,
    "clear_proposal": clear_proposal,
    "assign_officer": assign_officer,
}
