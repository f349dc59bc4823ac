"""A report's tables as a workbook: one sheet per table with a meaningful name, dates as dates
(dd/mm/yyyy), counts as whole numbers, the completion rate as a percentage; charts beside the
categories and the progress over time. Text that a spreadsheet would run stays text (engine/cells.py)."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from phancap.engine.cells import append_text_safe
from phancap.engine.report_tables import Rate, Table, sheet_name
from phancap.engine.status import CATEGORIES

DATE_FORMAT, COUNT_FORMAT, RATE_FORMAT = "DD/MM/YYYY", "0", "0%"


def _cell_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "x" if value else None
    return value


def _sheet(book: Workbook, table: Table, first: bool) -> Worksheet:
    sheet = book.active if first else book.create_sheet()
    assert isinstance(sheet, Worksheet)
    sheet.title = sheet_name(table.sheet)
    append_text_safe(sheet, [table.caption])
    sheet.cell(1, 1).font = Font(bold=True)
    append_text_safe(sheet, table.head)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in table.rows:
        append_text_safe(sheet, [_cell_value(v) for v in row])
        for cell, value in zip(sheet[sheet.max_row], row, strict=False):
            if isinstance(value, Rate):
                cell.number_format = RATE_FORMAT
            elif isinstance(value, date):
                cell.number_format = DATE_FORMAT
            elif isinstance(value, int) and not isinstance(value, bool):
                cell.number_format = COUNT_FORMAT
    for column, heading in enumerate(table.head, start=1):
        longest = max([len(str(heading))] + [len(table.shown(column - 1, r[column - 1])) for r in table.rows])
        sheet.column_dimensions[get_column_letter(column)].width = min(60, max(10, longest + 2))
    return sheet


def workbook(content: dict[str, Any], tables: list[Table]) -> bytes:
    book = Workbook()
    for index, table in enumerate(tables):
        sheet = _sheet(book, table, index == 0)
        if index == 0:  # the categories as bars (rows 3-8: the six categories)
            chart = BarChart()
            chart.title, chart.legend = "Số nhiệm vụ theo phân loại", None
            chart.y_axis.title, chart.x_axis.title = "Số nhiệm vụ", "Phân loại"
            chart.add_data(Reference(sheet, min_col=2, min_row=2, max_row=2 + len(CATEGORIES)), titles_from_data=True)
            chart.set_categories(Reference(sheet, min_col=1, min_row=3, max_row=2 + len(CATEGORIES)))
            sheet.add_chart(chart, "D2")
        elif table.sheet == "Tiến độ theo thời gian" and table.rows:
            progress = LineChart()
            progress.title, progress.legend = "Đã hoàn thành (lũy kế)", None
            progress.y_axis.title, progress.x_axis.title = "Số nhiệm vụ", "Đến ngày"
            progress.x_axis.number_format = DATE_FORMAT
            progress.add_data(Reference(sheet, min_col=2, min_row=2, max_row=2 + len(table.rows)), titles_from_data=True)
            progress.set_categories(Reference(sheet, min_col=1, min_row=3, max_row=2 + len(table.rows)))
            sheet.add_chart(progress, "D2")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
