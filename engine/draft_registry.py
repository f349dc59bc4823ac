"""The registry a plan draft is read against (engine/drafts.py): the units and groups the database holds,
with the units a person confirmed in the draft, and the names a person mapped as extra aliases."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from sqlalchemy import text

from phancap.engine.db import Database
from phancap.engine.importer.proposals import with_units
from phancap.engine.loader import existing_units
from phancap.engine.organisations import GroupDef, Registry, name_key


def db_registry(db: Database) -> Registry:
    """Units and groups as loaded in the database (groups with their members already expanded)."""
    registry = Registry()
    for unit in existing_units(db):
        registry.units[unit.code] = unit
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT region, name, aliases, members FROM unit_group")).all()
    for region, name, aliases, members in rows:
        group = GroupDef(name, region, tuple(json.loads(aliases)), (), tuple(json.loads(members)))
        for key in (group.name, *group.aliases):
            registry.groups[(region, name_key(key))] = group
    return registry


def region_units(registry: Registry, region: str) -> list[tuple[str, str]]:
    """(code, name) of the region's units, by name: what an unmatched name may be mapped to."""
    return sorted(((u.code, u.name) for u in registry.units.values() if u.region == region), key=lambda u: u[1])


def registry_with(registry: Registry, region: str, confirmed: list[dict[str, Any]]) -> Registry:
    """The registry with a draft's confirmed proposals ({"code", "unit_name", "kind", "parent"}) as units."""
    if not confirmed:
        return registry
    return with_units(registry, region, [{"code": p["code"], "name": p["unit_name"], "kind": p["kind"],
                                          "parent": p.get("parent")} for p in confirmed])


def with_aliases(registry: Registry, mapping: dict[str, str]) -> Registry:
    """The registry with each mapped name as one more alias of the unit it was mapped to."""
    units = dict(registry.units)
    for name, code in mapping.items():
        if code and code in units and name not in units[code].aliases:
            units[code] = replace(units[code], aliases=(*units[code].aliases, name))
    return Registry(units, dict(registry.groups), list(registry.sources))
