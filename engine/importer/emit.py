"""From parsed tasks to the plan YAML format of definitions/plans/*.yaml, and writing it."""

from __future__ import annotations

import re
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
              "parent_plan", "legal_basis", "signer", "recipients", "reporting", "difficulties_to", "tasks")


class TaskBuilder:
    def __init__(self, matcher: UnitMatcher, notes: list[Note], unmatched: list[str], issued: date | None) -> None:
        self.matcher = matcher
        self.notes = notes
        self.unmatched = unmatched
        self.issued = issued

    def refs(self, text: str | None, line: int, what: str) -> list[str]:
        found = self.matcher.resolve(text)
        for name in found.unmatched:
            self.notes.append(Note(line, f"{what}: đơn vị \"{name}\" không có trong danh mục tổ chức / "
                                         f"unit \"{name}\" is not in the registry", text or ""))
            if name not in self.unmatched:
                self.unmatched.append(name)
        return found.refs

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
        lead = self.refs(lead_text, lead_line, what)
        coordinators = self.refs(coord_text, line_of.get("coordinators", raw.line), what)
        if lead_text is None:
            self.notes.append(Note(raw.line, f"{what}: không thấy cơ quan chủ trì / no lead (Chủ trì) found", title))
        elif not lead:
            self.notes.append(Note(lead_line, f"{what}: cơ quan chủ trì chưa khớp danh mục / "
                                              "the lead names no unit of the registry", lead_text))
        focal = None
        if "focal" in f:
            focal_text = one_line(f["focal"][0])
            found = self.refs(focal_text, line_of["focal"], what)
            if len(found) == 1 and self.matcher.is_unit(found[0]):
                focal = found[0]
            elif found:
                self.notes.append(Note(line_of["focal"], f"{what}: đầu mối phải là một đơn vị / the focal agency "
                                                         "must be one unit", focal_text or ""))
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
