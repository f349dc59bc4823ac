"""Text normalisation for plan import: clean lines, then join PDF-wrapped lines into logical items.

A logical item starts at a structural marker (a Roman section heading, a task number ``1.`` /
``1.1.``, a lettered item ``a)``, a bullet ``-`` ``•`` ``+``, a table row) or at a new paragraph
(the previous line ended a sentence and this one starts with a capital, or it starts with
"Căn cứ" / "Thực hiện", or either line is all capitals). Any other line continues the item
before it: this is what joins the hard line breaks of PDF extraction, blank lines between them
included.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

ROMAN = re.compile(r"^(?:PHẦN\s+|Phần\s+)?([IVX]{1,5})[.)]\s+(.+)$")
NUMBER = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*)[.)]\s+(.+)$|^(\d{1,2}(?:\.\d{1,2})+)\s+(.+)$")
LETTER = re.compile(r"^(?:[-•+–−]\s*)?([a-zđ])\)\s*(.*)$")
BULLET = re.compile(r"^(?:[-+–−*]\s+|[•●▪◦‣]\s*)(.+)$")
STARTERS = re.compile(
    r"^(?:Căn cứ|Thực hiện|Để|Nhằm)\s"
    r"|^(?:Giao\s+)?(?:Sở|Phòng|UBND|Ủy ban|Uỷ ban|Văn phòng|Ban|Các Sở|Các cơ quan|Thanh tra|Công an)\s[^.;:]{0,80}?\schủ trì\b"
)
SENTENCE_END = re.compile(r"(?:[.!?:]|\./\.)[\"”)]?$")


@dataclass
class Line:
    no: int  # 1-based line number in the source text
    text: str  # cleaned: NFC, no bold markers, spaces collapsed, stripped
    raw: str


@dataclass
class Item:
    """A logical item: one marker (or paragraph) and everything wrapped after it."""

    kind: str  # roman | number | letter | bullet | para | row
    label: str | None
    text: str
    line: int
    cells: list[str] = field(default_factory=list)
    bold: bool = False


def fold(text: str) -> str:
    """Case- and diacritic-insensitive form, one character for one (so spans map back)."""
    out = []
    for ch in text:
        if ch in "đĐðÐ":
            out.append("d")
            continue
        base = unicodedata.normalize("NFD", ch)[0].casefold()
        out.append(base[0] if base else ch)
    return "".join(out)


def clean(raw: str) -> str:
    text = unicodedata.normalize("NFC", raw).replace("\ufeff", "")
    text = text.replace("**", "").replace("__", "")
    text = re.sub(r"^#{1,6}\s+", "", text.strip())
    return " ".join(text.split())


def split_lines(text: str) -> list[Line]:
    raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return [Line(i + 1, clean(raw), raw) for i, raw in enumerate(raw_lines)]


def table_cells(raw: str) -> list[str] | None:
    """Cells of a table row turned into text (pipes or tabs), or None for an ordinary line."""
    line = unicodedata.normalize("NFC", raw).replace("**", "").strip()
    if line.count("|") >= 2:
        parts = line.split("|")
        if parts and not parts[0].strip():
            parts = parts[1:]
        if parts and not parts[-1].strip():
            parts = parts[:-1]
    elif "\t" in line.strip("\t") and len(line.split("\t")) >= 3:
        parts = line.split("\t")
    else:
        return None
    return [" ".join(re.sub(r"<br\s*/?>", " ", p, flags=re.IGNORECASE).split()) for p in parts]


def is_separator_row(cells: list[str]) -> bool:
    return all(re.fullmatch(r":?-{2,}:?|", c) for c in cells)


def is_caps(text: str) -> bool:
    """A line in capitals ("KẾ HOẠCH", "TM. ỦY BAN NHÂN DÂN"); a lone acronym ("UBND") is not one."""
    letters = [c for c in text if c.isalpha()]
    return len(text.split()) >= 2 and len(letters) >= 2 and all(not c.islower() for c in letters)


def _marker(text: str, prev: Item | None) -> tuple[str, str | None, str] | None:
    # A line wrapped mid-sentence can start like a marker: "… kinh tế" / "- xã hội …",
    # "… (trước ngày 14 tháng" / "12) để tổng hợp …". Those two shapes continue an open sentence.
    open_sentence = prev is not None and prev.kind != "row" and not re.search(r"[.:;!?]\W*$", prev.text)
    m = ROMAN.match(text)
    if m:
        return "roman", m.group(1), m.group(2)
    m = NUMBER.match(text)
    if m and not (open_sentence and re.match(r"^\d{1,2}\)", text)):
        number = m.group(1) or m.group(3)
        return "number", number, m.group(2) if m.group(1) else m.group(4)
    m = LETTER.match(text)
    if m:
        return "letter", m.group(1), m.group(2)
    m = BULLET.match(text)
    if m and not (open_sentence and m.group(1)[:1].islower()):
        return "bullet", None, m.group(1)
    return None


def logical_items(lines: list[Line]) -> list[Item]:
    items: list[Item] = []
    for line in lines:
        if not line.text:
            continue
        cells = table_cells(line.raw)
        if cells is not None:
            if not is_separator_row(cells):
                items.append(Item("row", None, " | ".join(cells), line.no, cells))
            continue
        bold = "**" in line.raw
        marker = _marker(line.text, items[-1] if items else None)
        if marker:
            kind, label, text = marker
            items.append(Item(kind, label, text, line.no, bold=bold))
            continue
        prev = items[-1] if items else None
        if prev is not None and prev.kind == "roman" and is_caps(prev.text) and is_caps(line.text):
            prev.text = f"{prev.text} {line.text}"  # a heading wrapped over two lines
            continue
        new_paragraph = (
            prev is None
            or prev.kind == "row"
            or is_caps(line.text)
            or is_caps(prev.text)
            or (prev.text.startswith("(") and prev.text.endswith(")"))
            or line.text.startswith("(") and line.text.endswith(")")
            or (STARTERS.match(line.text) is not None and not prev.text.endswith(","))
            or (SENTENCE_END.search(prev.text) is not None and line.text[0].isupper())
        )
        if new_paragraph:
            items.append(Item("para", None, line.text, line.no, bold=bold))
        else:
            assert prev is not None
            prev.text = f"{prev.text} {line.text}"
    return items
