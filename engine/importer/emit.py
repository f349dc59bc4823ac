"""From parsed tasks to the plan YAML format of definitions/plans/*.yaml, and writing it."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import yaml

from phancap.engine.deadlines import DeadlineError, read_deadline
from phancap.engine.importer.fields import Note, body_of, one_line, one_sentence, prose
from phancap.engine.importer.structure import RawTask
from phancap.engine.importer.units import UnitMatcher
from phancap.engine.plans import SHORTENED_MARKER

DEADLINE_IN_PARENS = re.compile(
    r"\(\s*((?:(?:thời hạn|thời gian hoàn thành)\s*:?\s*)?(?:hoàn thành\s+)?(?:trước|chậm nhất|trong|xong trước)\s[^()]*\d[^()]*)\)",
    re.IGNORECASE,
)


def _readable(phrase: str, issued: date | None) -> bool:
    try:
        read_deadline(phrase, issued)
    except DeadlineError:
        return False
    return True


PLAN_ORDER = ("code", "title", "registry", "issuer", "authority", "monitor", "justice", "number", "issued",
              "parent_plan", "legal_basis", "signer", "recipients", "reporting", "difficulties_to", "units", "tasks")


@dataclass
class UnitPlace:
    """Where a task's text names units: the lead, coordinators and focal texts and their lines. Kept
    for the tasks that name a unit the registry does not know, so that mapping such a name resolves
    these texts again (resolve_place) instead of reading the whole plan text again."""

    task: int  # index in the plan's tasks
    what: str
    lead_text: str | None
    lead_line: int
    coord_text: str | None
    coord_line: int
    focal_text: str | None
    focal_line: int
    names: list[str] = field(default_factory=list)  # the unknown names these texts held when the text was read

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UnitPlace:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})

    def texts(self) -> list[tuple[str, int]]:
        return [(t, n) for t, n in ((self.lead_text, self.lead_line), (self.coord_text, self.coord_line),
                                    (self.focal_text, self.focal_line)) if t]


@dataclass
class PlaceUnits:
    lead: list[str]
    coordinators: list[str]
    focal: str | None
    notes: list[Note] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)


def resolve_place(matcher: UnitMatcher, place: UnitPlace) -> PlaceUnits:
    """The units a task's lead, coordinators and focal texts name, with the notes about them."""
    notes: list[Note] = []
    unmatched: list[str] = []

    def refs(text: str | None, line: int) -> list[str]:
        found = matcher.resolve(text)
        for name in found.unmatched:
            notes.append(Note(line, f"{place.what}: đơn vị \"{name}\" không có trong danh mục tổ chức / "
                                    f"unit \"{name}\" is not in the registry", text or ""))
            if name not in unmatched:
                unmatched.append(name)
        return found.refs

    lead = refs(place.lead_text, place.lead_line)
    coordinators = refs(place.coord_text, place.coord_line)
    if place.lead_text is not None and not lead:
        notes.append(Note(place.lead_line, f"{place.what}: cơ quan chủ trì chưa khớp danh mục / "
                                           "the lead names no unit of the registry", place.lead_text))
    focal = None
    if place.focal_text is not None:
        found = refs(place.focal_text, place.focal_line)
        if len(found) == 1 and matcher.is_unit(found[0]):
            focal = found[0]
        elif found:
            notes.append(Note(place.focal_line, f"{place.what}: đầu mối phải là một đơn vị / the focal agency "
                                                "must be one unit", place.focal_text or ""))
    return PlaceUnits(lead, coordinators, focal, notes, unmatched)


class TaskBuilder:
    def __init__(self, matcher: UnitMatcher, notes: list[Note], unmatched: list[str], issued: date | None) -> None:
        self.matcher = matcher
        self.notes = notes
        self.unmatched = unmatched
        self.issued = issued
        self.built = 0
        self._seen = set(unmatched)
        self.places: list[tuple[UnitPlace, list[Note]]] = []  # tasks naming unknown units, with those notes

    def deadline(self, phrase: str, line: int, what: str) -> dict[str, Any]:
        try:
            reading = read_deadline(phrase, self.issued)
        except DeadlineError as exc:
            self.notes.append(Note(line, f"{what}: {exc}", phrase))
            return {"phrase": phrase}
        result: dict[str, Any] = {"phrase": phrase, "kind": reading.kind}
        if reading.kind == "window":
            result["start"] = reading.start
        result["due"] = reading.due
        return result

    def build(self, raw: RawTask, heading: bool) -> dict[str, Any]:
        self.built += 1
        return self._build(raw, heading)

    def _build(self, raw: RawTask, heading: bool) -> dict[str, Any]:
        what = f"nhiệm vụ {raw.number} / task {raw.number}"
        if heading:
            result: dict[str, Any] = {"number": raw.number, "heading": True, "title": raw.title}
            if "content" in raw.fields and raw.fields["content"][0]:
                result["content"] = prose(raw.fields["content"][0])  # an introduction to its sub-tasks
            if set(raw.fields) - {"content"} or raw.bodies or raw.sentences:
                self.notes.append(Note(raw.line, f"{what}: là mục có nhiệm vụ con, các trường của nó bị bỏ qua / "
                                                 "a heading with sub-tasks: its own fields were dropped", raw.title))
            return result
        f = raw.fields
        line_of = {k: v[1] for k, v in f.items()}
        title = raw.title
        content = prose(f["content"][0]) if "content" in f else None
        lead_text = one_line(f["lead"][0]) if "lead" in f else None
        coord_text = one_line(f["coordinators"][0]) if "coordinators" in f else None
        phrase = one_line(f["deadline"][0]) if "deadline" in f else None
        phrase_line = line_of.get("deadline", raw.line)
        lead_line = line_of.get("lead", raw.line)
        if "executors" in f:
            value, at = prose(f["executors"][0]) or "", f["executors"][1]
            sentence = one_sentence(value, self.matcher)
            if sentence and lead_text is None:
                lead_text, lead_line = sentence.lead_text, at
                coord_text = coord_text or sentence.coordinators_text
                if not phrase and sentence.deadline:
                    phrase, phrase_line = sentence.deadline, at
            else:
                body, coords = body_of(value)
                if lead_text is None:
                    lead_text, lead_line = body, at
                if body != one_line(value) and content is None:
                    content = value
                if coords and coord_text is None and self.matcher.resolve(coords).refs:
                    coord_text = coords
        if raw.bodies:
            parts, coords_found = [], []
            for text, _ in raw.bodies:
                body, coords = body_of(text)
                parts.append(body)
                if coords and self.matcher.resolve(coords).refs:
                    coords_found.append(coords)
            if lead_text is None:
                lead_text, lead_line = "; ".join(p for p in parts if p), raw.bodies[0][1]
            if coord_text is None and coords_found:
                coord_text = "; ".join(coords_found)
        candidates = list(raw.sentences)
        if lead_text is None and title and re.search(r"\schủ trì(?:[\s,]|$)", title):
            candidates.insert(0, (title, raw.line))
        for text, at in candidates:
            sentence = one_sentence(text, self.matcher)
            if sentence is None or lead_text is not None:
                if text != title:  # prose after all: part of the content
                    content = f"{content} {text}" if content else text
                continue
            lead_text, lead_line = sentence.lead_text, at
            coord_text = coord_text or sentence.coordinators_text
            if not phrase and sentence.deadline:
                phrase, phrase_line = sentence.deadline, at
            if (text == title or not title) and sentence.action:
                title = sentence.action
            elif text != title and content is None:
                content = prose(text)  # the item's title names the work; the sentence says who does it
        if not title:
            title = (one_line(candidates[0][0]) if candidates else raw.title) or ""
        if lead_text and coord_text is None:  # "Chủ trì: Sở X, phối hợp với Sở Y"
            m = re.match(r"^(?P<lead>.+?)[,;]?\s+(?:và\s+)?phối hợp (?:với|cùng)\s+(?P<with>.+)$", lead_text)
            if m:
                lead_text, coord_text = one_line(m.group("lead")), one_line(m.group("with"))
        if not phrase:  # "(hoàn thành trước ngày 30/6/2025)" written in the title or the content
            for written in (title, content or ""):
                m = DEADLINE_IN_PARENS.search(written)
                if m and _readable(m.group(1), self.issued):
                    phrase = one_line(m.group(1))
                    if written is title:
                        title = one_line(title[: m.start()] + title[m.end():]) or title
                    break
        place = UnitPlace(self.built - 1, what, lead_text, lead_line, coord_text, line_of.get("coordinators", raw.line),
                          one_line(f["focal"][0]) if "focal" in f else None, line_of.get("focal", raw.line))
        units = resolve_place(self.matcher, place)
        lead, coordinators, focal = units.lead, units.coordinators, units.focal
        self.notes.extend(units.notes)
        for name in units.unmatched:
            if name not in self._seen:
                self._seen.add(name)
                self.unmatched.append(name)
        if units.unmatched:
            place.names = list(units.unmatched)
            self.places.append((place, units.notes))
        if lead_text is None:
            self.notes.append(Note(raw.line, f"{what}: không thấy cơ quan chủ trì / no lead (Chủ trì) found", title))
        deadline: dict[str, Any] | None = None
        if phrase:
            deadline = self.deadline(phrase, phrase_line, what)
        else:
            self.notes.append(Note(raw.line, f"{what}: không thấy thời hạn / no deadline found", title))
        product = one_line(f["product"][0]) if "product" in f else None
        procedure = one_line(f["procedure"][0]) if "procedure" in f else None
        text = " ".join(x or "" for x in (procedure, content, title))
        task: dict[str, Any] = {
            "number": raw.number, "title": title, "content": content, "focal": focal, "lead": lead,
            "lead_text": lead_text, "coordinators": coordinators, "coordinators_text": coord_text,
            "product": product,
        }
        if deadline is not None:
            task["deadline"] = deadline
        task["workflow"] = "shortened_procedure" if SHORTENED_MARKER.search(text) else "plan_task"
        task["procedure_text"] = procedure
        return task


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def write_plan_yaml(plan: dict[str, Any]) -> str:
    """The plan as YAML in the layout of definitions/plans/*.yaml (dates unquoted, one blank line between tasks)."""
    ordered = {k: plan[k] for k in PLAN_ORDER if k in plan}
    ordered.update({k: v for k, v in plan.items() if k not in ordered})
    text = yaml.dump(ordered, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100000, default_flow_style=False)
    text = re.sub(r"\n(- number: )", r"\n\n\1", text)
    head = "# Nhập tự động từ văn bản kế hoạch (phancap import-plan); cần rà soát trước khi nạp.\n"
    head += "# Imported from a plan text by phancap import-plan; review before loading.\n"
    return head + text
