"""The organisation registry: units (departments, offices, communes…) and the named groups
plans use ("Các Sở, ngành", "UBND các xã, thị trấn"…). Loaded from YAML, plus CSV for full
commune lists."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from phancap.engine.errors import DefinitionError
from phancap.engine.yamlsource import Located, load_located

KINDS = ("people_committee", "people_council", "department", "office", "commune", "ward", "township")
UNIT_CODE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
CSV_COLUMNS = ("code", "name", "kind", "aliases")


def name_key(name: str) -> str:
    """How names are matched: case-insensitive, spaces collapsed."""
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class UnitDef:
    code: str
    name: str
    kind: str
    region: str
    aliases: tuple[str, ...] = ()
    where: str = ""


@dataclass(frozen=True)
class GroupDef:
    name: str
    region: str
    aliases: tuple[str, ...]
    kinds: tuple[str, ...]
    members: tuple[str, ...]
    where: str = ""


@dataclass
class Registry:
    """Every unit and group known, across regions."""

    units: dict[str, UnitDef] = field(default_factory=dict)
    groups: dict[tuple[str, str], GroupDef] = field(default_factory=dict)  # (region, name key)
    sources: list[str] = field(default_factory=list)

    def add_unit(self, unit: UnitDef, problems: list[str]) -> None:
        if unit.code in self.units and self.units[unit.code] != unit:
            problems.append(f"{unit.where}: field 'code': unit {unit.code} is defined twice (first at {self.units[unit.code].where})")
        self.units[unit.code] = unit

    def group(self, region: str, name: str) -> GroupDef | None:
        return self.groups.get((region, name_key(name)))

    def members(self, group: GroupDef) -> list[str]:
        kinds = set(group.kinds)
        by_kind = [u.code for u in self.units.values() if u.region == group.region and u.kind in kinds]
        return list(dict.fromkeys([*group.members, *by_kind]))

    def expand(self, region: str, entry: str) -> list[str] | None:
        """A unit code or a group name (or alias) -> unit codes; None when it names nothing known."""
        if entry in self.units:
            return [entry]
        group = self.group(region, entry)
        return self.members(group) if group else None


def _unit_from(node: Located, region: str, problems: list[str]) -> UnitDef | None:
    for key in node:
        if key not in ("code", "name", "kind", "aliases"):
            problems.append(f"{node.where(key)}: unit: unknown field '{key}'")
    code, name, kind = node.get("code"), node.get("name"), node.get("kind")
    if not isinstance(code, str) or not UNIT_CODE.match(code):
        problems.append(f"{node.where('code')}: unit: field 'code': {code!r} is not a code like HN-SNV")
        return None
    if not isinstance(name, str) or not name.strip():
        problems.append(f"{node.where('name')}: unit {code}: missing field 'name'")
        return None
    if kind not in KINDS:
        problems.append(f"{node.where('kind')}: unit {code}: field 'kind': {kind!r} is not one of {', '.join(KINDS)}")
        return None
    aliases = node.get("aliases") or []
    return UnitDef(code, name.strip(), kind, region, tuple(str(a) for a in aliases), node.where("code"))


def read_units_csv(path: Path, region: str, problems: list[str]) -> list[UnitDef]:
    """A full unit list (for example Hà Nội's 126 communes): columns code,name,kind,aliases (';'-separated)."""
    units: list[UnitDef] = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in CSV_COLUMNS[:3] if c not in (reader.fieldnames or [])]
            if missing:
                problems.append(f"{path}:1: missing column(s) {', '.join(missing)} (columns: {', '.join(CSV_COLUMNS)})")
                return units
            for row in reader:
                where = f"{path}:{reader.line_num}"
                code, name, kind = ((row.get(c, "") or "").strip() for c in ("code", "name", "kind"))
                if not UNIT_CODE.match(code):
                    problems.append(f"{where}: field 'code': {code!r} is not a code like HN-P-HOANKIEM")
                elif not name:
                    problems.append(f"{where}: field 'name' is empty")
                elif kind not in KINDS:
                    problems.append(f"{where}: field 'kind': {kind!r} is not one of {', '.join(KINDS)}")
                else:
                    aliases = tuple(a.strip() for a in (row.get("aliases") or "").split(";") if a.strip())
                    units.append(UnitDef(code, name, kind, region, aliases, where))
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{path}:1: cannot read: {exc}")
    return units


def read_registry(path: Path, registry: Registry, problems: list[str]) -> None:
    """Add one organisation file's units and groups to `registry`, collecting problems."""
    try:
        doc = load_located(path)
    except DefinitionError as exc:
        problems.extend(exc.problems)
        return
    if not isinstance(doc, Located):
        problems.append(f"{path}:1: an organisation file must be a mapping")
        return
    allowed = {"registry", "name", "sample_units_note", "units", "units_csv", "groups"}
    for key in doc:
        if key not in allowed:
            problems.append(f"{doc.where(key)}: unknown field '{key}' (allowed: {', '.join(sorted(allowed))})")
    region = doc.get("registry")
    if not isinstance(region, str) or not re.match(r"^[A-Z][A-Z0-9]*$", region):
        problems.append(f"{doc.where('registry')}: field 'registry': {region!r} must be a short upper-case code")
        return
    registry.sources.append(str(path))
    units = doc.get("units")
    if not isinstance(units, list) or not units:
        problems.append(f"{doc.where('units')}: field 'units': must be a non-empty list")
        units = []
    for node in units:
        unit = _unit_from(node, region, problems) if isinstance(node, Located) else None
        if unit:
            registry.add_unit(unit, problems)
    if doc.get("units_csv"):
        for unit in read_units_csv(path.parent / str(doc["units_csv"]), region, problems):
            registry.add_unit(unit, problems)
    for node in doc.get("groups") or []:
        if not isinstance(node, Located):
            problems.append(f"{doc.where('groups')}: field 'groups': each group must be a mapping")
            continue
        name = node.get("name")
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{node.where()}: group: missing field 'name'")
            continue
        kinds = tuple(str(k) for k in node.get("kinds") or [])
        members = tuple(str(m) for m in node.get("members") or [])
        for k in kinds:
            if k not in KINDS:
                problems.append(f"{node.where('kinds')}: group '{name}': field 'kinds': unknown kind '{k}'")
        if not kinds and not members:
            problems.append(f"{node.where()}: group '{name}': names no members and no kinds")
        group = GroupDef(name.strip(), region, tuple(str(a) for a in node.get("aliases") or []), kinds, members,
                         node.where("name"))
        for key in (group.name, *group.aliases):
            registry.groups[(region, name_key(key))] = group


def check_groups(registry: Registry, problems: list[str]) -> None:
    for group in {id(g): g for g in registry.groups.values()}.values():
        for code in group.members:
            if code not in registry.units:
                problems.append(f"{group.where}: group '{group.name}': field 'members': unknown unit '{code}'")
