"""The structure of a plan text: preamble, Roman sections, tasks (numbered at any depth, lettered
sub-tasks, fields as lettered items, numbered items or bullets, or table rows), the recipients
list and the signature block."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from phancap.engine.importer.fields import (
    Note,
    header_field,
    label_of,
    one_line,
    prose,
    split_inline,
)
from phancap.engine.importer.text import Item, Line, clean, fold, is_caps, logical_items

CHU_TRI = re.compile(r"\schủ trì(?:[\s,]|$)")
SIGN_LINE = re.compile(r"^(TM|KT|TL|TUQ|Q)\.\s*\S")
RECIPIENTS = re.compile(r"^Nơi nhận\s*:?", re.IGNORECASE)
SIGNED_NOTE = re.compile(r"^[(\[].*(?:đã ký|ký tên|ký và|daky|chữ ký|đóng dấu).*[)\]]$", re.IGNORECASE)
ROMAN_VALUES = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10}


@dataclass
class Section:
    kind: str  # purpose | tasks | organisation | other
    heading: str
    line: int
    items: list[Item] = field(default_factory=list)
    appendix: bool = False  # the task table of a "PHỤ LỤC" after the signature


@dataclass
class RawTask:
    number: str
    line: int
    title: str
    fields: dict[str, tuple[str, int]] = field(default_factory=dict)  # name -> (value, line)
    bodies: list[tuple[str, int]] = field(default_factory=list)  # prose bullets under "Cơ quan thực hiện:"
    sentences: list[tuple[str, int]] = field(default_factory=list)  # "X chủ trì, phối hợp với Y …"
    mode: str = ""
    last: str = "title"
    title_ended: bool = False
    more: dict[str, list[str]] = field(default_factory=dict)  # text continuing a field (or the title), joined by settle()
    written: str | None = None  # the number as the text wrote it, when the importer had to renumber the task

    @property
    def last_line(self) -> int:
        """The last source line the task's text reaches (its fields, bodies and sentences)."""
        lines = [self.line, *(at for _, at in self.fields.values()), *(at for _, at in self.bodies),
                 *(at for _, at in self.sentences)]
        return max(lines)

    def extend(self, name: str, text: str, line: int) -> None:
        """fields[name] = (f"{value} {text}".strip(), its line), without copying the value per line: a task
        continued over many items was quadratic. The value stays empty or not exactly as it would."""
        value, at = self.fields.get(name, ("", line))
        if not value:
            self.fields[name] = (text.strip(), at)
        elif text.rstrip():
            self.more.setdefault(name, []).append(text.rstrip())

    def extend_title(self, text: str) -> None:
        """title = one_line(f"{title} {text}") or title, kept as pieces (one_line of the whole each time was
        quadratic): the title is already one line, so the result is the title, a space and one_line(text)."""
        piece = one_line(text)
        if not piece:
            return
        if not self.title:
            self.title = piece
        else:
            self.more.setdefault("title", []).append(piece)

    def settle(self) -> None:
        for name, parts in self.more.items():
            if name == "title":
                self.title = " ".join([self.title, *parts])
            else:
                value, at = self.fields[name]
                self.fields[name] = (" ".join([value, *parts]), at)
        self.more = {}


@dataclass
class Layout:
    preamble: list[Item]
    sections: list[Section]
    header: list[Line]
    recipients: list[tuple[str, int]]
    signature: list[Line]


def section_kind(heading: str) -> str:
    h = fold(heading)
    if "to chuc thuc hien" in h or h.startswith("trach nhiem") or "che do bao cao" in h or "kinh phi" in h:
        return "organisation"
    if any(w in h for w in ("noi dung", "nhiem vu", "giai phap", "phan cong", "lo trinh")):
        return "tasks"
    if any(w in h for w in ("muc dich", "muc tieu", "yeu cau", "quan diem", "pham vi", "doi tuong", "can cu")):
        return "purpose"
    return "other"


def _signature_start(lines: list[Line], stop: int) -> int | None:
    last = None
    for i in range(stop - 1, -1, -1):
        if SIGN_LINE.match(lines[i].text):
            last = i
            break
    if last is None:
        return None
    start = last
    for i in range(last - 1, -1, -1):
        if not lines[i].text:
            continue
        if SIGN_LINE.match(lines[i].text):
            start = i
            continue
        break
    return start


def _recipient_items(lines: list[Line]) -> list[tuple[str, int]]:
    items: list[tuple[str, int]] = []
    joinable = False
    for line in lines:
        text = RECIPIENTS.sub("", line.text).strip() if RECIPIENTS.match(line.text) else line.text
        if not text:
            continue
        m = re.match(r"^[-+•–]\s*(.*)$", text)
        body = m.group(1) if m else text
        if items and (not m or (joinable and body[:1].islower())):
            items[-1] = (f"{items[-1][0]} {body}".strip(), items[-1][1])
        else:
            items.append((body, line.no))
        joinable = body.rstrip().endswith(",")
    return [(re.sub(r"\s*[;,.]+$", "", t).strip(), n) for t, n in items if t.strip(" ;,.")]


COLUMN_GAP = re.compile(r"^(\s*\S.*?)\s{4,}(\S.*)$")


def _columns(lines: list[Line]) -> tuple[list[Line], list[Line]] | None:
    """PDF layout text puts "Nơi nhận" (left) and the signature (right) side by side:
    split each line at its wide gap. None when the closing is not laid out in two columns."""
    first = [COLUMN_GAP.match(ln.raw.rstrip()) for ln in lines[:4]]
    if not any(m and (SIGN_LINE.match(clean(m.group(2))) or is_caps(m.group(2))) for m in first):
        return None
    left: list[Line] = []
    right: list[Line] = []
    for ln in lines:
        raw = ln.raw.rstrip()
        m = COLUMN_GAP.match(raw)
        if m:
            left.append(Line(ln.no, clean(m.group(1)), m.group(1)))
            right.append(Line(ln.no, clean(m.group(2)), m.group(2)))
        elif len(raw) - len(raw.lstrip()) >= 20:
            right.append(Line(ln.no, clean(raw), raw))
        else:
            left.append(ln)
    return left, right


APPENDIX = re.compile(r"^PHỤ LỤC(?:\s|$|\s*:|\s*[IVX\d])")


def layout(lines: list[Line]) -> Layout:
    """Split the text into header, preamble, sections, recipients and signature. A task table
    in an appendix after the signature ("PHỤ LỤC …") is read as one more task section."""
    cut = next((i for i, ln in enumerate(lines) if APPENDIX.match(ln.text)
                and any(RECIPIENTS.match(x.text) or SIGN_LINE.match(x.text) for x in lines[:i])), None)
    if cut is None:
        return _main_layout(lines)
    result = _main_layout(lines[:cut])
    items = logical_items(lines[cut:])
    while items and items[0].kind == "para":
        items.pop(0)  # the appendix's own title lines
    result.sections.append(Section("tasks", lines[cut].text, lines[cut].no, items, appendix=True))
    return result


def _main_layout(lines: list[Line]) -> Layout:
    n = len(lines)
    recip = next((i for i, ln in enumerate(lines) if RECIPIENTS.match(ln.text)), None)
    columns = _columns(lines[recip:]) if recip is not None else None
    if recip is not None and columns is not None:
        left, right = columns
        items = _body(lines[:recip])
        signed = [ln for ln in right if ln.text and not SIGNED_NOTE.match(ln.text)]
        return _layout(items, lines, _recipient_items(left), signed)
    sign = _signature_start(lines, n)
    if sign is None and recip is not None:
        # no "TM./KT." line: the signature is the capitals after the recipients
        after = [i for i in range(recip + 1, n) if lines[i].text and not re.match(r"^[-+•–]", lines[i].text)]
        sign = after[0] if after else None
    ends = [i for i in (recip, sign) if i is not None]
    body_end = min(ends) if ends else n
    recipients: list[tuple[str, int]] = []
    signature: list[Line] = []
    if recip is not None:
        stop = sign if sign is not None and sign > recip else n
        recipients = _recipient_items(lines[recip:stop])
    if sign is not None:
        stop = recip if recip is not None and recip > sign else n
        signature = [ln for ln in lines[sign:stop] if ln.text and not SIGNED_NOTE.match(ln.text)]
    return _layout(_body(lines[:body_end]), lines, recipients, signature)


def _body(lines: list[Line]) -> list[Item]:
    return logical_items(lines)


def _layout(items: list[Item], lines: list[Line], recipients: list[tuple[str, int]], signature: list[Line]) -> Layout:
    # the document header (issuer, "Số: …", place and date) runs to the "KẾ HOẠCH" line
    title_at = next((i for i, it in enumerate(items) if it.kind == "para" and fold(it.text) == "ke hoach"), None)
    header = []
    if title_at is not None:
        last_line = items[title_at].line
        header = [ln for ln in lines[:last_line - 1] if ln.text]
        items = items[title_at:]
    preamble: list[Item] = []
    sections: list[Section] = []
    if not any(it.kind == "roman" for it in items):
        # "1. MỤC ĐÍCH, YÊU CẦU / 2. NHIỆM VỤ / 3. TỔ CHỨC THỰC HIỆN": capitals headings act as sections
        for it in items:
            if it.kind == "number" and "." not in (it.label or "") and is_caps(it.text) and section_kind(it.text) != "other":
                it.kind = "roman"
    if any(it.kind == "roman" for it in items):
        for it in items:
            if it.kind == "roman":
                sections.append(Section(section_kind(it.text), it.text, it.line))
            elif sections:
                sections[-1].items.append(it)
            else:
                preamble.append(it)
    else:
        first = next((i for i, it in enumerate(items) if it.kind in ("number", "letter", "row")), len(items))
        preamble = items[:first]
        sections = [Section("tasks", "", items[first].line if first < len(items) else 0, items[first:])]
    return Layout(preamble, sections, header, recipients, signature)


# --------------------------------------------------------------------------- tasks from text


def parent_numbers(numbers: Iterable[str]) -> set[str]:
    """The numbers that have sub-tasks ("1" and "1.2" for "1.2.a"): every proper prefix at a dot, so
    one pass over the numbers instead of comparing each task with every other."""
    parents: set[str] = set()
    for number in numbers:
        at = number.find(".")
        while at != -1:
            parents.add(number[:at])
            at = number.find(".", at + 1)
    return parents


class TaskReader:
    def __init__(self, notes: list[Note]) -> None:
        self.tasks: list[RawTask] = []
        self.notes = notes
        self.current: RawTask | None = None
        self.parent: RawTask | None = None
        self.rows: list[Item] = []
        self.top_level = 0  # tasks numbered without a dot so far (counted, not recounted per bullet)

    def _append(self, task: RawTask) -> None:
        self.tasks.append(task)
        if "." not in task.number:
            self.top_level += 1

    def note(self, item: Item, message: str) -> None:
        self.notes.append(Note(item.line, message, item.text))

    def set_field(self, task: RawTask, name: str, value: str, line: int, *, from_bullet: bool) -> None:
        if not from_bullet:
            task.mode = ""
        head, more = (value, []) if name == "content" else split_inline(value)
        if name == "executors" and not head.strip():
            task.mode = "executors"
        elif name == "content" and "content" in task.fields:
            task.extend("content", head, line)
        elif name in task.fields:
            self.notes.append(Note(line, f"nhiệm vụ {task.number}: trường '{name}' lặp lại, bỏ qua / "
                                         f"task {task.number}: second '{name}' field ignored", value))
        else:
            task.fields[name] = (head, line)
        task.last = name
        for extra_name, extra_value in more:
            self.set_field(task, extra_name, extra_value, line, from_bullet=True)

    def start(self, number: str, item: Item, text: str) -> RawTask:
        head, more = split_inline(text)
        task = RawTask(number, item.line, "")
        if not more:
            m = re.match(r"^(?P<title>[^:]{8,}?):\s+(?P<rest>\S.*)$", head)
            if m and not label_of(head):
                head, more = m.group("title"), [("content", m.group("rest"))]
        task.title = one_line(head) or ""
        task.title_ended = head.rstrip().endswith(".")
        for name, value in more:
            self.set_field(task, name, value, item.line, from_bullet=False)
        self._append(task)
        return task

    def add(self, item: Item) -> None:
        if item.kind == "row":
            self.rows.append(item)
            return
        self.flush_table()
        labelled = label_of(item.text)
        if item.kind == "number":
            if labelled and self.current:
                self.set_field(self.current, *labelled, item.line, from_bullet=False)
                return
            self.current = self.parent = self.start(item.label or "", item, item.text)
            return
        if item.kind == "letter":
            if labelled and self.current:
                self.set_field(self.current, *labelled, item.line, from_bullet=False)
                return
            if self.parent is None:
                self.note(item, "mục chữ cái không thuộc nhiệm vụ nào / lettered item outside any task")
                return
            self.current = self.start(f"{self.parent.number}.{item.label}", item, item.text)
            return
        task = self.current
        if task is None and CHU_TRI.search(item.text) and not labelled and self.parent is None:
            # tasks written as unnumbered one-sentence bullets: number them in order (and say so)
            number = str(self.top_level + 1)
            self._append(RawTask(number, item.line, "", sentences=[(item.text, item.line)]))
            self.notes.append(Note(item.line, f"nhiệm vụ {number}: số thứ tự do chương trình đặt / task {number}: "
                                              "numbered by the importer", item.text))
            return
        if task is None:
            self.note(item, "văn bản trước nhiệm vụ đầu tiên, không đặt được / text before the first task, not placed")
            return
        waiting = task.last if task.last in task.fields and not task.fields[task.last][0] else None
        if labelled:
            self.set_field(task, *labelled, item.line, from_bullet=item.kind == "bullet")
        elif waiting and waiting != "executors":
            task.fields[waiting] = (item.text, item.line)  # "Thời hạn:" with its value on the next line
        elif item.kind == "bullet" and task.mode == "executors":
            task.bodies.append((item.text, item.line))
        elif CHU_TRI.search(item.text) and "lead" not in task.fields and "executors" not in task.fields:
            task.sentences.append((item.text, item.line))
        elif item.kind == "bullet" or (task.last == "title" and task.title_ended):
            self.set_field(task, "content", item.text, item.line, from_bullet=False)
        else:
            key = task.last if task.last != "title" else "title"
            if key == "title":
                task.extend_title(item.text)
            else:
                task.extend(key, item.text, item.line)

    def flush_table(self) -> None:
        if not self.rows:
            return
        rows, self.rows = self.rows, []
        header_at = header_start = None
        columns: list[str | None] = []
        for i, row in enumerate(rows):
            kinds = [header_field(c) for c in row.cells]
            known = sum(k is not None for k in kinds) if "title" in kinds else 0
            if i + 1 < len(rows) and len(rows[i + 1].cells) == len(row.cells):  # a header over two rows?
                two = [header_field(f"{a} {b}") for a, b in zip(row.cells, rows[i + 1].cells)]
                if "title" in two and sum(k is not None for k in two) > max(known, 2):
                    header_at, columns, header_start = i + 1, two, i
                    break
            if known >= 2:
                header_at, columns, header_start = i, kinds, i
                break
        if header_at is None:
            for row in rows:
                self.note(row, "bảng không có dòng tiêu đề (STT, Nội dung, …) / table row without a recognised header")
            return
        for row in rows[:header_start]:
            self.note(row, "dòng trước tiêu đề bảng, không đặt được / row above the table header, not placed")
        merged: list[tuple[Item, list[str]]] = []
        for row in rows[header_at + 1:]:
            cells = (row.cells + [""] * len(columns))[: len(columns)]
            number = cells[columns.index("number")] if "number" in columns else ""
            if not number.strip() and merged:
                prev = merged[-1][1]
                merged[-1] = (merged[-1][0], [f"{a} {b}".strip() for a, b in zip(prev, cells)])
            else:
                merged.append((row, cells))
        group = 0
        has_roman = any(
            (cells[columns.index("number")] if "number" in columns else "").strip(" .") in ROMAN_VALUES for _, cells in merged
        )
        for row, cells in merged:
            values = {col: cell for col, cell in zip(columns, cells) if col and cell.strip()}
            number = values.pop("number", "").strip().rstrip(".")
            values.pop("note", None)
            title = values.pop("title", "")
            if number in ROMAN_VALUES:
                group += 1
                task = RawTask(str(group), row.line, one_line(title) or "")
                self._append(task)
                continue
            if not re.fullmatch(r"\d{1,2}(?:\.\d{1,2})*|[a-zđ]", number):
                self.note(row, f"dòng bảng không có số thứ tự đọc được (\"{number}\") / table row without a readable number")
                continue
            if re.fullmatch(r"[a-zđ]", number) and self.tasks:
                number = f"{self.tasks[-1].number.split('.')[0]}.{number}"
            elif has_roman:
                number = f"{group}.{number}" if group else number
            task = RawTask(number, row.line, one_line(title) or "")
            for name, value in values.items():
                self.set_field(task, name, prose(value) or "", row.line, from_bullet=False)
            self._append(task)
        self.current = self.parent = None

    def continue_numbering(self, before: int) -> None:
        """An appendix that numbers its tasks again from 1 after a body that already did: its numbers
        continue after the body's last top-level number (1 -> 6 after a body of 5), each renumbered task
        keeping the number it was written with (`written`) and saying so on its line, so that no number
        collides and each stays traceable to its row."""
        body, appendix = self.tasks[:before], self.tasks[before:]
        taken = {t.number for t in body}
        if not appendix or not any(t.number in taken for t in appendix):
            return
        offset = max((int(t.number.split(".")[0]) for t in body if t.number.split(".")[0].isdigit()), default=0)
        for task in appendix:
            head, _, rest = task.number.partition(".")
            if not head.isdigit():
                continue
            written, task.written = task.number, task.number
            task.number = f"{int(head) + offset}" + (f".{rest}" if rest else "")
            self.notes.append(Note(task.line, f"nhiệm vụ {task.number}: phụ lục đánh số lại từ 1; số {written} của "
                                              f"phụ lục được đánh tiếp thành {task.number} / task {task.number}: the "
                                              f"appendix numbers again from 1; its number {written} continues as "
                                              f"{task.number}", task.title))

    def finish(self) -> list[RawTask]:
        """Close the last table; a numbered item holding several one-sentence tasks ("- Sở X chủ
        trì …; hoàn thành …" bullets) becomes a heading over sub-tasks numbered in order."""
        self.flush_table()
        for task in self.tasks:
            task.settle()
        parents = parent_numbers(t.number for t in self.tasks)
        result: list[RawTask] = []
        for task in self.tasks:
            result.append(task)
            has_children = task.number in parents
            if len(task.sentences) < 2 or has_children or task.fields or task.bodies:
                continue
            for i, (text, line) in enumerate(task.sentences, 1):
                child = RawTask(f"{task.number}.{i}", line, "", sentences=[(text, line)])
                result.append(child)
                self.notes.append(Note(line, f"nhiệm vụ {child.number}: số thứ tự do chương trình đặt cho câu giao "
                                             f"việc thứ {i} của mục {task.number} / task {child.number}: numbered by the "
                                             f"importer (sentence {i} of item {task.number})", text))
            task.sentences = []
        self.tasks = result
        return result
