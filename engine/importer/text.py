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
import functools
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


@functools.lru_cache(maxsize=65536)
def _fold_char(ch: str) -> str:
    if ch in "đĐðÐ":
        return "d"
    base = unicodedata.normalize("NFD", ch)[0].casefold()
    return base[0] if base else ch


def fold(text: str) -> str:
    """Case- and diacritic-insensitive form, one character for one (so spans map back). Each distinct
    character is folded once (a plan's text has a few hundred); ASCII text is only lower-cased, which is
    what folding does to each ASCII character."""
    if text.isascii():
        return text.lower()
    return "".join(map(_fold_char, text))


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


def ends_sentence(text: str) -> bool:
    """Whether the text ends a sentence (``[.:;!?]\\W*$``), read backwards from its end: a regex search
    would try every position, quadratic on a long run of punctuation."""
    for ch in reversed(text):
        if ch.isalnum() or ch == "_":
            return False
        if ch in ".:;!?":
            return True
    return False


def _marker(text: str, prev_kind: str | None, prev_ended: bool) -> tuple[str, str | None, str] | None:
    # A line wrapped mid-sentence can start like a marker: "… kinh tế" / "- xã hội …",
    # "… (trước ngày 14 tháng" / "12) để tổng hợp …". Those two shapes continue an open sentence.
    open_sentence = prev_kind is not None and prev_kind != "row" and not prev_ended
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


@dataclass
class _Growing:
    """The item being read, as it grows line by line: its lines (joined once, at the end) and what the
    next line's decision needs of the whole text, kept up to date per line. Joining or scanning the
    whole text per line made a long paragraph quadratic."""

    item: Item
    parts: list[str]
    words: int = 0
    letters: int = 0
    lower: bool = False
    ended: bool = False  # the whole text ends a sentence ([.:;!?]\\W*$)

    def add(self, part: str) -> None:
        self.parts.append(part)
        self.words += len(part.split())
        for ch in part:
            if ch.isalpha():
                self.letters += 1
                self.lower = self.lower or ch.islower()
        word_chars = any(ch.isalnum() or ch == "_" for ch in part)
        self.ended = ends_sentence(part) or (not word_chars and self.ended)

    @property
    def caps(self) -> bool:  # is_caps of the whole text
        return self.words >= 2 and self.letters >= 2 and not self.lower

    def close(self) -> None:
        self.item.text = " ".join(self.parts)


def logical_items(lines: list[Line]) -> list[Item]:
    items: list[Item] = []
    grow: _Growing | None = None

    def start(item: Item) -> _Growing:
        if grow is not None:
            grow.close()
        items.append(item)
        started = _Growing(item, [])
        started.add(item.text)
        return started

    for line in lines:
        if not line.text:
            continue
        cells = table_cells(line.raw)
        if cells is not None:
            if not is_separator_row(cells):
                grow = start(Item("row", None, " | ".join(cells), line.no, cells))
            continue
        bold = "**" in line.raw
        marker = _marker(line.text, grow.item.kind if grow else None, grow.ended if grow else False)
        if marker:
            kind, label, text = marker
            grow = start(Item(kind, label, text, line.no, bold=bold))
            continue
        if grow is not None and grow.item.kind == "roman" and grow.caps and is_caps(line.text):
            grow.add(line.text)  # a heading wrapped over two lines
            continue
        first, tail = (grow.parts[0], grow.parts[-1]) if grow else ("", "")
        new_paragraph = (
            grow is None
            or grow.item.kind == "row"
            or is_caps(line.text)
            or grow.caps
            or (first.startswith("(") and tail.endswith(")"))
            or line.text.startswith("(") and line.text.endswith(")")
            or (STARTERS.match(line.text) is not None and not tail.endswith(","))
            or (SENTENCE_END.search(tail) is not None and line.text[0].isupper())
        )
        if new_paragraph:
            grow = start(Item("para", None, line.text, line.no, bold=bold))
        else:
            assert grow is not None
            grow.add(line.text)
    if grow is not None:
        grow.close()
    return items
