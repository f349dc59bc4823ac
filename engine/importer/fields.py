"""Task fields: the labels plan texts use, cleaning their values, tasks written as one sentence,
executing bodies written as prose, and the reporting regime of section III."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from phancap.engine.deadlines import DeadlineError, read_deadline
from phancap.engine.importer.units import UnitMatcher

# Field labels, longest alternatives first. Each is followed by ":" in the text.
LABELS: list[tuple[str, str]] = [
    ("focal", r"Đầu mối chịu trách nhiệm theo dõi(?: nhiệm vụ)?|Đơn vị đầu mối|Cơ quan đầu mối|Đầu mối theo dõi|Đầu mối"),
    ("lead", r"(?:Cơ quan, đơn vị|Cơ quan|Đơn vị) chủ trì(?: thực hiện)?|Chủ trì thực hiện|Chủ trì"),
    ("coordinators", r"(?:Cơ quan, đơn vị|Cơ quan|Đơn vị) phối hợp(?: thực hiện)?|Phối hợp thực hiện|Phối hợp"),
    ("executors", r"Cơ quan, đơn vị thực hiện|Đơn vị thực hiện|Cơ quan thực hiện|Phân công thực hiện|Trách nhiệm thực hiện"),
    ("product", (r"Sản phẩm(?: đầu ra| dự kiến| hoàn thành)?|Kết quả(?:/| và | - )sản phẩm|Kết quả (?:dự kiến|đầu ra)"
                 r"|Hình thức (?:văn bản|sản phẩm)")),
    ("deadline", r"Thời gian hoàn thành(?: dự kiến)?|Thời hạn hoàn thành|Thời hạn|Thời gian thực hiện|Tiến độ(?: thực hiện| hoàn thành)?|Thời gian"),
    ("procedure", r"Trình tự,? thủ tục[^:]{0,80}|Quy trình (?:thực hiện|ban hành|xây dựng|trình)[^:]{0,60}"),
    ("content", r"Nội dung(?: thực hiện| công việc| nhiệm vụ)?|Yêu cầu|Mô tả"),
]
_ANY_LABEL = "|".join(f"(?:{p})" for _, p in LABELS)
LABEL_AT_START = re.compile(rf"^(?P<label>{_ANY_LABEL})\s*:\s*(?P<value>.*)$", re.IGNORECASE | re.DOTALL)
LABEL_INLINE = re.compile(rf"(?<=[.;])\s+(?P<label>{_ANY_LABEL})\s*:\s*", re.IGNORECASE)
# Table headers name the same fields, plus the number and the task itself.
HEADER_EXTRA = [
    ("number", r"STT|TT|Số TT|Số thứ tự"),
    ("title", r"Nội dung(?: công việc| nhiệm vụ)?|Nhiệm vụ(?:, giải pháp)?|Tên nhiệm vụ|Nội dung, nhiệm vụ|Công việc"),
    ("note", r"Ghi chú"),
]


def field_of(label: str) -> str:
    for name, pattern in LABELS:
        if re.fullmatch(pattern, label, re.IGNORECASE):
            return name
    raise ValueError(label)


def label_of(text: str) -> tuple[str, str] | None:
    """("lead", "Các Sở, ngành;") for "Chủ trì: Các Sở, ngành;"; None when the text has no label."""
    m = LABEL_AT_START.match(text)
    if not m:
        return None
    return field_of(m.group("label").strip()), m.group("value").strip()


def split_inline(text: str) -> tuple[str, list[tuple[str, str]]]:
    """"Title. Nội dung: … ; Chủ trì: …" -> ("Title.", [("content", "…"), ("lead", "…")])."""
    marks = list(LABEL_INLINE.finditer(text))
    if not marks:
        return text, []
    head = text[: marks[0].start()]
    parts = []
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        parts.append((field_of(m.group("label").strip()), text[m.end():end].strip()))
    return head, parts


def header_field(cell: str) -> str | None:
    text = " ".join(cell.replace(":", " ").split())
    for name, pattern in HEADER_EXTRA:
        if re.fullmatch(pattern, text, re.IGNORECASE):
            return name
    for name, pattern in LABELS:
        if re.fullmatch(pattern, text, re.IGNORECASE):
            return "lead" if name == "executors" else name
    return None


def one_line(value: str | None) -> str | None:
    """A one-line field as written: spaces collapsed, no bold, no trailing '.', ';' or ','."""
    if value is None:
        return None
    text = " ".join(value.replace("**", "").split())
    text = re.sub(r"(?:\s*[.;,:])+$", "", text).strip()
    return text or None


def prose(value: str | None) -> str | None:
    if value is None:
        return None
    text = " ".join(value.replace("**", "").split())
    return text or None


def cap(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


# --------------------------------------------------------------------------- one sentence

_ONE = re.compile(
    r"^(?:Giao\s+)?(?P<lead>[^,;:]+?(?:,\s*[^,;:]+?)*?)\s+(?:là cơ quan chủ trì|có trách nhiệm chủ trì|chủ trì)"
    r"(?:\s+thực hiện)?(?P<rest>(?:[,\s].*)?)$",
    re.DOTALL,
)
_WITH = re.compile(r"^(?:và\s+)?(?:phối hợp|cùng phối hợp)\s+(?:với|cùng)\s+(?P<rest>.+)$", re.DOTALL)
_DEADLINE_TAIL = re.compile(
    r"[;,.]\s*(?P<phrase>(?:thời hạn|thời gian)(?: hoàn thành| thực hiện)?\s*:?\s*\S.*"
    r"|(?:hoàn thành|xong)\s+(?:trước|chậm nhất|trong|đến|vào|ngày|theo|thường xuyên|hằng|hàng|năm|quý|tháng|\d).*"
    r"|(?:trước ngày|chậm nhất(?: là)?(?: ngày)?|trong (?:năm|quý|tháng))\s+\S.*)$",
    re.IGNORECASE | re.DOTALL,
)
_RELATED = re.compile(r"(?:có\s+)?liên quan(?:\s+khác)?", re.IGNORECASE)


@dataclass
class Sentence:
    lead_text: str
    coordinators_text: str | None
    action: str | None
    deadline: str | None


_SUBMIT_TAIL = re.compile(
    r"(?P<act>;\s*(?:trình|báo cáo|gửi)\s+[^;]{1,80}?)\s*,?\s+"
    r"(?P<phrase>(?:chậm nhất(?: là)?|trước ngày|hoàn thành trước|trong (?:năm|quý|tháng))\s+[^;]*?)[.;]?$",
    re.IGNORECASE | re.DOTALL,
)


def deadline_tail(text: str) -> tuple[str, str | None]:
    """("Sở X chủ trì … rà soát …", "hoàn thành trước ngày 30/6/2025") from one sentence; "…; trình
    UBND tỉnh chậm nhất ngày 15 tháng 8 năm 2025" keeps "trình UBND tỉnh" in the action."""
    m = _DEADLINE_TAIL.search(text)
    if not m:
        s = _SUBMIT_TAIL.search(text)
        if s:
            return text[: s.start()] + s.group("act"), one_line(s.group("phrase"))
        return text, None
    phrase = re.sub(r"^(?:thời hạn|thời gian)(?: hoàn thành| thực hiện)?\s*:\s*", "", m.group("phrase"), flags=re.IGNORECASE)
    return text[: m.start()], one_line(cap(phrase) if phrase != m.group("phrase") else phrase)


def one_sentence(text: str, matcher: UnitMatcher) -> Sentence | None:
    """"Sở Tư pháp chủ trì, phối hợp với Sở Nội vụ và các cơ quan liên quan rà soát …; hoàn thành
    trước ngày 30/6/2025" -> lead, coordinators, action and deadline. None if the text is not of
    that shape or its first part names no body."""
    body, phrase = deadline_tail(" ".join(text.split()))
    m = _ONE.match(body.strip())
    if not m:
        return None
    lead = m.group("lead").strip()
    if len(lead) > 150 or not lead[:1].isupper():
        return None
    found = matcher.resolve(lead)
    if not found.refs and not found.unmatched:
        return None
    rest = m.group("rest").strip().lstrip(",").strip()
    coordinators = None
    w = _WITH.match(rest)
    if w:
        rest = w.group("rest")
        related = _RELATED.search(rest)
        if related:
            coordinators, rest = rest[: related.end()], rest[related.end():]
        else:
            end = 0
            for start, stop, _ in matcher.resolve(rest).spans:
                if re.fullmatch(r"[\s,;]*(?:(?:và|cùng)\s+)?", rest[end:start]):
                    end = stop
                else:
                    break
            coordinators, rest = rest[:end], rest[end:]
        coordinators = one_line(coordinators)
    action = one_line(rest.lstrip(" ,;"))
    return Sentence(lead, coordinators, cap(action) if action else None, phrase)


_BODY_SPLIT = re.compile(r"\s+(?:có trách nhiệm|chịu trách nhiệm chính|thực hiện|tổ chức thực hiện)\s|:\s*")
_COORD_IN = re.compile(
    r"phối hợp (?:với|cùng)\s+(?P<who>.+?)(?=\s+(?:theo|để|trong|nhằm|bảo đảm|đảm bảo|thực hiện)\s|[;.](?:\s|$)|$)"
)


def body_of(text: str) -> tuple[str, str | None]:
    """The executing body of a prose sentence ("Sở Nội vụ: Theo dõi …", "X có trách nhiệm …") and
    the bodies it works with ("phối hợp với Y theo …"): (body, coordinators text or None)."""
    m = _BODY_SPLIT.search(text)
    body = one_line(text[: m.start()] if m else text) or ""
    c = _COORD_IN.search(text)
    return body, (one_line(c.group("who")) if c else None)


# --------------------------------------------------------------------------- reporting regime

_PERIODS = {"6 tháng": "semiannual", "sáu tháng": "semiannual", "hằng năm": "annual", "hàng năm": "annual",
            "năm": "annual", "hằng quý": "quarterly", "hàng quý": "quarterly", "quý": "quarterly",
            "hằng tháng": "monthly", "hàng tháng": "monthly", "tháng": "monthly"}
_DATED = re.compile(
    r"(?:định kỳ\s+)?(?P<per>6 tháng|sáu tháng|hằng năm|hàng năm|hằng quý|hàng quý|hằng tháng|hàng tháng|quý|năm|tháng)"
    r"(?:\s*\((?P<phrase>[^)]*\d[^)]*)\)|\s*,?\s+(?P<bare>trước ngày \d{1,2}(?:\s*/\s*| tháng )\d{1,2})(?![\d/]))"
)
_WHO = re.compile(
    r"^(?P<rep>.+?)\s+(?P<verb>gửi báo cáo|báo cáo|gửi)\s+(?:về\s+|cho\s+|lên\s+)?(?P<rec>.+?)[\s,]*$", re.DOTALL
)
_CONSOLIDATE = re.compile(r"(?P<text>để tổng hợp,?\s*báo cáo\s+(?P<to>.+?))[.;]?$")
_REPORT_TO = re.compile(r"báo cáo\s+(?:về\s+|cho\s+|lên\s+)?")


@dataclass
class Note:
    line: int
    message: str
    text: str


def _one_unit(text: str, matcher: UnitMatcher) -> str | None:
    refs = matcher.resolve(text).refs
    return refs[0] if len(refs) == 1 and matcher.is_unit(refs[0]) else None


def reporting(text: str, line: int, matcher: UnitMatcher, notes: list[Note]) -> list[dict[str, Any]]:
    """Reporting entries named by one item of the organisation section."""
    text = " ".join(text.split())
    sentence = re.sub(r"[.;]$", "", text.replace("./.", "")).strip()
    dated = list(_DATED.finditer(sentence))
    entries: list[dict[str, Any]] = []
    if dated:
        who = _WHO.match(sentence[: dated[0].start()].strip())
        if not who:
            notes.append(Note(line, "báo cáo: không rõ ai báo cáo ai / reporting: who reports to whom is unclear", text))
            return []
        rep_text, rec_text = who.group("rep").strip(), who.group("rec").strip()
        reporters = matcher.resolve(rep_text).refs
        if not reporters:
            notes.append(Note(line, f"báo cáo: không nhận ra đơn vị báo cáo \"{rep_text}\" / reporting: unknown reporter", text))
        if "đầu mối" in rec_text.lower():
            recipient: str | None = "focal"
        else:
            recipient = _one_unit(rec_text, matcher)
            if recipient is None:
                notes.append(Note(line, f"báo cáo: không nhận ra nơi nhận báo cáo \"{rec_text}\" / reporting: unknown recipient", text))
        for m in dated:
            phrase = (m.group("phrase") or m.group("bare")).strip()
            try:
                reading = read_deadline(phrase)
            except DeadlineError as exc:
                notes.append(Note(line, f"báo cáo: {exc}", phrase))
                continue
            if reading.kind != "recurring":
                notes.append(Note(line, f"báo cáo: \"{phrase}\" không phải hạn lặp lại hằng năm / not a recurring date", phrase))
                continue
            per = m.group("per")
            name = f"Báo cáo định kỳ {per} của {rep_text[:1].lower()}{rep_text[1:]}"
            if who.group("verb") == "gửi":
                name += f" gửi {rec_text}"
            entries.append({
                "name": name, "period": _PERIODS[per], "phrase": phrase, "month": reading.month, "day": reading.day,
                "reporters": reporters, "recipient": recipient, "text": sentence,
            })
        tail = _CONSOLIDATE.search(sentence[dated[-1].end():].strip())
        if tail and recipient and recipient != "focal":
            to = _one_unit(tail.group("to"), matcher)
            if to:
                entries.append({
                    "name": f"Báo cáo tổng hợp của {rec_text}", "period": None, "phrase": None, "month": None,
                    "day": None, "reporters": [recipient], "recipient": to, "text": tail.group("text").strip(),
                })
        return entries
    found = matcher.resolve(sentence)
    if not found.spans or found.spans[0][0] != 0 or not matcher.is_unit(found.spans[0][2]):
        return []
    for m in _REPORT_TO.finditer(sentence):
        after = [s for s in found.spans if s[0] == m.end()]
        if after and matcher.is_unit(after[0][2]):
            what = one_line(sentence[after[0][1]:]) or "kết quả thực hiện"
            return [{
                "name": f"Báo cáo {what}", "period": None, "phrase": None, "month": None, "day": None,
                "reporters": [found.spans[0][2]], "recipient": after[0][2], "text": sentence,
            }]
    return []


def monitor_of(text: str, matcher: UnitMatcher) -> str | None:
    """"Sở Nội vụ (có trách nhiệm giúp …) theo dõi, đôn đốc …": the body that monitors the plan."""
    if not re.search(r"theo dõi|đôn đốc|đơn đốc", text):
        return None
    found = matcher.resolve(text)
    if found.spans and found.spans[0][0] == 0 and matcher.is_unit(found.spans[0][2]):
        return found.spans[0][2]
    return None


def difficulties_of(text: str, matcher: UnitMatcher) -> str | None:
    """"… khó khăn, vướng mắc … phản ánh về X (qua Y)": Y, else X."""
    if "vướng mắc" not in text and "khó khăn" not in text:
        return None
    for pattern in (r"\(qua\s+([^)]+)\)", r"\bqua\s+(.+?)(?:\s+để|[,.;)]|$)", r"\bvề\s+(.+?)(?:\s+để|[,.;(]|$)"):
        m = re.search(pattern, text)
        if m:
            unit = _one_unit(m.group(1), matcher)
            if unit:
                return unit
    return None
