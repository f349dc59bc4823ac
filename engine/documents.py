"""A periodic report as documents: DOCX laid out as a Vietnamese administrative report (national
header, issuing body, number, place and date, title, body with tables, Nơi nhận, signature block)
and XLSX with the same tables. Every figure comes from `report_content`."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.chart import BarChart, LineChart, Reference

from phancap.engine.cells import append_text_safe
from phancap.engine.charts import bar_chart, line_chart
from phancap.engine.status import CATEGORIES, LABELS_VI

NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"


def _tables(content: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    cats = content["categories"]
    tables = [
        ("Kết quả thực hiện theo phân loại", ["Phân loại", "Số nhiệm vụ"],
         [[LABELS_VI[c], cats[c]] for c in CATEGORIES] + [["Tỷ lệ hoàn thành (trên nhiệm vụ đến hạn)",
                                                           "—" if cats["completion_rate"] is None else f"{cats['completion_rate']:.0%}"]]),
        ("Kết quả theo nhiệm vụ", ["Nhiệm vụ", *[LABELS_VI[c] for c in CATEGORIES[:5]]],
         [[task, *[t[c] for c in CATEGORIES[:5]]] for task, t in content["by_task"].items()]),
        ("Nhiệm vụ quá hạn", ["Nhiệm vụ", "Đơn vị chủ trì", "Thời hạn"],
         [[o["task"], o["unit"], o["deadline"]] for o in content["overdue"]]),
        ("Gia hạn đã chấp thuận", ["Mã nhiệm vụ", "Thời hạn cũ", "Thời hạn mới"],
         [[e["task_id"], e.get("deadline_from"), e.get("deadline_to")] for e in content["extensions"]]),
        ("Khó khăn, vướng mắc", ["Đơn vị", "Nội dung", "Tình trạng"],
         [[d["unit"], d["title"], "Chưa trả lời"] for d in content["difficulties"]["open"]]
         + [[d["unit"], d["title"], "Đã trả lời"] for d in content["difficulties"]["answered"]]),
        ("Báo cáo của các đơn vị", ["Đơn vị", "Tình trạng", "Thời hạn", "Chưa gửi", "Trễ hạn"],
         [[r["unit"], r["state"], r["deadline"], "x" if r["missing"] else "", "x" if r["late"] else ""]
          for r in content["received"]]),
    ]
    return tables


def _date_line(place: str, day: date) -> str:
    return f"{place}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def report_docx(content: dict[str, Any], *, issuer: str, body_name: str, place: str, signer: dict[str, Any],
                free_text: str | None, recipients: list[str], today: date) -> bytes:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name, style.font.size = "Times New Roman", Pt(13)
    header = doc.add_table(rows=3, cols=2)
    left, right = [header.cell(i, 0) for i in range(3)], [header.cell(i, 1) for i in range(3)]
    left[0].text, left[1].text, left[2].text = issuer.upper(), body_name.upper(), f"Số: ……/BC-{content['report']['unit']}"
    right[0].text, right[1].text, right[2].text = NATION, MOTTO, _date_line(place, today)
    for cell in left + right:
        for paragraph in cell.paragraphs:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run("BÁO CÁO").bold = True
    subtitle = doc.add_paragraph(content["report"]["title"] or "")
    subtitle.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph(f"Số liệu tính đến ngày {content['today']}, theo dữ liệu của hệ thống phancap.")
    for index, (caption, head, rows) in enumerate(_tables(content)):
        doc.add_paragraph().add_run(caption).bold = True
        table = doc.add_table(rows=1 + max(len(rows), 1), cols=len(head))
        table.style = "Table Grid"
        # the grid once: table.cell(r, c) walks the whole grid on every call (14 s for Hà Nội's 126 communes)
        cells, width = table._cells, len(head)
        for i, text in enumerate(head):
            cells[i].text = str(text)
        if not rows:
            cells[width].text = "Không có"
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row):
                cells[r * width + c].text = "" if value is None else str(value)
        if index == 0:  # the categories as bars, in the table's order and colours
            counts = [content["categories"][c] for c in CATEGORIES]
            doc.add_picture(io.BytesIO(bar_chart(counts)), width=Cm(12))
    timeline = content.get("timeline") or []
    if timeline:
        doc.add_paragraph().add_run("Tiến độ theo thời gian (số nhiệm vụ đã hoàn thành, lũy kế)").bold = True
        table = doc.add_table(rows=1 + len(timeline), cols=2)
        table.style = "Table Grid"
        grid = table._cells
        grid[0].text, grid[1].text = "Đến ngày", "Đã hoàn thành"
        for r, point in enumerate(timeline, start=1):
            grid[2 * r].text, grid[2 * r + 1].text = point["date"], str(point["done"])
        doc.add_picture(io.BytesIO(line_chart([p["done"] for p in timeline])), width=Cm(12))
    if free_text:
        doc.add_paragraph().add_run("Đánh giá, kiến nghị của đơn vị").bold = True
        doc.add_paragraph(free_text)
    closing = doc.add_table(rows=1, cols=2)
    closing.cell(0, 0).text = "Nơi nhận:\n" + "\n".join(f"- {r};" for r in recipients) + "\n- Lưu: VT."
    block = [line for line in (signer.get("block") or "").split(" / ") if line]
    closing.cell(0, 1).text = "\n".join(block + ["", "", str(signer.get("name") or "")])
    closing.cell(0, 1).paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def report_xlsx(content: dict[str, Any]) -> bytes:
    book = Workbook()
    first = True
    for caption, head, rows in _tables(content):
        sheet = book.active if first else book.create_sheet()
        assert isinstance(sheet, Worksheet)
        sheet.title = caption[:31]
        append_text_safe(sheet, [caption])
        append_text_safe(sheet, head)
        for row in rows:
            append_text_safe(sheet, list(row))
        if first:  # categories as a bar chart beside the table (rows 3-8: the six categories)
            chart = BarChart()
            chart.title, chart.legend = caption, None
            chart.add_data(Reference(sheet, min_col=2, min_row=2, max_row=2 + len(CATEGORIES)), titles_from_data=True)
            chart.set_categories(Reference(sheet, min_col=1, min_row=3, max_row=2 + len(CATEGORIES)))
            sheet.add_chart(chart, "D2")
        first = False
    timeline = content.get("timeline") or []
    if timeline:
        sheet = book.create_sheet("Tiến độ theo thời gian")
        append_text_safe(sheet, ["Tiến độ theo thời gian"])
        append_text_safe(sheet, ["Đến ngày", "Đã hoàn thành (lũy kế)"])
        for point in timeline:
            append_text_safe(sheet, [point["date"], point["done"]])
        progress = LineChart()
        progress.title, progress.legend = "Đã hoàn thành (lũy kế)", None
        progress.add_data(Reference(sheet, min_col=2, min_row=2, max_row=2 + len(timeline)), titles_from_data=True)
        progress.set_categories(Reference(sheet, min_col=1, min_row=3, max_row=2 + len(timeline)))
        sheet.add_chart(progress, "D2")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
