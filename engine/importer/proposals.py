"""Names a plan uses that match no unit of its issuer's registry become proposed new units under the
issuer (issue 14), never dropped and never loaded without consent: the kind is guessed from the name
(phòng, văn phòng, trung tâm, vụ, cục, thanh tra …), the code made from the issuer's and the name's
initials. Accepted, they are written in the plan file's `units:` and loaded with it."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from phancap.engine.organisations import Registry, UnitDef, fold

# the word the name starts with -> (the kind shown to a person, the registry kind under a province /
# commune issuer, under a ministry)
_GUESSES = (
    ("văn phòng", "văn phòng"), ("trung tâm", "trung tâm"), ("thanh tra", "thanh tra"), ("chi cục", "chi cục"),
    ("phòng", "phòng"), ("vụ", "vụ"), ("cục", "cục"), ("ban", "ban"), ("sở", "sở"), ("viện", "viện"),
    ("tổng cục", "tổng cục"), ("đài", "đài"), ("báo", "báo"), ("trường", "trường"), ("hội", "hội"),
)


def guess_type(name: str) -> str:
    """The kind of body a name says it is ("phòng", "vụ", …; "đơn vị" when it does not say)."""
    folded = fold(name)
    for word, label in sorted(_GUESSES, key=lambda g: -len(g[0])):
        if folded.startswith(fold(word) + " "):
            return label
    return "đơn vị"


def _kind(label: str, issuer: UnitDef | None) -> str:
    if issuer is not None and issuer.kind in ("ministry", "ministry_unit"):
        return "ministry_unit"
    if label == "sở":
        return "department"
    return "office"


def _initials(name: str) -> str:
    words = [w for w in re.split(r"[\s,\-–&/]+", fold(name)) if w and w not in ("va", "cac", "cua")]
    return "".join(w[0] for w in words).upper()[:10] or "DV"


def propose_units(names: list[str], registry: Registry, region: str, issuer: str | None) -> list[dict[str, Any]]:
    """A proposed unit for each name: {"name", "code", "kind", "type", "parent"}; none without a registry."""
    if not region:
        return []
    parent = registry.units.get(issuer or "")
    head = parent.code if parent is not None and parent.kind not in ("people_committee",) else region
    taken = set(registry.units)
    out: list[dict[str, Any]] = []
    for name in names:
        label = guess_type(name)
        base = f"{head}-{_initials(name)}"
        code, n = base, 1
        while code in taken:
            n += 1
            code = f"{base}{n}"
        taken.add(code)
        out.append({"name": name, "code": code, "kind": _kind(label, parent), "type": label,
                    "parent": parent.code if parent is not None else None})
    return out


def with_units(registry: Registry, region: str, units: list[dict[str, Any]]) -> Registry:
    """The registry with the accepted new units added (a copy; the registry itself is not changed)."""
    added = dict(registry.units)
    for u in units:
        added[u["code"]] = UnitDef(u["code"], u["name"], u["kind"], region, (), "", None, None, u.get("parent"))
    return replace(registry, units=added, _names=None)


def as_plan_units(units: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The units as the plan file's `units:` entries."""
    return [{k: v for k, v in (("code", u["code"]), ("name", u["name"]), ("kind", u["kind"]),
                                ("parent", u.get("parent"))) if v} for u in units]
