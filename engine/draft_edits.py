"""A person corrects a draft's tasks field by field (issue 14, part 5): title, content, lead, coordinators,
focal, product, deadline phrase and procedure (workflow), beside the source lines the task was read from.

Every edit is checked here, all of them before anything is written: a unit that is no unit or group
of the plan's registry (or of the units the person confirmed), a focal that is not one unit, a
deadline phrase the deadline reader cannot read, an empty title or an unknown procedure is refused
with one message per task and field (`problems`: task, field, message_vi, message_en), and nothing
changes. A field posted with the value it already shows is no edit, so a form may post every field.

Unit fields are written as the person reads them: names (or codes) of the registry separated by ";"
or new lines (names hold commas: "Sở Văn hóa, Thể thao và Du lịch"). A task whose units a person set is
taken out of the importer's unit places: mapping an unknown name later never overwrites it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from phancap.engine.clock import Clock
from phancap.engine.db import Database
from phancap.engine.deadlines import DeadlineError, read_deadline
from phancap.engine.drafts import (
    Draft,
    DraftError,
    DraftScope,
    Parsed,
    draft_registry,
    get_draft,
    not_active,
    update_draft,
)
from phancap.engine.organisations import Registry, name_key

FIELDS = ("title", "content", "lead", "coordinators", "focal", "product", "deadline", "workflow")
FIELD_LABELS_VI = {"title": "Tên nhiệm vụ", "content": "Nội dung", "lead": "Chủ trì", "coordinators": "Phối hợp",
                   "focal": "Đầu mối theo dõi", "product": "Sản phẩm", "deadline": "Thời hạn", "workflow": "Quy trình"}
UNIT_FIELDS = ("lead", "coordinators", "focal")
PLAN_WORKFLOWS = ("plan_task", "shortened_procedure")  # the procedures a plan's task may follow
# the importer's notes a corrected field settles (its unit names go with the task's unit place)
_SETTLED = {"deadline": ("thời hạn",), "lead": ("chủ trì",), "focal": ("đầu mối",)}
_CODE_IN_PARENS = re.compile(r"\(([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+)\)\s*$")


@dataclass(frozen=True)
class FieldProblem:
    task: str
    field: str
    message_vi: str
    message_en: str

    def to_json(self) -> dict[str, str]:
        return {"task": self.task, "field": self.field, "message_vi": self.message_vi, "message_en": self.message_en}


# --- how a deadline phrase reads ----------------------------------------------------------------

def vn_date(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else "—"


def deadline_reading(phrase: str, issued: date | None = None) -> dict[str, Any]:
    """A deadline phrase read by the engine's reader, for a person: {"ok", "kind", "due", "start",
    "text_vi"} or {"ok": false, "message_vi", "message_en"}. A recurring date's `due` is its first due day
    after the issue date when there is one."""
    phrase = " ".join(phrase.split())
    if not phrase:
        return {"ok": True, "phrase": "", "kind": None, "due": None, "start": None, "text_vi": "Không có thời hạn"}
    try:
        reading = read_deadline(phrase, issued)
    except DeadlineError as exc:
        reason = f": {exc.reason_vi}" if exc.reason_vi else ""
        return {"ok": False, "phrase": phrase, "message_vi": f"Không đọc được thời hạn “{phrase}”{reason}",
                "message_en": f"unreadable deadline phrase \"{phrase}\"" + (f": {exc.reason_en}" if exc.reason_en else "")}
    due = reading.first_due_after(issued) if reading.kind == "recurring" and issued else reading.due
    if reading.kind == "window":
        text_vi = f"Từ {vn_date(reading.start)} đến {vn_date(due)}: hạn ngày {vn_date(due)}"
    elif reading.kind == "recurring":
        text_vi = f"Hằng năm, hạn ngày {reading.day}/{reading.month}" + (f"; lần đầu {vn_date(due)}" if due else "")
    elif reading.kind == "open":
        text_vi = "Không có hạn cố định: chờ cấp giao nhiệm vụ đặt hạn"
    else:
        text_vi = f"Hạn ngày {vn_date(due)}"
    return {"ok": True, "phrase": phrase, "kind": reading.kind, "due": due.isoformat() if due else None,
            "start": reading.start.isoformat() if reading.start else None, "text_vi": text_vi}


def _deadline_of(phrase: str, issued: date | None) -> dict[str, Any]:
    """The task's deadline as the importer writes it (TaskBuilder.deadline)."""
    reading = read_deadline(phrase, issued)
    result: dict[str, Any] = {"phrase": phrase, "kind": reading.kind}
    if reading.kind == "window":
        result["start"] = reading.start
    result["due"] = reading.due
    return result


# --- units as a person writes them --------------------------------------------------------------

@dataclass
class RegionNames:
    """A registry's region looked up by what a person writes, built once per request: codes -> names,
    name keys -> codes, group name keys -> group names, and the names two units share."""

    codes: dict[str, str]
    by_name: dict[str, list[str]]
    groups: dict[str, str]
    shared: set[str]

    @classmethod
    def of(cls, registry: Registry, region: str) -> RegionNames:
        codes = {c: u.name for c, u in registry.units.items() if u.region == region}
        by_name: dict[str, list[str]] = {}
        named: dict[str, int] = {}
        for code, unit in registry.units.items():
            if unit.region == region:
                named[name_key(unit.name)] = named.get(name_key(unit.name), 0) + 1
                for key in {name_key(n) for n in (unit.name, *unit.aliases)}:
                    by_name.setdefault(key, []).append(code)
        groups = {key: g.name for (r, key), g in registry.groups.items() if r == region}
        return cls(codes, by_name, groups, {k for k, n in named.items() if n > 1})


def shown_units(value: Any, names: RegionNames) -> str:
    """A unit field as the form shows it: each unit by its name (with its code when another unit of the
    registry has the same name), groups by their names, separated by "; "."""
    entries = value if isinstance(value, list) else ([value] if value else [])
    out = []
    for entry in entries:
        name = names.codes.get(str(entry))
        if name is None:
            out.append(str(entry))
        else:
            out.append(f"{name} ({entry})" if name_key(name) in names.shared else name)
    return "; ".join(out)


def shown_value(task: dict[str, Any], field: str, names: RegionNames) -> str:
    """A task's field as the correction form shows it (what a person edits)."""
    if field in UNIT_FIELDS:
        return shown_units(task.get(field), names)
    if field == "deadline":
        return str((task.get("deadline") or {}).get("phrase") or "")
    return str(task.get(field) or "")


def _units_of(text: str, names: RegionNames, *, groups_allowed: bool) -> tuple[list[str], list[str]]:
    """The entries of a unit field (codes, or group names), and the entries that name nothing."""
    found: list[str] = []
    unknown: list[str] = []
    for raw in re.split(r"[;\n]+", text):
        entry = " ".join(raw.split()).strip(" .")
        if not entry:
            continue
        coded = _CODE_IN_PARENS.search(entry)
        key = name_key(entry)
        if coded and coded.group(1) in names.codes:
            found.append(coded.group(1))
        elif entry.upper() in names.codes:
            found.append(entry.upper())
        elif len(names.by_name.get(key, [])) == 1:
            found.append(names.by_name[key][0])
        elif groups_allowed and key in names.groups:
            found.append(names.groups[key])
        else:
            unknown.append(entry)
    return list(dict.fromkeys(found)), unknown


# --- the edit -----------------------------------------------------------------------------------

def _checked(field: str, value: str, names: RegionNames, region: str, issued: date | None,
             workflows: set[str], number: str) -> tuple[Any, FieldProblem | None]:
    label = FIELD_LABELS_VI[field]

    def problem(vi: str, en: str) -> tuple[Any, FieldProblem]:
        return None, FieldProblem(number, field, f"Nhiệm vụ {number}, {label}: {vi}", f"task {number}, {field}: {en}")

    text = value.strip()
    if field in UNIT_FIELDS:
        found, unknown = _units_of(text, names, groups_allowed=field != "focal")
        if unknown:
            quoted = ", ".join(f"“{u}”" for u in unknown)
            return problem(f"không có đơn vị {quoted} trong danh mục {region}",
                           f"no unit {', '.join(unknown)} in registry {region}")
        if field == "focal":
            if len(found) > 1:
                return problem("đầu mối phải là một đơn vị", "the focal agency must be one unit")
            return (found[0] if found else None), None
        return found, None
    if field == "deadline":
        if not text:
            return None, None
        phrase = " ".join(text.split())
        try:
            return _deadline_of(phrase, issued), None
        except DeadlineError as exc:
            reason = f" ({exc.reason_vi})" if exc.reason_vi else ""
            return problem(f"không đọc được thời hạn “{phrase}”{reason}", f"unreadable deadline phrase \"{phrase}\"")
    if field == "workflow":
        if text not in workflows or text not in PLAN_WORKFLOWS:
            return problem(f"không có quy trình “{text}”", f"no workflow {text!r}")
        return text, None
    if field == "title" and not text:
        return problem("không được để trống", "must not be empty")
    return (" ".join(text.split()) if field == "title" else text) or None, None


def edit_tasks(db: Database, draft_id: int, edits: Mapping[int, Mapping[str, str]], workflows: set[str], clock: Clock,
               scope: DraftScope | None = None) -> Draft:
    """Apply a person's corrections ({task index: {field: value}}) to the draft, all or none (DraftError
    with `problems`); the draft goes back to draft, to be validated again."""
    draft = get_draft(db, draft_id, scope)
    not_active(draft)
    names = RegionNames.of(draft_registry(db, draft), draft.region)
    tasks = draft.plan.get("tasks") or []
    issued = draft.plan.get("issued") if isinstance(draft.plan.get("issued"), date) else None
    changed: dict[int, dict[str, Any]] = {}
    problems: list[FieldProblem] = []
    for index, fields in sorted(edits.items()):
        if not 0 <= index < len(tasks) or tasks[index].get("heading"):
            raise DraftError("request", f"Bản nháp {draft.id} không có nhiệm vụ thứ {index + 1} để sửa",
                             f"draft {draft.id} has no task at position {index + 1} to correct")
        task = tasks[index]
        number = str(task.get("number"))
        for field, value in fields.items():
            if field not in FIELDS:
                raise DraftError("request", f"Không sửa được trường “{field}”", f"no such task field {field!r}")
            value = value.replace("\r\n", "\n")  # a form's textarea sends CRLF
            if value.strip() == shown_value(task, field, names).strip():
                continue
            new, problem = _checked(field, value, names, draft.region, issued, workflows, number)
            if problem:
                problems.append(problem)
            else:
                changed.setdefault(index, {})[field] = new
    if problems:
        raise DraftError("request", "Chưa lưu được các sửa đổi: " + "; ".join(p.message_vi for p in problems),
                         "corrections not saved: " + "; ".join(p.message_en for p in problems),
                         extra={"problems": [p.to_json() for p in problems]})
    if not changed:
        return draft
    return update_draft(db, draft, _corrected(draft, changed, names), draft.mapping, "draft", None, clock,
                        expect=draft.state)


def _corrected(draft: Draft, changed: dict[int, dict[str, Any]], names: RegionNames) -> Parsed:
    plan = dict(draft.plan)
    tasks = [dict(t) for t in plan.get("tasks") or []]
    plan["tasks"] = tasks
    settled: dict[str, set[str]] = {}
    for index, fields in changed.items():
        task = tasks[index]
        for field, value in fields.items():
            if field == "deadline":
                if value is None:
                    task.pop("deadline", None)
                else:
                    task["deadline"] = value
            else:
                task[field] = value
            if field in ("lead", "coordinators"):
                task[f"{field}_text"] = shown_units(value, names) or None  # the person's wording now
            settled.setdefault(str(task.get("number")), set()).update(_SETTLED.get(field, ()))
    unit_tasks = {i for i, fields in changed.items() if set(fields) & set(UNIT_FIELDS)}
    places, problems = _without_places(draft, unit_tasks)
    problems = [p for p in problems if not _settles(p, settled)]
    still_named = {n for place in places for n in place.get("names") or []}
    unmatched = [n for n in draft.unmatched_units if n in still_named]
    edited = sorted(set(draft.edited) | set(changed))
    return Parsed(plan, problems, unmatched, draft.mapped_units, places, draft.sources, draft.proposals, edited)


def _settles(problem: dict[str, Any], settled: dict[str, set[str]]) -> bool:
    message = str(problem.get("message", ""))
    for number, concerns in settled.items():
        if message.startswith(f"nhiệm vụ {number} / task {number}:") and any(c in message for c in concerns):
            return True
    return False


def _without_places(draft: Draft, tasks: set[int]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The unit places of the other tasks, and the problems with their place indexes renumbered (the
    problems about the dropped places go with them)."""
    kept: list[dict[str, Any]] = []
    renumber: dict[int, int] = {}
    for i, place in enumerate(draft.places):
        if int(place.get("task", -1)) not in tasks:
            renumber[i] = len(kept)
            kept.append(place)
    problems = []
    for p in draft.problems:
        if "place" not in p:
            problems.append(p)
        elif int(p["place"]) in renumber:
            problems.append({**p, "place": renumber[int(p["place"])]})
    return kept, problems
