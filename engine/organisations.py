"""The organisation registry: units (departments, offices, communes…) and the named groups
plans use ("Các Sở, ngành", "UBND các xã, thị trấn"…). Loaded from YAML, plus CSV for full
commune lists, plus the national template (national.yaml) that generates every province's registry
from the official list of administrative units (Decision 19/2025/QĐ-TTg)."""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from phancap.engine.errors import DefinitionError
from phancap.engine.yamlsource import Located, load_located

KINDS = ("people_committee", "people_council", "department", "office", "commune", "ward", "township",
         "special_zone", "ministry", "ministry_unit")
COMMUNE_KINDS = ("commune", "ward", "special_zone", "township")
REGISTRY_KINDS = ("province", "city", "district", "central")
UNIT_CODE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
REGISTRY_CODE = re.compile(r"^[A-Z][A-Z0-9]*$")
CSV_COLUMNS = ("code", "name", "kind", "aliases")

# The usual abbreviations, read as the words they stand for (whole words, after case folding).
ABBREVIATIONS = {
    "ubnd": "ủy ban nhân dân", "hđnd": "hội đồng nhân dân", "tp": "thành phố", "tp.": "thành phố",
    "tw": "trung ương", "vp": "văn phòng", "kt-xh": "kinh tế - xã hội", "ttg": "thủ tướng chính phủ",
}
# Old-style tone placement (hoá, uỷ) written the new way (hóa, ủy).
_OLD_TONES = {f"o{a}": f"{b}a" for a, b in zip("àáảãạ", "òóỏõọ", strict=True)}
_OLD_TONES |= {f"o{a}": f"{b}e" for a, b in zip("èéẻẽẹ", "òóỏõọ", strict=True)}
_OLD_TONES |= {f"u{a}": f"{b}y" for a, b in zip("ỳýỷỹỵ", "ùúủũụ", strict=True)}
_OLD_TONE = re.compile("|".join(_OLD_TONES) + r"(?=\W|$)")
_DASHES = re.compile(r"\s*[–—−-]\s*")


def name_key(name: str) -> str:
    """How names are matched: case-insensitive, spaces and dashes normalised, old-style tones (hoá, uỷ)
    read as new ones, and the usual abbreviations (UBND, HĐND, TP…) read as the words they stand for."""
    text = _DASHES.sub(" - ", unicodedata.normalize("NFC", name).casefold())
    text = _OLD_TONE.sub(lambda m: _OLD_TONES[m.group(0)], text)
    return " ".join(ABBREVIATIONS.get(w, w) for w in text.split())


def fold(text: str) -> str:
    """What a user types without diacritics: lower case, no tone or vowel marks, đ as d."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


@dataclass(frozen=True)
class UnitDef:
    code: str
    name: str
    kind: str
    region: str
    aliases: tuple[str, ...] = ()
    where: str = ""
    official_code: str | None = None  # the code of Decision 19/2025/QĐ-TTg, for provinces' communes
    official_name: str | None = None  # the administrative unit's official name ("Xã Cam Lộ")
    parent: str | None = None  # the unit it belongs to (a department's People's Committee…)


@dataclass(frozen=True)
class RegistryInfo:
    code: str
    name: str
    kind: str  # province, city (centrally-run), district (history), central
    official_code: str | None = None
    where: str = ""


@dataclass(frozen=True)
class CommuneBody:
    """A standard body of a commune-level unit (Decree 150/2025/NĐ-CP), created when first needed."""

    suffix: str
    name: str  # with {commune}: "Phòng Văn hóa - Xã hội {commune}"
    kinds: tuple[str, ...]


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
    registries: dict[str, RegistryInfo] = field(default_factory=dict)
    bodies: dict[str, CommuneBody] = field(default_factory=dict)  # suffix -> standard commune body
    defined: set[str] = field(default_factory=set)  # codes read from files now (or created when needed)
    inactive: set[str] = field(default_factory=set)  # stored units deactivated: no group lists them
    defined_groups: set[tuple[str, str]] = field(default_factory=set)  # (region, name) read from files now
    _names: dict[tuple[str, str], set[str]] | None = field(default=None, repr=False, compare=False)

    def add_unit(self, unit: UnitDef, problems: list[str]) -> None:
        if unit.code in self.defined and self.units[unit.code] != unit:
            problems.append(f"{unit.where}: field 'code': unit {unit.code} is defined twice (first at {self.units[unit.code].where})")
        self.units[unit.code] = unit
        self.defined.add(unit.code)
        self._names = None

    def add_group(self, group: GroupDef) -> None:
        self.defined_groups.add((group.region, group.name))
        for key in (group.name, *group.aliases):
            self.groups[(group.region, name_key(key))] = group

    def group(self, region: str, name: str) -> GroupDef | None:
        return self.groups.get((region, name_key(name)))

    def members(self, group: GroupDef) -> list[str]:
        kinds = set(group.kinds)
        by_kind = [u.code for u in self.units.values()
                   if u.region == group.region and u.kind in kinds and u.code not in self.inactive]
        return list(dict.fromkeys([*group.members, *by_kind]))

    def unit(self, code: str) -> UnitDef | None:
        """A unit by code; a standard commune body ({commune}-{suffix}) is created on first use."""
        found = self.units.get(code)
        if found is not None or "-" not in code:
            return found
        commune_code, suffix = code.rsplit("-", 1)
        body, commune = self.bodies.get(suffix), self.units.get(commune_code)
        if body is None or commune is None or commune.kind not in body.kinds:
            return None
        of = commune.official_name or commune.name.removeprefix("UBND ")
        unit = UnitDef(code, body.name.format(commune=of[:1].lower() + of[1:]), "office", commune.region, (),
                       f"{commune.where} (standard body)", parent=commune.code)
        self.units[code] = unit
        self.defined.add(code)
        self._names = None
        return unit

    def find(self, region: str, name: str) -> str | None:
        """The code of the one unit of `region` with this name or alias (matched by name_key); None if none or several."""
        if self._names is None:
            names: dict[tuple[str, str], set[str]] = {}
            for u in self.units.values():
                for n in (u.name, *u.aliases, *([u.official_name] if u.official_name else [])):
                    names.setdefault((u.region, name_key(n)), set()).add(u.code)
            self._names = names
        codes = self._names.get((region, name_key(name)), set())
        return next(iter(codes)) if len(codes) == 1 else None

    def ref(self, region: str, entry: str) -> str | None:
        """What a plan's entry names: a unit code, a group name (or alias, as written) or a unit's name
        (resolved to its code); None when it names nothing known."""
        if self.unit(entry) is not None:
            return entry
        if self.group(region, entry) is not None:
            return entry
        return self.find(region, entry)

    def expand(self, region: str, entry: str) -> list[str] | None:
        """A unit code, unit name or group name (or alias) -> unit codes; None when it names nothing known."""
        ref = self.ref(region, entry)
        if ref is None:
            return None
        group = None if ref in self.units else self.group(region, ref)
        return self.members(group) if group else [ref]

    def has_region(self, region: str) -> bool:
        return region in self.registries or any(u.region == region for u in self.units.values())


def _unit_from(node: Located, region: str, problems: list[str]) -> UnitDef | None:
    for key in node:
        if key not in ("code", "name", "kind", "aliases", "official_code", "parent"):
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
    official = node.get("official_code")
    parent = node.get("parent")
    return UnitDef(code, name.strip(), kind, region, tuple(str(a) for a in aliases), node.where("code"),
                   str(official) if official is not None else None, None, str(parent) if parent else None)


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
    if "national" in doc:
        read_national(path, doc, registry, problems)
        return
    allowed = {"registry", "name", "kind", "official_code", "sample_units_note", "units", "units_csv", "groups"}
    for key in doc:
        if key not in allowed:
            problems.append(f"{doc.where(key)}: unknown field '{key}' (allowed: {', '.join(sorted(allowed))})")
    region = doc.get("registry")
    if not isinstance(region, str) or not REGISTRY_CODE.match(region):
        problems.append(f"{doc.where('registry')}: field 'registry': {region!r} must be a short upper-case code")
        return
    known = registry.registries.get(region)
    kind = doc.get("kind") or (known.kind if known else "central" if region == "CP" else "province")
    if kind not in REGISTRY_KINDS:
        problems.append(f"{doc.where('kind')}: field 'kind': {kind!r} is not one of {', '.join(REGISTRY_KINDS)}")
    official = doc.get("official_code")
    registry.registries[region] = RegistryInfo(
        region, str(doc.get("name") or region), str(kind),
        str(official) if official is not None else (known.official_code if known else None), doc.where("registry"))
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
        registry.add_group(group)


def check_groups(registry: Registry, problems: list[str]) -> None:
    for group in {id(g): g for g in registry.groups.values()}.values():
        for code in group.members:
            if code not in registry.units:
                problems.append(f"{group.where}: group '{group.name}': field 'members': unknown unit '{code}'")


def _csv_rows(path: Path, columns: tuple[str, ...], problems: list[str]) -> list[tuple[str, dict[str, str]]]:
    """A data CSV whose leading '#' lines are its header comment: (file:line, row) for each row."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{path}:1: cannot read: {exc}")
        return []
    skip = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    reader = csv.reader(lines[skip:])
    header = next(reader, [])
    missing = [c for c in columns if c not in header]
    if missing:
        problems.append(f"{path}:{skip + 1}: missing column(s) {', '.join(missing)} (columns: {', '.join(columns)})")
        return []
    at = [(c, header.index(c)) for c in columns]
    rows = []
    for number, values in enumerate(reader, start=skip + 2):
        if values:
            values += [""] * (len(header) - len(values))
            rows.append((f"{path}:{number}", {c: values[i].strip() for c, i in at}))
    return rows


def _fill(template: str, values: dict[str, str]) -> str:
    return template.format(**values)


def read_national(path: Path, doc: Located, registry: Registry, problems: list[str]) -> None:
    """The national template (national.yaml): every province's registry from the official lists."""
    allowed = {"national", "provinces_csv", "communes_csv", "hand_written", "committee", "council", "departments",
               "optional", "commune_bodies", "groups"}
    for key in doc:
        if key not in allowed:
            problems.append(f"{doc.where(key)}: unknown field '{key}' (allowed: {', '.join(sorted(allowed))})")
    for key in ("provinces_csv", "communes_csv", "committee", "council", "departments"):
        if not doc.get(key):
            problems.append(f"{doc.where()}: national registry: missing field '{key}'")
    if any(not doc.get(k) for k in ("provinces_csv", "communes_csv", "committee", "council", "departments")):
        return
    registry.sources.append(str(path))
    hand_written = {str(c) for c in doc.get("hand_written") or []}
    optional = {str(k): {str(s) for s in v or []} for k, v in (doc.get("optional") or {}).items()}
    for node in doc.get("commune_bodies") or []:
        kinds = tuple(str(k) for k in node.get("kinds") or ("commune", "ward", "special_zone"))
        registry.bodies[str(node["suffix"])] = CommuneBody(str(node["suffix"]), str(node["name"]), kinds)
    provinces: dict[str, dict[str, str]] = {}
    for where, row in _csv_rows(path.parent / str(doc["provinces_csv"]), ("registry", "official_code", "name", "level"),
                                problems):
        code, name, level = row["registry"], row["name"], row["level"]
        if not REGISTRY_CODE.match(code):
            problems.append(f"{where}: field 'registry': {code!r} must be a short upper-case code")
            continue
        short = re.sub(r"^(Tỉnh|Thành phố) ", "", name)
        title = f"{level} {short}"
        values = {"name": title, "full": name, "level": level, "short": short}
        provinces[code] = values
        known = registry.registries.get(code)
        registry.registries[code] = RegistryInfo(code, known.name if known else name,
                                                 "city" if level == "thành phố" else "province", row["official_code"], where)
        if code in hand_written:
            continue
        committee, council = f"{code}-UBND", f"{code}-HDND"
        for unit_code, node, kind in ((committee, doc["committee"], "people_committee"),
                                      (council, doc["council"], "people_council")):
            unit_name = _fill(str(node["name"]), values)
            registry.add_unit(UnitDef(unit_code, unit_name, kind, code,
                                      tuple(dict.fromkeys(a for a in (_fill(str(a), values) for a in node.get("aliases") or [])
                                                          if a != unit_name)), where,
                                      row["official_code"], name), problems)
        for node in doc["departments"]:
            suffix = str(node["suffix"])
            if node.get("optional") and suffix not in optional.get(code, set()):
                continue
            dept = _fill(str(node["name"]), values)
            aliases = [_fill(str(a), values) for a in node.get("aliases") or []]
            aliases += [f"{dept} {short}", f"{dept} {title}"]
            registry.add_unit(UnitDef(f"{code}-{suffix}", dept, "department", code, tuple(dict.fromkeys(aliases)), where,
                                      parent=committee), problems)
        for node in doc.get("groups") or []:
            registry.add_group(GroupDef(_fill(str(node["name"]), values), code,
                                        tuple(_fill(str(a), values) for a in node.get("aliases") or []),
                                        tuple(str(k) for k in node.get("kinds") or []),
                                        tuple(str(m) for m in node.get("members") or []), node.where("name")))
    words = {"commune": "xã", "ward": "phường", "special_zone": "đặc khu"}
    for where, row in _csv_rows(path.parent / str(doc["communes_csv"]),
                                ("registry", "official_code", "code", "kind", "official_name"), problems):
        region, code, kind, official = row["registry"], row["code"], row["kind"], row["official_name"]
        if region not in provinces:
            problems.append(f"{where}: field 'registry': {region!r} is not a province of the provinces list")
        elif not UNIT_CODE.match(code) or not code.startswith(region + "-"):
            problems.append(f"{where}: field 'code': {code!r} is not a code like {region}-X-NAME")
        elif kind not in words or not official.casefold().startswith(words[kind]):
            problems.append(f"{where}: field 'kind': {kind!r} is not one of {', '.join(words)} or does not match "
                            f"the official name {official!r}")
        else:
            lower = official[:1].lower() + official[1:]
            registry.add_unit(UnitDef(code, f"UBND {lower}", kind, region, (lower, f"Ủy ban nhân dân {lower}"), where,
                                      row["official_code"], official, f"{region}-UBND"), problems)
