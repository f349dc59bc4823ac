"""What a periodic report's document says beyond its figures, from the engine's data: the issuing body
and the body above it, the number's abbreviation, place and date, the sections the unit wrote when it
sent the report, every recipient ("Nơi nhận") and the signature block of the unit's head (Decree
30/2020/NĐ-CP, Appendix I)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from phancap.engine.db import Database
from phancap.engine.status import StatusRules

# Bodies whose abbreviation is fixed by usage, not by their initials (matched on the folded name's start).
FIXED_ABBREVIATIONS = (("uy ban nhan dan", "UBND"), ("ubnd", "UBND"), ("hoi dong nhan dan", "HĐND"),
                       ("hdnd", "HĐND"), ("van phong", "VP"), ("thanh tra", "TTr"))
SKIPPED_WORDS = {"và", "-", "–", ","}
PLACE_PREFIXES = ("Thành phố ", "Tỉnh ")


def fold(text: str) -> str:
    """Lower case without diacritics (đ as d), for matching names."""
    decomposed = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _initial(word: str) -> str:
    first = word[0]
    if first in "Đđ":
        return "Đ"
    return fold(first).upper()


def abbreviation(name: str) -> str:
    """The unit's abbreviation in document numbers (…/BC-SNV): Sở Nội vụ → SNV, Sở Giáo dục và Đào tạo →
    SGDĐT, UBND Thành phố Hà Nội → UBND, Phòng Nội vụ → PNV. Never the unit's code."""
    folded = fold(name.strip())
    for start, fixed in FIXED_ABBREVIATIONS:
        if folded.startswith(start):
            return fixed
    words = [w for w in re.split(r"[\s,]+", name.strip()) if w and w.lower() not in SKIPPED_WORDS]
    return "".join(_initial(w) for w in words if w[0].isalpha())


def formal_name(name: str) -> str:
    """A name as a document's header writes it: the abbreviations UBND and HĐND spelled out."""
    spelled = re.sub(r"^UBND\b", "Ủy ban nhân dân", name.strip())
    return re.sub(r"^HĐND\b", "Hội đồng nhân dân", spelled)


def is_peoples_committee(name: str) -> bool:
    return abbreviation(name) == "UBND"


def date_in_words(place: str, day: date) -> str:
    """"Hà Nội, ngày 11 tháng 6 năm 2025": a day below 10 and the months 1 and 2 take a leading zero."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def signature_block(unit_name: str, *, capacity: str | None, head: bool) -> list[str]:
    """The lines above the signature. KT. (a deputy signs for the head) unless the head sent the report
    without a capacity; a People's Committee signs TM. (on behalf of) the committee."""
    folded = fold(unit_name)
    deputy = (capacity or "").upper().startswith("KT.") or not head
    titles = (("so ", "GIÁM ĐỐC"), ("phong ", "TRƯỞNG PHÒNG"), ("thanh tra", "CHÁNH THANH TRA"),
              ("van phong", "CHÁNH VĂN PHÒNG"))
    if is_peoples_committee(unit_name):
        return ["TM. ỦY BAN NHÂN DÂN", *(["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"] if deputy else ["CHỦ TỊCH"])]
    for start, title in titles:
        if folded.startswith(start):
            return [f"KT. {title}", f"PHÓ {title}"] if deputy else [title]
    return ["KT. THỦ TRƯỞNG ĐƠN VỊ", "PHÓ THỦ TRƯỞNG ĐƠN VỊ"] if deputy else ["THỦ TRƯỞNG ĐƠN VỊ"]


@dataclass(frozen=True)
class Letterhead:
    """Everything around a report's figures."""

    superior: str | None  # the body above the issuing one ("UBND THÀNH PHỐ HÀ NỘI"), or none
    body: str  # the issuing body, as its header writes it
    number: str  # "Số: …/BC-SNV"
    place_date: str
    title: str
    sections: dict[str, str]  # results, shortcomings, proposals (engine.effects.SECTIONS)
    note: str | None  # the covering note sent with it
    recipients: list[str]  # names, in the order of their codes
    signature: list[str]


def report_sections(db: Database, report_id: int) -> dict[str, str]:
    """The sections I-III the unit wrote with its latest submission (empty before it sent the report)."""
    with db.read() as cur:
        cur.execute(db.sql("SELECT data FROM audit_event WHERE task_id = ? AND trigger = 'submit' ORDER BY seq DESC"),
                    (report_id,))
        row = cur.fetchone()
    try:
        data = json.loads(row[0]) if row and row[0] else {}
    except ValueError:
        return {}
    sections = data.get("sections") if isinstance(data, dict) else None
    return {str(k): str(v) for k, v in sections.items()} if isinstance(sections, dict) else {}


def _place(db: Database, cur: Any, definition: Mapping[str, Any], region: str) -> str:
    if definition.get("place"):
        return str(definition["place"])
    if region == "KT":  # the Kon Tum district plan names no district (its registry's name says so)
        return "Kon Tum"
    cur.execute(db.sql("SELECT name FROM registry WHERE code = ?"), (region,))
    found = cur.fetchone()
    name = str(found[0]) if found else region
    for prefix in PLACE_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def letterhead(db: Database, content: Mapping[str, Any], today: date) -> Letterhead:
    """A sent report is dated the day it was sent and names its unit and issuer as they were named that day
    (a later rename does not rewrite it, engine/unit_names.py); one not yet sent, today."""
    from phancap.engine.clock import VIETNAM
    from phancap.engine.unit_names import NameHistory

    meta = content["report"]
    with db.read() as cur:
        cur.execute(db.sql("SELECT p.definition, p.region, i.name, p.issuer FROM plan p JOIN unit i ON i.code = p.issuer "
                           "WHERE p.code = ?"), (meta["plan"],))
        definition, region, issuer_name, issuer = cur.fetchone()
        cur.execute(db.sql("SELECT name FROM unit WHERE code = ?"), (meta["unit"],))
        unit_name = str(cur.fetchone()[0])
        cur.execute(db.sql("SELECT a.comment, a.capacity, u.roles, a.at FROM audit_event a LEFT JOIN app_user u "
                           "ON u.name = a.actor WHERE a.task_id = ? AND a.trigger = 'submit' ORDER BY a.seq DESC"),
                    (meta["id"],))
        sent = cur.fetchone()
        place = _place(db, cur, json.loads(definition), str(region))
    if sent:
        today = datetime.fromisoformat(str(sent[3])).astimezone(VIETNAM).date()
        names = NameHistory.load(db)
        unit_name = names.name_on(str(meta["unit"]), today, unit_name)
        issuer_name = names.name_on(str(issuer), today, str(issuer_name))
    superior = None if is_peoples_committee(unit_name) else formal_name(issuer_name)
    head = bool(sent) and "head" in str(sent[2] or "").split(",")
    return Letterhead(
        superior=superior.upper() if superior else None, body=formal_name(unit_name).upper(),
        number=f"Số: …/BC-{abbreviation(unit_name)}", place_date=date_in_words(place, today),
        title=str(meta.get("title") or "Báo cáo kết quả thực hiện kế hoạch"),
        sections=report_sections(db, int(meta["id"])), note=str(sent[0]) if sent and sent[0] else None,
        recipients=[str(r["name"] or r["unit"]) for r in meta.get("recipients") or []],
        signature=signature_block(unit_name, capacity=sent[1] if sent else None, head=head))


def _shipped_report_labels() -> dict[str, str]:
    from phancap.engine.workflows import load_workflows

    return {n: s.label for n, s in load_workflows()["periodic_report"].workflow.states.items()}


def document_name(item: Mapping[str, Any], fmt: str) -> str:
    """The download's file name: the period and the reporting unit (BC-2025-6T_HN-SNV.docx)."""
    return f"{str(item['task']).replace('/', '_')}_{item['unit']}.{fmt}"


def report_documents(db: Database, report_id: int, today: date, rules: StatusRules,
                     state_labels: Mapping[str, str] | None = None) -> tuple[bytes, bytes, dict[str, Any]]:
    """The report as (DOCX, XLSX, content); every figure from `report_content`. `state_labels` names the
    reports' states in Vietnamese (the periodic_report workflow's labels)."""
    from phancap.engine.documents import report_docx, report_xlsx
    from phancap.engine.reports import report_content

    content = report_content(db, report_id, today, rules)
    head = letterhead(db, content, today)
    labels = dict(state_labels or _shipped_report_labels())
    return report_docx(content, head, labels), report_xlsx(content, labels), content
