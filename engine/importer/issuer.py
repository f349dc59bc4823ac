"""Who issued a plan, read from its header ("ỦY BAN NHÂN DÂN / TỈNH QUẢNG TRỊ", "UBND XÃ TÂN LẬP",
"BỘ NỘI VỤ"), and so which registry its units are matched in (issue 14). The issuer is looked up in
every registry; several candidates ("Xã Tân Lập" of three provinces) are narrowed by the place line
("Quảng Trị, ngày …") and by the parent plan the text names when it is loaded, else left for a
person to settle (--registry). Never the registry of another issuer."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from phancap.engine.organisations import Registry, fold, name_key

ISSUING_KINDS = ("people_committee", "people_council", "commune", "ward", "township", "special_zone",
                 "ministry", "ministry_unit", "department", "office")
_PLACE = re.compile(r"^(.+?),\s*ngày\b")


def _key(text: str) -> str:
    return fold(name_key(re.sub(r"[\s\-–]+", " ", text).strip(" .,:;")))


@dataclass
class IssuerReading:
    text: str | None  # the issuer as written in the header
    issuer: str | None = None  # unit code, when settled
    region: str | None = None
    candidates: list[str] = field(default_factory=list)  # unit codes the header can mean
    how: str = ""  # "header", "place", "parent plan", "registry"


def _index(registry: Registry) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for unit in registry.units.values():
        if unit.kind not in ISSUING_KINDS or unit.code in registry.inactive:
            continue
        names = [unit.name, *unit.aliases]
        if unit.official_name:
            names.append(unit.official_name)
        for name in names:
            codes = index.setdefault(_key(name), [])
            if unit.code not in codes:
                codes.append(unit.code)
    return index


def read_issuer(header_lines: list[str], registry: Registry, *, region: str | None = None,
                parent_number: str | None = None, known_plans: Mapping[str, str] | None = None) -> IssuerReading:
    """The issuer named by the header's capitals (`header_lines`, before "CỘNG HÒA"), with the place
    line among them; `known_plans`: loaded plans' numbers ("245/KH-UBND") -> their registry."""
    place = next((m.group(1) for ln in header_lines if (m := _PLACE.match(ln.strip()))), None)
    lines = [ln.strip() for ln in header_lines if ln.strip() and not _PLACE.match(ln.strip())
             and not re.match(r"^Số\s*:", ln.strip())]
    text = " ".join(lines) or None
    reading = IssuerReading(text)
    if not text:
        return reading
    index = _index(registry)
    tries = [text] + lines[::-1]  # the whole name, else its last line (a Sở under "UBND TỈNH …")
    if len(lines) > 1:
        tries.insert(1, " ".join(lines[1:]))
    for attempt in tries:
        found = index.get(_key(attempt), [])
        if len(lines) > 1 and attempt != text and found:  # "UBND TỈNH QUẢNG TRỊ / SỞ TƯ PHÁP": inside the first
            above = {registry.units[c].region for c in index.get(_key(lines[0]), [])}
            found = [c for c in found if registry.units[c].region in above] or (found if not above else [])
        if found:
            reading.candidates = found
            break
    cands = reading.candidates
    if region:
        cands = [c for c in cands if registry.units[c].region == region]
        if len(cands) == 1:
            reading.issuer, reading.region, reading.how = cands[0], region, "registry"
        else:
            reading.region, reading.how = region, "registry"
        return reading
    if len(cands) > 1 and place:
        near = [c for c in cands if _key(place) in {_key(n) for n in _region_names(registry, registry.units[c].region)}]
        if len(near) == 1:
            cands, reading.how = near, "place"
    if len(cands) > 1 and parent_number and known_plans:
        region_of_parent = known_plans.get(parent_number)
        near = [c for c in cands if registry.units[c].region == region_of_parent]
        if len(near) == 1:
            cands, reading.how = near, "parent plan"
    if len(cands) == 1:
        reading.issuer, reading.region = cands[0], registry.units[cands[0]].region
        reading.how = reading.how or "header"
    return reading


def _region_names(registry: Registry, region: str) -> list[str]:
    info = registry.registries.get(region)
    if info is None:
        return []
    name = info.name
    short = re.sub(r"^(?:Tỉnh|Thành phố)\s+", "", name)
    return [name, short]


def candidate_regions(registry: Registry, reading: IssuerReading) -> list[str]:
    return sorted({registry.units[c].region for c in reading.candidates})
