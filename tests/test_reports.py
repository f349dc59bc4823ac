"""The Hà Nội reporting cascade, report content from the engine's data, and difficulties."""

from __future__ import annotations

from datetime import date

import pytest

from phancap.engine.clock import Clock
from phancap.engine.difficulties import raise_difficulty
from phancap.engine.errors import TransitionNotAllowed
from phancap.engine.queries import history, list_tasks, verify_audit
from phancap.engine.report_recipients import recipients_of
from phancap.engine.reports import create_reports, report_content
from phancap.engine.runtime import TaskEngine
from phancap.engine.tick import tick
from phancap.engine.users import add_user
from tests.helpers import instance

COMMUNES = 126  # Hà Nội's commune-level units (Decision 19/2025/QĐ-TTg)
FOCAL = {"HN-STP", "HN-SNV", "HN-STC", "HN-SKHCN"}  # agencies tracking the tasks communes lead or coordinate


def reports(seeded: TaskEngine, **filters: str) -> list[dict[str, object]]:
    """The plan's reports, each with its `to`: the set of units it is sent to."""
    rows = list_tasks(seeded.db, plan="HN-2025", kind="report", **filters)
    found = recipients_of(seeded.db, [int(str(r["id"])) for r in rows])
    return [{**r, "to": {x["unit"] for x in found.get(int(str(r["id"])), [])}} for r in rows]


def test_hanoi_cascade_for_the_first_half_of_2025(seeded: TaskEngine) -> None:
    result = create_reports(seeded.db, seeded.workflows, seeded.clock, "HN-2025", "semiannual", 2025)
    assert result.skipped and "Sở Nội vụ" in result.skipped[0]  # its consolidation has no date in the plan
    rows = reports(seeded)
    communes = [r for r in rows if str(r["unit"]).startswith(("HN-P-", "HN-X-"))]
    # one report per commune for the period, sent to every focal department (not one per department)
    assert len(communes) == COMMUNES and all(r["to"] == FOCAL for r in communes)
    assert {r["task"] for r in rows} == {"BC-2025-6T"} and {r["focal"] for r in rows} == {None}
    assert {r["deadline"] for r in communes} == {"2025-06-09"}  # "trước ngày 10 tháng 6"
    departments = [r for r in rows if not str(r["unit"]).startswith(("HN-P-", "HN-X-"))]
    assert {r["unit"] for r in departments} == {"HN-STP", "HN-STC", "HN-SKHCN"}
    assert all(r["to"] == {"HN-SNV"} for r in departments)
    assert {r["deadline"] for r in departments} == {"2025-06-13"}  # "trước ngày 14 tháng 6"
    again = create_reports(seeded.db, seeded.workflows, seeded.clock, "HN-2025", "semiannual", 2025)
    assert again.created == 0 and again.existing == result.created
    with_due = create_reports(seeded.db, seeded.workflows, seeded.clock, "HN-2025", "semiannual", 2025,
                              undated_due=date(2025, 6, 20))
    assert with_due.created == 1 and reports(seeded, unit="HN-SNV", state="assigned")[-1]["to"] == {"HN-UBND"}


def test_late_commune_reports_show_in_the_focal_departments_report(seeded: TaskEngine) -> None:
    create_reports(seeded.db, seeded.workflows, seeded.clock, "HN-2025", "semiannual", 2025)
    ward = "HN-P-HOANKIEM"
    add_user(seeded.db, "cv.hoankiem", ward, ["officer"], seeded.clock)
    (sent,) = reports(seeded, unit=ward)
    seeded.fire(int(str(sent["id"])), "submit", "cv.hoankiem", comment="Phường đã rà soát, đề xuất 3 nội dung")
    seeded.fire(int(str(sent["id"])), "accept", "dm.snv")
    tick(seeded.db, seeded.workflows, Clock.parse("2025-06-11"))
    assert next(r for r in reports(seeded, unit="HN-X-SOCSON"))["state"] == "overdue"
    assert next(r for r in reports(seeded, unit="HN-SKHCN"))["state"] == "assigned"  # due 13/6: not late yet
    # Sở Nội vụ's consolidated view: what it received from the communes for the period
    consolidated = create_reports(seeded.db, seeded.workflows, seeded.clock, "HN-2025", "semiannual", 2025,
                                  undated_due=date(2025, 6, 20))
    assert consolidated.created == 1
    own = reports(seeded, unit="HN-SNV")[-1]
    content = report_content(seeded.db, int(own["id"]), date(2025, 6, 11), seeded.status)
    assert content["scope"] == "plan"
    missing = {m["unit"] for m in content["missing_or_late"]}
    assert ward not in missing and len(missing) == COMMUNES - 1 + 3  # the other communes, and 3 departments
    late = {m["unit"] for m in content["missing_or_late"] if m["late"]}
    assert len(late) == COMMUNES - 1 and not late & {"HN-STP", "HN-STC", "HN-SKHCN"}
    received = {r["unit"]: r["state"] for r in content["received"]}
    assert received[ward] == "accepted"


def test_report_figures_match_the_engine(seeded: TaskEngine) -> None:
    create_reports(seeded.db, seeded.workflows, seeded.clock, "HN-2025", "semiannual", 2025)
    sct = int(instance(seeded.db, "HN-2025", "1.1", "HN-SCT")["id"])
    seeded.fire(sct, "submit_for_review", "cv.sct")
    seeded.fire(sct, "submit", "dm.stp")
    seeded.fire(sct, "approve", "pd.ubnd")
    tick(seeded.db, seeded.workflows, Clock.parse("2025-06-15"))
    stp = next(r for r in reports(seeded, unit="HN-STP"))
    content = report_content(seeded.db, int(stp["id"]), date(2025, 6, 15), seeded.status)
    # Sở Tư pháp tracks 1.1 for 15 departments: one approved on time, 14 overdue.
    assert content["by_task"]["1.1"]["done_on_time"] == 1 and content["by_task"]["1.1"]["open_overdue"] == 14
    assert {o["task"] for o in content["overdue"]} >= {"1.1"}
    assert verify_audit(seeded.db).ok


def test_difficulty_is_answered_or_escalated(seeded: TaskEngine) -> None:
    tid = int(instance(seeded.db, "HN-2025", "1.1", "HN-SCT")["id"])
    with pytest.raises(TransitionNotAllowed) as caught:
        raise_difficulty(seeded, tid, "cv.xa1", "Không thuộc phạm vi")  # a Kon Tum commune has no part in it
    assert caught.value.rule == "task" and caught.value.state is None
    vm = raise_difficulty(seeded, tid, "cv.sct", "Chưa có hướng dẫn của Bộ về danh mục văn bản")
    row = list_tasks(seeded.db, kind="difficulty")[0]
    assert (row["id"], row["unit"], row["focal"], row["state"], row["parent_id"]) == (vm, "HN-SCT", "HN-SNV", "raised", tid)
    with pytest.raises(TransitionNotAllowed):
        seeded.fire(vm, "answer", "cv.sct", comment="tự trả lời")
    seeded.fire(vm, "escalate", "dm.snv", comment="Vượt thẩm quyền, trình UBND Thành phố")
    seeded.fire(vm, "answer", "pd.ubnd", comment="Giao Sở Tư pháp hướng dẫn")
    assert [e["trigger"] for e in history(seeded.db, vm)] == ["raise", "escalate", "answer"]
    assert verify_audit(seeded.db).ok


def test_urging_overdue_and_due_soon_tasks_at_once(seeded: TaskEngine) -> None:
    from phancap.engine.urging import select_for_urging, urge_many

    late = TaskEngine(seeded.db, seeded.workflows, Clock.parse("2025-04-12"))
    chosen = select_for_urging(late, plan="HN-2025")
    # on 12/4, 1.1 and 1.2 (last day 14/4) are due soon for 15 departments; nothing is overdue yet
    assert len(chosen) == 30
    result = urge_many(late, "dm.snv", chosen, comment="Đề nghị khẩn trương hoàn thành")
    assert len(result.urged) == 30 and not result.refused
    by_stp = urge_many(late, "dm.stp", chosen)  # Sở Tư pháp tracks only 1.1
    assert len(by_stp.urged) == 15 and all("role" in r for r in by_stp.refused.values())


def test_generated_docx_and_xlsx_carry_the_engines_figures(seeded: TaskEngine) -> None:
    import io

    from docx import Document
    from openpyxl import load_workbook

    from phancap.engine.report_documents import report_documents

    create_reports(seeded.db, seeded.workflows, seeded.clock, "HN-2025", "semiannual", 2025)
    tick(seeded.db, seeded.workflows, Clock.parse("2025-06-15"))
    stp = next(r for r in reports(seeded, unit="HN-STP"))
    docx_bytes, xlsx_bytes, content = report_documents(seeded.db, int(stp["id"]), date(2025, 6, 15), seeded.status)
    doc = Document(io.BytesIO(docx_bytes))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in cells and "Độc lập - Tự do - Hạnh phúc" in cells
    assert "Hà Nội, ngày 15 tháng 06 năm 2025" in cells and "BÁO CÁO" in text
    assert any(c.startswith("Nơi nhận:") and "Sở Nội vụ" in c for c in cells)
    overdue = content["categories"]["open_overdue"]
    # Sở Tư pháp tracks 1.1 for 15 departments (its own included), and its own 1.2 and 2.1 are late too
    assert overdue == 15 + 2
    table = doc.tables[1]
    assert [c.text for c in table.rows[4].cells] == ["Chưa hoàn thành quá hạn", str(overdue)]
    book = load_workbook(io.BytesIO(xlsx_bytes))
    sheet = book.worksheets[0]  # "Kết quả thực hiện theo phân loại", cut to Excel's 31 characters
    rows = {r[0]: r[1] for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert rows["Chưa hoàn thành quá hạn"] == overdue and rows["Đã hoàn thành đúng hạn"] == 0
    assert book["Nhiệm vụ quá hạn"].max_row == 2 + overdue and sheet.title.startswith("Kết quả thực hiện")


def test_documents_carry_charts_and_progress_over_time(seeded: TaskEngine) -> None:
    import io

    from docx import Document
    from openpyxl import load_workbook

    from phancap.engine.report_documents import report_documents

    create_reports(seeded.db, seeded.workflows, seeded.clock, "HN-2025", "semiannual", 2025)
    for unit, officer in (("HN-SCT", "cv.sct"),):
        tid = int(instance(seeded.db, "HN-2025", "1.1", unit)["id"])
        seeded.fire(tid, "submit_for_review", officer)
        seeded.fire(tid, "submit", "dm.stp")
        seeded.fire(tid, "approve", "pd.ubnd")  # done on 1/4/2025 (the fixtures' clock)
    stp = next(r for r in reports(seeded, unit="HN-STP"))
    docx_bytes, xlsx_bytes, content = report_documents(seeded.db, int(stp["id"]), date(2025, 6, 15), seeded.status)
    assert content["timeline"] == [{"date": "2025-01-31", "done": 0}, {"date": "2025-02-28", "done": 0},
                                   {"date": "2025-03-31", "done": 0}, {"date": "2025-04-30", "done": 1},
                                   {"date": "2025-05-31", "done": 1}, {"date": "2025-06-15", "done": 1}]
    doc = Document(io.BytesIO(docx_bytes))
    assert len(doc.inline_shapes) == 2  # the categories' bars and the progress line
    assert any(p.text.startswith("Tiến độ theo thời gian") for p in doc.paragraphs)
    book = load_workbook(io.BytesIO(xlsx_bytes))
    assert len(book.worksheets[0]._charts) == 1  # noqa: SLF001 - openpyxl keeps charts there
    timeline = book["Tiến độ theo thời gian"]
    assert [r for r in timeline.iter_rows(min_row=3, values_only=True)][-1] == ("2025-06-15", 1)
