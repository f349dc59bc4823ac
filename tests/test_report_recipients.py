"""One report per reporter and period, sent to all its recipients: who sees it, who may accept it,
when each received it, and reports made before migration 0015 (one per recipient) still read."""

from __future__ import annotations

from datetime import date

import pytest
from alembic import command
from sqlalchemy import text

from phancap.engine.errors import TransitionNotAllowed
from phancap.engine.queries import history, list_tasks, verify_audit
from phancap.engine.report_recipients import recipients_of
from phancap.engine.reports import create_reports, report_content
from phancap.engine.runtime import TaskEngine
from phancap.engine.users import get_user
from phancap.engine.visibility import cases_visible_to, visible_task

WARD, FOCAL = "HN-P-HOANKIEM", ["HN-SKHCN", "HN-SNV", "HN-STC", "HN-STP"]

def ward_report(seeded: TaskEngine) -> int:
    create_reports(seeded.db, seeded.workflows, seeded.clock, "HN-2025", "semiannual", 2025)
    (report,) = list_tasks(seeded.db, plan="HN-2025", kind="report", unit=WARD)
    return int(report["id"])

def test_every_recipient_sees_the_one_report_and_receives_it_when_it_is_sent(seeded: TaskEngine) -> None:
    rid = ward_report(seeded)
    assert [r["unit"] for r in recipients_of(seeded.db, [rid])[rid]] == FOCAL
    for name in ("dm.stp", "dm.stc", "dm.snv", "cv.hoankiem"):
        user = get_user(seeded.db, name)
        assert user is not None and visible_task(seeded.db, user, rid) is not None, name
    stranger = get_user(seeded.db, "cv.sct")  # Sở Công Thương: neither reporter nor recipient
    assert stranger is not None and visible_task(seeded.db, stranger, rid) is None
    assert rid not in {i["id"] for i in cases_visible_to(seeded.db, stranger, "report")}
    stc = get_user(seeded.db, "dm.stc")
    assert stc is not None
    received = cases_visible_to(seeded.db, stc, "report", recipient="HN-STC", period="BC-2025-6T")
    assert rid in {i["id"] for i in received} and all(i["unit"] != "HN-STC" for i in received)
    with pytest.raises(TransitionNotAllowed) as refused:
        seeded.fire(rid, "accept", "cv.sct")
    assert refused.value.rule == "task"

    sections = {"results": "Đã rà soát 12 thủ tục", "shortcomings": "Thiếu biên chế", "proposals": "Phân cấp 3 nội dung"}
    seeded.fire(rid, "submit", "cv.hoankiem", comment="Kính gửi các Sở", sections=sections)
    stamps = {r["unit"]: r["received_at"] for r in recipients_of(seeded.db, [rid])[rid]}
    sent = history(seeded.db, rid)[-1]
    assert set(stamps) == set(FOCAL) and set(stamps.values()) == {sent["at"]}  # written with the event
    assert sent["data"] == {"sections": sections}
    assert [t.trigger for t in seeded.triggers(rid, "dm.stc")] == ["accept", "return", "comment"]
    seeded.fire(rid, "accept", "dm.stc")  # any recipient's reviewer takes it in
    assert verify_audit(seeded.db).ok

def test_each_focal_department_counts_the_commune_report_as_received(seeded: TaskEngine) -> None:
    rid = ward_report(seeded)
    seeded.fire(rid, "submit", "cv.hoankiem", comment="Đã gửi")
    stp_report = next(r for r in list_tasks(seeded.db, plan="HN-2025", kind="report", unit="HN-STP"))
    content = report_content(seeded.db, int(stp_report["id"]), date(2025, 6, 11), seeded.status)
    ward = next(r for r in content["received"] if r["unit"] == WARD)
    assert ward["state"] == "submitted" and not ward["missing"] and ward["unit_name"] == "UBND phường Hoàn Kiếm"
    assert len(content["received"]) == 126  # every commune reports to Sở Tư pháp (it tracks a task they lead)

def test_reports_made_before_0015_keep_their_one_recipient(seeded: TaskEngine) -> None:
    """Downgrade to 0012, turn the reports into the old form (one per recipient, the recipient as focal
    and after a slash in the code), upgrade: each keeps working as a report to that one recipient."""
    rid = ward_report(seeded)
    seeded.fire(rid, "submit", "cv.hoankiem", comment="Đã gửi")
    db = seeded.db
    config = db.alembic_config()
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0012")
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE task_instance SET focal = 'HN-SNV', task = 'BC-2025-6T/HN-SNV' WHERE kind = 'report'"))
    db.upgrade()
    (old,) = recipients_of(db, [rid])[rid]
    assert old["unit"] == "HN-SNV" and old["received_at"] == history(db, rid)[-1]["at"]
    snv, stp = get_user(db, "dm.snv"), get_user(db, "dm.stp")
    assert snv is not None and stp is not None
    assert visible_task(db, snv, rid) is not None and visible_task(db, stp, rid) is None
    seeded.fire(rid, "accept", "dm.snv")
    again = create_reports(db, seeded.workflows, seeded.clock, "HN-2025", "semiannual", 2025)
    assert again.created == 0  # a reporter with an old-form report for the period gets no other
    board = cases_visible_to(db, snv, "report", period="BC-2025-6T", recipient="HN-SNV")
    assert rid in {i["id"] for i in board}
