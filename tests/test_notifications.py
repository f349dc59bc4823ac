"""Notifications (issue 15): what happened to my tasks (returned, urged, extensions, assignment, reports due
soon), read from the audit events, never my own actions; marked read one by one or all; another unit's
user sees none of them."""

from __future__ import annotations

from datetime import date
from email.header import decode_header, make_header

from phancap.engine.assignment import assign_officer
from phancap.engine.clock import Clock
from phancap.engine.difficulties import raise_difficulty
from phancap.engine.digest import digest, send_digest
from phancap.engine.notifications import mark_read, notifications, unread_count
from phancap.engine.notify import NotifySettings
from phancap.engine.reports import create_reports
from phancap.engine.runtime import TaskEngine
from phancap.engine.users import User, add_user, get_user
from tests.helpers import instance
from tests.test_notify import Inbox, smtp  # noqa: F401 - the real local SMTP server fixture


def user(engine: TaskEngine, name: str) -> User:
    found = get_user(engine.db, name)
    assert found is not None
    return found


def kinds(engine: TaskEngine, name: str) -> list[tuple[str, int]]:
    return [(n["kind"], n["task"]) for n in notifications(engine, user(engine, name)).items]


def test_what_happens_to_my_tasks_reaches_my_unit_not_the_actor_nor_other_units(seeded: TaskEngine) -> None:
    tid = int(instance(seeded.db, "HN-2025", "1.1", "HN-SCT")["id"])
    assert kinds(seeded, "cv.sct") == [] and unread_count(seeded, user(seeded, "cv.sct")) == 0
    seeded.fire(tid, "submit_for_review", "cv.sct")
    seeded.fire(tid, "return", "dm.stp", comment="Bổ sung danh mục")
    seeded.fire(tid, "urge", "dm.stp", comment="Đề nghị khẩn trương")
    seeded.fire(tid, "request_extension", "cv.sct", comment="Chờ ý kiến Bộ", proposed_deadline=date(2025, 5, 31))
    seeded.fire(tid, "grant_extension", "pd.ubnd")
    assign_officer(seeded, tid, "ld.sct", "cv.sct")
    officer = notifications(seeded, user(seeded, "cv.sct"))
    assert [(n["kind"], n["task"]) for n in officer.items] == [
        ("assign_officer", tid), ("grant_extension", tid), ("urge", tid), ("return", tid)]  # newest first, not mine
    assert officer.items[-1]["label"] == "Bị trả lại" and officer.items[-1]["comment"] == "Bổ sung danh mục"
    assert "danh mục" in officer.items[-1]["title"]  # the plan task's title
    assert officer.unread == 4 and not any(n["read"] for n in officer.items)
    assert kinds(seeded, "ld.sct") == [("grant_extension", tid), ("request_extension", tid), ("urge", tid),
                                       ("return", tid)]  # the head: the unit's, not the assignment they made
    assert ("request_extension", tid) in kinds(seeded, "pd.ubnd")  # the assigner decides it
    assert ("return", tid) not in kinds(seeded, "dm.stp")  # their own action
    for other in ("cv.phtp", "cv.xa1", "kiemtoan"):  # other units (an auditor sees everything, is told nothing)
        assert kinds(seeded, other) == [] and unread_count(seeded, user(seeded, other)) == 0

    me = user(seeded, "cv.sct")
    assert mark_read(seeded, me, [officer.items[0]["key"]]) == 3
    assert [n["read"] for n in notifications(seeded, me).items] == [True, False, False, False]
    assert [n["kind"] for n in notifications(seeded, me, unread_only=True).items] == ["grant_extension", "urge", "return"]
    assert mark_read(seeded, me) == 0 and all(n["read"] for n in notifications(seeded, me).items)
    seeded.fire(tid, "urge", "dm.stp")
    assert unread_count(seeded, me) == 1
    page = notifications(seeded, me, limit=2)
    assert len(page.items) == 2 and page.next_before is not None
    rest = notifications(seeded, me, limit=10, before=page.next_before)
    assert [n["kind"] for n in rest.items] == ["grant_extension", "urge", "return"] and rest.next_before is None
    difficulty = raise_difficulty(seeded, tid, "cv.sct", "Chưa có hướng dẫn của Bộ")
    seeded.fire(difficulty, "answer", "dm.snv", comment="Áp dụng hướng dẫn tại Công văn 12")
    answered = notifications(seeded, me, limit=1).items[0]
    assert (answered["kind"], answered["label"], answered["task"]) == ("answer", "Vướng mắc đã được trả lời", difficulty)


def test_a_report_due_soon_is_told_to_its_reporter_until_read(seeded: TaskEngine) -> None:
    create_reports(seeded.db, seeded.workflows, seeded.clock, "HN-2025", "semiannual", 2025)
    june = TaskEngine(seeded.db, seeded.workflows, Clock.parse("2025-06-08T09:00:00+07:00"))
    ward = user(june, "cv.hoankiem")
    due = [n for n in notifications(june, ward).items if n["kind"] == "report_due"]
    assert due and due[0]["label"] == "Báo cáo sắp đến hạn" and due[0]["deadline"] <= date(2025, 6, 11)
    assert unread_count(june, ward) == len(due)
    assert notifications(seeded, ward).items == []  # in April nothing is due soon
    assert kinds(june, "cv.socson") != [] and kinds(june, "cv.sct") == []  # another commune's own; not a department's
    assert mark_read(june, ward) == 0 and all(n["read"] for n in notifications(june, ward).items)


def test_the_daily_digest_mails_each_user_their_unread_notices_of_the_last_day(
        seeded: TaskEngine, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    add_user(seeded.db, "cv.sct", "HN-SCT", ["officer"], seeded.clock, email="congthuong@hanoi.gov.vn")
    add_user(seeded.db, "cv.phtp", "KT-PTP", ["officer", "appraiser"], seeded.clock, email="tuphap@kontum.gov.vn")
    tid = int(instance(seeded.db, "HN-2025", "1.1", "HN-SCT")["id"])
    seeded.fire(tid, "urge", "dm.stp", comment="Đề nghị khẩn trương")
    later = TaskEngine(seeded.db, seeded.workflows, Clock.parse("2025-04-03T09:00:00+07:00"))
    assert digest(later) == []  # two days later: not of the last day
    entries = digest(seeded)
    assert [(e["user"], e["email"], [n["kind"] for n in e["items"]]) for e in entries] == [
        ("cv.sct", "congthuong@hanoi.gov.vn", ["urge"])]  # Kon Tum's officer is told nothing
    sent = send_digest(entries, NotifySettings(smtp_host="127.0.0.1", smtp_port=port))
    assert sent.emails == ["congthuong@hanoi.gov.vn"] and not sent.errors and len(inbox.messages) == 1
    message = inbox.messages[0]
    assert "thông báo chưa đọc" in str(make_header(decode_header(message["Subject"])))
    body = message.get_payload(decode=True).decode("utf-8")
    assert "Được đôn đốc: HN-2025 · nhiệm vụ 1.1" in body and "Đề nghị khẩn trương" in body
    mark_read(seeded, user(seeded, "cv.sct"))
    assert digest(seeded) == []
