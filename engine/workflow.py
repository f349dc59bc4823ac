"""Workflow definitions: parsed from YAML, validated whole, then frozen.

A definition that has any problem is refused with every `file:line: message` at once;
nothing of it is used."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from phancap.engine.effects import EFFECTS
from phancap.engine.errors import DefinitionError
from phancap.engine.guards import GUARDS, REQUIREMENTS
from phancap.engine.roles import RELATIONS, ROLES, SYSTEM_ROLE
from phancap.engine.yamlsource import Located, load_located

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
COUNTINGS = ("calendar", "working")
# How official figures count a state (engine/status.py); one definition, declared per state in the YAML.
STATE_CATEGORIES = ("open", "done", "withdrawn", "overdue")
# The trigger of the first audit event of an instance a user opens on a task (a difficulty's `raise`,
# engine/difficulties.py): a workflow with `opened_by` may name it in `not_by`.
OPEN_TRIGGER = "raise"
OPEN_LABEL = "Nêu vướng mắc, kiến nghị"


@dataclass(frozen=True)
class Grant:
    role: str
    relation: str | None  # None only for the system role

    def __str__(self) -> str:
        return self.role if self.relation is None else f"{self.role}@{self.relation}"


@dataclass(frozen=True)
class StateLimit:
    days: int
    complex_days: int | None
    counting: str  # calendar | working


@dataclass(frozen=True)
class StateDef:
    name: str
    label: str
    description: str
    final: bool
    limit: StateLimit | None
    category: str = "open"  # one of STATE_CATEGORIES


@dataclass(frozen=True)
class TransitionDef:
    trigger: str
    label: str
    source: str
    dest: str | None  # None: an internal transition (a comment) that keeps the state
    grants: tuple[Grant, ...]
    requires: tuple[str, ...]
    guards: tuple[str, ...]
    effects: tuple[str, ...] = ()
    resume: bool = False  # fired from overdue, the task goes back to the stage it was in
    stage: str | None = None  # set on copies that leave the overdue state: the stage it interrupted
    where: str = ""
    # Separation of duties: the actor must differ from the actor of the most recent earlier firing of
    # each of these triggers on the same instance (refused with rule `duty`).
    not_by: tuple[str, ...] = ()
    # Whether the task waits, in the queue ("Chờ tôi xử lý") of whoever may fire this, for them to do it:
    # by default a transition that changes the state; `queue: false` for one always at hand (withdraw),
    # `queue: true` for a decision that keeps the state (granting a pending extension).
    queue: bool = False


@dataclass(frozen=True)
class OverduePolicy:
    state: str
    trigger: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Workflow:
    name: str
    title: str
    initial: str
    states: dict[str, StateDef]
    transitions: tuple[TransitionDef, ...]
    overdue: OverduePolicy | None
    source: str
    triggers: tuple[str, ...] = field(default=())
    opened_by: tuple[Grant, ...] = ()  # for workflows opened on a task (difficulties): who may open one

    def from_state(self, state: str, trigger: str) -> list[TransitionDef]:
        return [t for t in self.transitions if t.source == state and t.trigger == trigger]

    def categories(self) -> dict[str, str]:
        """state → its category (open, done, withdrawn, overdue)."""
        return {s: d.category for s, d in self.states.items()}

    def open_states(self) -> tuple[str, ...]:
        return tuple(s for s, d in self.states.items() if not d.final)

    def event_label(self, trigger: str, from_state: str | None, to_state: str | None) -> str | None:
        """The label of the transition an audit event records: two transitions may share a trigger
        ("return" to the lead unit and to the focal agency), so the states tell which. None when no
        transition of this workflow matches (a system event such as an assignment)."""
        matching = [t for t in self.transitions if t.trigger == trigger and t.source == from_state]
        exact = [t for t in matching if (t.dest or from_state) == to_state]
        return (exact or matching)[0].label if exact or matching else None

    def label_of(self, trigger: str) -> str:
        """The label of a trigger (its first transition's), for messages."""
        if trigger == OPEN_TRIGGER and self.opened_by:
            return OPEN_LABEL
        return next((t.label for t in self.transitions if t.trigger == trigger), trigger)


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}")


def _strings(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _check_keys(node: Located, allowed: set[str], required: set[str], what: str, p: _Problems) -> None:
    for key in node:
        if key not in allowed:
            p.add(node.where(key), f"{what}: unknown field '{key}' (allowed: {', '.join(sorted(allowed))})")
    for key in sorted(required - set(node)):
        p.add(node.where(), f"{what}: missing field '{key}'")


def _parse_grant(raw: Any, where: str, p: _Problems) -> Grant | None:
    if not isinstance(raw, str):
        p.add(where, f"field 'grants': {raw!r} is not ROLE@RELATION")
        return None
    role, _, relation = raw.partition("@")
    if role == SYSTEM_ROLE and not relation:
        return Grant(role, None)
    if role not in ROLES:
        p.add(where, f"field 'grants': unknown role '{role}' (roles: {', '.join(sorted(ROLES))})")
        return None
    if relation not in RELATIONS:
        p.add(where, f"field 'grants': unknown relation '{relation}' in '{raw}' (relations: {', '.join(RELATIONS)})")
        return None
    return Grant(role, relation)


def _parse_states(doc: Located, p: _Problems, declared: set[str]) -> dict[str, StateDef]:
    """`declared` collects the states whose category the file states (the others take a default)."""
    states: dict[str, StateDef] = {}
    raw_states = doc.get("states")
    if not isinstance(raw_states, dict) or not raw_states:
        p.add(doc.where("states"), "field 'states': must map state names to their definitions")
        return states
    assert isinstance(raw_states, Located)
    for name, body in raw_states.items():
        where = raw_states.where(name)
        if not IDENTIFIER.match(name):
            p.add(where, f"state '{name}': names are lower_case identifiers")
        body = body if isinstance(body, Located) else Located()
        if not hasattr(body, "source"):
            body.source, body.line, body.key_lines = doc.source, raw_states.key_lines[name], {}
        _check_keys(body, {"label", "description", "final", "limit", "category"}, {"label"}, f"state '{name}'", p)
        category = body.get("category")
        if category is not None and category not in STATE_CATEGORIES:
            p.add(body.where("category"), f"state '{name}': field 'category': unknown category {category!r} "
                                          f"(categories: {', '.join(STATE_CATEGORIES)})")
            category = None
        limit = None
        if isinstance(body.get("limit"), Located):
            lim = body["limit"]
            _check_keys(lim, {"days", "complex_days", "counting"}, {"days"}, f"state '{name}' limit", p)
            days, complex_days = lim.get("days"), lim.get("complex_days")
            counting = lim.get("counting", "calendar")
            if not isinstance(days, int) or days <= 0 or (complex_days is not None and not isinstance(complex_days, int)):
                p.add(lim.where("days"), f"state '{name}' limit: days must be positive whole numbers")
            elif counting not in COUNTINGS:
                p.add(lim.where("counting"), f"state '{name}' limit: counting must be one of {COUNTINGS}")
            else:
                limit = StateLimit(days, complex_days, counting)
        final = bool(body.get("final", False))
        states[name] = StateDef(
            name, str(body.get("label", name)), str(body.get("description", "")), final, limit,
            str(category) if category is not None else ("done" if final else "open"),
        )
        if category is not None:
            declared.add(name)
    return states


def _parse_transitions(doc: Located, states: dict[str, StateDef], p: _Problems,
                       named: list[tuple[str, str, list[str]]]) -> list[TransitionDef]:
    """`named` collects each `not_by` (where, which transition, the triggers it names), checked once
    every trigger is known."""
    result: list[TransitionDef] = []
    raw = doc.get("transitions")
    if not isinstance(raw, list) or not raw:
        p.add(doc.where("transitions"), "field 'transitions': must be a non-empty list")
        return result
    allowed = {"trigger", "label", "source", "dest", "grants", "requires", "guards", "effects", "on_overdue",
               "not_by", "queue"}
    for item in raw:
        if not isinstance(item, Located):
            p.add(doc.where("transitions"), "field 'transitions': each item must be a mapping")
            continue
        _check_keys(item, allowed, {"trigger", "source", "dest", "grants"}, "transition", p)
        trigger = item.get("trigger")
        if not isinstance(trigger, str) or not IDENTIFIER.match(trigger):
            p.add(item.where("trigger"), f"field 'trigger': {trigger!r} is not a lower_case identifier")
            continue
        what = f"transition '{trigger}'"
        sources = _strings(item.get("source")) if "source" in item else []
        for s in sources:
            if s not in states:
                p.add(item.where("source"), f"{what}: field 'source': unknown state '{s}'")
        dest = item.get("dest")
        if dest is not None and dest not in states:
            p.add(item.where("dest"), f"{what}: field 'dest': unknown state '{dest}'")
        grants_raw = item.get("grants")
        if "grants" in item and (not isinstance(grants_raw, list) or not grants_raw):
            p.add(item.where("grants"), f"{what}: field 'grants': grants no role; every transition must name who may fire it")
            grants_raw = []
        grants = [g for g in (_parse_grant(r, item.where("grants"), p) for r in grants_raw or []) if g]
        requires = [str(r) for r in _strings(item.get("requires") or [])]
        for r in requires:
            if r not in REQUIREMENTS:
                p.add(item.where("requires"), f"{what}: field 'requires': unknown requirement '{r}' (known: {', '.join(REQUIREMENTS)})")
        guards = [str(g) for g in _strings(item.get("guards") or [])]
        for g in guards:
            if g not in GUARDS:
                p.add(item.where("guards"), f"{what}: field 'guards': unknown guard '{g}' (known: {', '.join(GUARDS)})")
        effects = [str(e) for e in _strings(item.get("effects") or [])]
        for e in effects:
            if e not in EFFECTS:
                p.add(item.where("effects"), f"{what}: field 'effects': unknown effect '{e}' (known: {', '.join(EFFECTS)})")
        on_overdue = item.get("on_overdue", "stay")
        if on_overdue not in ("stay", "resume"):
            p.add(item.where("on_overdue"), f"{what}: field 'on_overdue': must be stay or resume")
        not_by = _strings(item.get("not_by")) if "not_by" in item else []
        if "not_by" in item and (not not_by or not all(isinstance(n, str) and IDENTIFIER.match(n) for n in not_by)):
            p.add(item.where("not_by"), f"{what}: field 'not_by': must name a trigger or a list of triggers")
            not_by = []
        queue = item.get("queue", dest is not None)
        if not isinstance(queue, bool):
            p.add(item.where("queue"), f"{what}: field 'queue': must be true or false")
            queue = dest is not None
        for s in sources:
            if s in states and states[s].final:
                p.add(item.where("source"), f"{what}: state '{s}' is final; nothing may leave it")
            result.append(
                TransitionDef(trigger, str(item.get("label", trigger)), str(s), dest, tuple(grants),
                              tuple(requires), tuple(guards), tuple(effects), on_overdue == "resume",
                              where=item.where("trigger"), not_by=tuple(dict.fromkeys(str(n) for n in not_by)),
                              queue=queue)
            )
        if not_by:
            named.append((item.where("not_by"), what, [str(n) for n in not_by]))
    return result


def _check_not_by(named: list[tuple[str, str, list[str]]], transitions: list[TransitionDef], opened: bool,
                  p: _Problems) -> None:
    """`not_by` names triggers of this workflow (or `raise`, for a workflow users open on a task)."""
    known = list(dict.fromkeys(t.trigger for t in transitions)) + ([OPEN_TRIGGER] if opened else [])
    for where, what, triggers in named:
        for trigger in triggers:
            if trigger not in known:
                p.add(where, f"{what}: field 'not_by': unknown trigger '{trigger}' (triggers: {', '.join(known)})")


def _parse_overdue(doc: Located, states: dict[str, StateDef], p: _Problems) -> OverduePolicy | None:
    node = doc.get("overdue")
    if node is None:
        return None
    if not isinstance(node, Located):
        p.add(doc.where("overdue"), "field 'overdue': must be a mapping with state, trigger, from")
        return None
    _check_keys(node, {"state", "trigger", "from"}, {"state", "trigger", "from"}, "overdue", p)
    state, trigger, sources = node.get("state"), node.get("trigger"), _strings(node.get("from") or [])
    if state not in states:
        p.add(node.where("state"), f"overdue: field 'state': unknown state '{state}'")
    for s in sources:
        if s not in states:
            p.add(node.where("from"), f"overdue: field 'from': unknown state '{s}'")
    if not isinstance(trigger, str) or not IDENTIFIER.match(trigger):
        p.add(node.where("trigger"), f"overdue: field 'trigger': {trigger!r} is not a lower_case identifier")
    return OverduePolicy(str(state), str(trigger), tuple(str(s) for s in sources))


def _check_categories(doc: Located, states: dict[str, StateDef], declared: set[str],
                      overdue: OverduePolicy | None, p: _Problems) -> dict[str, StateDef]:
    """Defaults for undeclared categories (the overdue state: overdue; withdrawn: withdrawn; final: done;
    otherwise open), then the rules that keep figures sound: withdrawn is final, overdue is the overdue state."""
    result: dict[str, StateDef] = {}
    overdue_state = overdue.state if overdue else None
    for name, state in states.items():
        category = state.category
        if name not in declared:
            if name == overdue_state:
                category = "overdue"
            elif name == "withdrawn" and state.final:
                category = "withdrawn"
        node = doc["states"][name] if isinstance(doc["states"][name], Located) else None
        where = node.where("category") if node is not None and "category" in node else doc["states"].where(name)
        if name == "withdrawn" and state.final and category != "withdrawn":
            p.add(where, f"state '{name}': field 'category': a final withdrawn state must be 'withdrawn', not '{category}'")
        if category == "withdrawn" and not state.final:
            p.add(where, f"state '{name}': field 'category': 'withdrawn' is for final states only")
        if category == "overdue" and name != overdue_state:
            p.add(where, f"state '{name}': field 'category': 'overdue' is for the workflow's overdue state only")
        if name == overdue_state and category != "overdue":
            p.add(where, f"state '{name}': field 'category': the overdue state must be 'overdue', not '{category}'")
        result[name] = StateDef(state.name, state.label, state.description, state.final, state.limit, category)
    return result


def _with_overdue(transitions: list[TransitionDef], policy: OverduePolicy, where: str) -> list[TransitionDef]:
    """The system's mark_overdue from each open stage, and from the overdue state a copy of every
    transition that leaves an interrupted stage, gated on that stage: the task moves on along the same path."""
    result = list(transitions)
    explicit = {(t.trigger, t.source) for t in transitions}
    for stage in policy.sources:
        result.append(TransitionDef(policy.trigger, "Quá hạn", stage, policy.state, (Grant(SYSTEM_ROLE, None),),
                                    (), ("deadline_passed",), where=where))
        for t in transitions:
            if t.source == stage and (t.trigger, policy.state) not in explicit:
                dest = t.dest or (stage if t.resume else None)
                result.append(TransitionDef(t.trigger, t.label, policy.state, dest, t.grants, t.requires,
                                            t.guards, t.effects, t.resume, stage=stage, where=t.where,
                                            not_by=t.not_by, queue=t.queue))
    return result


def _check_reachable(doc: Located, wf_initial: str, states: dict[str, StateDef],
                     transitions: list[TransitionDef], p: _Problems) -> None:
    seen, queue = {wf_initial}, deque([wf_initial])
    while queue:
        current = queue.popleft()
        for t in transitions:
            if t.source == current and t.dest and t.dest not in seen:
                seen.add(t.dest)
                queue.append(t.dest)
    for name in states:
        if name not in seen:
            p.add(doc["states"].where(name), f"state '{name}' is unreachable from the initial state '{wf_initial}'")


def parse_workflow(path: Path | str, text: str | None = None) -> Workflow:
    doc = load_located(path, text)
    p = _Problems()
    if not isinstance(doc, Located):
        raise DefinitionError([f"{path}:1: a workflow file must be a mapping"])
    _check_keys(doc, {"name", "title", "initial", "states", "overdue", "transitions", "opened_by"},
                {"name", "initial", "states", "transitions"}, "workflow", p)
    name = doc.get("name")
    if not isinstance(name, str) or not IDENTIFIER.match(name):
        p.add(doc.where("name"), f"field 'name': {name!r} is not a lower_case identifier")
    declared: set[str] = set()
    states = _parse_states(doc, p, declared)
    initial = doc.get("initial")
    if states and initial not in states:
        p.add(doc.where("initial"), f"field 'initial': unknown state '{initial}'")
    named: list[tuple[str, str, list[str]]] = []
    transitions = _parse_transitions(doc, states, p, named)
    overdue = _parse_overdue(doc, states, p)
    if not p.items:
        states = _check_categories(doc, states, declared, overdue, p)
    opened_by = [g for g in (_parse_grant(r, doc.where("opened_by"), p) for r in _strings(doc.get("opened_by") or [])) if g]
    _check_not_by(named, transitions, bool(opened_by), p)
    if p.items:
        raise DefinitionError(p.items)
    if overdue:
        transitions = _with_overdue(transitions, overdue, doc.where("overdue"))
    _check_reachable(doc, str(initial), states, transitions, p)
    if p.items:
        raise DefinitionError(p.items)
    triggers = tuple(dict.fromkeys(t.trigger for t in transitions))
    return Workflow(str(name), str(doc.get("title", name)), str(initial), states, tuple(transitions),
                    overdue, str(path), triggers, tuple(opened_by))
