"""Matching the names a plan text uses to the organisation registry.

Names and aliases of the region's units and groups are searched leftmost-longest in the text,
case- and diacritic-insensitively ("UBND" and "Ủy ban nhân dân" are interchangeable, and so are
"HĐND" and "Hội đồng nhân dân"). An enumeration "Các Sở: Tư pháp, Tài chính" names each "Sở …".
What remains and still looks like the name of a body (it starts with Sở, Phòng, UBND, Ban,
Trung tâm, …) is unmatched: listed for the user to map, never invented. Generic phrases ("các cơ
quan, tổ chức liên quan") are not units.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from phancap.engine.importer.text import fold
from phancap.engine.organisations import Registry

UNIT_HEADS = (
    "Sở", "Phòng", "UBND", "Ủy ban", "Uỷ ban", "HĐND", "Hội đồng", "Ban", "Cục", "Chi cục", "Trung tâm",
    "Văn phòng", "Thanh tra", "Công an", "Bộ", "Kho bạc", "Đài", "Báo", "Bảo hiểm", "Liên đoàn", "Hội",
    "Đoàn", "Mặt trận", "Tòa án", "Toà án", "Viện", "Trường", "Bệnh viện", "Chi nhánh", "Quỹ", "Ngân hàng",
    "Cảnh sát", "Vụ", "Tổng cục", "Huyện ủy", "Thành ủy", "Tỉnh ủy", "Đảng ủy", "Thường trực", "Chính quyền", "Các Sở", "Các Phòng",
)
_HEAD = re.compile(r"^(?:" + "|".join(re.escape(h) for h in sorted(UNIT_HEADS, key=len, reverse=True)) + r")(?!\w)")
_GENERIC = re.compile(r"lien quan|^(?:cac |moi )?(?:co quan|don vi|to chuc|dia phuong|nganh|ca nhan)\b")
_PREFIXES = (("ubnd ", "uy ban nhan dan "), ("hdnd ", "hoi dong nhan dan "))
_ENUM = re.compile(
    r"(?<!\w)[Cc]ác (Sở|Phòng|Ban|Cục|Bộ|Chi cục)\s*:\s*(.+?)"
    r"(?=\s+(?:gửi|báo cáo|chủ trì|phối hợp|thực hiện|có trách nhiệm|theo dõi)(?!\w)|[;.(]|$)"
)
_SPLIT = re.compile(r"\s*(?:[;,|]|(?<!\w)(?:và|với|cùng)(?!\w))\s*")


def _variants(key: str) -> list[str]:
    out = [key]
    for short, long in _PREFIXES:
        if key.startswith(short):
            out.append(long + key[len(short):])
        elif key.startswith(long):
            out.append(short + key[len(long):])
    return out


@dataclass
class Resolution:
    refs: list[str] = field(default_factory=list)  # unit codes and group names, in text order
    unmatched: list[str] = field(default_factory=list)
    spans: list[tuple[int, int, str]] = field(default_factory=list)  # start, end, ref


class UnitMatcher:
    def __init__(self, registry: Registry, region: str) -> None:
        self.registry = registry
        self.region = region
        self.names: dict[str, str | None] = {}  # folded name -> ref (None: ambiguous)
        self.kinds: dict[str, str] = {}
        for unit in registry.units.values():
            if unit.region == region:
                self.kinds[unit.code] = unit.kind
                for name in (unit.name, *unit.aliases):
                    self._add(name, unit.code)
        for (group_region, _), group in registry.groups.items():
            if group_region == region:
                for name in (group.name, *group.aliases):
                    self._add(name, group.name)
        keys = sorted((k for k in self.names if k), key=len, reverse=True)
        self.pattern = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(k) for k in keys) + r")(?!\w)") if keys else None

    def _add(self, name: str, ref: str) -> None:
        for key in _variants(" ".join(fold(name).split())):
            if key in self.names and self.names[key] != ref:
                self.names[key] = None
            else:
                self.names[key] = ref

    def is_unit(self, ref: str) -> bool:
        return ref in self.kinds

    def lookup(self, name: str) -> str | None:
        """An exact name (any case, diacritics, UBND/Ủy ban nhân dân spelling); None if unknown."""
        key = " ".join(fold(name).split()).strip(" .;,:")
        for candidate in _variants(key):
            if self.names.get(candidate):
                return self.names[candidate]
        for short, long in _PREFIXES:  # "UBND xã X" written for a unit registered as "xã X", or back
            for prefix in (short, long):
                if key.startswith(prefix) and self.names.get(key[len(prefix):]):
                    return self.names[key[len(prefix):]]
            if self.names.get(short + key):
                return self.names[short + key]
        return None

    def resolve(self, text: str | None) -> Resolution:
        result = Resolution()
        if not text:
            return result
        found: list[tuple[int, int, str]] = []
        unmatched: list[tuple[int, str]] = []
        taken = [False] * len(text)
        for m in _ENUM.finditer(text):
            head, body = m.group(1), m.group(2)
            parts = [p.strip() for p in re.split(r",\s*", body) if p.strip()]
            refs = [self.lookup(f"{head} {p}") for p in parts]
            if not all(refs) and parts and not refs[-1]:
                parts = parts[:-1] + re.split(r"\s+và\s+", parts[-1])
                refs = [self.lookup(f"{head} {p}") for p in parts]
            if any(refs):  # "Các Sở: Tư pháp, Tài chính" names "Sở Tư pháp" and "Sở Tài chính"
                for part, ref in zip(parts, refs):
                    if ref:
                        found.append((m.start(), m.end(), ref))
                    else:
                        unmatched.append((m.start(), f"{head} {part}"))
                for i in range(m.start(), m.end()):
                    taken[i] = True
        folded = fold(text)
        if self.pattern is not None:
            pos = 0
            while True:
                hit = self.pattern.search(folded, pos)
                if hit is None:
                    break
                m = hit
                pos = m.end()
                if any(taken[m.start():m.end()]):
                    continue
                key = " ".join(m.group(0).split())
                ref = self.names.get(key)
                if ref is None:
                    unmatched.append((m.start(), text[m.start():m.end()]))
                else:
                    found.append((m.start(), m.end(), ref))
                for i in range(m.start(), m.end()):
                    taken[i] = True
        residue = "".join("|" if t else ch for ch, t in zip(text, taken))
        pos = 0
        for part in _SPLIT.split(residue):
            start = residue.find(part, pos) if part else pos
            pos = start + len(part)
            name = part.strip(" .:()-–\"'")
            if not name or not name[0].isupper():
                continue
            key = fold(name)
            if _GENERIC.search(key) or not _HEAD.match(name) or not _HEAD.sub("", name).strip():
                continue  # not a body's name ("các cơ quan liên quan"), or a bare "Sở"
            ref = self.lookup(name)
            if ref:
                found.append((start, start + len(part), ref))
            else:
                unmatched.append((start, name))
        for start, end, ref in sorted(found, key=lambda s: s[0]):
            result.spans.append((start, end, ref))
            if ref not in result.refs:
                result.refs.append(ref)
        for _, name in sorted(unmatched, key=lambda u: u[0]):
            if name not in result.unmatched:
                result.unmatched.append(name)
        return result
