"""Reading the deadline phrases of Vietnamese implementation plans.

``read_deadline("Trước ngày 15/4/2025")`` gives the last day on which a task is still on
time. Phrases are read, never guessed: anything outside the forms below raises
``DeadlineError`` quoting the phrase.

Forms (case-insensitive; extra spaces, ``**`` bold, a trailing ``.``, leading zeros,
``d/m/yyyy``, ``d.m.yyyy``, ``d-m-yyyy`` and ``ngày d tháng m năm yyyy`` are all accepted):

* a day: "Trước ngày 15/4/2025" (the day before when ``before_is_exclusive``),
  "Chậm nhất (là) ngày …", "Hoàn thành ngày …", "Ngày …", "Trong ngày …", "Đến (hết) ngày …";
* a period, due at its last day: "(Trong) năm 2025", "(Trong) tháng 10/2025",
  "(Trong) quý II/2025", "6 tháng đầu/cuối năm 2025";
* a window: "Từ ngày 01/3/2025 đến ngày 31/12/2026", "Từ tháng 3/2025 đến tháng 12/2026",
  "Năm 2025-2026", "Giai đoạn 2025 - 2026";
* recurring (reporting regimes, no year): "trước ngày 10 tháng 6", "trước ngày 10/6 hằng năm";
* open (no deadline until the assigner sets one): "Theo yêu cầu …", "Theo kế hoạch …",
  "Thường xuyên", "Hằng năm";
* relative to the issue date (``issued`` required): "Trong vòng 30 ngày kể từ ngày ban hành",
  "Trong 15 ngày làm việc", also "… tuần" and "… tháng". Calendar days follow the Civil Code
  2015 art. 147–148 (first day not counted, a limit ending on a day off ends on the next
  working day); "ngày làm việc" counts working days. Both use ``engine.workcalendar``.
"""

from __future__ import annotations

import calendar as _gregorian
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from phancap.engine.workcalendar import WorkCalendar

__all__ = ["DeadlineError", "DeadlineKind", "DeadlineReading", "read_deadline"]

DeadlineKind = Literal["date", "window", "recurring", "open"]


class DeadlineError(ValueError):
    """A deadline phrase could not be read. The message quotes the phrase (and says why, when known)."""

    def __init__(self, phrase: str, reason_vi: str | None = None, reason_en: str | None = None) -> None:
        self.phrase = phrase
        self.reason_vi = reason_vi
        self.reason_en = reason_en
        message = f'không đọc được thời hạn "{phrase}" / unreadable deadline phrase "{phrase}"'
        if reason_vi or reason_en:
            message += f": {reason_vi or ''} / {reason_en or ''}"
        super().__init__(message)


@dataclass(frozen=True)
class DeadlineReading:
    """What a deadline phrase means.

    ``due`` is the last day on which the task is still on time (None for open and recurring).
    ``exclusive`` (recurring only) records that the phrase said "trước" and was read with the
    exclusive rule, so ``due_in`` returns the day before (month, day).
    """

    phrase: str
    kind: DeadlineKind
    due: date | None
    start: date | None = None
    month: int | None = None
    day: int | None = None
    exclusive: bool = False

    def due_in(self, year: int) -> date | None:
        """Recurring: the due day in ``year``; date and window: ``due``; open: None."""
        if self.kind != "recurring":
            return self.due
        assert self.month is not None and self.day is not None
        if self.month == 2 and self.day == 29 and not _gregorian.isleap(year):
            # No 29/2 this year: the last day before (or on) it is 28/2 either way.
            return date(year, 2, 28)
        anchor = date(year, self.month, self.day)
        return anchor - timedelta(days=1) if self.exclusive else anchor

    def first_due_after(self, issued: date) -> date | None:
        """Recurring: the first due day after `issued` (this year's, else next year's); else ``due``."""
        if self.kind != "recurring":
            return self.due
        this_year = self.due_in(issued.year)
        return this_year if this_year is not None and this_year > issued else self.due_in(issued.year + 1)

    def to_json(self) -> dict[str, object]:
        return {
            "phrase": self.phrase,
            "kind": self.kind,
            "due": self.due.isoformat() if self.due else None,
            "start": self.start.isoformat() if self.start else None,
            "month": self.month,
            "day": self.day,
        }


# -- grammar ---------------------------------------------------------------------------------

_SEP = r"\s*[/.\-]\s*"
_FULL_DATE = rf"\d{{1,2}}(?:{_SEP}\d{{1,2}}{_SEP}\d{{4}}| tháng \d{{1,2}}(?: năm |{_SEP})\d{{4}})"
_DAY_MONTH = rf"\d{{1,2}}(?:{_SEP}\d{{1,2}}| tháng \d{{1,2}})"
_MONTH_YEAR = rf"\d{{1,2}}(?:{_SEP}| năm )\d{{4}}"
_QUARTER = rf"(?:iv|iii|ii|i|[1-4])(?:{_SEP}| năm )\d{{4}}"

_WORK = r"(?:(?:hoàn thành|thực hiện|xong) )?"
_ON = r"(?:(?:chậm nhất(?: là)?|muộn nhất(?: là)?|hạn chót(?: là)?|trong|đến(?: hết)?|vào) )?"
_DAY_WORD = r"(?:(?:trong |vào )?ngày )?"
_YEARLY_BEFORE = r"(?:(?:định kỳ )?(?:hằng|hàng) năm,? )?"
_YEARLY_AFTER = r"(?:,? (?:hằng|hàng) năm)?"
_PERIOD_ON = r"(?:(?:chậm nhất(?: là)?|trong|đến(?: hết)?|vào) )?"

_RE_BEFORE_DATE = re.compile(rf"{_WORK}(?:(?:chậm nhất|muộn nhất)(?: là)? )?trước (?:ngày )?({_FULL_DATE})")
_RE_ON_DATE = re.compile(rf"{_WORK}{_ON}{_DAY_WORD}({_FULL_DATE})")
_RE_BEFORE_DAY_MONTH = re.compile(rf"{_YEARLY_BEFORE}{_WORK}trước (?:ngày )?({_DAY_MONTH}){_YEARLY_AFTER}")
_RE_ON_DAY_MONTH = re.compile(rf"{_YEARLY_BEFORE}{_WORK}{_ON}{_DAY_WORD}({_DAY_MONTH}){_YEARLY_AFTER}")
_RE_HALF = re.compile(rf"{_WORK}{_PERIOD_ON}(?:6|sáu) tháng (đầu|cuối) năm (\d{{4}})")
_RE_PERIOD = re.compile(rf"{_WORK}{_PERIOD_ON}((?:năm|tháng|quý) .+)")
_RE_YEAR_RANGE = re.compile(r"(?:trong )?(?:giai đoạn |năm )?(\d{4})\s*-\s*(\d{4})")
_RE_WINDOW = re.compile(r"(?:trong |thực hiện )?từ (.+)")
_RE_WINDOW_SPLIT = re.compile(r"\s+(?:đến|tới|-)\s+(?:hết\s+)?")
_RE_RELATIVE = re.compile(
    r"(?:(?:hoàn thành|thực hiện) )?"
    r"(?:(?:trong(?: vòng| thời hạn| thời gian)?|chậm nhất(?: là)?|tối đa|không quá) )?"
    r"(\d{1,4}) (ngày làm việc|ngày|tuần|tháng)"
    r"(?: (?:kể từ|tính từ|từ) (?:ngày )?(.+))?"
)
_RE_ISSUE_ANCHOR = re.compile(
    r"(?:(?:kế hoạch|văn bản|quyết định)(?: này)? (?:được )?)?(?:ban hành|ký(?: ban hành)?)"
    r"(?: (?:kế hoạch|văn bản|quyết định)(?: này)?)?"
)
_OPEN_PREFIXES = ("theo yêu cầu", "theo kế hoạch", "theo chỉ đạo")
_OPEN_WORDS = frozenset(
    {
        "thường xuyên",
        "liên tục",
        "định kỳ",
        "hằng năm",
        "hàng năm",
        "định kỳ hằng năm",
        "định kỳ hàng năm",
        "hằng quý",
        "hàng quý",
        "hằng tháng",
        "hàng tháng",
    }
)
_QUARTERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_LABEL = re.compile(r"^(?:thời gian (?:hoàn thành|thực hiện)(?: dự kiến)?|thời hạn(?: hoàn thành)?)\s*:\s*")


def _normalise(phrase: str) -> str:
    text = unicodedata.normalize("NFC", phrase)
    text = text.replace("*", " ")
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text)
    text = re.sub(r"\s+", " ", text.lower()).strip()
    text = _LABEL.sub("", text)
    while True:
        stripped = text.strip().rstrip(".;,:").strip()
        if stripped.startswith("(") and stripped.endswith(")"):
            stripped = stripped[1:-1].strip()
        if stripped == text:
            return text
        text = stripped


class _Reader:
    def __init__(self, phrase: str, before_is_exclusive: bool) -> None:
        self.phrase = phrase
        self.exclusive = before_is_exclusive

    def error(self, reason_vi: str | None = None, reason_en: str | None = None) -> DeadlineError:
        return DeadlineError(self.phrase, reason_vi, reason_en)

    def make_date(self, year: int, month: int, day: int) -> date:
        if not 1900 <= year <= 2200:
            raise self.error(f"năm {year} ngoài phạm vi", f"year {year} out of range")
        try:
            return date(year, month, day)
        except ValueError:
            raise self.error(
                f"ngày {day}/{month}/{year} không tồn tại", f"no such date {day}/{month}/{year}"
            ) from None

    def full_date(self, text: str) -> date:
        day, month, year = (int(n) for n in re.findall(r"\d+", text))
        return self.make_date(year, month, day)

    def day_month(self, text: str) -> tuple[int, int]:
        day, month = (int(n) for n in re.findall(r"\d+", text))
        try:
            date(2000, month, day)  # a leap year: 29/2 is a valid recurring day
        except ValueError:
            raise self.error(f"ngày {day}/{month} không tồn tại", f"no such day {day}/{month}") from None
        return month, day

    def month_span(self, year: int, month: int) -> tuple[date, date]:
        first = self.make_date(year, month, 1)
        return first, date(year, month, _gregorian.monthrange(year, month)[1])

    def term(self, text: str, default_year: int | None = None) -> tuple[date, date] | None:
        """A date, month, quarter or year: its first and last day. None if ``text`` is none of these.

        With ``default_year``, a day or month without a year takes that year (window starts)."""
        text = text.strip()
        if re.fullmatch(rf"(?:ngày )?{_FULL_DATE}", text):
            on_day = self.full_date(text)
            return on_day, on_day
        match = re.fullmatch(rf"tháng ({_MONTH_YEAR})", text)
        if match:
            month, year = (int(n) for n in re.findall(r"\d+", match.group(1)))
            return self.month_span(year, month)
        match = re.fullmatch(rf"quý ({_QUARTER})", text)
        if match:
            quarter_text, year_text = re.split(rf"{_SEP}| năm ", match.group(1))
            quarter = _QUARTERS[quarter_text.strip()]
            year = int(year_text)
            first = self.make_date(year, 3 * quarter - 2, 1)
            return first, self.month_span(year, 3 * quarter)[1]
        match = re.fullmatch(r"(?:năm )?(\d{4})", text)
        if match:
            year = int(match.group(1))
            return self.make_date(year, 1, 1), self.make_date(year, 12, 31)
        if default_year is not None:
            if re.fullmatch(rf"(?:ngày )?{_DAY_MONTH}", text):
                month, day = self.day_month(text)
                on = self.make_date(default_year, month, day)
                return on, on
            match = re.fullmatch(r"tháng (\d{1,2})", text)
            if match:
                return self.month_span(default_year, int(match.group(1)))
        return None

    def window(self, start: date, due: date) -> DeadlineReading:
        if start > due:
            raise self.error(
                "ngày bắt đầu sau ngày kết thúc", f"the window starts ({start}) after it ends ({due})"
            )
        return DeadlineReading(self.phrase, "window", due, start=start)

    def read_window(self, body: str) -> DeadlineReading | None:
        for split in _RE_WINDOW_SPLIT.finditer(body):
            left, right = body[: split.start()], body[split.end() :]
            end = self.term(right)
            if end is None:
                continue
            begin = self.term(left, default_year=end[1].year)
            if begin is None:
                continue
            return self.window(begin[0], end[1])
        return None


def read_deadline(
    phrase: str,
    issued: date | None = None,
    *,
    before_is_exclusive: bool = True,
    calendar: WorkCalendar | None = None,
) -> DeadlineReading:
    """Read a deadline phrase of a plan.

    ``issued`` (the plan's issue date) is needed only for relative phrases ("trong vòng 30 ngày
    kể từ ngày ban hành"). ``before_is_exclusive``: "Trước ngày 15/4/2025" is due 14/4 (True)
    or 15/4 (False). ``calendar`` (default: the shipped calendar) counts relative limits.
    Raises ``DeadlineError`` (quoting the phrase) for anything it cannot read for certain.
    """
    if not isinstance(phrase, str):
        raise DeadlineError(str(phrase), "không phải chuỗi", "not a string")
    original = phrase.strip()
    reader = _Reader(original, before_is_exclusive)
    text = _normalise(phrase)
    if not text:
        raise reader.error("trống", "empty phrase")

    # open: no deadline until the assigner sets one
    if text.startswith(_OPEN_PREFIXES):
        return DeadlineReading(original, "open", None)
    parts = [part.strip() for part in re.split(r"[,;]| và ", text)]
    if all(part in _OPEN_WORDS for part in parts):
        return DeadlineReading(original, "open", None)

    # a day
    match = _RE_BEFORE_DATE.fullmatch(text)
    if match:
        day = reader.full_date(match.group(1))
        return DeadlineReading(original, "date", day - timedelta(days=1) if before_is_exclusive else day)
    match = _RE_ON_DATE.fullmatch(text)
    if match:
        return DeadlineReading(original, "date", reader.full_date(match.group(1)))

    # recurring (no year)
    match = _RE_BEFORE_DAY_MONTH.fullmatch(text)
    if match:
        month, day_of_month = reader.day_month(match.group(1))
        return DeadlineReading(
            original, "recurring", None, month=month, day=day_of_month, exclusive=before_is_exclusive
        )
    match = _RE_ON_DAY_MONTH.fullmatch(text)
    if match:
        month, day_of_month = reader.day_month(match.group(1))
        return DeadlineReading(original, "recurring", None, month=month, day=day_of_month)

    # a period, due at its end
    match = _RE_HALF.fullmatch(text)
    if match:
        year = int(match.group(2))
        month = 6 if match.group(1) == "đầu" else 12
        return DeadlineReading(original, "date", reader.month_span(year, month)[1])
    match = _RE_PERIOD.fullmatch(text)
    if match:
        span = reader.term(match.group(1))
        if span is not None:
            return DeadlineReading(original, "date", span[1])

    # a window
    match = _RE_YEAR_RANGE.fullmatch(text)
    if match:
        first, last = int(match.group(1)), int(match.group(2))
        return reader.window(reader.make_date(first, 1, 1), reader.make_date(last, 12, 31))
    match = _RE_WINDOW.fullmatch(text)
    if match:
        reading = reader.read_window(match.group(1))
        if reading is not None:
            return reading

    # relative to the issue date
    match = _RE_RELATIVE.fullmatch(text)
    if match:
        return _relative(reader, match, issued, calendar)

    raise reader.error()


def _relative(
    reader: _Reader, match: re.Match[str], issued: date | None, calendar: WorkCalendar | None
) -> DeadlineReading:
    count, unit, anchor = int(match.group(1)), match.group(2), match.group(3)
    if anchor is not None and not _RE_ISSUE_ANCHOR.fullmatch(anchor):
        raise reader.error(
            f'thời hạn tính từ "{anchor}", không phải ngày ban hành',
            f'the limit runs from "{anchor}", not from the issue date',
        )
    if issued is None:
        raise reader.error(
            "cần ngày ban hành để tính thời hạn", "the issue date is required to compute this deadline"
        )
    if count == 0:
        raise reader.error("thời hạn 0 ngày", "a limit of zero")
    if calendar is None:
        from phancap.engine.workcalendar import default_calendar

        calendar = default_calendar()
    if unit == "ngày làm việc":
        due = calendar.add_working_days(issued, count)
    elif unit == "ngày":
        due = calendar.add_days(issued, count)
    elif unit == "tuần":
        due = calendar.add_days(issued, 7 * count)
    else:
        # Civil Code art. 148: a limit in months ends on the corresponding day of the last month,
        # or that month's last day when it has no such day; then rolled past days off (art. 148).
        months = issued.month - 1 + count
        year, month = issued.year + months // 12, months % 12 + 1
        last = _gregorian.monthrange(year, month)[1]
        due = calendar.next_working_day(date(year, month, min(issued.day, last)))
    return DeadlineReading(reader.phrase, "date", due)
