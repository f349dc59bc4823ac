"""Loading definitions (organisations, plans) into the database: everything is validated first,
then written in one transaction, so a bad file leaves the database as it was."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from importlib import resources
from pathlib import Path

from typing import Any

from sqlalchemy import bindparam, text

from phancap.engine.audit import data_json, definition_sha256
from phancap.engine.clock import Clock, stamp
from phancap.engine.db import Database
from phancap.engine.errors import DefinitionError
from phancap.engine.organisations import CommuneBody, GroupDef, Registry, RegistryInfo, UnitDef, check_groups, read_registry
from phancap.engine.plans import PlanDef, read_plan
from phancap.engine.yamlsource import load_located


def shipped_definitions_dir() -> Path:
    return Path(str(resources.files("phancap.definitions")))


@dataclass
class Definitions:
    registry: Registry = field(default_factory=Registry)
    plans: list[PlanDef] = field(default_factory=list)


def _kind_of(path: Path) -> str:
    head = path.read_text(encoding="utf-8", errors="replace")
    return "plan" if "\ntasks:" in head or head.startswith("tasks:") else "organisation"


def _read_plan_units(path: Path, registry: Registry, problems: list[str]) -> None:
    """A plan file's own `units:` (the new units accepted when it was imported), in its registry."""
    from phancap.engine.organisations import _unit_from
    from phancap.engine.yamlsource import Located, load_located

    try:
        doc = load_located(path)
    except DefinitionError:
        return  # read_plan reports it
    if not isinstance(doc, Located) or not doc.get("units"):
        return
    region, units = doc.get("registry"), doc.get("units")
    if not isinstance(region, str) or not isinstance(units, list):
        problems.append(f"{doc.where('units')}: plan: field 'units' must be a list of units of the plan's registry")
        return
    for node in units:
        unit = _unit_from(node, region, problems) if isinstance(node, Located) else None
        if unit is None:
            continue
        if not unit.code.startswith(region + "-"):
            problems.append(f"{unit.where}: unit {unit.code}: a plan's new unit must have a code of registry {region}")
            continue
        if unit.parent and unit.parent not in registry.units:
            problems.append(f"{unit.where}: unit {unit.code}: field 'parent': unknown unit '{unit.parent}'")
            continue
        registry.add_unit(unit, problems)


def read_definitions(path: Path | None, workflows: set[str], stored: Registry | list[UnitDef] | None = None) -> Definitions:
    """Read a definitions folder (organisations/ and plans/) or a single file; refuse all on any problem.
    `stored`: the registry the database already holds (see stored_registry): a plan file or a folder of
    plans alone resolves its units and groups against it, and the files' units override it."""
    root = path or shipped_definitions_dir()
    if not root.exists():
        raise DefinitionError([f"{root}:1: no such file or folder"])
    files = sorted(root.rglob("*.yaml")) if root.is_dir() else [root]
    files = [f for f in files if "calendar" not in f.parts]
    problems: list[str] = []
    defs = Definitions()
    if isinstance(stored, Registry):
        defs.registry = stored
    else:
        for unit in stored or []:
            defs.registry.units[unit.code] = unit
    organisation_files = [f for f in files if _kind_of(f) == "organisation"]
    plan_files = [f for f in files if f not in organisation_files]
    if not organisation_files and plan_files and not defs.registry.registries:
        # plans alone, and no stored registry: checked against the shipped registry
        organisation_files = sorted((shipped_definitions_dir() / "organisations").glob("*.yaml"))
    elif isinstance(stored, Registry) and not defs.registry.bodies:
        _read_commune_bodies(defs.registry, problems)
    for f in organisation_files:
        read_registry(f, defs.registry, problems)
    check_groups(defs.registry, problems)
    codes: dict[str, str] = {}
    for f in plan_files:
        _read_plan_units(f, defs.registry, problems)
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


def _read_commune_bodies(registry: Registry, problems: list[str]) -> None:
    """The standard commune bodies of the shipped national template (created when a plan first names one)."""
    try:
        registry.bodies.update(commune_bodies())
    except DefinitionError as exc:
        problems.extend(exc.problems)


def commune_bodies() -> dict[str, CommuneBody]:
    """The standard commune bodies (Decree 150/2025/NĐ-CP) as the shipped national template names them."""
    national = shipped_definitions_dir() / "organisations" / "national.yaml"
    doc = load_located(national) if national.exists() else None
    bodies: dict[str, CommuneBody] = {}
    for node in (doc.get("commune_bodies") if isinstance(doc, dict) else None) or []:
        kinds = tuple(str(k) for k in node.get("kinds") or ("commune", "ward", "special_zone"))
        bodies[str(node["suffix"])] = CommuneBody(str(node["suffix"]), str(node["name"]), kinds)
    return bodies


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


_UNIT_COLUMNS = "code, name, kind, region, aliases, official_code, official_name, parent, active"


def _unit_of(row: Any) -> UnitDef:
    return UnitDef(row[0], row[1], row[2], row[3], tuple(json.loads(row[4])), "", row[5], row[6], row[7])


def existing_units(db: Database) -> list[UnitDef]:
    with db.engine.connect() as conn:
        rows = conn.execute(text(f"SELECT {_UNIT_COLUMNS} FROM unit")).all()
    return [_unit_of(r) for r in rows]


def stored_registry(db: Database) -> Registry:
    """The registry as the database holds it: units (deactivated ones marked), groups with their kinds and
    listed members, registries. What a plan file loaded alone resolves against."""
    registry = Registry()
    with db.engine.connect() as conn:
        for row in conn.execute(text(f"SELECT {_UNIT_COLUMNS} FROM unit")).all():
            registry.units[row[0]] = _unit_of(row)
            if not row[8]:
                registry.inactive.add(row[0])
        for region, name, aliases, members, kinds, listed in conn.execute(text(
                "SELECT region, name, aliases, members, kinds, listed FROM unit_group")).all():
            kinds_, listed_ = tuple(json.loads(kinds)), tuple(json.loads(listed))
            registry.add_group(GroupDef(name, region, tuple(json.loads(aliases)), kinds_,
                                        listed_ if kinds_ or listed_ else tuple(json.loads(members))))
        for code, name, kind, official in conn.execute(text(
                "SELECT code, name, kind, official_code FROM registry")).all():
            registry.registries[code] = RegistryInfo(code, name, kind, official)
    registry.defined.clear()
    registry.defined_groups.clear()
    return registry


def _upsert_sql(table: str, keys: tuple[str, ...], columns: list[str], where: str = "") -> str:
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in keys) or f"{keys[0]} = excluded.{keys[0]}"
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)}) "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}{where}")


def _upsert(conn: Any, table: str, keys: tuple[str, ...], row: dict[str, object]) -> None:
    conn.execute(text(_upsert_sql(table, keys, list(row))), row)


def _upsert_many(conn: Any, table: str, keys: tuple[str, ...], rows: list[dict[str, object]], where: str = "") -> None:
    """One executemany for all rows (a row at a time is what made loading slow)."""
    if rows:
        conn.execute(text(_upsert_sql(table, keys, list(rows[0]), where)), rows)


def refresh_group_members(conn: Any, regions: set[str] | None = None) -> None:
    """Each group's members: the units it lists, then the active units of its kinds in its registry."""
    where, params = ("", {}) if regions is None else (" WHERE region IN :regions", {"regions": sorted(regions)})
    query = text(f"SELECT region, name, kinds, listed FROM unit_group{where}")
    units_query = text(f"SELECT region, kind, code FROM unit WHERE active = :yes{where.replace('WHERE', 'AND')} "
                       "ORDER BY region, code")
    if regions is not None:
        query = query.bindparams(bindparam("regions", expanding=True))
        units_query = units_query.bindparams(bindparam("regions", expanding=True))
    by_kind: dict[tuple[str, str], list[str]] = {}
    for region, kind, code in conn.execute(units_query, {"yes": True, **params}).all():
        by_kind.setdefault((region, kind), []).append(code)
    updates = []
    for region, name, kinds, listed in conn.execute(query, params).all():
        kinds_, listed_ = json.loads(kinds), json.loads(listed)
        if not kinds_ and not listed_:
            continue  # stored before the group's kinds were kept: its members stay as they are
        members = list(dict.fromkeys([*listed_, *(c for k in kinds_ for c in by_kind.get((region, k), []))]))
        updates.append({"region": region, "name": name, "members": json.dumps(members)})
    if updates:
        conn.execute(text("UPDATE unit_group SET members = :members WHERE region = :region AND name = :name"), updates)


def _running(conn: Any, code: str, workflows: dict[str, Any] | None) -> int:
    """How many of the plan's task instances are still open (not in a final state of their workflow)."""
    if workflows is None:
        from phancap.engine.workflows import load_workflows

        workflows = load_workflows()
    rows = conn.execute(text("SELECT workflow, state, COUNT(*) FROM task_instance WHERE plan = :p AND kind = 'task' "
                             "GROUP BY workflow, state"), {"p": code}).all()
    count = 0
    for workflow, state, n in rows:
        machine = workflows.get(workflow)
        found = machine.workflow.states.get(state) if machine is not None else None
        if found is not None and not found.final:
            count += int(n)
    return count


def _changed_plan(conn: Any, plan: PlanDef, workflows: dict[str, Any] | None, version: int) -> dict[str, Any]:
    """A plan stored before whose text differs: refused while any of its tasks runs (that is an amendment,
    `phancap plan amend`), else the diff the new version records."""
    from phancap.engine.amendments import (SELECT_PLAN, SELECT_PLAN_TASKS, AmendmentRefused, diff_plan,
                                           stored_plan_fields, stored_task_fields)

    row = conn.execute(text(SELECT_PLAN.format(p=":p")), {"p": plan.code}).first()
    stored = dict(stored_task_fields(r) for r in conn.execute(text(SELECT_PLAN_TASKS.format(p=":p")), {"p": plan.code}))
    diff = diff_plan(stored_plan_fields(row), stored, plan)
    running = _running(conn, plan.code, workflows)
    if running:
        lines = diff.lines() or ["other fields of the plan document (number, recipients, reporting…)"]
        shown = "; ".join(lines[:15]) + (f"; … {len(lines) - 15} more" if len(lines) > 15 else "")
        raise AmendmentRefused(
            f"Kế hoạch {plan.code} đã có {running} nhiệm vụ đang thực hiện và nội dung tệp {plan.source} khác phiên bản "
            f"{version} đã nạp: {shown}. Không nạp lại; hãy sửa đổi bằng `phancap plan amend {plan.source} --number "
            "SỐ_VĂN_BẢN` (xem trước bằng --dry-run)",
            f"plan {plan.code} has {running} running task(s) and {plan.source} differs from the loaded version {version}: "
            f"{shown}. Nothing loaded; amend it with `phancap plan amend {plan.source} --number DOCUMENT_NUMBER` "
            "(preview with --dry-run)",
            extra={"plan": plan.code, "running": running, "changes": diff.to_json()})
    removed = [c["task"] for c in diff.tasks if c["change"] == "removed"]
    if removed:
        conn.execute(text("DELETE FROM plan_task WHERE plan = :p AND number = :n"),
                     [{"p": plan.code, "n": n} for n in removed])
    return diff.to_json()


def _add_version(conn: Any, plan: PlanDef, version: int, number: str | None, issued: Any, at: str, definition: str,
                 sha: str, changes: dict[str, Any]) -> None:
    from phancap.engine.amendments import _iso

    day = _iso(issued)
    conn.execute(text("INSERT INTO plan_version (plan, version, number, issued, at, definition, definition_sha256, "
                      "changes, source) VALUES (:p, :v, :n, :d, :at, :def, :sha, :ch, :src)"),
                 {"p": plan.code, "v": version, "n": number, "d": _date_or_none(day), "at": at, "def": definition,
                  "sha": sha, "ch": data_json(changes) or "{}", "src": plan.source})


def _date_or_none(text_: str | None) -> Any:
    from datetime import date

    try:
        return date.fromisoformat(text_) if text_ else None
    except ValueError:
        return None


def store_definitions(db: Database, defs: Definitions, clock: Clock,
                      workflows: dict[str, Any] | None = None) -> dict[str, int]:
    """Upsert registries, units, groups, plans and plan tasks in one transaction. Loading twice changes
    nothing; a unit an administrator added or renamed (origin admin) and a unit's active state are kept.
    A new plan gets its version 1; a plan whose text changed gets its next version, unless some of its
    tasks are running: then the whole load is refused (AmendmentRefused, naming the differences), as
    that is an amendment (engine/amendments.py). `workflows` tells which states are final (default:
    the shipped workflows)."""
    now = stamp(clock.now())
    registry = defs.registry
    units = [registry.units[c] for c in sorted(registry.defined)]
    groups = list({id(registry.groups[k]): registry.groups[k] for k in registry.groups
                   if (k[0], registry.groups[k].name) in registry.defined_groups}.values())
    with db.begin() as conn:
        _upsert_many(conn, "registry", ("code",), [
            {"code": r.code, "name": r.name, "kind": r.kind, "official_code": r.official_code,
             "source": r.where.rsplit(":", 1)[0]} for r in registry.registries.values() if r.where])
        _upsert_many(conn, "unit", ("code",), [
            {"code": u.code, "region": u.region, "name": u.name, "kind": u.kind,
             "aliases": json.dumps(list(u.aliases), ensure_ascii=False), "official_code": u.official_code,
             "official_name": u.official_name, "parent": u.parent} for u in units], " WHERE unit.origin = 'file'")
        _upsert_many(conn, "unit_group", ("region", "name"), [
            {"region": g.region, "name": g.name, "aliases": json.dumps(list(g.aliases), ensure_ascii=False),
             "members": json.dumps(registry.members(g)), "kinds": json.dumps(list(g.kinds)),
             "listed": json.dumps(list(g.members))} for g in groups])
        regions = {u.region for u in units} | {g.region for g in groups}
        if regions:
            refresh_group_members(conn, regions)
        for plan in defs.plans:
            definition = json.dumps(plan.document, ensure_ascii=False)
            version = definition_sha256(definition)
            before = conn.execute(text("SELECT definition_sha256 FROM plan WHERE code = :c"), {"c": plan.code}).scalar()
            latest = int(conn.execute(text("SELECT COALESCE(MAX(version), 0) FROM plan_version WHERE plan = :c"),
                                      {"c": plan.code}).scalar_one())
            changes: dict[str, Any] | None = None
            if before is not None and before != version:
                changes = _changed_plan(conn, plan, workflows, latest)
            _upsert(conn, "plan", ("code",), {
                "code": plan.code, "title": plan.title, "region": plan.region, "issuer": plan.issuer,
                "authority": plan.authority, "monitor": plan.monitor, "justice": plan.justice,
                "definition": definition, "definition_sha256": version, "source": plan.source, "loaded_at": now,
                "parent_code": plan.parent_code,
            })
            if before is None or changes is not None or latest == 0:
                document = plan.document
                first = before is None or latest == 0
                _add_version(conn, plan, latest + 1, str(document["number"]) if first and document.get("number") else None,
                             document.get("issued") if first else None, now, definition, version, changes or {})
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
    return {"units": len(units), "groups": len(groups), "plans": len(defs.plans),
            "tasks": sum(len(p.tasks) for p in defs.plans)}
