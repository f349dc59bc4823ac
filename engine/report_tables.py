"""A report's tables, once, for both documents: captions, sheet names, headers and typed values (dates
as dates, counts as integers, the completion rate as a `Rate`), with names and Vietnamese labels in
place of codes. The DOCX shows each value as text (dd/mm/yyyy, 67 %), the XLSX keeps its type."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from phancap.engine.status import CATEGORIES, LABELS_VI

SHEET_NAME_MAX = 31  # Excel's limit
DIFFICULTY_LABELS = {"answered": "Đã trả lời", "escalated": "Đã chuyển UBND xem xét"}


class Rate(float):
    """A share (0.67), shown as a percentage."""


def _day(value: Any) -> date | None:
    if value is None or value == "None" or isinstance(value, date):
        return value  # type: ignore[no-any-return]
    return date.fromisoformat(str(value)[:10])


def sheet_name(text: str) -> str:
    """A sheet name Excel accepts: without []:*?/\\, at most 31 characters, cut between words."""
    clean = "".join(" " if c in "[]:*?/\\" else c for c in text).strip()
    if len(clean) <= SHEET_NAME_MAX:
        return clean
    cut = clean[:SHEET_NAME_MAX + 1].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;-") or clean[:SHEET_NAME_MAX]


@dataclass
class Table:
    caption: str
    sheet: str
    head: list[str]
    rows: list[list[Any]] = field(default_factory=list)

    def shown(self, column: int, value: Any) -> str:
        """The value as the DOCX writes it."""
        if value is None:
            return ""
        if isinstance(value, bool):
            return "x" if value else ""
        if isinstance(value, Rate):
            return f"{value:.0%}"
        if isinstance(value, date):
            return f"{value:%d/%m/%Y}"
        return str(value)


def figure_tables(content: dict[str, Any], state_labels: dict[str, str]) -> list[Table]:
    """Section I: the results (by category, by task, extensions, the reports received, progress)."""
    cats = content["categories"]
    rate = cats["completion_rate"]
    tables = [
        Table("1. Kết quả thực hiện theo phân loại", "Theo phân loại", ["Phân loại", "Số nhiệm vụ"],
              [[LABELS_VI[c], cats[c]] for c in CATEGORIES]
              + [["Tỷ lệ hoàn thành (trên nhiệm vụ đến hạn)", "—" if rate is None else Rate(rate)]]),
        Table("2. Kết quả theo nhiệm vụ", "Theo nhiệm vụ", ["Nhiệm vụ", *[LABELS_VI[c] for c in CATEGORIES[:5]]],
              [[task, *[t[c] for c in CATEGORIES[:5]]] for task, t in content["by_task"].items()]),
        Table("3. Gia hạn đã chấp thuận", "Gia hạn", ["Mã nhiệm vụ", "Thời hạn cũ", "Thời hạn mới"],
              [[e["task_id"], _day(e.get("deadline_from")), _day(e.get("deadline_to"))] for e in content["extensions"]]),
        Table("4. Báo cáo của các đơn vị", "Báo cáo các đơn vị", ["Đơn vị", "Tình trạng", "Thời hạn", "Chưa gửi", "Trễ hạn"],
              [[r.get("unit_name") or r["unit"], state_labels.get(r["state"], r["state"]), _day(r["deadline"]),
                bool(r["missing"]), bool(r["late"])] for r in content["received"]]),
    ]
    timeline = content.get("timeline") or []
    if timeline:
        tables.append(Table("5. Tiến độ theo thời gian", "Tiến độ theo thời gian", ["Đến ngày", "Đã hoàn thành (lũy kế)"],
                            [[_day(p["date"]), p["done"]] for p in timeline]))
    return tables


def overdue_tables(content: dict[str, Any], state_labels: dict[str, str]) -> list[Table]:
    """Section II: what is late and what stands in the way."""
    difficulties = content["difficulties"]
    return [
        Table("1. Nhiệm vụ quá hạn", "Nhiệm vụ quá hạn", ["Nhiệm vụ", "Đơn vị chủ trì", "Thời hạn"],
              [[o["task"], o.get("unit_name") or o["unit"], _day(o["deadline"])] for o in content["overdue"]]),
        Table("2. Khó khăn, vướng mắc", "Khó khăn, vướng mắc", ["Đơn vị", "Nội dung", "Tình trạng"],
              [[d.get("unit_name") or d["unit"], d["title"], DIFFICULTY_LABELS.get(d["state"], "Chưa trả lời")]
               for d in difficulties["open"] + difficulties["answered"]]),
    ]
