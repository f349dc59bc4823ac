"""Issue 14: plans of other issuers, as text, Word and PDF files, imported into a database that already
holds the seeds, loaded and instantiated; the issuer in the header decides the registry, unknown
units are proposed under the issuer and loaded only when accepted."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text as sql

from phancap.engine.db import Database
from phancap.engine.errors import Refusal
from phancap.engine.importer import ImportResult, import_accepting, import_plan_text, validate_plan, write_plan_yaml
from phancap.engine.importer.files import plan_file_text
from phancap.engine.instantiate import instantiate
from phancap.engine.loader import read_definitions, store_definitions, stored_registry
from phancap.engine.queries import plan_numbers

SAMPLES = Path(__file__).resolve().parent / "importer_samples"


def _import(db: Database, text: str, name: str, **options: Any) -> ImportResult:
    numbers, codes = plan_numbers(db)
    return import_accepting(text, source=name, registry=stored_registry(db), known_plans=numbers,
                            existing_codes=codes, **options)


def _load_and_instantiate(db: Database, result: ImportResult, tmp_path: Path, workflows: Any, clock: Any) -> dict[str, tuple[str, str]]:
    """Write the plan file, load it as `phancap load FILE` does, instantiate: {task/unit: (state, deadline)}."""
    path = tmp_path / f"{result.plan['code']}.yaml"
    path.write_text(write_plan_yaml(result.plan), encoding="utf-8")
    defs = read_definitions(path, set(workflows), stored_registry(db))
    store_definitions(db, defs, clock)
    created = instantiate(db, result.plan["code"], workflows, clock)
    assert created.created > 0
    with db.engine.connect() as conn:
        rows = conn.execute(sql("SELECT task, unit, state, deadline FROM task_instance WHERE plan = :p"),
                            {"p": result.plan["code"]}).all()
    return {f"{r[0]}/{r[1]}": (str(r[2]), str(r[3])[:10]) for r in rows}


def _tasks(result: ImportResult) -> dict[str, dict[str, Any]]:
    return {t["number"]: t for t in result.plan["tasks"]}


def test_province_prose_quang_tri_is_read_in_its_own_registry(db: Database, seeded: Any, tmp_path: Path, workflows: Any,
                                                              clock: Any) -> None:
    result = _import(db, (SAMPLES / "province_quangtri.txt").read_text(encoding="utf-8"), "province_quangtri.txt",
                     accept_new_units=True)
    plan = result.plan
    assert (plan["registry"], plan["issuer"], plan["number"]) == ("QT", "QT-UBND", "245/KH-UBND")
    assert plan["code"] == "QT-245-2025"  # from the number, year and issuer; not HN-2025
    tasks = _tasks(result)
    # a name with commas stays one unit; "Sở A, Sở B và Sở C" are three coordinators
    assert tasks["1"]["lead"] == ["QT-SVHTTDL"] and tasks["1"]["coordinators"] == ["QT-STP", "QT-SNV", "QT-STC"]
    assert tasks["1"]["deadline"]["due"].isoformat() == "2025-12-19"  # "chậm nhất trước ngày 20 tháng 12": before it
    # the sentence task: lead, "phối hợp với Y và UBND các xã, phường", deadline after the semicolon
    assert tasks["2"]["title"] == "Xây dựng cơ sở dữ liệu đất đai"
    assert tasks["2"]["lead"] == ["QT-SNNMT"] and tasks["2"]["coordinators"] == ["QT-STC", "UBND các xã, phường"]
    assert tasks["2"]["deadline"]["due"].isoformat() == "2025-08-15"
    assert tasks["3"]["coordinators"] == ["Các Sở, ngành"]  # "các sở, ngành liên quan"
    # the unknown centre is proposed under the issuer and, accepted, leads task 3
    assert result.accepted and result.new_units == [{"name": "Trung tâm Phát triển quỹ đất tỉnh", "code": "QT-TTPTQDT",
                                                     "kind": "office", "type": "trung tâm", "parent": "QT-UBND"}]
    assert tasks["3"]["lead"] == ["QT-TTPTQDT"]
    assert validate_plan(plan, stored_registry(db), set(workflows)) == []
    instances = _load_and_instantiate(db, result, tmp_path, workflows, clock)
    assert instances["1/QT-SVHTTDL"][1] == "2025-12-19" and instances["2/QT-SNNMT"][1] == "2025-08-15"
    assert "3/QT-TTPTQDT" in instances
    assert not any(key.split("/")[1].startswith("HN-") for key in instances)


def test_a_nghe_an_plan_is_not_matched_to_ha_noi(db: Database, seeded: Any) -> None:
    result = _import(db, (SAMPLES / "province_nghean.txt").read_text(encoding="utf-8"), "province_nghean.txt")
    assert (result.plan["registry"], result.plan["issuer"], result.plan["code"]) == ("NA", "NA-UBND", "NA-88-2025")
    assert _tasks(result)["1"]["coordinators"] == ["NA-STP", "NA-SNV", "NA-STC"]
    assert not any("assumed" in p["message"] for p in result.problems)


def test_unproposed_units_are_not_loaded_without_consent(db: Database, seeded: Any, workflows: Any) -> None:
    result = _import(db, (SAMPLES / "province_quangtri.txt").read_text(encoding="utf-8"), "province_quangtri.txt")
    assert not result.accepted and [u["code"] for u in result.new_units] == ["QT-TTPTQDT"]
    assert "units" not in result.plan and _tasks(result)["3"]["lead"] == []
    assert any(p["line"] == 25 and "Trung tâm Phát triển quỹ đất tỉnh" in p["message"] for p in result.problems)
    assert any("lead" in m for m in validate_plan(result.plan, stored_registry(db), set(workflows)))


def test_an_unknown_issuer_is_asked_never_guessed(db: Database, seeded: Any) -> None:
    text = (SAMPLES / "province_quangtri.txt").read_text(encoding="utf-8").replace("TỈNH QUẢNG TRỊ", "TỈNH HÀ TÂY")
    text = text.replace("Quảng Trị, ngày", "Hà Tây, ngày")
    result = _import(db, text, "hatay.txt")
    assert result.plan["registry"] is None and result.plan["issuer"] is None
    assert any(p["line"] == 1 and "--registry" in p["message"] and "HÀ TÂY" in p["text"] for p in result.problems)


def test_commune_table_ambiguous_issuer_is_settled_by_the_parent_plan(db: Database, seeded: Any, tmp_path: Path,
                                                                     workflows: Any, clock: Any) -> None:
    text = (SAMPLES / "commune_tanlap_table.md").read_text(encoding="utf-8")
    asked = _import(db, text, "commune.md")  # three "Xã Tân Lập" and the parent plan not loaded: asked
    assert asked.plan["registry"] is None
    assert any("LD, QT, TNI" in p["message"] and "--registry" in p["message"] for p in asked.problems)
    parent = _import(db, (SAMPLES / "province_quangtri.txt").read_text(encoding="utf-8"), "qt.txt", accept_new_units=True)
    _load_and_instantiate(db, parent, tmp_path, workflows, clock)
    result = _import(db, text, "commune.md")  # "Thực hiện Kế hoạch số 245/KH-UBND": loaded, in QT
    assert (result.plan["registry"], result.plan["issuer"], result.plan["code"]) == ("QT", "QT-X-TANLAP", "QT-X-TANLAP-12-2025")
    tasks = _tasks(result)
    assert tasks["1"]["lead"] == ["QT-X-TANLAP-VP"] and tasks["1"]["coordinators"] == ["QT-X-TANLAP-PVHXH"]
    assert tasks["2"]["lead"] == ["QT-X-TANLAP-PKT"] and tasks["2"]["deadline"]["due"].isoformat() == "2025-12-31"
    assert tasks["1"]["deadline"]["due"].isoformat() == "2025-09-29"
    instances = _load_and_instantiate(db, result, tmp_path, workflows, clock)
    assert instances["1/QT-X-TANLAP-VP"][1] == "2025-09-29" and "2/QT-X-TANLAP-PKT" in instances
    settled = import_plan_text(text, source="commune.md", registry=stored_registry(db), region="QT")  # or --registry
    assert settled.plan["issuer"] == "QT-X-TANLAP"


def test_ministry_bullets_propose_the_ministrys_own_departments(db: Database, seeded: Any, tmp_path: Path,
                                                                workflows: Any, clock: Any) -> None:
    result = _import(db, (SAMPLES / "ministry_bnv_bullets.txt").read_text(encoding="utf-8"), "bnv.txt",
                     accept_new_units=True)
    assert (result.plan["registry"], result.plan["issuer"], result.plan["code"]) == ("CP", "CP-BNV", "CP-BNV-30-2025")
    assert [(u["code"], u["kind"], u["type"], u["parent"]) for u in result.new_units] == [
        ("CP-BNV-VCCVC", "ministry_unit", "vụ", "CP-BNV"), ("CP-BNV-VPC", "ministry_unit", "vụ", "CP-BNV"),
        ("CP-BNV-VPB", "ministry_unit", "văn phòng", "CP-BNV")]
    tasks = _tasks(result)
    assert tasks["1"]["lead"] == ["CP-BNV-VCCVC"] and tasks["2"]["coordinators"] == ["CP-BTP"]
    assert result.plan["monitor"] == "CP-BNV-VPB"
    instances = _load_and_instantiate(db, result, tmp_path, workflows, clock)
    assert instances["1/CP-BNV-VCCVC"][1] == "2025-10-30" and instances["2/CP-BNV-VPB"][1] == "2025-12-31"


def _docx_with_appendix() -> bytes:
    from docx import Document

    doc = Document()
    for line in ["ỦY BAN NHÂN DÂN", "TỈNH QUẢNG TRỊ", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
                 "Số: 300/KH-UBND", "Quảng Trị, ngày 01 tháng 8 năm 2025", "KẾ HOẠCH",
                 "Cải cách hành chính năm 2025", "I. MỤC ĐÍCH, YÊU CẦU", "Bảo đảm tiến độ.",
                 "II. NHIỆM VỤ", "Các nhiệm vụ cụ thể tại Phụ lục kèm theo.",
                 "III. TỔ CHỨC THỰC HIỆN", "Sở Nội vụ theo dõi, đôn đốc việc thực hiện Kế hoạch này.",
                 "Nơi nhận:", "- Các Sở, ngành;", "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Nguyễn Văn A",
                 "PHỤ LỤC: DANH MỤC NHIỆM VỤ"]:
        doc.add_paragraph(line)
    rows = [("STT", "Nội dung", "Cơ quan chủ trì", "Cơ quan phối hợp", "Thời gian hoàn thành", "Sản phẩm"),
            ("1", "Rà soát quy trình nội bộ", "Sở Tư pháp", "Sở Nội vụ, Sở Văn hóa, Thể thao và Du lịch",
             "Trước ngày 30/9/2025", "Báo cáo"),
            ("2", "Số hóa kết quả giải quyết thủ tục", "Văn phòng UBND tỉnh", "Sở Khoa học và Công nghệ",
             "Quý IV năm 2025", "Dữ liệu")]
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_word_file_with_an_appendix_table(db: Database, seeded: Any, tmp_path: Path, workflows: Any, clock: Any) -> None:
    text = plan_file_text(_docx_with_appendix(), "ke-hoach.docx")
    assert "| 1 | Rà soát quy trình nội bộ | Sở Tư pháp |" in text  # the table after the paragraphs, in order
    result = _import(db, text, "ke-hoach.docx")
    assert (result.plan["registry"], result.plan["code"]) == ("QT", "QT-300-2025")
    tasks = _tasks(result)
    assert tasks["1"]["lead"] == ["QT-STP"] and tasks["1"]["coordinators"] == ["QT-SNV", "QT-SVHTTDL"]
    assert tasks["2"]["lead"] == ["QT-VPUB"] and tasks["2"]["deadline"]["due"].isoformat() == "2025-12-31"
    assert validate_plan(result.plan, stored_registry(db), set(workflows)) == []
    instances = _load_and_instantiate(db, result, tmp_path, workflows, clock)
    assert instances["1/QT-STP"][1] == "2025-09-29" and "2/QT-VPUB" in instances


def _pdf(lines: list[str]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    font = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    if not font.exists():
        pytest.skip("no DejaVuSans font to write Vietnamese into the PDF")
    pdfmetrics.registerFont(TTFont("DejaVu", str(font)))
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4)
    y = 800.0
    for line in lines:
        if y < 40:
            page.showPage()
            y = 800.0
        page.setFont("DejaVu", 9)
        page.drawString(40, y, line)
        y -= 13
    page.save()
    return out.getvalue()


def test_pdf_with_a_text_layer(db: Database, seeded: Any, tmp_path: Path, workflows: Any, clock: Any) -> None:
    lines = (SAMPLES / "province_nghean.txt").read_text(encoding="utf-8").splitlines()
    text = plan_file_text(_pdf(lines), "nghe-an.pdf")
    result = _import(db, text, "nghe-an.pdf", accept_new_units=True)
    assert (result.plan["registry"], result.plan["issuer"]) == ("NA", "NA-UBND")
    tasks = _tasks(result)
    assert tasks["1"]["lead"] == ["NA-SVHTTDL"] and tasks["2"]["deadline"]["due"].isoformat() == "2025-08-15"
    instances = _load_and_instantiate(db, result, tmp_path, workflows, clock)
    assert instances["1/NA-SVHTTDL"][1] == "2025-12-19"


def test_a_scanned_pdf_is_refused_with_a_clear_message() -> None:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.rect(50, 50, 200, 200, fill=1)  # an image-like page: no text at all
    page.save()
    with pytest.raises(Refusal) as refused:
        plan_file_text(out.getvalue(), "scan.pdf")
    assert refused.value.rule == "request" and "không có lớp chữ" in refused.value.message_vi
    assert "OCR" in refused.value.message_en


def test_import_plan_cli_json_and_load(tmp_path: Path) -> None:
    """`phancap import-plan FILE -o OUT --accept-new-units --json`, then `phancap load OUT` as it is."""
    import json

    from tests.test_cli import run

    run(tmp_path, "db", "upgrade")
    run(tmp_path, "load")
    out = tmp_path / "qt.yaml"
    proposed = run(tmp_path, "import-plan", str(SAMPLES / "province_quangtri.txt"), "--json", check=False)
    assert proposed.returncode == 1  # a person must decide: the new unit is only proposed
    report = json.loads(proposed.stdout)
    assert [u["code"] for u in report["new_units"]] == ["QT-TTPTQDT"] and not report["new_units_accepted"]
    assert any(p["line"] == 25 for p in report["problems"])
    accepted = run(tmp_path, "import-plan", str(SAMPLES / "province_quangtri.txt"), "-o", str(out),
                   "--accept-new-units", "--json")
    report = json.loads(accepted.stdout)
    assert {"code", "registry", "issuer", "tasks", "new_units", "problems"} <= set(report)
    assert (report["code"], report["registry"], report["issuer"]) == ("QT-245-2025", "QT", "QT-UBND")
    assert [(t["number"], t["lead"], t["deadline"]["due"], t["workflow"]) for t in report["tasks"]] == [
        ("1", ["QT-SVHTTDL"], "2025-12-19", "plan_task"), ("2", ["QT-SNNMT"], "2025-08-15", "plan_task"),
        ("3", ["QT-TTPTQDT"], "2025-12-31", "plan_task")]
    assert "loaded 1 units" in run(tmp_path, "load", str(out)).stdout
    assert json.loads(run(tmp_path, "instantiate", "QT-245-2025", "--json").stdout)["created"] == 3
    again = json.loads(run(tmp_path, "import-plan", str(SAMPLES / "province_quangtri.txt"), "--json", check=False).stdout)
    assert again["code"] == "QT-245-2025-2"  # never a loaded code
    commune = run(tmp_path, "import-plan", str(SAMPLES / "commune_tanlap_table.md"), "--json", check=False)
    assert json.loads(commune.stdout)["registry"] == "QT"  # its parent plan 245/KH-UBND is loaded, in QT


def test_deadline_cli_gives_a_recurring_dates_first_due_day(tmp_path: Path) -> None:
    import json

    from tests.test_cli import run

    after = json.loads(run(tmp_path, "deadline", "trước ngày 10 tháng 6", "--issued", "2025-07-01", "--json").stdout)
    assert (after["kind"], after["due"]) == ("recurring", "2026-06-09")
    before = json.loads(run(tmp_path, "deadline", "ngày 15 tháng 12 hằng năm", "--issued", "2025-07-01", "--json").stdout)
    assert before["due"] == "2025-12-15"
    assert json.loads(run(tmp_path, "deadline", "trước ngày 10 tháng 6", "--json").stdout)["due"] is None
    exclusive = json.loads(run(tmp_path, "deadline", "chậm nhất trước ngày 20 tháng 12 năm 2023", "--json").stdout)
    assert (exclusive["kind"], exclusive["due"]) == ("date", "2023-12-19")
