"""Working days and Civil Code time limits (engine/workcalendar.py, definitions/calendar/vn-overrides.yaml)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from phancap.engine.workcalendar import WorkCalendar, default_calendar

SHIPPED = Path(__file__).resolve().parent.parent / "definitions" / "calendar" / "vn-overrides.yaml"


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return default_calendar()


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# -- days off and working days ------------------------------------------------------------------

@pytest.mark.parametrize("day", _days(date(2025, 1, 25), date(2025, 2, 2)), ids=str)
def test_tet_2025_is_off(cal: WorkCalendar, day: date) -> None:
    assert not cal.is_working_day(day)
    assert "Tết" in (cal.reason(day) or "")


@pytest.mark.parametrize("day", _days(date(2026, 2, 14), date(2026, 2, 22)), ids=str)
def test_tet_2026_is_off(cal: WorkCalendar, day: date) -> None:
    assert not cal.is_working_day(day)
    assert "Tết" in (cal.reason(day) or "")


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 1, 24), True),   # Friday before Tết 2025
        (date(2025, 2, 3), True),    # Monday after Tết 2025
        (date(2025, 4, 26), True),   # make-up Saturday
        (date(2025, 4, 27), False),  # Sunday
        (date(2025, 4, 7), False),   # Giỗ Tổ Hùng Vương
        (date(2025, 4, 30), False),
        (date(2025, 5, 1), False),
        (date(2025, 5, 2), False),   # Friday swapped for 26/4
        (date(2025, 5, 5), True),
        (date(2025, 9, 2), False),   # Quốc khánh
        (date(2026, 1, 1), False),   # Tết Dương lịch
        (date(2026, 1, 2), False),   # Friday swapped for 10/1 (the holidays package misses it)
        (date(2026, 1, 10), True),   # make-up Saturday (the holidays package misses it)
        (date(2026, 1, 11), False),  # Sunday
        (date(2026, 2, 13), True),   # Friday before Tết 2026
        (date(2026, 2, 23), True),   # Monday after Tết 2026
        (date(2026, 11, 24), True),  # listed by the holidays package, not a day off (not_days_off)
        (date(2026, 11, 28), False),  # an ordinary Saturday
    ],
    ids=str,
)
def test_is_working_day(cal: WorkCalendar, day: date, working: bool) -> None:
    assert cal.is_working_day(day) is working


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2025, 5, 2), "làm bù thứ Bảy 26/4/2025"),
        (date(2026, 1, 2), "làm bù thứ Bảy 10/1/2026"),
        (date(2025, 1, 29), "8726/VPCP-KGVX"),  # the override's source is shown
        (date(2025, 9, 2), "Quốc khánh"),
        (date(2025, 4, 7), "Hùng Vương"),
        (date(2025, 4, 27), "Chủ nhật"),
        (date(2025, 6, 7), "Thứ Bảy"),
    ],
    ids=str,
)
def test_reason_says_why_a_day_is_off(cal: WorkCalendar, day: date, reason: str) -> None:
    assert reason in (cal.reason(day) or "")


@pytest.mark.parametrize(
    "day", [date(2025, 4, 26), date(2026, 1, 10), date(2026, 11, 24), date(2025, 6, 9)], ids=str
)
def test_reason_is_none_on_working_days(cal: WorkCalendar, day: date) -> None:
    assert cal.reason(day) is None


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 6, 9), date(2025, 6, 9)),    # working: itself
        (date(2025, 6, 7), date(2025, 6, 9)),    # Saturday -> Monday
        (date(2025, 1, 25), date(2025, 2, 3)),   # first day of Tết 2025
        (date(2025, 4, 30), date(2025, 5, 5)),   # 30/4, 1/5, 2/5, weekend
        (date(2025, 12, 31), date(2025, 12, 31)),
        (date(2026, 1, 1), date(2026, 1, 5)),
        (date(2026, 2, 14), date(2026, 2, 23)),
    ],
    ids=str,
)
def test_next_working_day(cal: WorkCalendar, day: date, expected: date) -> None:
    assert cal.next_working_day(day) == expected


# -- Civil Code limits in calendar days --------------------------------------------------------

@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2025, 6, 2), 5, date(2025, 6, 9)),     # ends Saturday 7/6 -> Monday 9/6
        (date(2025, 6, 2), 6, date(2025, 6, 9)),     # ends Sunday 8/6 -> Monday 9/6
        (date(2025, 6, 2), 4, date(2025, 6, 6)),     # ends Friday: unchanged
        (date(2025, 6, 2), 0, date(2025, 6, 2)),
        (date(2025, 4, 19), 7, date(2025, 4, 26)),   # ends on the make-up Saturday: a working day
        (date(2025, 1, 20), 7, date(2025, 2, 3)),    # ends in Tết 2025
        (date(2025, 12, 25), 7, date(2026, 1, 5)),   # ends 1/1/2026, then 2/1 off and the weekend
    ],
    ids=str,
)
def test_add_days_civil_code(cal: WorkCalendar, start: date, n: int, expected: date) -> None:
    assert cal.add_days(start, n) == expected


@pytest.mark.parametrize(
    ("dossier_complete", "limit", "appraisal_due"),
    [
        (date(2025, 4, 21), 7, date(2025, 4, 28)),   # Monday + 7 = Monday
        (date(2025, 4, 24), 7, date(2025, 5, 5)),    # ends 1/5: 1/5, 2/5 off, weekend -> 5/5
        (date(2025, 4, 25), 7, date(2025, 5, 5)),    # ends on the swapped Friday 2/5
        (date(2026, 2, 10), 7, date(2026, 2, 23)),   # ends 17/2 in Tết 2026
        (date(2026, 1, 3), 7, date(2026, 1, 10)),    # ends on the make-up Saturday 10/1/2026
        (date(2025, 8, 18), 15, date(2025, 9, 3)),   # complex draft: ends 2/9, Quốc khánh -> 3/9
        (date(2026, 2, 5), 15, date(2026, 2, 23)),   # complex draft: ends 20/2 in Tết 2026
    ],
    ids=str,
)
def test_appraisal_limit_examples(
    cal: WorkCalendar, dossier_complete: date, limit: int, appraisal_due: date
) -> None:
    assert cal.add_days(dossier_complete, limit) == appraisal_due


# -- working days ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 2, 12), 1, date(2026, 2, 13)),   # Thursday -> Friday before Tết
        (date(2026, 2, 12), 2, date(2026, 2, 23)),   # across Tết 2026
        (date(2026, 2, 12), 7, date(2026, 3, 2)),
        (date(2026, 2, 14), 1, date(2026, 2, 23)),   # starting inside Tết
        (date(2025, 1, 24), 1, date(2025, 2, 3)),    # across Tết 2025
        (date(2025, 12, 31), 1, date(2026, 1, 5)),   # 1/1 and 2/1/2026 off
        (date(2026, 1, 9), 1, date(2026, 1, 10)),    # the make-up Saturday counts
        (date(2025, 4, 25), 1, date(2025, 4, 26)),
        (date(2025, 4, 29), 1, date(2025, 5, 5)),
        (date(2025, 6, 6), 5, date(2025, 6, 13)),
        (date(2025, 6, 6), 0, date(2025, 6, 6)),
    ],
    ids=str,
)
def test_add_working_days(cal: WorkCalendar, start: date, n: int, expected: date) -> None:
    assert cal.add_working_days(start, n) == expected


@pytest.mark.parametrize("n", [-1, 1.5, True])
def test_counts_must_be_non_negative_integers(cal: WorkCalendar, n: object) -> None:
    with pytest.raises(ValueError, match="non-negative integer"):
        cal.add_days(date(2025, 6, 2), n)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="non-negative integer"):
        cal.add_working_days(date(2025, 6, 2), n)  # type: ignore[arg-type]


# -- the override file --------------------------------------------------------------------------

def test_default_calendar_is_cached_and_reads_the_shipped_file() -> None:
    assert default_calendar() is default_calendar()
    assert date(2026, 1, 10) in WorkCalendar(SHIPPED).working_saturdays


def test_shipped_file_names_a_source_for_every_entry() -> None:
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    assert {2025, 2026} <= set(data)
    entries = [entry for year in data.values() for items in year.values() for entry in items or []]
    assert len(entries) >= 23
    assert all(str(entry["source"]).strip() for entry in entries)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "overrides.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_override_file_wins_over_the_holidays_package(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "2025:\n"
        "  days_off:\n"
        "    - {date: 2025-06-10, name: Nghỉ thử, source: Thông báo thử}\n"
        "  working_saturdays:\n"
        "    - {date: 2025-06-14, name: Làm bù thử, source: Thông báo thử}\n"
        "  not_days_off:\n"
        "    - {date: 2025-09-02, name: Quốc khánh, reason: thử, source: Thông báo thử}\n",
    )
    cal = WorkCalendar(path)
    assert not cal.is_working_day(date(2025, 6, 10))
    assert cal.reason(date(2025, 6, 10)) == "Nghỉ thử (Thông báo thử)"
    assert cal.is_working_day(date(2025, 6, 14))
    assert cal.is_working_day(date(2025, 9, 2))
    assert cal.add_working_days(date(2025, 6, 9), 1) == date(2025, 6, 11)


def test_empty_override_file_uses_the_package_only(tmp_path: Path) -> None:
    cal = WorkCalendar(_write(tmp_path, "# nothing yet\n"))
    assert not cal.is_working_day(date(2025, 1, 29))  # Tết, from the package
    assert cal.is_working_day(date(2025, 6, 9))


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("2025:\n  days_off:\n    - {date: 2025-02-30, name: x, source: y}\n", 3, 'invalid date "2025-02-30"'),
        ("2025:\n  days_off:\n    - {date: 2025-2-3, name: x, source: y}\n", 3, 'invalid date "2025-2-3"'),
        ("2025:\n  days_off:\n    - {date: 2025-02-03, name: x}\n", 3, 'missing field "source"'),
        ("2025:\n  days_off:\n\n    - date: 2025-02-03\n      source: y\n", 4, 'missing field "name"'),
        (
            "2025:\n  not_days_off:\n    - {date: 2025-09-02, name: x, source: y}\n",
            3,
            'missing field "reason"',
        ),
        ("2025:\n  days_off:\n    - {date: 2026-02-03, name: x, source: y}\n", 3, "not in year 2025"),
        ("2025:\n  working_saturdays:\n    - {date: 2025-04-25, name: x, source: y}\n", 3, "not a weekend day"),
        ("2025:\n  holidays:\n    - {date: 2025-04-25, name: x, source: y}\n", 2, 'unknown key "holidays"'),
        ("2025:\n  days_off:\n    - {date: 2025-04-25, name: x, source: y, note: z}\n", 3, 'unknown field "note"'),
        ("25:\n  days_off: []\n", 1, 'invalid year "25"'),
        (
            "2025:\n  days_off:\n    - {date: 2025-04-26, name: x, source: y}\n"
            "  working_saturdays:\n    - {date: 2025-04-26, name: x, source: y}\n",
            5,
            "already listed in days_off (line 3)",
        ),
        ("2025:\n  days_off: [\n", 3, "invalid YAML"),
        ("- 2025\n", 1, "expected a mapping of years"),
    ],
)
def test_bad_override_file_names_file_and_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ValueError) as caught:
        WorkCalendar(path)
    assert str(caught.value).startswith(f"{path}:{line}: ")
    assert message in str(caught.value)
