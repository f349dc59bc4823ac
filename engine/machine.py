"""One `transitions` machine per workflow definition, shared by every task instance.

Tasks are never attached to the machine: each firing passes a fresh TaskContext, and the
machine's conditions decide. A condition that refuses records why on the context."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from transitions import EventData, Machine, MachineError, Transition

from phancap.engine.effects import EFFECTS
from phancap.engine.errors import TransitionNotAllowed
from phancap.engine.guards import GUARDS, REQUIREMENTS, STATE_GUARDS, Guard
from phancap.engine.roles import COORDINATOR, RECIPIENT, RELATION_COLUMNS, SYSTEM_ROLE
from phancap.engine.workflow import Grant, TransitionDef, Workflow


@dataclass(frozen=True)
class Actor:
    name: str
    unit: str | None
    roles: frozenset[str]


@dataclass
class TaskContext:
    """What the machine sees of one task instance and one attempt to move it."""

    task_id: int
    state: str
    stage: str
    unit: str
    focal: str | None
    authority: str | None
    monitor: str | None
    justice: str | None
    coordinators: frozenset[str]
    deadline: date | None
    state_due: date | None
    today: date
    actor: Actor
    comment: str | None = None
    evidence: dict[str, Any] | None = None
    capacity: str | None = None
    complex: bool = False  # a complex or multi-sector draft: the longer appraisal limit
    pending_deadline: date | None = None  # an extension the lead unit asked for
    proposed_deadline: date | None = None  # given with request_extension
    overdue_at: str | None = None  # when the task went overdue (cleared when an extension is granted)
    overdue_cleared: bool = False
    recipient: bool = False  # the actor's unit is one the report is sent to (report_recipient)
    sections: dict[str, str] | None = None  # a report's narrative sections, given with its submission
    delivered: bool = False  # set by the `deliver_report` effect: the runtime marks every recipient received
    assignment: tuple[str | None, str | None] | None = None  # (assignee before, after): given by engine/assignment.py
    data: dict[str, Any] = field(default_factory=dict)  # what effects changed, for the audit event
    # trigger → actor of its most recent firing on this instance, for the triggers the current state's
    # transitions name in `not_by` (loaded by the runtime only then; None: not loaded)
    earlier_actors: dict[str, str] | None = None
    # Written by the machine:
    granted_role: str | None = None
    refusal: tuple[str, str, str] | None = None  # (rule, vi, en)
    fired: TransitionDef | None = field(default=None)

    def relation_holds(self, relation: str | None) -> bool:
        unit = self.actor.unit
        if relation is None or unit is None:
            return False
        if relation == COORDINATOR:
            return unit in self.coordinators
        if relation == RECIPIENT:
            return self.recipient
        return bool(unit == getattr(self, RELATION_COLUMNS[relation]))

    def has_relation(self) -> bool:
        unit = self.actor.unit
        return unit is not None and (any(unit == getattr(self, c) for c in RELATION_COLUMNS.values())
                                     or unit in self.coordinators or self.recipient)

    def relations(self) -> list[str]:
        """How the actor's unit relates to this instance (empty: it has no business with it)."""
        return [r for r in (*RELATION_COLUMNS, COORDINATOR, RECIPIENT) if self.relation_holds(r)]


def _context(event: EventData) -> TaskContext:
    """The firing's context: the machine is shared, so the model is always a TaskContext."""
    assert isinstance(event.model, TaskContext)
    return event.model


def _grant_check(transition: TransitionDef) -> Any:
    def granted(event: EventData) -> bool:
        ctx: TaskContext = _context(event)
        for grant in transition.grants:
            if grant.role == SYSTEM_ROLE and SYSTEM_ROLE in ctx.actor.roles:
                ctx.granted_role = SYSTEM_ROLE
                return True
            if grant.role in ctx.actor.roles and ctx.relation_holds(grant.relation):
                ctx.granted_role = grant.role
                return True
        ctx.refusal = ("role", *_role_refusal(ctx, transition.trigger, transition.grants))
        return False

    return granted


def _role_refusal(ctx: TaskContext, trigger: str, grants: tuple[Grant, ...]) -> tuple[str, str]:
    allowed = ", ".join(str(g) for g in grants)
    roles = ", ".join(sorted(ctx.actor.roles)) or "không có"
    return (
        f"'{ctx.actor.name}' (đơn vị {ctx.actor.unit}, vai trò {roles}) không được giao quyền '{trigger}' "
        f"đối với nhiệm vụ này; chỉ: {allowed}",
        f"'{ctx.actor.name}' (unit {ctx.actor.unit}, roles {roles}) is not granted '{trigger}' on this task; "
        f"granted only to: {allowed}",
    )


def _rule_check(rule: str, check: Guard, *, reads_request: bool) -> Any:
    def satisfied(event: EventData) -> bool:
        ctx: TaskContext = _context(event)
        refusal = check(ctx)
        if refusal is None:
            return True
        ctx.refusal = (rule, *refusal)
        return False

    # What the request brings (a comment, evidence, a date) is not known when listing what may fire now.
    satisfied.reads_request = reads_request  # type: ignore[attr-defined]
    return satisfied


def _duty_check(workflow: Workflow, transition: TransitionDef) -> Any:
    """Separation of duties: the actor must not be who last fired any of the `not_by` triggers here."""

    def separate(event: EventData) -> bool:
        ctx: TaskContext = _context(event)
        if ctx.earlier_actors is None:  # fail closed: a caller that did not load them may not fire this
            ctx.refusal = ("duty", "Chưa xác định được người đã thực hiện các bước trước (phân tách nhiệm vụ)",
                           "separation of duties: the earlier steps' actors were not loaded")
            return False
        for before in transition.not_by:
            if ctx.earlier_actors.get(before) == ctx.actor.name:
                ctx.refusal = ("duty", *_duty_refusal(workflow, ctx, before, transition))
                return False
        return True

    return separate


def _duty_refusal(workflow: Workflow, ctx: TaskContext, before: str, transition: TransitionDef) -> tuple[str, str]:
    def verb(label: str) -> str:
        return label[:1].lower() + label[1:]

    return (
        f"Người đã {verb(workflow.label_of(before))} không được tự {verb(transition.label)} (phân tách nhiệm vụ): "
        f"'{ctx.actor.name}' đã thực hiện '{before}' trên nhiệm vụ này, việc '{transition.trigger}' phải do "
        f"người khác làm",
        f"separation of duties: '{ctx.actor.name}' fired '{before}' on this instance and may not also fire "
        f"'{transition.trigger}'; someone else must",
    )


def _stage_check(stage: str) -> Any:
    return lambda event: event.model.stage == stage


def _record(transition: TransitionDef) -> Any:
    def record(event: EventData) -> None:
        ctx: TaskContext = _context(event)
        ctx.fired = transition
        for name in transition.effects:
            ctx.data.update(EFFECTS[name](ctx))

    return record


def build_machine(workflow: Workflow) -> tuple[Machine, list[tuple[TransitionDef, Transition]]]:
    """The shared machine, and each definition with the machine's transition that carries it out."""
    machine = Machine(
        model=None,
        states=list(workflow.states),
        initial=workflow.initial,
        auto_transitions=False,
        send_event=True,
        model_attribute="state",
        name=workflow.name,
    )
    pairs: list[tuple[TransitionDef, Transition]] = []
    for t in workflow.transitions:
        conditions = [_stage_check(t.stage)] if t.stage else []
        conditions.append(_grant_check(t))
        if t.not_by:
            conditions.append(_duty_check(workflow, t))
        conditions += [_rule_check("guard", REQUIREMENTS[r], reads_request=True) for r in t.requires]
        conditions += [_rule_check("deadline" if g == "deadline_passed" else "guard", GUARDS[g],
                                   reads_request=g not in STATE_GUARDS) for g in t.guards]
        machine.add_transition(t.trigger, t.source, t.dest, conditions=conditions, before=_record(t))
        pairs.append((t, machine.events[t.trigger].transitions[t.source][-1]))
    return machine, pairs


class WorkflowMachine:
    """A workflow definition with its one shared machine."""

    def __init__(self, workflow: Workflow) -> None:
        self.workflow = workflow
        self.machine, self._transitions = build_machine(workflow)
        # (source, trigger or None for any) → (roles granted, not_by) of each transition that declares not_by
        self._duty: dict[tuple[str, str | None], list[tuple[frozenset[str], tuple[str, ...]]]] = {}
        for t in workflow.transitions:
            if t.not_by:
                entry = (frozenset(g.role for g in t.grants), t.not_by)
                for key in ((t.source, None), (t.source, t.trigger)):
                    self._duty.setdefault(key, []).append(entry)

    def duty_triggers(self, state: str, trigger: str | None = None,
                      roles: frozenset[str] | None = None) -> tuple[str, ...]:
        """The triggers whose last actor the separation-of-duties conditions need: those named in `not_by`
        by the transitions from `state` (only those of `trigger`, when given; only those granted to one of
        `roles`, when given, as the grant is checked first). Empty for most, and then nothing is loaded."""
        needed: dict[str, None] = {}
        for granted, not_by in self._duty.get((state, trigger), ()):
            if roles is None or granted & roles:
                needed.update(dict.fromkeys(not_by))
        return tuple(needed)

    def fire(self, ctx: TaskContext, trigger: str) -> TransitionDef:
        """Move ctx through the machine, or raise TransitionNotAllowed saying which rule refused."""
        event = self.machine.events.get(trigger)
        if event is None:
            raise TransitionNotAllowed(
                "trigger",
                f"Quy trình '{self.workflow.name}' không có thao tác '{trigger}'",
                f"workflow '{self.workflow.name}' has no trigger '{trigger}'",
                task_id=ctx.task_id, state=ctx.state, trigger=trigger,
            )
        state_before = ctx.state
        try:
            done = event.trigger(ctx)
        except MachineError:
            done = False
        if done and ctx.fired is not None:
            return ctx.fired
        ctx.state = state_before
        if ctx.refusal is None:
            label = self.workflow.states[state_before].label
            raise TransitionNotAllowed(
                "state",
                f"Không thể '{trigger}' khi nhiệm vụ đang ở trạng thái '{label}' ({state_before})",
                f"'{trigger}' is not valid from state '{state_before}'",
                task_id=ctx.task_id, state=state_before, trigger=trigger,
            )
        rule, vi, en = ctx.refusal
        raise TransitionNotAllowed(rule, vi, en, task_id=ctx.task_id, state=state_before, trigger=trigger)  # type: ignore[arg-type]

    def allowed_triggers(self, ctx: TaskContext) -> list[TransitionDef]:
        """Transitions the actor may fire now: the machine's own conditions (stage, grant, guards on the
        task) decide, all but those on what the request brings (comment, evidence, dates)."""
        result = []
        state = self.machine.get_state(ctx.state)
        for definition, transition in self._transitions:
            if transition.source != ctx.state:
                continue
            probe = replace(ctx, refusal=None, granted_role=None, data={})  # conditions write only on the probe
            event = EventData(state, self.machine.events[definition.trigger], self.machine, probe, (), {})
            if all(c.check(event) for c in transition.conditions if not getattr(c.func, "reads_request", False)):
                result.append(definition)
        return result
