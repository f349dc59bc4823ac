"""Loading definitions (organisations, plans) into the database: everything is validated first,
then written in one transaction, so a bad file leaves the database as it was."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from importlib import resources
from pathlib import Path

from sqlalchemy import text

from phancap.engine.audit import data_json, definition_sha256, event_hash, snapshot_json
from phancap.engine.clock import Clock, stamp
from phancap.engine.db import Database
from phancap.engine.errors import DefinitionError
from phancap.engine.organisations import Registry, UnitDef, check_groups, read_registry
from phancap.engine.plans import PlanDef, read_plan
from phancap.engine.roles import SYSTEM_ACTOR, SYSTEM_ROLE


def shipped_definitions_dir() -> Path:
    return Path(str(resources.files("phancap.definitions")))


@dataclass
class Definitions:
    registry: Registry = field(default_factory=Registry)
    plans: list[PlanDef] = field(default_factory=list)


def _kind_of(path: Path) -> str:
    head = path.read_text(encoding="utf-8", errors="replace")
    return "plan" if "\ntasks:" in head or head.startswith("tasks:") else "organisation"


def read_definitions(path: Path | None, workflows: set[str], known_units: list[UnitDef] | None = None) -> Definitions:
    """Read a definitions folder (organisations/ and plans/) or a single file; refuse all on any problem."""
    root = path or shipped_definitions_dir()
    if not root.exists():
        raise DefinitionError([f"{root}:1: no such file or folder"])
    files = sorted(root.rglob("*.yaml")) if root.is_dir() else [root]
    files = [f for f in files if "calendar" not in f.parts]
    problems: list[str] = []
    defs = Definitions()
    for unit in known_units or []:
        defs.registry.units[unit.code] = unit
    organisation_files = [f for f in files if _kind_of(f) == "organisation"]
    plan_files = [f for f in files if f not in organisation_files]
    if root.is_dir() and not (path is None or organisation_files):
        # a folder of plans alone is checked against the shipped registry
        organisation_files = sorted((shipped_definitions_dir() / "organisations").glob("*.yaml"))
    for f in organisation_files:
        read_registry(f, defs.registry, problems)
    check_groups(defs.registry, problems)
    codes: dict[str, str] = {}
    for f in plan_files:
        plan = read_plan(f, defs.registry, workflows, problems)
        if plan:
            if plan.code in codes:
                problems.append(f"{f}:1: plan {plan.code} is also defined in {codes[plan.code]}")
            codes[plan.code] = str(f)
            defs.plans.append(plan)
    _check_parents(defs.plans, problems)
    if not files:
        problems.append(f"{root}:1: no definition files (*.yaml)")
    if problems:
        raise DefinitionError(problems)
    return defs


def _check_parents(plans: list[PlanDef], problems: list[str]) -> None:
    """A parent plan given in the same set must hold the parent tasks its children name."""
    by_code = {p.code: p for p in plans}
    for plan in plans:
        parent = by_code.get(plan.parent_code or "")
        if parent is None:
            continue
        numbers = {t.number for t in parent.tasks}
        for task in plan.tasks:
            if task.parent_task and task.parent_task not in numbers:
                problems.append(f"{task.where}: task {task.number}: field 'parent_task': plan {parent.code} has no task "
                                f"{task.parent_task}")


def existing_units(db: Database) -> list[UnitDef]:
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT code, name, kind, region, aliases FROM unit")).all()
    return [UnitDef(r[0], r[1], r[2], r[3], tuple(json.loads(r[4]))) for r in rows]


def _upsert(conn: object, table: str, keys: tuple[str, ...], row: dict[str, object]) -> None:
    columns = list(row)
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in keys) or f"{keys[0]} = excluded.{keys[0]}"
    sql = (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)}) "
           f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}")
    conn.execute(text(sql), row)  # type: ignore[attr-defined]


AMEND_TRIGGER = "amend_plan"
AMEND_COMMENT = "Kế hoạch được nạp lại với nội dung mới / plan definition reloaded with new text"


def _json_or_literal(value: str | None) -> str:
    """Stored JSON text as is when it parses, else as a JSON string (verification then names it)."""
    try:
        json.loads(value or "[]")
    except ValueError:
        return json.dumps(value, ensure_ascii=False)
    return value or "[]"


def _amend_instances(conn: Any, plan: str, old: str, new: str, at: str) -> None:
    """A plan reloaded with other text: every instance following it gets an audit event (state unchanged)
    committing to the new definition version, so the change is on the record and verification agrees."""
    lock = "" if conn.dialect.name == "sqlite" else " FOR UPDATE"
    rows = conn.execute(text(
        "SELECT id, state, stage, version, unit, focal, authority, monitor, justice, coordinators, deadline, "
        f"pending_deadline, state_due, overdue_at, complex, last_hash FROM task_instance WHERE plan = :p ORDER BY id{lock}"),
        {"p": plan}).all()
    data = data_json({"plan_from": old, "plan_to": new})
    for (task_id, state, stage, version, unit, focal, authority, monitor, justice, coordinators, deadline, pending,
         state_due, overdue_at, complex_, last_hash) in rows:
        seq = int(version) + 1
        values = (task_id, seq, AMEND_TRIGGER, state, state, SYSTEM_ACTOR, None, SYSTEM_ROLE, None, at, AMEND_COMMENT,
                  None, data)
        snapshot = snapshot_json(state=state, stage=stage, version=seq, unit=unit, focal=focal, authority=authority,
                                 monitor=monitor, justice=justice, coordinators=_json_or_literal(coordinators),
                                 deadline=deadline, pending_deadline=pending, state_due=state_due,
                                 overdue_at=overdue_at, complex=bool(complex_), plan=new)
        digest = event_hash(last_hash, values, snapshot)
        names = ("task_id", "seq", "trigger", "from_state", "to_state", "actor", "unit", "role", "capacity", "at",
                 "comment", "evidence", "data")
        conn.execute(text(f"INSERT INTO audit_event ({', '.join(names)}, prev_hash, hash, snapshot) VALUES "
                          f"({', '.join(':' + n for n in names)}, :prev_hash, :hash, :snapshot)"),
                     {**dict(zip(names, values, strict=True)), "prev_hash": last_hash, "hash": digest,
                      "snapshot": snapshot})
        conn.execute(text("UPDATE task_instance SET version = :v, last_hash = :h WHERE id = :i AND version = :old"),
                     {"v": seq, "h": digest, "i": task_id, "old": version})


def store_definitions(db: Database, defs: Definitions, clock: Clock) -> dict[str, int]:
    """Upsert units, groups, plans and plan tasks in one transaction. Loading twice changes nothing."""
    now = stamp(clock.now())
    with db.engine.begin() as conn:
        for unit in defs.registry.units.values():
            _upsert(conn, "unit", ("code",), {"code": unit.code, "region": unit.region, "name": unit.name,
                                              "kind": unit.kind, "aliases": json.dumps(list(unit.aliases), ensure_ascii=False)})
        groups = {id(g): g for g in defs.registry.groups.values()}.values()
        for group in groups:
            _upsert(conn, "unit_group", ("region", "name"), {
                "region": group.region, "name": group.name,
                "aliases": json.dumps(list(group.aliases), ensure_ascii=False),
                "members": json.dumps(defs.registry.members(group)),
            })
        for plan in defs.plans:
            definition = json.dumps(plan.document, ensure_ascii=False)
            version = definition_sha256(definition)
            before = conn.execute(text("SELECT definition_sha256 FROM plan WHERE code = :c"), {"c": plan.code}).scalar()
            _upsert(conn, "plan", ("code",), {
                "code": plan.code, "title": plan.title, "region": plan.region, "issuer": plan.issuer,
                "authority": plan.authority, "monitor": plan.monitor, "justice": plan.justice,
                "definition": definition, "definition_sha256": version, "source": plan.source, "loaded_at": now,
                "parent_code": plan.parent_code,
            })
            if before is not None and before != version:
                _amend_instances(conn, plan.code, str(before), version, now)
            for t in plan.tasks:
                _upsert(conn, "plan_task", ("plan", "number"), {
                    "plan": plan.code, "number": t.number, "parent": t.parent, "heading": t.heading,
                    "title": t.title, "content": t.content, "focal": t.focal,
                    "lead": json.dumps(list(t.lead), ensure_ascii=False), "lead_text": t.lead_text,
                    "coordinators": json.dumps(list(t.coordinators), ensure_ascii=False),
                    "coordinators_text": t.coordinators_text, "product": t.product,
                    "deadline_phrase": t.deadline_phrase, "deadline_kind": t.deadline_kind,
                    "deadline_due": t.deadline_due, "deadline_start": t.deadline_start, "workflow": t.workflow,
                    "procedure_text": t.procedure_text, "complex": t.complex, "parent_task": t.parent_task,
                })
    return {"units": len(defs.registry.units), "groups": len(list(groups)), "plans": len(defs.plans),
            "tasks": sum(len(p.tasks) for p in defs.plans)}
