"""Importing a plan from its text (issue 7): ``import_plan_text`` reads the text of a plan
(Markdown or text extracted from PDF/Word) and returns the plan definition in the format of
definitions/plans/*.yaml, with everything it could not place listed by line.

    result = import_plan_text(text, source="plan.txt", registry=registry, code="HN-2025")
    result.plan              # dict, ready for write_plan_yaml
    result.problems          # [{"line": 12, "message": "...", "text": "..."}]
    result.unmatched_units   # names the registry does not know, for the user to map

Units are matched to the registry, never invented; deadlines are read with
engine.deadlines.read_deadline, never guessed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from collections.abc import Mapping

from phancap.engine.importer.emit import TaskBuilder, UnitPlace, resolve_place, write_plan_yaml
from phancap.engine.importer.fields import (
    Note,
    cap,
    difficulties_of,
    monitor_of,
    one_line,
    reporting,
)
from phancap.engine.importer.structure import COLUMN_GAP, Layout, RawTask, TaskReader, layout, parent_numbers
from phancap.engine.importer.text import clean, fold, is_caps, split_lines
from phancap.engine.importer.issuer import candidate_regions, read_issuer
from phancap.engine.importer.proposals import as_plan_units, propose_units, with_units
from phancap.engine.importer.units import UnitMatcher
from phancap.engine.errors import Refusal
from phancap.engine.organisations import COMMUNE_KINDS, Registry

__all__ = ["CODE_GUESSED", "ImportLimits", "ImportResult", "check_size", "check_tasks", "format_problems",
           "import_accepting", "import_plan_text", "read_limited", "remap_units", "validate_plan", "write_plan_yaml"]

ISSUES = re.compile(r"\s(?:ban hành|xây dựng|triển khai)\s+(?:[Kk]ế hoạch|KẾ HOẠCH)")
BASIS_START = re.compile(r"^(?:Căn cứ|Thực hiện)\s")
SIGN_CAPACITY = re.compile(r"^(KT|TL|TUQ|Q)\.\s*(.+)$")


@dataclass
class ImportResult:
    plan: dict[str, Any]
    problems: list[dict[str, Any]] = field(default_factory=list)  # {"line", "message", "text"}, by line
    unmatched_units: list[str] = field(default_factory=list)
    source: str = ""
    places: list[dict[str, Any]] = field(default_factory=list)  # UnitPlace.to_json() of tasks naming unknown units
    new_units: list[dict[str, Any]] = field(default_factory=list)  # proposed (or, accepted, added) units
    accepted: bool = False
    # per task, in order: the source lines it was read from ({"first", "last"}, and "written": the number
    # the text gave it when the importer renumbered it)
    sources: list[dict[str, Any]] = field(default_factory=list)


def _title_case(text: str) -> str:
    result = cap(text.lower())
    return re.sub(r"^(Phó|Chánh|Trưởng|Quyền|Phó Trưởng) (\w)", lambda m: f"{m.group(1)} {m.group(2).upper()}", result)


def _guess_region(registry: Registry, text: str) -> tuple[str | None, list[str]]:
    regions = sorted({u.region for u in registry.units.values()})
    scores = {r: len(UnitMatcher(registry, r).resolve(text).spans) for r in regions}
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    return (ranked[0][0] if ranked and ranked[0][1] > 0 else None), [r for r, s in ranked if ranked and s == ranked[0][1]]


def _header_facts(lay: Layout) -> tuple[str | None, date | None, str | None, list[str]]:
    """The number, issue date, issuer (as one string) and the header lines naming the issuer with the
    place line ("Quảng Trị, ngày …")."""
    number = issued = None
    issuer_name = []
    place: list[str] = []
    for ln in lay.header:
        m = re.search(r"(?:^|\s)Số\s*:\s*(\d+[^\s]*)", ln.text)
        if m and number is None:
            number = m.group(1)
        m = re.search(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})", ln.text)
        if m and issued is None:
            try:
                issued = date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
            except ValueError:
                pass
        m = re.search(r"(?:^|\s{2,})([^\s,:][^,:]{1,40}),\s*ngày\b", ln.raw)
        if m and not place:
            place.append(clean(m.group(1)) + ", ngày")
    for ln in lay.header:  # "ỦY BAN NHÂN DÂN / THÀNH PHỐ HÀ NỘI" before "CỘNG HÒA …" (or beside it)
        m = COLUMN_GAP.match(ln.raw.rstrip())
        text = clean(m.group(1)) if m else ln.text
        if "CỘNG HÒA" in text.upper() or text.startswith("Số") or not is_caps(text):
            break
        issuer_name.append(text)
    return number, issued, " ".join(issuer_name) or None, issuer_name + place


def derive_code(region: str, issuer: str | None, number: str | None, year: str | None, existing: set[str]) -> str:
    """A plan code from the issuer, number and year ("QT-245-2025", "QT-X-TANLAP-12-2025",
    "CP-BNV-30-2025"), never one of `existing`: "-2", "-3"… added when taken."""
    head = issuer if issuer and not issuer.endswith("-UBND") else (region or "PLAN")
    digits = re.match(r"\d+", number or "")
    parts = [head] + ([digits.group(0)] if digits else []) + ([year] if year else ([] if digits else ["PLAN"]))
    base = re.sub(r"[^A-Z0-9-]", "", "-".join(parts).upper()) or "PLAN"
    code, n = base, 1
    while code in existing:
        n += 1
        code = f"{base}-{n}"
    return code


def _with_commune_bodies(registry: Registry, commune: str) -> Registry:
    """A copy of the registry with the commune's standard bodies ("Văn phòng HĐND và UBND xã Tân Lập",
    also written "… và UBND xã"), so a commune's plan names them; loading creates them when first used."""
    from dataclasses import replace as _replace

    copy = _replace(registry, units=dict(registry.units), defined=set(registry.defined), _names=None,
                    bodies=dict(registry.bodies))
    if not copy.bodies:  # the registry as stored: the standard bodies come from the national template
        from phancap.engine.loader import commune_bodies

        copy.bodies.update(commune_bodies())
    kind = copy.units[commune].kind
    word = {"ward": "phường", "special_zone": "đặc khu"}.get(kind, "xã")
    for suffix, body in copy.bodies.items():
        unit = copy.unit(f"{commune}-{suffix}")
        if unit is not None:
            copy.units[unit.code] = _replace(unit, aliases=(*unit.aliases, body.name.format(commune=word)))
    copy.defined = set(registry.defined)
    return copy


ISSUER_AMBIGUOUS = "cơ quan ban hành chưa rõ"
ISSUER_UNKNOWN = "cơ quan ban hành không có trong danh mục"


def import_plan_text(text: str, *, source: str, registry: Registry, code: str | None = None,
                     region: str | None = None, known_plans: Mapping[str, str] | None = None,
                     existing_codes: set[str] | None = None) -> ImportResult:
    """Read a plan's text into a plan definition (see the module docstring)."""
    notes: list[Note] = []
    unmatched: list[str] = []
    lines = split_lines(text)
    lay = layout(lines)
    body_text = " ".join(it.text for s in lay.sections for it in s.items)
    number, issued, header_issuer, issuer_lines = _header_facts(lay)
    parent_number = next((m.group(1) for it in lay.preamble
                          if (m := re.search(r"^(?:Thực hiện|Căn cứ) Kế hoạch số\s*(\S+?)[,;]?\s", it.text))), None)
    reading = read_issuer(issuer_lines, registry, region=region, parent_number=parent_number,
                          known_plans=known_plans)
    header_line = lay.header[0].no if lay.header else 1
    if region is None and reading.text:
        # the issuer decides the registry: never a guess from the units the body names
        if reading.region is None:
            regions = candidate_regions(registry, reading)
            if regions:
                notes.append(Note(header_line, f"{ISSUER_AMBIGUOUS}: \"{reading.text}\" có ở nhiều danh mục "
                                  f"({', '.join(regions)}); chọn danh mục (--registry) / the issuer is ambiguous, "
                                  f"in registries {', '.join(regions)}: choose one with --registry", reading.text))
            else:
                notes.append(Note(header_line, f"{ISSUER_UNKNOWN}: \"{reading.text}\" không có trong danh mục tổ chức "
                                  "nào; chọn danh mục (--registry) / the issuer is in no registry: choose one with "
                                  "--registry", reading.text))
        region = reading.region or ""
    elif region is None:
        region, tied = _guess_region(registry, body_text + " " + " ".join(it.text for it in lay.preamble))
        if region is None or len(tied) > 1:
            notes.append(Note(1, "không xác định được danh mục tổ chức (registry) của kế hoạch / cannot tell which "
                                 f"registry the plan belongs to (candidates: {', '.join(tied) or 'none'})", ""))
            region = region or (tied[0] if tied else "")
    if reading.issuer and registry.units[reading.issuer].kind in COMMUNE_KINDS:
        registry = _with_commune_bodies(registry, reading.issuer)
    matcher = UnitMatcher(registry, region)

    # preamble: title, legal basis, issuer
    title = None
    legal_basis: list[str] = []
    issuer = None
    preamble = lay.preamble
    for i, item in enumerate(preamble):
        if fold(item.text) == "ke hoach" and title is None:
            following = [x for x in preamble[i + 1:] if not x.text.startswith("(")]
            if following and not BASIS_START.match(following[0].text):
                parts = [following[0].text]
                if is_caps(parts[0]):  # a title in capitals, one paragraph per line
                    parts += [x.text for x in following[1:] if is_caps(x.text)][: 3]
                written = one_line(" ".join(parts)) or ""
                written = written.lower() if is_caps(written) else written
                title = "Kế hoạch " + written[:1].lower() + written[1:]
        elif title is None and re.match(r"^Kế hoạch\s", item.text):
            title = one_line(item.text)
        cut = None
        for verb in ISSUES.finditer(item.text):
            # "…, UBND Thành phố ban hành Kế hoạch": the issuer is the unit just before the verb
            spans = [sp for sp in matcher.resolve(item.text[: verb.start()]).spans
                     if not item.text[sp[1]: verb.start()].strip() and matcher.is_unit(sp[2])]
            if spans:
                cut = spans[-1][0]
                issuer = issuer or spans[-1][2]
                break
        if BASIS_START.match(item.text):
            body = item.text[:cut] if cut is not None else item.text
            for part in re.split(r";\s+(?=Căn cứ|Thực hiện)", body):
                basis = one_line(part)
                if basis:
                    legal_basis.append(basis)
    if title is None:
        notes.append(Note(1, "không thấy tên kế hoạch (dòng sau \"KẾ HOẠCH\") / no plan title found", ""))
    if reading.issuer and registry.units[reading.issuer].region == region:
        issuer = reading.issuer  # the header names the issuer: it wins over the preamble's sentence
    if issuer is None and header_issuer:
        refs = matcher.resolve(header_issuer).refs
        if len(refs) == 1 and matcher.is_unit(refs[0]):
            issuer = refs[0]
    if issuer is None and reading.text and not region:
        pass  # the registry is asked for above; no committee is assumed
    elif issuer is None:
        committees = [u.code for u in registry.units.values() if u.region == region and u.kind == "people_committee"]
        issuer = committees[0] if len(committees) == 1 else None
        notes.append(Note(1, "văn bản không nêu rõ cơ quan ban hành / the text does not name the issuer"
                             + (f"; assumed {issuer}, the registry's only people's committee" if issuer else ""), ""))
    parent_plan = None
    direct = [b for b in legal_basis if b.startswith("Thực hiện ")]
    cited = [b for b in legal_basis if re.match(r"^Căn cứ (?:Kế hoạch|Quyết định|Chỉ thị|Nghị quyết|Công văn)\s", b)]
    chosen = direct[0] if direct else (cited[-1] if cited else None)
    if chosen:
        parent_plan = re.sub(r"^(?:Thực hiện|Căn cứ)\s+", "", chosen)

    # tasks
    reader = TaskReader(notes)
    org_items = []
    for section in lay.sections:
        if section.kind == "tasks":
            before = len(reader.tasks)
            for item in section.items:
                reader.add(item)
            reader.flush_table()
            reader.current = reader.parent = None
            if section.appendix:
                reader.continue_numbering(before)
        elif section.kind == "organisation":
            org_items.extend(section.items)
        elif section.kind == "other":
            notes.append(Note(section.line, "mục không đọc được, bỏ qua / section not read, skipped", section.heading))
    raw_tasks: list[RawTask] = reader.finish()
    first: dict[str, RawTask] = {}
    for t in raw_tasks:
        first.setdefault(t.number, t)
    for n, count in Counter(t.number for t in raw_tasks).items():
        if count > 1:
            t = first[n]
            notes.append(Note(t.line, f"số nhiệm vụ {n} lặp lại / duplicate task number {n}", t.title))
    parents = parent_numbers(first)
    builder = TaskBuilder(matcher, notes, unmatched, issued)
    tasks = [builder.build(t, t.number in parents) for t in raw_tasks]
    if not tasks:
        notes.append(Note(1, "không thấy nhiệm vụ nào / no tasks found", ""))

    # organisation: reporting regime, monitor, where difficulties go
    entries: list[dict[str, Any]] = []
    monitor = difficulties_to = None
    for item in org_items:
        entries.extend(reporting(item.text, item.line, matcher, notes))
        monitor = monitor or monitor_of(item.text, matcher)
        difficulties_to = difficulties_to or difficulties_of(item.text, matcher)
    if monitor is None:
        monitor = difficulties_to
    if monitor is None:
        notes.append(Note(1, "không thấy cơ quan theo dõi, đôn đốc thực hiện kế hoạch (monitor) / "
                             "the text names no body that monitors the plan", ""))
    justice = next((u.code for u in registry.units.values() if u.region == region
                    and fold(u.name) in ("so tu phap", "phong tu phap")), None)
    if justice is None and any(t.get("workflow") == "shortened_procedure" for t in tasks):
        notes.append(Note(1, "danh mục không có Sở/Phòng Tư pháp để thẩm định theo quy trình rút gọn / "
                             "no justice department in the registry for the shortened procedure", ""))

    # recipients and signature
    recipients = [t for t, _ in lay.recipients]
    signer = None
    if lay.signature:
        texts = [ln.text for ln in lay.signature]
        block, name = texts[:-1], texts[-1]
        capacity = on_behalf = None
        for ln in block:
            m = SIGN_CAPACITY.match(ln)
            if m:
                capacity, on_behalf = m.group(1) + ".", _title_case(m.group(2))
                break
        last = block[-1] if block else ""
        m = SIGN_CAPACITY.match(last)
        signer = {"name": name, "capacity": capacity,
                  "title": _title_case(m.group(2) if m else re.sub(r"^TM\.\s*", "", last)) if last else None,
                  "on_behalf_of": on_behalf, "block": " / ".join(block)}
    else:
        notes.append(Note(len(lines), "không thấy khối chữ ký (TM./KT. …) / no signature block found", ""))

    if code is None:
        years = Counter(str(t["deadline"]["due"].year) for t in tasks if isinstance((t.get("deadline") or {}).get("due"), date))
        year = str(issued.year) if issued else (re.search(r"\b(20\d\d)\b", title or "") or [None, None])[1]
        year = year or (years.most_common(1)[0][0] if years else None)
        code = derive_code(region, issuer, number, year, existing_codes or set())
        notes.append(Note(1, f"{CODE_GUESSED}, tạm đặt {code} / no plan code given, using {code}", ""))

    plan: dict[str, Any] = {
        "code": code, "title": title, "registry": region or None, "issuer": issuer, "authority": issuer,
        "monitor": monitor, "justice": justice, "number": number, "issued": issued, "parent_plan": parent_plan,
        "legal_basis": legal_basis, "signer": signer, "recipients": recipients, "reporting": entries,
        "difficulties_to": difficulties_to, "tasks": tasks,
    }
    placed = {id(n): i for i, (_, place_notes) in enumerate(builder.places) for n in place_notes}
    problems = [_problem(n, placed.get(id(n))) for n in sorted(notes, key=lambda n: n.line)]
    new_units = propose_units(unmatched, registry, region, issuer)
    sources = [{"first": t.line, "last": t.last_line, **({"written": t.written} if t.written else {})}
               for t in raw_tasks]
    return ImportResult(plan, problems, unmatched, source, [p.to_json() for p, _ in builder.places], new_units,
                        sources=sources)


def import_accepting(text: str, *, source: str, registry: Registry, code: str | None = None,
                     region: str | None = None, known_plans: Mapping[str, str] | None = None,
                     existing_codes: set[str] | None = None, accept_new_units: bool = False,
                     limits: ImportLimits | None = None) -> ImportResult:
    """Read the plan; with `accept_new_units`, the proposed units are added under the issuer and the
    text read again with them, so the tasks name them, and the plan carries them in `units:`."""
    limits = limits or ImportLimits()
    result = read_limited(text, limits, source=source, registry=registry, code=code, region=region,
                          known_plans=known_plans, existing_codes=existing_codes)
    if not accept_new_units or not result.new_units:
        return result
    plan_region = str(result.plan.get("registry") or "")
    proposed = result.new_units
    again = read_limited(text, limits, source=source, registry=with_units(registry, plan_region, proposed),
                         code=result.plan["code"], region=plan_region, known_plans=known_plans,
                         existing_codes=existing_codes)
    again.plan["units"] = as_plan_units(proposed)
    again.new_units, again.accepted = proposed, True
    return again


def _problem(note: Note, place: int | None = None) -> dict[str, Any]:
    """A note as stored; `place`: the index of the UnitPlace it is about (mapping a unit redoes those)."""
    problem: dict[str, Any] = {"line": note.line, "message": note.message, "text": note.text}
    if place is not None:
        problem["place"] = place
    return problem


CODE_GUESSED = "mã kế hoạch chưa được cho"


def remap_units(result_plan: dict[str, Any], problems: list[dict[str, Any]], places: list[dict[str, Any]],
                registry: Registry, region: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Resolve the stored unit places of a parsed plan again against `registry` (with the names a user
    mapped as aliases), without reading the text again: the tasks' lead, coordinators and focal change in
    place; returns the problems (those about the places replaced) and the names still unmatched."""
    matcher = UnitMatcher(registry, region)
    kept = [p for p in problems if "place" not in p]
    unmatched: list[str] = []
    seen: set[str] = set()
    tasks = result_plan.get("tasks") or []
    for i, data in enumerate(places):
        place = UnitPlace.from_json(data)
        units = resolve_place(matcher, place)
        if 0 <= place.task < len(tasks):
            task = tasks[place.task]
            task["lead"], task["coordinators"], task["focal"] = units.lead, units.coordinators, units.focal
        kept.extend(_problem(n, i) for n in units.notes)
        for name in units.unmatched:
            if name not in seen:
                seen.add(name)
                unmatched.append(name)
    kept.sort(key=lambda p: int(p.get("line") or 1))
    return kept, unmatched


def format_problems(result: ImportResult, source: str | None = None) -> list[str]:
    """The report, one line per problem: "FILE:LINE: message «text»", then the unmatched units."""
    source = source or result.source
    out = []
    for p in result.problems:
        text = f" «{p['text']}»" if p["text"] else ""
        out.append(f"{source}:{p['line']}: {p['message']}{text}")
    if result.unmatched_units:
        out.append(f"{source}: đơn vị cần ánh xạ / units to map: " + "; ".join(result.unmatched_units))
    return out


def validate_plan(plan: dict[str, Any], registry: Registry, workflows: set[str]) -> list[str]:
    """Problems engine.plans.read_plan finds in the plan as written by write_plan_yaml ([] = valid)."""
    import tempfile
    from pathlib import Path

    from phancap.engine.plans import read_plan

    problems: list[str] = []
    if plan.get("units"):  # the new units it brings, as loading adds them
        registry = with_units(registry, str(plan.get("registry") or ""), list(plan["units"]))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{plan.get('code') or 'plan'}.yaml"
        path.write_text(write_plan_yaml(plan), encoding="utf-8")
        read_plan(path, registry, workflows, problems)
    return problems


# --- limits -------------------------------------------------------------------------------------

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
DEFAULT_MAX_TASKS = 5000


@dataclass(frozen=True)
class ImportLimits:
    """How much one import may read (PHANCAP_IMPORT_MAX_BYTES, PHANCAP_IMPORT_MAX_TASKS): the text's
    size in UTF-8 bytes, checked before reading it, and the tasks read, checked before anything is kept."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_tasks: int = DEFAULT_MAX_TASKS


class TooLarge(Refusal):
    """An import over the limits; nothing was read or kept. Rule too_large (HTTP 413)."""

    def __init__(self, message_vi: str, message_en: str, **extra: Any) -> None:
        super().__init__("too_large", message_vi, message_en, extra=extra)


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{max(1, n // 1024)} KB"


def check_size(size: int, limits: ImportLimits) -> None:
    """Refuse a text (or file) of `size` bytes over the limit, before reading it."""
    if size > limits.max_bytes:
        raise TooLarge(f"Văn bản kế hoạch quá lớn ({_size(size)}); tối đa {_size(limits.max_bytes)} "
                       "(PHANCAP_IMPORT_MAX_BYTES)",
                       f"the plan text is too large ({size} bytes); at most {limits.max_bytes} bytes "
                       "(PHANCAP_IMPORT_MAX_BYTES)", limit=limits.max_bytes)


def check_tasks(result: ImportResult, limits: ImportLimits) -> None:
    """Refuse a reading with more tasks (headings included) than the limit."""
    count = len(result.plan.get("tasks") or [])
    if count > limits.max_tasks:
        raise TooLarge(f"Văn bản có {count} nhiệm vụ; tối đa {limits.max_tasks} nhiệm vụ một lần nhập "
                       "(PHANCAP_IMPORT_MAX_TASKS)",
                       f"the text holds {count} tasks; at most {limits.max_tasks} per import "
                       "(PHANCAP_IMPORT_MAX_TASKS)", limit=limits.max_tasks)


def read_limited(text: str, limits: ImportLimits, *, source: str, registry: Registry, code: str | None = None,
                 region: str | None = None, known_plans: Mapping[str, str] | None = None,
                 existing_codes: set[str] | None = None) -> ImportResult:
    """import_plan_text within the limits: the size checked first, the task count after reading."""
    check_size(len(text.encode("utf-8")), limits)
    result = import_plan_text(text, source=source, registry=registry, code=code, region=region,
                              known_plans=known_plans, existing_codes=existing_codes)
    check_tasks(result, limits)
    return result
