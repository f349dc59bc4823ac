"""A periodic report as documents: DOCX laid out as Decree 30/2020/NĐ-CP Appendix I lays out an
administrative report (A4, its margins, Times New Roman 14; the issuing body beside the national motto,
number, place and date, title, sections I-III, "Nơi nhận", signature block) and XLSX with the same
tables as real numbers and dates. Every figure comes from `report_content`, every other line from
`report_documents.letterhead`."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import _Cell

from phancap.engine.charts import bar_chart, line_chart
from phancap.engine.report_documents import Letterhead
from phancap.engine.report_tables import Table, figure_tables, overdue_tables
from phancap.engine.status import CATEGORIES, LABELS_VI

NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
FONT, BODY_PT, TABLE_PT = "Times New Roman", 14, 12
SECTION_TITLES = (("results", "I. KẾT QUẢ THỰC HIỆN"), ("shortcomings", "II. TỒN TẠI, HẠN CHẾ, NGUYÊN NHÂN"),
                  ("proposals", "III. KIẾN NGHỊ, ĐỀ XUẤT"))


def _page(doc: DocumentObject) -> None:
    """A4 portrait; top and bottom 20 mm, left 30 mm, right 18 mm (within the decree's ranges)."""
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(18)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(BODY_PT)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):  # Word picks one by script
        fonts.set(qn(attribute), FONT)


def _lines(cell: _Cell, lines: list[tuple[str, bool, bool]], size: int = 13) -> None:
    """Centred lines (text, bold, italic) in a header or closing cell."""
    cell.text = ""
    for index, (text, bold, italic) in enumerate(lines):
        paragraph = cell.paragraphs[0] if index == 0 else cell.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.space_after = Pt(0)
        run = paragraph.add_run(text)
        run.bold, run.italic, run.font.size = bold, italic, Pt(size)


def _header(doc: DocumentObject, head: Letterhead) -> None:
    table = doc.add_table(rows=2, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    left = ([(head.superior, False, False)] if head.superior else []) + [(head.body, True, False), ("———", False, False)]
    _lines(table.cell(0, 0), left)
    _lines(table.cell(0, 1), [(NATION, True, False), (MOTTO, True, False), ("———", False, False)])
    _lines(table.cell(1, 0), [(head.number, False, False)])
    _lines(table.cell(1, 1), [(head.place_date, False, True)])
    for row in table.rows:
        row.cells[0].width, row.cells[1].width = Cm(6.5), Cm(10)


def _heading(doc: DocumentObject, text: str, *, centred: bool = False) -> None:
    paragraph = doc.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if centred else WD_ALIGN_PARAGRAPH.LEFT
    paragraph.add_run(text).bold = True


def _text(doc: DocumentObject, text: str) -> None:
    for line in text.splitlines() or [""]:
        paragraph = doc.add_paragraph(line)
        paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        paragraph.paragraph_format.first_line_indent = Cm(1)


def _table(doc: DocumentObject, table: Table) -> None:
    _heading(doc, table.caption)
    grid = doc.add_table(rows=1 + max(len(table.rows), 1), cols=len(table.head))
    grid.style = "Table Grid"
    # the grid once: table.cell(r, c) walks the whole grid on every call (14 s for Hà Nội's 126 communes)
    cells, width = grid._cells, len(table.head)
    for i, text in enumerate(table.head):
        cells[i].text = text
        cells[i].paragraphs[0].runs[0].bold = True
    if not table.rows:
        cells[width].text = "Không có"
    for r, row in enumerate(table.rows, start=1):
        for c, value in enumerate(row):
            cells[r * width + c].text = table.shown(c, value)
    for cell in cells:
        for paragraph in cell.paragraphs:
            for run in paragraph.runs:
                run.font.size = Pt(TABLE_PT)


def _chart(doc: DocumentObject, png: bytes, title: str, axes: str) -> None:
    _heading(doc, title, centred=True)
    doc.add_picture(io.BytesIO(png), width=Cm(15))
    doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    note = doc.add_paragraph()
    note.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = note.add_run(axes)
    run.italic, run.font.size = True, Pt(12)


def _short(day: str) -> str:
    parsed = date.fromisoformat(day)
    return f"{parsed.day}/{parsed.month}"


def report_docx(content: dict[str, Any], head: Letterhead, state_labels: dict[str, str]) -> bytes:
    doc = Document()
    _page(doc)
    _header(doc, head)
    _heading(doc, "BÁO CÁO", centred=True)
    _heading(doc, head.title, centred=True)
    today = date.fromisoformat(content["today"])
    _text(doc, f"Số liệu tính đến ngày {today:%d/%m/%Y}, tổng hợp từ dữ liệu theo dõi thực hiện kế hoạch.")
    figures, problems = figure_tables(content, state_labels), overdue_tables(content, state_labels)
    _heading(doc, SECTION_TITLES[0][1])
    _text(doc, head.sections.get("results") or head.note or "")
    counts = [content["categories"][c] for c in CATEGORIES]
    _table(doc, figures[0])
    legend = "; ".join(f"{i} - {LABELS_VI[c]}" for i, c in enumerate(CATEGORIES, start=1))
    _chart(doc, bar_chart(counts), "Biểu đồ 1. Số nhiệm vụ theo phân loại",
           f"Trục ngang: phân loại ({legend}). Trục dọc: số nhiệm vụ.")
    for table in figures[1:]:
        _table(doc, table)
    timeline = content.get("timeline") or []
    if timeline:
        _chart(doc, line_chart([(_short(p["date"]), p["done"]) for p in timeline]),
               "Biểu đồ 2. Tiến độ thực hiện: số nhiệm vụ đã hoàn thành (lũy kế)",
               "Trục ngang: ngày cuối mỗi tháng (ngày/tháng). Trục dọc: số nhiệm vụ đã hoàn thành.")
    _heading(doc, SECTION_TITLES[1][1])
    _text(doc, head.sections.get("shortcomings") or "")
    for table in problems:
        _table(doc, table)
    _heading(doc, SECTION_TITLES[2][1])
    _text(doc, head.sections.get("proposals") or "Không có.")
    doc.add_paragraph()
    closing = doc.add_table(rows=1, cols=2)
    receivers = [("Nơi nhận:", True, True)] + [(f"- {r};", False, False) for r in head.recipients] + [
        ("- Lưu: VT.", False, False)]
    _lines(closing.cell(0, 0), receivers, size=12)
    for paragraph in closing.cell(0, 0).paragraphs:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
    _lines(closing.cell(0, 1), [(line, True, False) for line in head.signature] + [("", False, False)] * 4)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def report_xlsx(content: dict[str, Any], state_labels: dict[str, str]) -> bytes:
    from phancap.engine.report_xlsx import workbook

    return workbook(content, [*figure_tables(content, state_labels), *overdue_tables(content, state_labels)])
