"""Spreadsheet cells that stay text: formula neutralisation for exports (CSV and XLSX), never for stored data.

A spreadsheet program runs a cell whose text starts with `=`, `+`, `-` or `@` (and tab or carriage return,
which some strip first) as a formula: `=HYPERLINK(…)` in a comment becomes a link that leaks or a
command. Following OWASP's CSV-injection advice, such text is written with a leading `'` in CSV; in XLSX
the cell is stored as a string (data type `s`, quote prefix set), so the text is kept exactly and never
evaluated. JSON exports stay faithful: JSON is not a spreadsheet, and the audit chain is verified over
the stored values, which are never changed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # openpyxl loads in 0.18 s: only the exports that write a workbook need it
    from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_safe(value: Any) -> Any:
    """A CSV field: text that a spreadsheet would run gets a leading apostrophe; everything else as it is."""
    return "'" + value if is_formula_like(value) else value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_safe(v) for v in values]


def append_text_safe(sheet: Worksheet, values: Iterable[Any]) -> None:
    """Append a row whose text cells are strings, never formulas (the export has no formulas of its own)."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and (cell.data_type == "f" or is_formula_like(cell.value)):
            cell.data_type = "s"
            cell.quotePrefix = True
