"""The report documents as a civil servant opens them: the DOCX laid out as Decree 30/2020/NĐ-CP
Appendix I lays out a report, the XLSX with real dates and number formats; every figure from the engine."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

from docx import Document
from docx.shared import Mm
from openpyxl import load_workbook

from phancap.engine.clock import Clock
from phancap.engine.queries import list_tasks
from phancap.engine.report_documents import abbreviation, date_in_words, report_documents, signature_block
from phancap.engine.report_tables import sheet_name
from phancap.engine.reports import create_reports
from phancap.engine.runtime import TaskEngine
from phancap.engine.status import CATEGORIES, LABELS_VI
from phancap.engine.tick import tick
from tests.helpers import instance

SECTIONS = {"results": "Sở đã tổng hợp kết quả của 126 xã, phường.",
            "shortcomings": "Một số xã chưa gửi báo cáo đúng hạn do thiếu cán bộ.",
            "proposals": "Đề nghị UBND Thành phố chỉ đạo các xã gửi báo cáo trước ngày 20/6."}


def test_abbreviations_dates_and_signature_blocks() -> None:
    assert [abbreviation(n) for n in ("Sở Nội vụ", "UBND Thành phố Hà Nội", "Sở Khoa học và Công nghệ",
                                      "Sở Giáo dục và Đào tạo", "Phòng Nội vụ", "UBND phường Hoàn Kiếm",
                                      "Thanh tra Thành phố")] == ["SNV", "UBND", "SKHCN", "SGDĐT", "PNV", "UBND", "TTr"]
    assert date_in_words("Hà Nội", date(2025, 6, 11)) == "Hà Nội, ngày 11 tháng 6 năm 2025"
    assert date_in_words("Hà Nội", date(2025, 2, 5)) == "Hà Nội, ngày 05 tháng 02 năm 2025"
    assert signature_block("Sở Nội vụ", capacity=None, head=False) == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]
    assert signature_block("Sở Nội vụ", capacity=None, head=True) == ["GIÁM ĐỐC"]
    assert signature_block("UBND phường Hoàn Kiếm", capacity="KT. Chủ tịch", head=True) == [
        "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]


def test_sheet_names_are_cut_between_words() -> None:
    name = sheet_name("Kết quả thực hiện theo phân loại của các đơn vị: quý II/2025")
    assert name == "Kết quả thực hiện theo phân" and len(name) <= 31  # "loại" would be the 32nd character
    assert sheet_name("Theo phân loại") == "Theo phân loại" and sheet_name("a/b") == "a b"


def consolidated(seeded: TaskEngine) -> tuple[int, date]:
    """Sở Nội vụ's report to UBND Thành phố, sent with its sections, after 1.1 of Sở Công Thương was approved."""
    create_reports(seeded.db, seeded.workflows, seeded.clock, "HN-2025", "semiannual", 2025, date(2025, 6, 20))
    sct = int(instance(seeded.db, "HN-2025", "1.1", "HN-SCT")["id"])
    for trigger, who in (("submit_for_review", "cv.sct"), ("submit", "dm.stp"), ("approve", "pd.ubnd")):
        seeded.fire(sct, trigger, who)
    tick(seeded.db, seeded.workflows, Clock.parse("2025-06-11"))
    seeded.clock.shift += timedelta(days=(date(2025, 6, 11) - seeded.clock.today()).days)  # sent on 11/6/2025
    rid = int(next(r for r in list_tasks(seeded.db, plan="HN-2025", kind="report", unit="HN-SNV"))["id"])
    seeded.fire(rid, "submit", "cv.snv", comment="Kính trình UBND Thành phố", sections=SECTIONS)
    return rid, date(2025, 6, 11)


def texts(doc: Any) -> list[str]:
    return [p.text for p in doc.paragraphs]


def test_the_consolidated_docx_is_a_report_the_decree_describes(seeded: TaskEngine) -> None:
    rid, today = consolidated(seeded)
    docx_bytes, _xlsx, content = report_documents(seeded.db, rid, today, seeded.status)
    doc = Document(io.BytesIO(docx_bytes))
    page = doc.sections[0]
    assert (round(page.page_width.mm), round(page.page_height.mm)) == (210, 297)  # A4
    assert Mm(20) <= page.top_margin <= Mm(25) and Mm(20) <= page.bottom_margin <= Mm(25)
    assert Mm(30) <= page.left_margin <= Mm(35) and Mm(15) <= page.right_margin <= Mm(20)
    normal = doc.styles["Normal"].font
    assert normal.name == "Times New Roman" and 13 <= normal.size.pt <= 14
    assert all(r.font.name in (None, "Times New Roman") for p in doc.paragraphs for r in p.runs)

    header = doc.tables[0]
    assert header.cell(0, 0).text.split("\n")[:2] == ["ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI", "SỞ NỘI VỤ"]
    assert header.cell(0, 1).text.split("\n")[:2] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert header.cell(1, 0).text == "Số: …/BC-SNV" and header.cell(1, 1).text == "Hà Nội, ngày 11 tháng 6 năm 2025"

    lines = texts(doc)
    assert "BÁO CÁO" in lines and any(line.startswith("Báo cáo") and "6 tháng" in line for line in lines)
    headings = [line for line in lines if line.startswith(("I. ", "II. ", "III. "))]
    assert headings == ["I. KẾT QUẢ THỰC HIỆN", "II. TỒN TẠI, HẠN CHẾ, NGUYÊN NHÂN", "III. KIẾN NGHỊ, ĐỀ XUẤT"]
    for key, heading in zip(("results", "shortcomings", "proposals"), headings, strict=True):
        assert lines.index(SECTIONS[key]) > lines.index(heading)
    assert lines.index(SECTIONS["shortcomings"]) < lines.index(headings[2])

    tables = {tuple(c.text for c in t.rows[0].cells): t for t in doc.tables[1:-1]}
    cats = content["categories"]
    categories = tables[("Phân loại", "Số nhiệm vụ")]
    assert [[c.text for c in r.cells] for r in categories.rows[1:7]] == [[LABELS_VI[c], str(cats[c])] for c in CATEGORIES]
    late = tables[("Nhiệm vụ", "Đơn vị chủ trì", "Thời hạn")]
    first = [c.text for c in late.rows[1].cells]
    assert len(late.rows) == 1 + cats["open_overdue"] and first[0] == content["overdue"][0]["task"]
    assert first[1] == content["overdue"][0]["unit_name"] and not first[1].startswith("HN-")
    assert first[2] == date.fromisoformat(content["overdue"][0]["deadline"]).strftime("%d/%m/%Y")
    units = tables[("Đơn vị", "Tình trạng", "Thời hạn", "Chưa gửi", "Trễ hạn")]
    states = {r.cells[0].text: r.cells[1].text for r in units.rows[1:]}
    assert states["UBND xã Sóc Sơn"] == "Quá hạn" and states["Sở Tư pháp"] == "Chưa gửi"
    assert {r.cells[2].text for r in units.rows[1:]} == {"09/06/2025", "13/06/2025"}

    assert len(doc.inline_shapes) == 2  # the categories' bars and the progress line
    assert "Biểu đồ 1. Số nhiệm vụ theo phân loại" in lines and any(line.startswith("Trục ngang: phân loại") for line in lines)
    assert any(line.startswith("Biểu đồ 2.") for line in lines)

    closing = doc.tables[-1]
    receivers = closing.cell(0, 0).text.split("\n")
    assert receivers[0] == "Nơi nhận:" and "- UBND Thành phố Hà Nội;" in receivers and receivers[-1] == "- Lưu: VT."
    assert closing.cell(0, 1).text.split("\n")[:2] == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]  # an officer sent it
    every = "\n".join(lines + [c.text for t in doc.tables for r in t.rows for c in r.cells])
    for english in ("overdue", "submitted", "assigned", "HN-SNV", "2025-06"):
        assert english not in every


def test_a_commune_report_goes_to_all_its_recipients_signed_for_the_committee(seeded: TaskEngine) -> None:
    create_reports(seeded.db, seeded.workflows, seeded.clock, "HN-2025", "semiannual", 2025)
    (report,) = list_tasks(seeded.db, plan="HN-2025", kind="report", unit="HN-P-HOANKIEM")
    seeded.clock.shift += timedelta(days=(date(2025, 6, 5) - seeded.clock.today()).days)  # sent on 5/6/2025
    seeded.fire(int(report["id"]), "submit", "cv.hoankiem", comment="Phường đã rà soát", capacity="KT. Chủ tịch")
    docx_bytes, _xlsx, _content = report_documents(seeded.db, int(report["id"]), date(2025, 6, 5), seeded.status)
    doc = Document(io.BytesIO(docx_bytes))
    assert doc.tables[0].cell(0, 0).text.split("\n")[0] == "ỦY BAN NHÂN DÂN PHƯỜNG HOÀN KIẾM"
    assert doc.tables[0].cell(1, 0).text == "Số: …/BC-UBND"
    assert doc.tables[0].cell(1, 1).text == "Hà Nội, ngày 05 tháng 6 năm 2025"
    receivers = doc.tables[-1].cell(0, 0).text.split("\n")
    assert receivers[1:-1] == ["- Sở Khoa học và Công nghệ;", "- Sở Nội vụ;", "- Sở Tài chính;", "- Sở Tư pháp;"]
    assert doc.tables[-1].cell(0, 1).text.split("\n")[:3] == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"]
    assert "Phường đã rà soát" in texts(doc)  # the covering note stands in for section I's text


def test_the_xlsx_has_real_dates_numbers_and_whole_sheet_names(seeded: TaskEngine) -> None:
    rid, today = consolidated(seeded)
    _docx, xlsx_bytes, content = report_documents(seeded.db, rid, today, seeded.status)
    book = load_workbook(io.BytesIO(xlsx_bytes))
    assert book.sheetnames == ["Theo phân loại", "Theo nhiệm vụ", "Gia hạn", "Báo cáo các đơn vị",
                               "Tiến độ theo thời gian", "Nhiệm vụ quá hạn", "Khó khăn, vướng mắc"]
    categories = book["Theo phân loại"]
    rows = {r[0].value: r[1] for r in categories.iter_rows(min_row=3)}
    assert rows["Chưa hoàn thành quá hạn"].value == content["categories"]["open_overdue"]
    assert rows["Chưa hoàn thành quá hạn"].data_type == "n" and rows["Chưa hoàn thành quá hạn"].number_format == "0"
    rate = rows["Tỷ lệ hoàn thành (trên nhiệm vụ đến hạn)"]
    assert rate.value == content["categories"]["completion_rate"] and rate.number_format == "0%"
    late = list(book["Nhiệm vụ quá hạn"].iter_rows(min_row=3))
    assert len(late) == len(content["overdue"]) and late[0][2].is_date and late[0][2].number_format == "DD/MM/YYYY"
    assert late[0][2].value.date() == date.fromisoformat(content["overdue"][0]["deadline"])
    assert not str(late[0][1].value).startswith("HN-")
    progress = list(book["Tiến độ theo thời gian"].iter_rows(min_row=3, values_only=True))
    assert progress[-1][0].date() == today and progress[-1][1] == 1
    received = {r[0]: r[1] for r in book["Báo cáo các đơn vị"].iter_rows(min_row=3, values_only=True)}
    assert received["UBND xã Sóc Sơn"] == "Quá hạn"
    assert len(book["Theo phân loại"]._charts) == 1  # noqa: SLF001 - openpyxl keeps charts there


def test_a_sent_report_keeps_its_date_and_the_names_of_that_day_after_a_rename(seeded: TaskEngine) -> None:
    """Issue 13: reports of periods before a rename still name the unit as it was."""
    from phancap.engine.units import rename_unit
    from phancap.engine.users import get_user

    rid, sent = consolidated(seeded)
    admin = get_user(seeded.db, "admin")
    assert admin is not None
    rename_unit(seeded.db, admin, seeded.clock, "HN-SNV", "Sở Nội vụ và Lao động", effective=date(2025, 6, 12),
                decision="Quyết định số 15/QĐ-UBND")
    docx_bytes, _xlsx, _content = report_documents(seeded.db, rid, date(2025, 8, 1), seeded.status)
    header = Document(io.BytesIO(docx_bytes)).tables[0]
    assert header.cell(0, 0).text.split("\n")[1] == "SỞ NỘI VỤ" and header.cell(1, 0).text == "Số: …/BC-SNV"
    assert header.cell(1, 1).text == "Hà Nội, ngày 11 tháng 6 năm 2025"  # the day it was sent, not the export
