"""Reading deadline phrases (engine/deadlines.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from phancap.engine.deadlines import DeadlineError, DeadlineReading, read_deadline
from phancap.engine.workcalendar import WorkCalendar

ISSUED = date(2025, 3, 29)  # Kế hoạch 1036/KH-UBND, a Saturday


# -- one day -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("phrase", "due"),
    [
        ("Trước ngày 15/4/2025", date(2025, 4, 14)),
        ("trước ngày 15/4/2025", date(2025, 4, 14)),
        ("TRƯỚC NGÀY 15/4/2025", date(2025, 4, 14)),
        ("  Trước   ngày  15/4/2025  ", date(2025, 4, 14)),
        ("**Trước ngày 15/4/2025.**", date(2025, 4, 14)),
        ("Trước ngày 06 tháng 4 năm 2025", date(2025, 4, 5)),
        ("Trước ngày 15.4.2025", date(2025, 4, 14)),
        ("Trước ngày 15-4-2025", date(2025, 4, 14)),
        ("Trước ngày 01/01/2026", date(2025, 12, 31)),
        ("Hoàn thành trước ngày 15/4/2025", date(2025, 4, 14)),
        ("Chậm nhất ngày 30 tháng 6 năm 2025", date(2025, 6, 30)),
        ("Chậm nhất là ngày 30/6/2025", date(2025, 6, 30)),
        ("Hoàn thành ngày 20/7/2025", date(2025, 7, 20)),
        ("Ngày 30/6/2025", date(2025, 6, 30)),
        ("Ngày 20.7.2025", date(2025, 7, 20)),
        ("Ngày 20-7-2025", date(2025, 7, 20)),
        ("Trong ngày 20/7/2025", date(2025, 7, 20)),
        ("Đến ngày 20/7/2025", date(2025, 7, 20)),
        ("Đến hết ngày 20/7/2025", date(2025, 7, 20)),
        ("Chậm nhất ngày 29/2/2028", date(2028, 2, 29)),
        ("Thời gian hoàn thành: Chậm nhất ngày 30/6/2025.", date(2025, 6, 30)),
    ],
)
def test_a_day(phrase: str, due: date) -> None:
    reading = read_deadline(phrase)
    assert reading.kind == "date"
    assert reading.due == due
    assert reading.start is None


@pytest.mark.parametrize(
    ("phrase", "exclusive", "due"),
    [
        ("Trước ngày 15/4/2025", True, date(2025, 4, 14)),
        ("Trước ngày 15/4/2025", False, date(2025, 4, 15)),
        ("Trước ngày 06 tháng 4 năm 2025", False, date(2025, 4, 6)),
        ("Trước ngày 01/3/2024", True, date(2024, 2, 29)),
        ("Chậm nhất ngày 30/6/2025", True, date(2025, 6, 30)),  # the switch only touches "trước"
        ("Chậm nhất ngày 30/6/2025", False, date(2025, 6, 30)),
    ],
)
def test_before_is_exclusive_is_the_one_switch(phrase: str, exclusive: bool, due: date) -> None:
    assert read_deadline(phrase, before_is_exclusive=exclusive).due == due


# -- periods --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("phrase", "due"),
    [
        ("Trong năm 2025", date(2025, 12, 31)),
        ("Năm 2025", date(2025, 12, 31)),
        ("Đến hết năm 2026", date(2026, 12, 31)),
        ("Trong tháng 10/2025", date(2025, 10, 31)),
        ("Tháng 10/2025", date(2025, 10, 31)),
        ("Trong tháng 10 năm 2025", date(2025, 10, 31)),
        ("Trong tháng 02/2024", date(2024, 2, 29)),
        ("Tháng 2/2025", date(2025, 2, 28)),
        ("Tháng 6/2025", date(2025, 6, 30)),
        ("Quý I/2025", date(2025, 3, 31)),
        ("Quý II/2025", date(2025, 6, 30)),
        ("Quý 2 năm 2025", date(2025, 6, 30)),
        ("Quý III/2025", date(2025, 9, 30)),
        ("Trong quý IV/2025", date(2025, 12, 31)),
        ("6 tháng đầu năm 2025", date(2025, 6, 30)),
        ("6 tháng cuối năm 2025", date(2025, 12, 31)),
    ],
)
def test_a_period_is_due_at_its_last_day(phrase: str, due: date) -> None:
    reading = read_deadline(phrase)
    assert (reading.kind, reading.due) == ("date", due)


# -- windows --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("phrase", "start", "due"),
    [
        ("Từ ngày 01/3/2025 đến ngày 31/12/2026", date(2025, 3, 1), date(2026, 12, 31)),
        (
            "Từ ngày 01 tháng 3 năm 2025 đến ngày 31 tháng 12 năm 2026",
            date(2025, 3, 1),
            date(2026, 12, 31),
        ),
        ("Từ tháng 3/2025 đến tháng 12/2026", date(2025, 3, 1), date(2026, 12, 31)),
        ("Từ tháng 3 đến tháng 12 năm 2025", date(2025, 3, 1), date(2025, 12, 31)),
        ("Từ ngày 01/3/2025 đến hết năm 2026", date(2025, 3, 1), date(2026, 12, 31)),
        ("Từ quý II/2025 đến quý I/2026", date(2025, 4, 1), date(2026, 3, 31)),
        ("Năm 2025-2026", date(2025, 1, 1), date(2026, 12, 31)),
        ("Năm 2025 - 2026", date(2025, 1, 1), date(2026, 12, 31)),
        ("Giai đoạn 2025 - 2026", date(2025, 1, 1), date(2026, 12, 31)),
        ("Giai đoạn 2025 – 2030", date(2025, 1, 1), date(2030, 12, 31)),
        ("Trong giai đoạn 2025-2026", date(2025, 1, 1), date(2026, 12, 31)),
    ],
)
def test_a_window_is_due_at_its_end(phrase: str, start: date, due: date) -> None:
    reading = read_deadline(phrase)
    assert (reading.kind, reading.start, reading.due) == ("window", start, due)
    assert reading.due_in(2030) == due


# -- recurring ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("phrase", "month", "day", "due_2025"),
    [
        ("trước ngày 10 tháng 6", 6, 10, date(2025, 6, 9)),
        ("trước ngày 10/6", 6, 10, date(2025, 6, 9)),
        ("Trước ngày 10 tháng 12", 12, 10, date(2025, 12, 9)),
        ("trước ngày 14 tháng 6", 6, 14, date(2025, 6, 13)),
        ("(trước ngày 14 tháng 12)", 12, 14, date(2025, 12, 13)),
        ("Trước ngày 15/12 hằng năm", 12, 15, date(2025, 12, 14)),
        ("Hằng năm, trước ngày 15 tháng 12", 12, 15, date(2025, 12, 14)),
        ("Chậm nhất ngày 10/6", 6, 10, date(2025, 6, 10)),
        ("trước ngày 01/01", 1, 1, date(2024, 12, 31)),
    ],
)
def test_recurring_every_year(phrase: str, month: int, day: int, due_2025: date) -> None:
    reading = read_deadline(phrase)
    assert (reading.kind, reading.due, reading.month, reading.day) == ("recurring", None, month, day)
    assert reading.due_in(2025) == due_2025


def test_recurring_due_in_follows_the_year_and_the_switch() -> None:
    assert read_deadline("trước ngày 10 tháng 6").due_in(2026) == date(2026, 6, 9)
    assert read_deadline("trước ngày 10 tháng 6", before_is_exclusive=False).due_in(2026) == date(2026, 6, 10)


def test_recurring_stays_recurring_when_the_issue_date_is_known() -> None:
    reading = read_deadline("trước ngày 10/6", ISSUED)
    assert (reading.kind, reading.due) == ("recurring", None)


@pytest.mark.parametrize(("year", "due"), [(2024, date(2024, 2, 28)), (2025, date(2025, 2, 28))])
def test_recurring_29_february(year: int, due: date) -> None:
    assert read_deadline("trước ngày 29/2").due_in(year) == due


# -- open -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "phrase",
    [
        "Theo yêu cầu của cấp có thẩm quyền",
        "Theo yêu cầu của cấp có thẩm quyền.",
        "Theo yêu cầu",
        "Theo kế hoạch chuyển đổi số của Thành phố",
        "Theo kế hoạch của UBND Thành phố",
        "Thường xuyên",
        "Hằng năm",
        "hàng năm",
        "Thường xuyên, liên tục",
        "**Thường xuyên.**",
    ],
)
def test_open_has_no_due_day(phrase: str) -> None:
    reading = read_deadline(phrase, ISSUED)
    assert (reading.kind, reading.due, reading.start) == ("open", None, None)
    assert reading.due_in(2025) is None


# -- relative to the issue date -------------------------------------------------------------

@pytest.mark.parametrize(
    ("phrase", "issued", "due"),
    [
        # 29/3/2025 + 30 days = Monday 28/4/2025
        ("Trong vòng 30 ngày kể từ ngày ban hành", ISSUED, date(2025, 4, 28)),
        # 1/4/2025 + 30 = 1/5 (holiday), 2/5 swapped day off, 3–4/5 weekend -> Monday 5/5
        ("Trong vòng 30 ngày kể từ ngày ban hành", date(2025, 4, 1), date(2025, 5, 5)),
        # 7/6/2025 + 30 = Monday 7/7
        ("trong 30 ngày kể từ ngày kế hoạch được ban hành", date(2025, 6, 7), date(2025, 7, 7)),
        # 6/6/2025 + 7 = Friday 13/6
        ("Trong thời hạn 7 ngày kể từ ngày ký", date(2025, 6, 6), date(2025, 6, 13)),
        # 15 working days from Sat 29/3/2025: Hùng Kings' day (Mon 7/4) skipped -> Mon 21/4
        ("trong 15 ngày làm việc", ISSUED, date(2025, 4, 21)),
        ("Trong vòng 15 ngày làm việc kể từ ngày ban hành kế hoạch", ISSUED, date(2025, 4, 21)),
        # 2 weeks from Wed 4/2/2026 = Wed 18/2 (Tết) -> Monday 23/2
        ("trong 2 tuần kể từ ngày ban hành", date(2026, 2, 4), date(2026, 2, 23)),
        # 3 months from 29/3/2025 = Sunday 29/6 -> Monday 30/6
        ("trong 3 tháng kể từ ngày ban hành", ISSUED, date(2025, 6, 30)),
        # 1 month from 31/1/2025: no 31/2, so 28/2 (a Friday)
        ("trong 1 tháng kể từ ngày ban hành", date(2025, 1, 31), date(2025, 2, 28)),
    ],
)
def test_relative_to_the_issue_date(phrase: str, issued: date, due: date) -> None:
    reading = read_deadline(phrase, issued)
    assert (reading.kind, reading.due) == ("date", due)


@pytest.mark.parametrize(
    "phrase", ["Trong vòng 30 ngày kể từ ngày ban hành", "trong 15 ngày làm việc", "trong 3 tháng"]
)
def test_relative_without_issue_date_says_it_is_required(phrase: str) -> None:
    with pytest.raises(DeadlineError) as caught:
        read_deadline(phrase)
    assert f'"{phrase}"' in str(caught.value)
    assert "issue date is required" in str(caught.value)
    assert "cần ngày ban hành" in str(caught.value)


def test_relative_from_another_event_is_not_guessed() -> None:
    phrase = "Trong vòng 7 ngày kể từ ngày nhận đủ hồ sơ"
    with pytest.raises(DeadlineError, match="not from the issue date") as caught:
        read_deadline(phrase, ISSUED)
    assert f'"{phrase}"' in str(caught.value)


def test_relative_uses_the_calendar_given(tmp_path: Path) -> None:
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text(
        "2025:\n  days_off:\n    - {date: 2025-04-28, name: Test, source: test}\n", encoding="utf-8"
    )
    reading = read_deadline(
        "Trong vòng 30 ngày kể từ ngày ban hành", ISSUED, calendar=WorkCalendar(overrides)
    )
    assert reading.due == date(2025, 4, 29)


# -- the seed plans ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("phrase", "kind", "start", "due"),
    [
        # Hà Nội plan
        ("**Trước ngày 15/4/2025.**", "date", None, date(2025, 4, 14)),
        ("**Trước ngày 31/12/2025.**", "date", None, date(2025, 12, 30)),
        ("**Trước ngày 30/4/2025.**", "date", None, date(2025, 4, 29)),
        ("**Trước ngày 31/8/2025.**", "date", None, date(2025, 8, 30)),
        ("**Trước ngày 30/9/2025.**", "date", None, date(2025, 9, 29)),
        ("**Trong năm 2025.**", "date", None, date(2025, 12, 31)),
        ("Trong năm 2025.", "date", None, date(2025, 12, 31)),
        ("Theo kế hoạch chuyển đổi số của Thành phố.", "open", None, None),
        ("trước ngày 10 tháng 6", "recurring", None, None),
        ("trước ngày 10 tháng 12", "recurring", None, None),
        ("trước ngày 14 tháng 6", "recurring", None, None),
        ("trước ngày 14 tháng 12", "recurring", None, None),
        # Kon Tum district plan (PDF text: trailing spaces, a line break inside the date)
        ("Trước ngày 06 tháng 4 năm 2025. ", "date", None, date(2025, 4, 5)),
        ("Theo yêu cầu của cấp có thẩm quyền. ", "open", None, None),
        ("Trước ngày 15 tháng 4 năm 2025. ", "date", None, date(2025, 4, 14)),
        ("Trước ngày 20 tháng 4 năm 2025. ", "date", None, date(2025, 4, 19)),
        ("Chậm nhất ngày 30 tháng 6 năm 2025. ", "date", None, date(2025, 6, 30)),
        (
            "Từ ngày 01 tháng 3 năm 2025 đến ngày 31 tháng 12 \n\nnăm 2026. ",
            "window",
            date(2025, 3, 1),
            date(2026, 12, 31),
        ),
    ],
)
def test_seed_phrases(phrase: str, kind: str, start: date | None, due: date | None) -> None:
    reading = read_deadline(phrase, ISSUED)
    assert (reading.kind, reading.start, reading.due) == (kind, start, due)


# -- refusals ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "phrase",
    [
        "Sớm",
        "Khi có điều kiện",
        "Trước tháng 10/2025",
        "Trong tháng 10",
        "Quý II",
        "Quý V/2025",
        "Từ ngày 01/3/2025",
        "Trước ngày 15/4/25",
        "15/4/2025 hoặc 20/4/2025",
        "Trước ngày 10/12/2025 hằng năm",
        "Thường xuyên, trước ngày 10/6/2025",
        "2025",
        "",
    ],
)
def test_unreadable_phrase_is_quoted(phrase: str) -> None:
    with pytest.raises(DeadlineError) as caught:
        read_deadline(phrase, ISSUED)
    message = str(caught.value)
    assert f'không đọc được thời hạn "{phrase.strip()}"' in message
    assert f'unreadable deadline phrase "{phrase.strip()}"' in message


@pytest.mark.parametrize(
    ("phrase", "why"),
    [
        ("31/2/2025", "no such date 31/2/2025"),
        ("Trước ngày 31/2/2025", "no such date 31/2/2025"),
        ("Chậm nhất ngày 29 tháng 2 năm 2025", "no such date 29/2/2025"),
        ("Ngày 32/1/2025", "no such date 32/1/2025"),
        ("Trong tháng 13/2025", "no such date 1/13/2025"),
        ("Trước ngày 31/4", "no such day 31/4"),
        ("Từ ngày 31/12/2026 đến ngày 01/3/2025", "starts (2026-12-31) after it ends (2025-03-01)"),
        ("Giai đoạn 2026-2025", "after it ends"),
    ],
)
def test_invalid_dates_are_refused(phrase: str, why: str) -> None:
    with pytest.raises(DeadlineError) as caught:
        read_deadline(phrase)
    assert f'"{phrase}"' in str(caught.value)
    assert why in str(caught.value)


def test_deadline_error_is_a_value_error() -> None:
    assert issubclass(DeadlineError, ValueError)


# -- the reading itself -----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        (
            "**Trước ngày 15/4/2025.**",
            {"phrase": "**Trước ngày 15/4/2025.**", "kind": "date", "due": "2025-04-14",
             "start": None, "month": None, "day": None},
        ),
        (
            "Từ ngày 01/3/2025 đến ngày 31/12/2026",
            {"phrase": "Từ ngày 01/3/2025 đến ngày 31/12/2026", "kind": "window", "due": "2026-12-31",
             "start": "2025-03-01", "month": None, "day": None},
        ),
        (
            "trước ngày 10 tháng 6",
            {"phrase": "trước ngày 10 tháng 6", "kind": "recurring", "due": None,
             "start": None, "month": 6, "day": 10},
        ),
        (
            "Theo yêu cầu",
            {"phrase": "Theo yêu cầu", "kind": "open", "due": None,
             "start": None, "month": None, "day": None},
        ),
    ],
)
def test_to_json(phrase: str, expected: dict[str, object]) -> None:
    assert read_deadline(phrase).to_json() == expected


def test_reading_is_frozen() -> None:
    reading = read_deadline("Trong năm 2025")
    assert isinstance(reading, DeadlineReading)
    with pytest.raises(AttributeError):
        reading.due = date(2026, 1, 1)  # type: ignore[misc]
