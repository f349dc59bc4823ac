"""Units as stored (the `unit` table): what `phancap units` lists and `user add --unit` expects, the
registries and groups, and the audited administrative changes (add, rename, deactivate)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from phancap.engine import admin_log
from phancap.engine.clock import Clock, stamp
from phancap.engine.db import Database
from phancap.engine.errors import BadRequest, NotFound, Refusal
from phancap.engine.loader import commune_bodies, refresh_group_members
from phancap.engine.organisations import KINDS, UNIT_CODE, Registry, UnitDef, fold
from phancap.engine.policy import require_manage_registry
from phancap.engine.unit_changes import refuse_if_scheduled, schedule_rename
from phancap.engine.users import User

_COLUMNS = "code, name, kind, region, parent, aliases, active, official_code, official_name"


def list_units(db: Database, region: str | None = None) -> list[dict[str, Any]]:
    """code, name, kind, region of every stored unit (of one registry if `region`), by region and code."""
    query = "SELECT code, name, kind, region FROM unit"
    params: dict[str, Any] = {}
    if region is not None:
        query += " WHERE region = :region"
        params["region"] = region
    with db.engine.connect() as conn:
        rows = conn.execute(text(query + " ORDER BY region, code"), params).mappings().all()
    return [dict(r) for r in rows]


def _haystack(row: Any, registry_names: dict[str, str]) -> list[str]:
    names = [row["code"], row["name"], *json.loads(row["aliases"]), row["official_name"] or "",
             registry_names.get(row["region"], "")]
    return fold(" ".join(names).replace("-", " ")).split()


def matches(query: str, words: list[str]) -> bool:
    """Every word the user typed (any case, with or without diacritics) begins a word of the unit's names."""
    return all(any(w.startswith(q) for w in words) for q in fold(query.replace("-", " ")).split())


def search_units(db: Database, *, region: str | None = None, kind: str | None = None, search: str | None = None,
                 include_inactive: bool = False) -> list[dict[str, Any]]:
    """code, name, kind, registry, parent, aliases, active (and official_code, official_name) of the stored
    units, by registry and code; deactivated units only with include_inactive."""
    clauses, params = [], {}  # type: tuple[list[str], dict[str, Any]]
    if region is not None:
        clauses.append("region = :region")
        params["region"] = region
    if kind is not None:
        clauses.append("kind = :kind")
        params["kind"] = kind
    if not include_inactive:
        clauses.append("active = :yes")
        params["yes"] = True
    where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    with db.engine.connect() as conn:
        rows = conn.execute(text(f"SELECT {_COLUMNS} FROM unit{where} ORDER BY region, code"), params).mappings().all()
        names: dict[str, str] = dict(conn.execute(text("SELECT code, name FROM registry")).all()) if search else {}
    out = []
    for r in rows:
        if search and not matches(search, _haystack(r, names)):
            continue
        out.append({"code": r["code"], "name": r["name"], "kind": r["kind"], "registry": r["region"],
                    "parent": r["parent"], "aliases": json.loads(r["aliases"]), "active": bool(r["active"]),
                    "official_code": r["official_code"], "official_name": r["official_name"]})
    return out


def list_registries(db: Database) -> list[dict[str, Any]]:
    """code, name, official_code, kind and the number of active units of every registry, by code."""
    with db.engine.connect() as conn:
        counts: dict[str, int] = dict(conn.execute(text("SELECT region, COUNT(*) FROM unit WHERE active = :yes GROUP BY region"),
                                   {"yes": True}).all())
        rows = conn.execute(text("SELECT code, name, official_code, kind FROM registry ORDER BY code")).mappings().all()
    return [{**dict(r), "units": int(counts.get(r["code"], 0))} for r in rows]


def list_groups(db: Database, region: str | None = None) -> list[dict[str, Any]]:
    """name, registry, aliases, members (unit codes) and kinds of every group, by registry and name."""
    query, params = "SELECT region, name, aliases, members, kinds FROM unit_group", {}  # type: tuple[str, dict[str, Any]]
    if region is not None:
        query += " WHERE region = :region"
        params["region"] = region
    with db.engine.connect() as conn:
        rows = conn.execute(text(query + " ORDER BY region, name"), params).all()
    return [{"name": name, "registry": reg, "aliases": json.loads(aliases), "members": json.loads(members),
             "kinds": json.loads(kinds)} for reg, name, aliases, members, kinds in rows]


# --- administrative changes, each an admin event in the same transaction --------------------------

def unit_row(conn: Connection, code: str) -> Any:
    row = conn.execute(text(f"SELECT {_COLUMNS} FROM unit WHERE code = :code"), {"code": code}).mappings().first()
    if row is None:
        raise NotFound(f"Không có đơn vị {code}", f"no unit {code}")
    return row


def _standard_body(conn: Connection, code: str) -> UnitDef | None:
    """The standard body {commune}-{suffix} of a stored commune-level unit, as the national template names it."""
    commune = conn.execute(text(f"SELECT {_COLUMNS} FROM unit WHERE code = :c"),
                           {"c": code.rsplit("-", 1)[0]}).mappings().first()
    if commune is None:
        return None
    registry = Registry(bodies=commune_bodies())
    registry.units[commune["code"]] = UnitDef(commune["code"], commune["name"], commune["kind"], commune["region"],
                                              official_name=commune["official_name"])
    return registry.unit(code)


def user_region(conn: Connection, user: User) -> str | None:
    return conn.execute(text("SELECT region FROM unit WHERE code = :u"), {"u": user.unit}).scalar_one_or_none()


def add_unit(db: Database, user: User, clock: Clock, code: str, *, name: str | None = None, kind: str | None = None,
             region: str | None = None, parent: str | None = None, official_code: str | None = None,
             aliases: list[str] | None = None, comment: str | None = None) -> dict[str, Any]:
    """Add a unit to a registry (its code starts with the registry's). A standard commune body
    ({commune}-{suffix}: VP, PKT, PKTHTDT, PVHXH, TTPVHCC) needs no name: the standard one is used."""
    region = region or code.split("-", 1)[0]
    with db.begin() as conn:
        require_manage_registry(user, user_region(conn, user), region)
        return insert_unit(conn, stamp(clock.now()), user.name, code, name=name, kind=kind, region=region,
                           parent=parent, official_code=official_code, aliases=aliases, comment=comment)


def insert_unit(conn: Connection, at: str, actor: str, code: str, *, name: str | None = None, kind: str | None = None,
                region: str | None = None, parent: str | None = None, official_code: str | None = None,
                aliases: list[str] | None = None, comment: str | None = None) -> dict[str, Any]:
    """The unit inserted in the caller's transaction with its `unit.add` admin event (who may add it is the
    caller's rule: add_unit's registry administrators, or whoever activates an imported plan's draft)."""
    region = region or code.split("-", 1)[0]
    if not UNIT_CODE.match(code) or not code.startswith(region + "-"):
        raise BadRequest(f"Mã đơn vị {code!r} không hợp lệ (dạng {region}-ABC)", f"unit code {code!r} is not like {region}-ABC")
    if conn.execute(text("SELECT 1 FROM registry WHERE code = :r"), {"r": region}).first() is None:
        raise NotFound(f"Không có danh mục {region}", f"no registry {region}")
    if conn.execute(text("SELECT 1 FROM unit WHERE code = :c"), {"c": code}).first() is not None:
        raise Refusal("state", f"Đơn vị {code} đã có", f"unit {code} already exists")
    if name is None:
        standard = _standard_body(conn, code)
        if standard is None:
            raise BadRequest("Thiếu tên đơn vị", f"unit {code}: a name is needed (it is no standard commune body)")
        name, kind, parent = standard.name, standard.kind, standard.parent
    kind = kind or "office"
    if kind not in KINDS:
        raise BadRequest(f"Loại đơn vị {kind!r} không hợp lệ", f"kind {kind!r} is not one of {', '.join(KINDS)}")
    if parent is not None:
        unit_row(conn, parent)
    row = {"code": code, "region": region, "name": " ".join(name.split()), "kind": kind,
           "aliases": json.dumps(aliases or [], ensure_ascii=False), "official_code": official_code,
           "parent": parent}
    conn.execute(text("INSERT INTO unit (code, region, name, kind, aliases, official_code, parent, active, origin) "
                      "VALUES (:code, :region, :name, :kind, :aliases, :official_code, :parent, :yes, 'admin')"),
                 {**row, "yes": True})
    admin_log.record(conn, at=at, actor=actor, action="unit.add", region=region, subject=code,
                     data={k: v for k, v in row.items() if k != "aliases"} | {"aliases": aliases or []},
                     comment=comment)
    refresh_group_members(conn, {region})
    return _public(unit_row(conn, code))


def rename_unit(db: Database, user: User, clock: Clock, code: str, new_name: str,
                comment: str | None = None, *, effective: date | None = None,
                decision: str | None = None) -> dict[str, Any]:
    """A new name; the old one stays an alias (plans and history that name it still resolve). A rename by a
    decision records it and its effective date in the admin event; a later effective date is scheduled
    (engine/unit_changes.py) and applied by the deadline sweep on that day (the result carries `scheduled`)."""
    new_name = " ".join(new_name.split())
    if not new_name:
        raise BadRequest("Tên mới trống", "the new name is empty")
    decision = " ".join(decision.split()) if decision and decision.strip() else None
    if effective is not None and effective > clock.today():
        return schedule_rename(db, clock, user, code, new_name, effective, decision, comment)
    with db.begin() as conn:
        row = unit_row(conn, code)
        require_manage_registry(user, user_region(conn, user), row["region"])
        refuse_if_scheduled(conn, [code])
        return apply_rename(conn, stamp(clock.now()), user.name, code, new_name, comment, effective, decision)


def apply_rename(conn: Connection, at: str, actor: str, code: str, new_name: str, comment: str | None,
                 effective: date | None, decision: str | None, change: int | None = None) -> dict[str, Any]:
    """The rename itself, in the caller's transaction: the name, the old one kept as an alias, the admin event
    (from which engine/unit_names.py dates the names)."""
    row = unit_row(conn, code)
    if row["name"] == new_name:
        raise Refusal("state", f"Đơn vị {code} đã mang tên {new_name}", f"unit {code} is already named {new_name}")
    extra: dict[str, Any] = {}
    if effective is not None:
        extra["effective"] = effective.isoformat()
    if decision:
        extra["decision"] = decision
    if change is not None:
        extra["scheduled_change"] = change
    aliases = [a for a in json.loads(row["aliases"]) if a != new_name]
    aliases = list(dict.fromkeys([*aliases, row["name"]]))
    conn.execute(text("UPDATE unit SET name = :name, aliases = :aliases, origin = 'admin' WHERE code = :code"),
                 {"name": new_name, "aliases": json.dumps(aliases, ensure_ascii=False), "code": code})
    admin_log.record(conn, at=at, actor=actor, action="unit.rename", region=row["region"],
                     subject=code, data={"old": row["name"], "new": new_name, **extra},
                     comment=comment or extra.get("decision"))
    return _public(unit_row(conn, code))


def deactivate_unit(db: Database, user: User, clock: Clock, code: str, comment: str | None = None) -> dict[str, Any]:
    """The unit no longer takes new work: groups stop listing it, `units` shows it only with --all.
    Its tasks, users and history stay."""
    with db.begin() as conn:
        row = unit_row(conn, code)
        require_manage_registry(user, user_region(conn, user), row["region"])
        if not row["active"]:
            raise Refusal("state", f"Đơn vị {code} đã ngừng hoạt động", f"unit {code} is already inactive")
        conn.execute(text("UPDATE unit SET active = :no WHERE code = :code"), {"no": False, "code": code})
        admin_log.record(conn, at=stamp(clock.now()), actor=user.name, action="unit.deactivate", region=row["region"],
                         subject=code, data={"active": [True, False]}, comment=comment)
        refresh_group_members(conn, {row["region"]})
        return _public(unit_row(conn, code))


def _public(r: Any) -> dict[str, Any]:
    return {"code": r["code"], "name": r["name"], "kind": r["kind"], "registry": r["region"], "parent": r["parent"],
            "aliases": json.loads(r["aliases"]), "active": bool(r["active"]), "official_code": r["official_code"],
            "official_name": r["official_name"]}
