"""Working days of Vietnamese state bodies, and Civil Code time limits.

A day is a working day when it is Monday–Friday and not a public holiday
(``holidays.country_holidays("VN")``, including the swaps that package knows),
corrected by a yearly override file: days off the package misses (``days_off``),
make-up working weekend days (``working_saturdays``) and days the package lists
wrongly as holidays (``not_days_off``). The override file always wins.

The override file (``definitions/calendar/vn-overrides.yaml``) looks like::

    2025:
      days_off:
        - {date: 2025-05-02, name: "...", source: "..."}
      working_saturdays:
        - {date: 2025-04-26, name: "...", source: "..."}
      not_days_off:
        - {date: ..., name: "...", reason: "...", source: "..."}

It is validated when loaded: any problem raises ``ValueError`` naming the file and line.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, timedelta
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import holidays
import yaml

__all__ = ["CalendarEntry", "WorkCalendar", "default_calendar"]

_LISTS = ("days_off", "working_saturdays", "not_days_off")
_REQUIRED: dict[str, tuple[str, ...]] = {
    "days_off": ("date", "name", "source"),
    "working_saturdays": ("date", "name", "source"),
    "not_days_off": ("date", "name", "reason", "source"),
}
_WEEKDAY_NAMES = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


@dataclass(frozen=True)
class CalendarEntry:
    """One line of the override file."""

    date: date
    name: str
    source: str
    reason: str | None = None
    line: int = 0


def _default_overrides() -> Traversable:
    return files("phancap.definitions") / "calendar" / "vn-overrides.yaml"


class _Loader:
    """Reads and validates the override file from its YAML node tree (to know line numbers)."""

    def __init__(self, text: str, where: str) -> None:
        self.where = where
        self.text = text

    def fail(self, node: yaml.Node | None, message: str) -> ValueError:
        line = node.start_mark.line + 1 if node is not None else 1
        return ValueError(f"{self.where}:{line}: {message}")

    def load(self) -> dict[str, dict[date, CalendarEntry]]:
        try:
            root = yaml.compose(self.text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 1
            raise ValueError(f"{self.where}:{line}: YAML không hợp lệ / invalid YAML: {exc}") from None
        result: dict[str, dict[date, CalendarEntry]] = {name: {} for name in _LISTS}
        if root is None:
            return result
        if not isinstance(root, yaml.MappingNode):
            raise self.fail(root, "cần một bảng theo năm / expected a mapping of years")
        seen_years: set[int] = set()
        for key_node, value_node in root.value:
            year = self._year(key_node)
            if year in seen_years:
                raise self.fail(key_node, f"năm {year} lặp lại / year {year} listed twice")
            seen_years.add(year)
            if value_node.tag == "tag:yaml.org,2002:null":
                continue
            if not isinstance(value_node, yaml.MappingNode):
                raise self.fail(value_node, f"năm {year}: cần một bảng / year {year}: expected a mapping")
            for list_key_node, list_node in value_node.value:
                list_name = self._scalar(list_key_node, "tên danh sách / list name")
                if list_name not in _LISTS:
                    raise self.fail(
                        list_key_node,
                        f'khóa không biết "{list_name}" / unknown key "{list_name}" '
                        f"(expected one of {', '.join(_LISTS)})",
                    )
                if list_node.tag == "tag:yaml.org,2002:null":
                    continue
                if not isinstance(list_node, yaml.SequenceNode):
                    raise self.fail(list_node, f"{list_name}: cần một danh sách / expected a list")
                for item in list_node.value:
                    entry = self._entry(item, list_name, year)
                    self._check_conflicts(item, entry, list_name, result)
                    result[list_name][entry.date] = entry
        return result

    def _scalar(self, node: yaml.Node, what: str) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, f"{what}: cần một giá trị đơn / expected a scalar")
        return str(node.value)

    def _year(self, node: yaml.Node) -> int:
        text = self._scalar(node, "năm / year")
        if not (text.isdigit() and len(text) == 4):
            raise self.fail(node, f'năm không hợp lệ "{text}" / invalid year "{text}"')
        return int(text)

    def _entry(self, node: yaml.Node, list_name: str, year: int) -> CalendarEntry:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{list_name}: mỗi mục là một bảng / each entry must be a mapping")
        fields: dict[str, tuple[str, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = self._scalar(key_node, "khóa / key")
            if key not in _REQUIRED["not_days_off"]:
                raise self.fail(key_node, f'khóa không biết "{key}" / unknown field "{key}"')
            value = self._scalar(value_node, key).strip()
            fields[key] = (value, value_node)
        for required in _REQUIRED[list_name]:
            if required not in fields or not fields[required][0]:
                raise self.fail(
                    node, f'{list_name}: thiếu "{required}" / missing field "{required}"'
                )
        raw, date_node = fields["date"]
        try:
            if len(raw) != 10:
                raise ValueError(raw)
            day = date.fromisoformat(raw)
        except ValueError:
            raise self.fail(
                date_node, f'ngày không hợp lệ "{raw}" / invalid date "{raw}" (expected YYYY-MM-DD)'
            ) from None
        if day.year != year:
            raise self.fail(
                date_node, f"ngày {raw} không thuộc năm {year} / date {raw} is not in year {year}"
            )
        if list_name == "working_saturdays" and day.weekday() < 5:
            raise self.fail(
                date_node,
                f"{raw} không phải ngày cuối tuần / {raw} is not a weekend day "
                "(working_saturdays lists make-up working weekend days)",
            )
        reason = fields["reason"][0] if "reason" in fields else None
        return CalendarEntry(
            date=day,
            name=fields["name"][0],
            source=fields["source"][0],
            reason=reason,
            line=node.start_mark.line + 1,
        )

    def _check_conflicts(
        self,
        node: yaml.Node,
        entry: CalendarEntry,
        list_name: str,
        result: dict[str, dict[date, CalendarEntry]],
    ) -> None:
        for other_name, other in result.items():
            if entry.date in other:
                raise self.fail(
                    node,
                    f"{entry.date.isoformat()} đã có trong {other_name} (dòng {other[entry.date].line}) / "
                    f"{entry.date.isoformat()} already listed in {other_name} "
                    f"(line {other[entry.date].line})",
                )


class WorkCalendar:
    """Working days for Vietnamese state bodies (Monday–Friday minus holidays, with yearly overrides)."""

    def __init__(self, overrides_path: Path | None = None) -> None:
        source: Path | Traversable = overrides_path if overrides_path is not None else _default_overrides()
        self.overrides_path = source
        try:
            text = source.read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"{source}:1: không đọc được tệp / cannot read file: {exc}") from None
        lists = _Loader(text, str(source)).load()
        self.days_off: dict[date, CalendarEntry] = lists["days_off"]
        self.working_saturdays: dict[date, CalendarEntry] = lists["working_saturdays"]
        self.not_days_off: dict[date, CalendarEntry] = lists["not_days_off"]
        self._holidays: Any = holidays.country_holidays("VN", language="vi")

    # -- single days -------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        """True if state bodies work on ``d``; the override file wins over the holidays package."""
        if d in self.working_saturdays:
            return True
        if d in self.days_off:
            return False
        if d in self.not_days_off:
            return d.weekday() < 5 or d in self._package_weekend_workdays(d)
        if d.weekday() >= 5:
            return d in self._package_weekend_workdays(d)
        return d not in self._holidays

    def reason(self, d: date) -> str | None:
        """Why ``d`` is not a working day (override name and source, holiday name, weekday); None if working."""
        if self.is_working_day(d):
            return None
        entry = self.days_off.get(d)
        if entry is not None:
            return f"{entry.name} ({entry.source})"
        if d not in self.not_days_off:
            name = self._holidays.get(d)
            if name:
                return str(name)
        return _WEEKDAY_NAMES[d.weekday()]

    def next_working_day(self, d: date) -> date:
        """``d`` itself if it is a working day, else the first working day after it."""
        day = d
        for _ in range(366):
            if self.is_working_day(day):
                return day
            day += timedelta(days=1)
        raise ValueError(f"không có ngày làm việc sau {d.isoformat()} / no working day after {d.isoformat()}")

    # -- time limits -------------------------------------------------------------------------

    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start`` (``start`` itself is not counted); ``start`` if n == 0."""
        _check_count(n)
        day = start
        left = n
        while left > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return day

    def add_days(self, start: date, n: int) -> date:
        """Civil Code 2015 art. 147–148: ``n`` calendar days after ``start`` (first day not counted);
        a limit ending on a weekend or holiday ends on the next working day."""
        _check_count(n)
        return self.next_working_day(start + timedelta(days=n))

    # -- helpers -----------------------------------------------------------------------------

    def _package_weekend_workdays(self, d: date) -> set[date]:
        # Touching the year makes the package populate it (and its weekend_workdays).
        _ = d in self._holidays
        workdays: set[date] = self._holidays.weekend_workdays
        return workdays


def _check_count(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"số ngày phải là số nguyên không âm / day count must be a non-negative integer: {n!r}")


@functools.cache
def default_calendar() -> WorkCalendar:
    """The shipped calendar, loaded once."""
    return WorkCalendar()
