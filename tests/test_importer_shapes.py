"""One test per text shape the plan importer handles (issue 7), each on a small sample."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from phancap.engine.importer import import_plan_text
from phancap.engine.importer.text import fold, logical_items, split_lines
from phancap.engine.organisations import Registry, check_groups, read_registry

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "tests" / "importer_samples"
D = dt.date


@pytest.fixture(scope="module")
def registry() -> Registry:
    # the registries the samples are written for: with the national registry loaded too, a text that
    # names only "UBND Thành phố" and "Sở Tư pháp" fits every city alike (the importer then says so)
    reg, problems = Registry(), []
    for path in [REPO / "definitions" / "organisations" / f for f in ("hanoi.yaml", "kontum.yaml")]:
        read_registry(path, reg, problems)
    national = Registry()
    read_registry(REPO / "definitions" / "organisations" / "national.yaml", national, problems)
    for unit in national.units.values():
        if unit.region == "HN":  # Hà Nội's communes come from the national list
            reg.add_unit(unit, problems)
    check_groups(reg, problems)
    assert not problems
    return reg


# Samples that show only tasks get a closing section, so that plan-level problems (no monitor, no
# signature) do not drown the task-level ones the tests look at.
FOOT = "III. TỔ CHỨC THỰC HIỆN\n{monitor} theo dõi, đôn đốc thực hiện Kế hoạch.\nTM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\nNguyễn Văn A\n"


@pytest.fixture()
def imp(registry):
    def run(text: str, *, foot: bool = True, **kwargs):
        kwargs.setdefault("code", "HN-TEST")
        if foot and "TỔ CHỨC THỰC HIỆN" not in text:
            text += FOOT.format(monitor="Phòng Nội vụ" if "Phòng" in text else "Sở Nội vụ")
        return import_plan_text(text, source="sample", registry=registry, **kwargs)
    return run


def tasks(result) -> dict:
    return {t["number"]: t for t in result.plan["tasks"]}


HEAD = "KẾ HOẠCH\nThử nghiệm nhập kế hoạch\nUBND Thành phố ban hành Kế hoạch như sau:\nII. NHIỆM VỤ\n"


# --------------------------------------------------------------------------- structure


def test_roman_sections_numbered_tasks_at_several_depths(imp):
    text = HEAD + (
        "1. Nhóm nhiệm vụ thể chế\n"
        "1.1. Rà soát văn bản\n- Chủ trì: Sở Tư pháp.\n- Thời hạn: Trong năm 2025.\n"
        "1.2. Nhóm con\n"
        "1.2.1. Xây dựng quy chế\n- Chủ trì: Sở Nội vụ.\n- Thời hạn: Quý IV/2025.\n"
        "2. Tập huấn\n- Chủ trì: Sở Nội vụ.\n- Thời hạn: Tháng 10/2025.\n"
        "III. TỔ CHỨC THỰC HIỆN\n1. Sở Nội vụ theo dõi, đôn đốc thực hiện Kế hoạch.\n"
    )
    result = imp(text)
    got = tasks(result)
    assert list(got) == ["1", "1.1", "1.2", "1.2.1", "2"]
    assert got["1"].get("heading") and got["1.2"].get("heading") and not got["1.1"].get("heading")
    assert got["1.2.1"]["deadline"]["due"] == D(2025, 12, 31)
    assert got["2"]["deadline"]["due"] == D(2025, 10, 31)
    assert result.plan["monitor"] == "HN-SNV"


def test_lettered_items_are_fields_or_sub_tasks(imp):
    text = HEAD + (
        "1. Rà soát văn bản\n"
        "a) Nội dung: Rà soát toàn bộ quyết định.\n"
        "b) Cơ quan thực hiện:\n- Chủ trì: Sở Tư pháp;\n- Phối hợp: Sở Nội vụ.\n"
        "c) Sản phẩm: Báo cáo.\n"
        "d) Thời gian hoàn thành: Trước ngày 30/6/2025.\n"
        "2. Đề xuất phân cấp\n"
        "a) Rà soát danh mục quyết định. Nội dung: Các Sở rà soát.\n"
        "- Cơ quan chủ trì: Sở Nội vụ.\n- Thời gian hoàn thành: Trước ngày 20/7/2025.\n"
        "b) Trình UBND Thành phố ban hành Quyết định: Quyết định nêu rõ nội dung phân cấp.\n"
        "- Cơ quan chủ trì: Sở Tư pháp.\n- Thời gian hoàn thành: Chậm nhất ngày 30/9/2025.\n"
    )
    got = tasks(imp(text))
    assert list(got) == ["1", "2", "2.a", "2.b"]
    one = got["1"]
    assert (one["content"], one["lead"], one["coordinators"], one["product"]) == (
        "Rà soát toàn bộ quyết định.", ["HN-STP"], ["HN-SNV"], "Báo cáo")
    assert got["2"] == {"number": "2", "heading": True, "title": "Đề xuất phân cấp"}
    assert got["2.a"]["title"] == "Rà soát danh mục quyết định" and got["2.a"]["content"] == "Các Sở rà soát."
    assert got["2.b"]["title"] == "Trình UBND Thành phố ban hành Quyết định"
    assert got["2.b"]["content"] == "Quyết định nêu rõ nội dung phân cấp."
    assert got["2.b"]["deadline"]["due"] == D(2025, 9, 30)


def test_numbered_items_with_field_labels_are_fields(imp):
    text = HEAD + (
        "3. Theo dõi, kiểm tra thực hiện\n"
        "3.1. Nội dung: Theo dõi việc triển khai.\n"
        "3.2. Cơ quan thực hiện:\n"
        "- Các Sở, ban, ngành đầu mối có trách nhiệm theo dõi, phối hợp với các Sở, ban, ngành liên quan theo chức năng.\n"
        "- Sở Nội vụ: Theo dõi, đôn đốc, báo cáo UBND Thành phố.\n"
        "3.3. Thời gian thực hiện: Trong năm 2025.\n"
    )
    got = tasks(imp(text))
    assert list(got) == ["3"]
    t = got["3"]
    assert t["content"] == "Theo dõi việc triển khai."
    assert t["lead_text"] == "Các Sở, ban, ngành đầu mối; Sở Nội vụ"
    assert t["lead"] == ["Các Sở đầu mối", "HN-SNV"]
    assert t["coordinators_text"] == "các Sở, ban, ngành liên quan" and t["coordinators"] == ["Các Sở, ngành"]


def test_table_with_pipes(imp):
    result = imp((SAMPLES / "table_pipes.md").read_text(encoding="utf-8"))
    got = tasks(result)
    assert list(got) == ["1", "1.1", "1.2", "2", "2.1"]
    assert got["1"] == {"number": "1", "heading": True, "title": "Hoàn thiện thể chế"}
    assert got["1.1"]["lead"] == ["HN-STP"] and got["1.1"]["coordinators"] == ["HN-SNV"]
    assert got["1.1"]["coordinators_text"] == "Sở Nội vụ; các cơ quan liên quan"
    assert got["1.1"]["product"] == "Báo cáo rà soát"
    assert got["1.2"]["title"] == "Xây dựng quy chế phối hợp giữa các Sở"  # a cell wrapped onto a second row
    assert got["1.2"]["deadline"] == {"phrase": "Quý III/2025", "kind": "date", "due": D(2025, 9, 30)}
    assert got["2.1"]["coordinators"] == ["Chính quyền địa phương cấp cơ sở"]
    assert result.plan["signer"] == {"name": "Nguyễn Văn A", "capacity": "TL.", "title": "Chánh Văn phòng",
                                     "on_behalf_of": "Chủ tịch", "block": "TL. CHỦ TỊCH / CHÁNH VĂN PHÒNG"}
    assert result.plan["legal_basis"] == [
        "Căn cứ Kế hoạch số 10/KH-UBND ngày 01/3/2025 của UBND Thành phố về cải cách hành chính",
        "Căn cứ Quyết định số 608/QĐ-TTg ngày 15/3/2025 của Thủ tướng Chính phủ",
    ]
    assert result.problems == []


def test_table_with_tabs(imp):
    text = HEAD + (
        "STT\tNội dung\tChủ trì\tPhối hợp\tThời hạn\tSản phẩm\n"
        "1\tRà soát thủ tục hành chính\tSở Tư pháp\tSở Nội vụ\tTrước ngày 30/6/2025\tDanh mục\n"
        "2\tCập nhật cơ sở dữ liệu\tSở Khoa học và Công nghệ\t\tThường xuyên\t\n"
    )
    result = imp(text)
    got = tasks(result)
    assert list(got) == ["1", "2"]
    assert (got["1"]["lead"], got["1"]["coordinators"], got["1"]["product"]) == (["HN-STP"], ["HN-SNV"], "Danh mục")
    assert got["1"]["deadline"]["due"] == D(2025, 6, 29)
    assert got["2"]["lead"] == ["HN-SKHCN"] and got["2"]["coordinators"] == [] and got["2"]["product"] is None
    assert got["2"]["deadline"] == {"phrase": "Thường xuyên", "kind": "open", "due": None}


def test_one_sentence_tasks(imp):
    text = HEAD + (
        "1. Sở Tư pháp chủ trì, phối hợp với Sở Nội vụ và các cơ quan liên quan rà soát các quyết định "
        "của UBND Thành phố; hoàn thành trước ngày 30/6/2025.\n"
        "2. Rà soát thủ tục hành chính\n"
        "- Sở Nội vụ chủ trì, phối hợp với Sở Tài chính tổng hợp danh mục thủ tục; hoàn thành trong năm 2025.\n"
    )
    result = imp(text)
    got = tasks(result)
    one, two = got["1"], got["2"]
    assert one["title"] == "Rà soát các quyết định của UBND Thành phố"
    assert (one["lead"], one["lead_text"]) == (["HN-STP"], "Sở Tư pháp")
    assert (one["coordinators"], one["coordinators_text"]) == (["HN-SNV"], "Sở Nội vụ và các cơ quan liên quan")
    assert one["deadline"] == {"phrase": "hoàn thành trước ngày 30/6/2025", "kind": "date", "due": D(2025, 6, 29)}
    assert two["title"] == "Rà soát thủ tục hành chính"
    assert (two["lead"], two["coordinators"], two["coordinators_text"]) == (["HN-SNV"], ["HN-STC"], "Sở Tài chính")
    assert two["deadline"]["due"] == D(2025, 12, 31)
    assert result.unmatched_units == []


@pytest.mark.parametrize("bullet", ["•", "+", "-", "- "])
def test_bullets(imp, bullet):
    text = HEAD + (
        f"1. Tuyên truyền Luật\n{bullet} Chủ trì: Sở Nội vụ;\n{bullet} Phối hợp: Sở Tư pháp;\n"
        f"{bullet} Thời hạn: Trước ngày 15/5/2025.\n"
    )
    t = tasks(imp(text))["1"]
    assert (t["lead"], t["coordinators"], t["deadline"]["due"]) == (["HN-SNV"], ["HN-STP"], D(2025, 5, 14))


def test_bold_markers(imp):
    text = (
        "**KẾ HOẠCH**\n**Thử nghiệm chữ đậm**\n**II. NHIỆM VỤ**\n"
        "**1. Rà soát văn bản.**\n- **Chủ trì:** Sở Tư pháp.\n"
        "- Thời gian hoàn thành: **Trước ngày 30/6/2025.**\n"
    )
    result = imp(text)
    t = tasks(result)["1"]
    assert result.plan["title"] == "Kế hoạch thử nghiệm chữ đậm"
    assert t["title"] == "Rà soát văn bản" and t["lead_text"] == "Sở Tư pháp"
    assert t["deadline"]["phrase"] == "Trước ngày 30/6/2025"


def test_wrapped_pdf_lines_with_trailing_spaces(imp):
    raw = (SAMPLES / "wrapped_pdf.txt").read_text(encoding="utf-8")
    assert " \n" in raw  # the sample keeps the trailing spaces and blank lines of PDF extraction
    result = imp(raw, code="KT-TEST")
    plan = result.plan
    assert plan["registry"] == "KT" and plan["issuer"] == "KT-UBND" and plan["monitor"] == "KT-PNV"
    assert plan["title"] == "Kế hoạch rà soát văn bản quy phạm pháp luật theo quy định mới"
    assert plan["legal_basis"] == [
        "Căn cứ Kế hoạch số 5/KH-UBND ngày 2 tháng 4 năm 2025 của UBND tỉnh Kon Tum về việc rà soát văn bản"]
    t = tasks(result)["1"]
    assert t["title"] == "Rà soát các quyết định của Ủy ban nhân dân huyện ban hành trong năm 2024"
    assert t["lead_text"] == "Phòng Tư pháp; UBND các xã, thị trấn"
    assert t["lead"] == ["KT-PTP", "UBND các xã, thị trấn"]
    assert t["deadline"] == {"phrase": "Trước ngày 15 tháng 5 năm 2025", "kind": "date", "due": D(2025, 5, 14)}
    assert plan["recipients"] == ["Sở Nội vụ (b/c)", "Lưu VT"]
    assert plan["signer"]["name"] == "Trần Văn B" and plan["signer"]["block"] == "TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH"
    assert plan["reporting"][0]["text"] == "Phòng Nội vụ theo dõi, đôn đốc thực hiện và báo cáo UBND huyện kết quả thực hiện"
    assert result.problems == []


def test_joining_keeps_paragraphs_apart():
    lines = split_lines("KẾ HOẠCH\nTên kế hoạch\n\ncòn tiếp\nCăn cứ Luật A\n\nvà Luật B.\nUBND Thành phố ban hành.\n")
    assert [i.text for i in logical_items(lines)] == [
        "KẾ HOẠCH", "Tên kế hoạch còn tiếp", "Căn cứ Luật A và Luật B.", "UBND Thành phố ban hành."]


@pytest.mark.parametrize("phrase, due", [
    ("20.7.2025", D(2025, 7, 20)), ("20-7-2025", D(2025, 7, 20)), ("Trước ngày 20.7.2025", D(2025, 7, 19)),
    ("Trước ngày 20-7-2025", D(2025, 7, 19)), ("Chậm nhất ngày 20 tháng 7 năm 2025", D(2025, 7, 20)),
])
def test_dotted_and_dashed_dates(imp, phrase, due):
    t = tasks(imp(HEAD + f"1. Rà soát\n- Chủ trì: Sở Tư pháp.\n- Thời hạn: {phrase}.\n"))["1"]
    assert t["deadline"] == {"phrase": phrase, "kind": "date", "due": due}


# --------------------------------------------------------------------------- labels


@pytest.mark.parametrize("label, key, value, expected", [
    ("Chủ trì", "lead", "Sở Tư pháp", ["HN-STP"]),
    ("Cơ quan chủ trì", "lead", "Sở Tư pháp", ["HN-STP"]),
    ("Chủ trì thực hiện", "lead", "Sở Tư pháp", ["HN-STP"]),
    ("Đơn vị thực hiện", "lead", "Sở Tư pháp", ["HN-STP"]),
    ("Cơ quan thực hiện", "lead", "Sở Tư pháp", ["HN-STP"]),
    ("Phối hợp", "coordinators", "Sở Tài chính", ["HN-STC"]),
    ("Cơ quan phối hợp", "coordinators", "Sở Tài chính", ["HN-STC"]),
    ("Phối hợp thực hiện", "coordinators", "Sở Tài chính", ["HN-STC"]),
    ("Đầu mối chịu trách nhiệm theo dõi nhiệm vụ", "focal", "Sở Tài chính", "HN-STC"),
    ("Thời gian hoàn thành", "deadline", "Trong năm 2025", {"phrase": "Trong năm 2025", "kind": "date", "due": D(2025, 12, 31)}),
    ("Thời hạn", "deadline", "Trong năm 2025", {"phrase": "Trong năm 2025", "kind": "date", "due": D(2025, 12, 31)}),
    ("Thời gian thực hiện", "deadline", "Trong năm 2025", {"phrase": "Trong năm 2025", "kind": "date", "due": D(2025, 12, 31)}),
    ("Sản phẩm", "product", "Báo cáo tổng hợp", "Báo cáo tổng hợp"),
    ("Nội dung", "content", "Rà soát các văn bản", "Rà soát các văn bản."),
    ("Yêu cầu", "content", "Rà soát các văn bản", "Rà soát các văn bản."),
    ("Trình tự, thủ tục trình Quyết định", "procedure_text", "Theo quy trình rút gọn", "Theo quy trình rút gọn"),
])
def test_each_label_variant(imp, label, key, value, expected):
    base = {"lead": "- Chủ trì: Sở Nội vụ.\n", "deadline": "- Thời hạn: Trong năm 2025.\n"}
    base.pop(key, None)
    text = HEAD + "1. Nhiệm vụ mẫu\n" + f"- {label}: {value}.\n" + "".join(base.values())
    result = imp(text)
    t = tasks(result)["1"]
    assert t[key] == expected
    assert result.problems == []
    if key == "procedure_text":
        assert t["workflow"] == "shortened_procedure"
    if key == "lead":
        assert t["lead_text"] == value


def test_prose_executors_give_lead_text_and_content(imp):
    text = HEAD + ("1. Theo dõi thực hiện\n- Cơ quan thực hiện: Các Sở, ban, ngành; chính quyền cơ sở có trách "
                   "nhiệm theo dõi, phối hợp với cơ quan liên quan theo chức năng.\n- Thời hạn: Thường xuyên.\n")
    t = tasks(imp(text))["1"]
    assert t["lead_text"] == "Các Sở, ban, ngành; chính quyền cơ sở"
    assert t["lead"] == ["Các Sở, ngành", "Chính quyền địa phương cấp cơ sở"]
    assert t["content"].startswith("Các Sở, ban, ngành; chính quyền cơ sở có trách nhiệm")
    assert t["coordinators"] == [] and t["coordinators_text"] is None  # "cơ quan liên quan" is no unit


# --------------------------------------------------------------------------- units


def test_unknown_units_are_listed_never_invented(imp, registry):
    text = HEAD + ("1. Rà soát hạ tầng\n- Chủ trì: Sở Giao thông vận tải.\n"
                   "- Phối hợp: Công an Thành phố, Sở Nội vụ và các cơ quan, tổ chức liên quan.\n"
                   "- Thời hạn: Trong năm 2025.\n")
    result = imp(text)
    t = tasks(result)["1"]
    assert result.unmatched_units == ["Sở Giao thông vận tải", "Công an Thành phố"]
    assert t["lead"] == [] and t["lead_text"] == "Sở Giao thông vận tải"
    assert t["coordinators"] == ["HN-SNV"]
    assert t["coordinators_text"] == "Công an Thành phố, Sở Nội vụ và các cơ quan, tổ chức liên quan"
    messages = " ".join(p["message"] for p in result.problems)
    assert "Sở Giao thông vận tải" in messages and "Công an Thành phố" in messages
    assert all(p["line"] == 6 for p in result.problems if "Giao thông" in p["message"])
    known = set(registry.units) | {g.name for g in registry.groups.values()}
    assert all(ref in known for task in result.plan["tasks"] for ref in task.get("lead", []) + task.get("coordinators", []))


def test_generic_phrases_are_not_units(imp):
    text = HEAD + ("1. Rà soát\n- Chủ trì: Sở Tư pháp.\n- Phối hợp: Các cơ quan, đơn vị có liên quan.\n"
                   "- Thời hạn: Trong năm 2025.\n")
    result = imp(text)
    t = tasks(result)["1"]
    assert t["coordinators"] == [] and t["coordinators_text"] == "Các cơ quan, đơn vị có liên quan"
    assert result.unmatched_units == [] and result.problems == []


@pytest.mark.parametrize("written, ref", [
    ("sở tư pháp", "HN-STP"),  # case
    ("So Tu phap", "HN-STP"),  # diacritics
    ("Sở Văn hoá và Thể thao", "HN-SVHTT"),  # hoá / hóa
    ("Ủy ban nhân dân phường Hoàn Kiếm", "HN-P-HOANKIEM"),  # alias
    ("Uỷ ban nhân dân Thành phố", "HN-UBND"),  # Uỷ / Ủy
    ("UBND phường Ba Đình", "HN-P-BADINH"),
    ("Các Sở: Tư pháp, Tài chính và Nội vụ", ["HN-STP", "HN-STC", "HN-SNV"]),  # enumeration
])
def test_unit_name_matching(imp, written, ref):
    text = HEAD + f"1. Rà soát\n- Chủ trì: {written}.\n- Thời hạn: Trong năm 2025.\n"
    t = tasks(imp(text))["1"]
    assert t["lead"] == (ref if isinstance(ref, list) else [ref])


def test_fold_keeps_positions():
    text = "Ủy ban nhân dân Đông Anh"
    assert fold(text) == "uy ban nhan dan dong anh" and len(fold(text)) == len(text)


# --------------------------------------------------------------------------- problems


def test_unreadable_deadline_is_a_problem_with_its_line(imp):
    text = HEAD + "1. Rà soát\n- Chủ trì: Sở Tư pháp.\n- Thời hạn: Sớm nhất có thể.\n"
    result = imp(text)
    t = tasks(result)["1"]
    assert t["deadline"] == {"phrase": "Sớm nhất có thể"}  # never a guess
    (problem,) = result.problems
    assert problem["line"] == 7 and problem["text"] == "Sớm nhất có thể"
    assert "không đọc được thời hạn" in problem["message"]


def test_missing_lead_and_deadline_and_unplaced_text_are_problems(imp):
    text = HEAD + "Các nhiệm vụ như sau:\n1. Rà soát văn bản\n"
    result = imp(text)
    by_line = {(p["line"], p["message"].split(" / ")[-1]) for p in result.problems}
    assert (5, "text before the first task, not placed") in by_line
    assert any(line == 6 and "no lead" in m for line, m in by_line)
    assert any(line == 6 and "no deadline" in m for line, m in by_line)


def test_code_registry_and_issuer_heuristics(imp):
    text = "KẾ HOẠCH\nRà soát năm 2025\nII. NHIỆM VỤ\n1. Rà soát\n- Chủ trì: Phòng Tư pháp.\n- Thời hạn: Trong năm 2025.\n"
    result = imp(text, code=None, foot=False)
    plan = result.plan
    assert (plan["code"], plan["registry"], plan["issuer"], plan["justice"]) == ("KT-2025", "KT", "KT-UBND", "KT-PTP")
    messages = " ".join(p["message"] for p in result.problems)
    assert "no plan code given" in messages and "issuer" in messages and "monitors the plan" in messages


# --------------------------------------------------------------------------- document parts


def test_legal_basis_recipients_and_signature_capacity(imp):
    text = (
        "KẾ HOẠCH\nCải cách hành chính năm 2025\n"
        "Căn cứ Luật Tổ chức chính quyền địa phương năm 2025;\n"
        "Thực hiện Kế hoạch số 10/KH-UBND ngày 5/3/2025 của UBND Thành phố, UBND Thành phố ban hành Kế hoạch như sau:\n"
        "II. NHIỆM VỤ\n1. Rà soát\n- Chủ trì: Sở Tư pháp.\n- Thời hạn: Trong năm 2025.\n"
        "III. TỔ CHỨC THỰC HIỆN\n"
        "1. Sở Nội vụ có trách nhiệm theo dõi, đôn đốc thực hiện Kế hoạch.\n"
        "2. Các Sở, ban, ngành báo cáo Sở Nội vụ định kỳ 6 tháng (trước ngày 15/6) và hằng năm (trước ngày 15/12).\n"
        "Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, phản ánh về Sở Nội vụ để tổng hợp./.\n"
        "Nơi nhận:\n- Như trên;\n- VPUB: CVP,\n- các PCVP;\n- Lưu: VT.\n"
        "TUQ. CHỦ TỊCH\nGIÁM ĐỐC SỞ NỘI VỤ\n(Đã ký)\n\nTrần Thị C\n"
    )
    result = imp(text)
    plan = result.plan
    assert plan["legal_basis"] == [
        "Căn cứ Luật Tổ chức chính quyền địa phương năm 2025",
        "Thực hiện Kế hoạch số 10/KH-UBND ngày 5/3/2025 của UBND Thành phố",
    ]
    assert plan["parent_plan"] == "Kế hoạch số 10/KH-UBND ngày 5/3/2025 của UBND Thành phố"
    assert plan["recipients"] == ["Như trên", "VPUB: CVP, các PCVP", "Lưu: VT"]
    assert plan["signer"] == {"name": "Trần Thị C", "capacity": "TUQ.", "title": "Giám đốc sở nội vụ",
                              "on_behalf_of": "Chủ tịch", "block": "TUQ. CHỦ TỊCH / GIÁM ĐỐC SỞ NỘI VỤ"}
    assert [(r["period"], r["month"], r["day"], r["reporters"], r["recipient"]) for r in plan["reporting"]] == [
        ("semiannual", 6, 15, ["Các Sở, ngành"], "HN-SNV"), ("annual", 12, 15, ["Các Sở, ngành"], "HN-SNV")]
    assert plan["monitor"] == plan["difficulties_to"] == "HN-SNV"
    assert result.problems == []


def test_header_number_and_issue_date(imp):
    text = ("ỦY BAN NHÂN DÂN\nTHÀNH PHỐ HÀ NỘI\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nSố: 123/KH-UBND\n"
            "Hà Nội, ngày 10 tháng 4 năm 2025\nKẾ HOẠCH\nRà soát văn bản\nII. NHIỆM VỤ\n"
            "1. Rà soát\n- Chủ trì: Sở Tư pháp.\n- Thời hạn: Trong vòng 30 ngày kể từ ngày ban hành Kế hoạch.\n")
    result = imp(text)
    plan = result.plan
    assert (plan["number"], plan["issued"], plan["issuer"]) == ("123/KH-UBND", D(2025, 4, 10), "HN-UBND")
    assert tasks(result)["1"]["deadline"]["kind"] == "date"  # relative deadlines read from the issue date


def test_pdf_layout_columns_and_sentences_as_sub_tasks(imp):
    """pdftotext -layout: header and closing in two columns; an item holding several
    one-sentence tasks becomes a heading over sub-tasks the importer numbers (and says so)."""
    result = imp((SAMPLES / "layout_columns.txt").read_text(encoding="utf-8"))
    plan = result.plan
    assert (plan["number"], plan["issued"], plan["issuer"]) == ("45/KH-UBND", D(2025, 6, 2), "HN-UBND")
    assert plan["title"] == "Kế hoạch rà soát, phân cấp nhiệm vụ quản lý năm 2025"
    assert plan["recipients"] == ["Bộ Nội vụ", "Lưu: VT, NC"]
    assert plan["signer"] == {"name": "Nguyễn Văn D", "capacity": "KT.", "title": "Phó Chủ tịch", "on_behalf_of": "Chủ tịch",
                              "block": "TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH"}
    got = tasks(result)
    assert list(got) == ["1", "1.1", "1.2", "2"]
    assert got["1"].get("heading")
    assert (got["1.1"]["title"], got["1.1"]["lead"], got["1.1"]["coordinators"]) == (
        "Rà soát các quyết định quy phạm pháp luật", ["HN-STP"], ["Các Sở, ngành"])
    assert got["1.2"]["deadline"]["due"] == D(2025, 9, 30)
    assert (got["2"]["title"], got["2"]["lead"], got["2"]["deadline"]["phrase"]) == (
        "Xây dựng cơ sở dữ liệu", ["HN-SKHCN"], "Trong năm 2025")
    assert [(p["line"], "numbered by the importer" in p["message"]) for p in result.problems] == [(14, True), (16, True)]


def test_task_table_in_an_appendix_after_the_signature(imp):
    text = (
        "KẾ HOẠCH\n(Kèm theo Quyết định số 12/QĐ-UBND)\nRà soát văn bản năm 2025\n"
        "1. MỤC ĐÍCH, YÊU CẦU\n- Bảo đảm tiến độ.\n"
        "2. NHIỆM VỤ\nChi tiết tại Phụ lục kèm theo.\n"
        "3. TỔ CHỨC THỰC HIỆN\nSở Nội vụ theo dõi, đôn đốc thực hiện Kế hoạch./.\n"
        "Nơi nhận:\n- Lưu: VT.\nTM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\nNguyễn Văn E\n"
        "PHỤ LỤC\nDANH MỤC NHIỆM VỤ\n"
        "| STT | Nhiệm vụ | Cơ quan chủ trì | Thời hạn |\n|---|---|---|---|\n"
        "| 1 | Rà soát quyết định | Sở Tư pháp | Trong năm 2025 |\n"
    )
    result = imp(text)
    plan = result.plan
    assert plan["title"] == "Kế hoạch rà soát văn bản năm 2025"
    assert plan["signer"]["name"] == "Nguyễn Văn E" and plan["recipients"] == ["Lưu: VT"]
    assert plan["monitor"] == "HN-SNV"
    assert [(t["number"], t["title"], t["lead"]) for t in plan["tasks"]] == [("1", "Rà soát quyết định", ["HN-STP"])]
    # the issuer is assumed (the text never names it) and the pointer to the appendix is not placed
    assert [(p["line"], p["message"].split(" / ")[-1][:32]) for p in result.problems] == [
        (1, "the text does not name the issue"), (7, "text before the first task, not ")]


def test_an_appendix_numbered_again_from_1_continues_the_bodys_numbers(imp, registry, workflows):
    """Issue 14: the body's tasks 1–2 and the appendix's rows 1–2 would collide; the appendix continues as
    3–4, each row keeping its line and saying which number it was written with."""
    from phancap.engine.importer import validate_plan

    text = (
        "KẾ HOẠCH\nRà soát văn bản năm 2025\nUBND Thành phố ban hành Kế hoạch như sau:\n"
        "I. NHIỆM VỤ\n1. Rà soát nghị quyết\n- Chủ trì: Sở Tư pháp\n- Thời hạn: Trong năm 2025\n"
        "2. Rà soát quyết định\n- Chủ trì: Sở Nội vụ\n- Thời hạn: Trong năm 2025\n"
        "II. TỔ CHỨC THỰC HIỆN\nSở Nội vụ theo dõi, đôn đốc thực hiện Kế hoạch./.\n"
        "Nơi nhận:\n- Lưu: VT.\nTM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\nNguyễn Văn E\n"
        "PHỤ LỤC: DANH MỤC NHIỆM VỤ\n"
        "| STT | Nhiệm vụ | Cơ quan chủ trì | Thời hạn |\n|---|---|---|---|\n"
        "| 1 | Số hóa hồ sơ | Sở Tư pháp | Trong năm 2025 |\n"
        "| 2 | Công khai thủ tục | Sở Nội vụ | Trước ngày 30/9/2025 |\n"
    )
    result = imp(text)
    assert [(t["number"], t["title"]) for t in result.plan["tasks"]] == [
        ("1", "Rà soát nghị quyết"), ("2", "Rà soát quyết định"), ("3", "Số hóa hồ sơ"), ("4", "Công khai thủ tục")]
    assert [(s["first"], s.get("written")) for s in result.sources] == [(5, None), (8, None), (21, "1"), (22, "2")]
    assert [p["line"] for p in result.problems if "appendix numbers again" in p["message"]] == [21, 22]
    assert not any("duplicate" in p for p in validate_plan(result.plan, registry, set(workflows)))


def test_report_lines_and_validation_helpers(imp, registry, workflows):
    from phancap.engine.importer import format_problems, validate_plan

    result = imp(HEAD + "1. Rà soát\n- Chủ trì: Sở Giao thông vận tải.\n- Thời hạn: Sớm nhất có thể.\n")
    lines = format_problems(result, "plan.txt")
    assert lines[0].startswith("plan.txt:6: ") and "Sở Giao thông vận tải" in lines[0]
    assert any(x.startswith("plan.txt:7: ") and x.endswith("«Sớm nhất có thể»") for x in lines)
    assert lines[-1] == "plan.txt: đơn vị cần ánh xạ / units to map: Sở Giao thông vận tải"
    problems = validate_plan(result.plan, registry, set(workflows))
    assert any("missing field 'lead'" in p for p in problems)
    assert any("deadline" in p for p in problems)
    good = imp(HEAD + "1. Rà soát\n- Chủ trì: Sở Tư pháp.\n- Thời hạn: Trong năm 2025.\n")
    assert validate_plan(good.plan, registry, set(workflows)) == []


def test_title_in_capitals_and_a_department_as_issuer(imp):
    text = ("SỞ NỘI VỤ\nKẾ HOẠCH\nTRIỂN KHAI CÔNG TÁC\nCẢI CÁCH HÀNH CHÍNH NĂM 2025\n"
            "Thực hiện Kế hoạch số 10/KH-UBND ngày 5/3/2025 của UBND Thành phố, Sở Nội vụ xây dựng Kế hoạch như sau:\n"
            "II. NHIỆM VỤ\n1. Rà soát\n- Chủ trì: Sở Tư pháp.\n- Thời hạn: Trong năm 2025.\n")
    plan = imp(text).plan
    assert plan["title"] == "Kế hoạch triển khai công tác cải cách hành chính năm 2025"
    assert plan["issuer"] == plan["authority"] == "HN-SNV"
    assert plan["legal_basis"] == ["Thực hiện Kế hoạch số 10/KH-UBND ngày 5/3/2025 của UBND Thành phố"]


def test_unnumbered_one_sentence_bullets_become_numbered_tasks(imp):
    text = HEAD + ("- Sở Tư pháp chủ trì rà soát văn bản; hoàn thành trước ngày 30/6/2025.\n"
                   "- Sở Nội vụ chủ trì, phối hợp với Sở Tài chính xây dựng quy chế; thời hạn: Quý IV/2025.\n")
    result = imp(text)
    got = tasks(result)
    assert [(n, t["title"], t["lead"], t["coordinators"]) for n, t in got.items()] == [
        ("1", "Rà soát văn bản", ["HN-STP"], []), ("2", "Xây dựng quy chế", ["HN-SNV"], ["HN-STC"])]
    assert got["2"]["deadline"]["due"] == D(2025, 12, 31)
    assert [p["line"] for p in result.problems] == [5, 6]  # numbered by the importer: said so


def test_lead_with_inline_coordinators_value_on_next_line_and_deadline_in_title(imp):
    text = HEAD + ("1. Rà soát văn bản (hoàn thành trước ngày 30/6/2025)\n"
                   "- Chủ trì: Sở Tư pháp, phối hợp với Sở Nội vụ và các cơ quan liên quan.\n"
                   "2. Xây dựng quy chế\n- Chủ trì: Sở Nội vụ.\n- Thời hạn:\n- Trong năm 2025.\n")
    result = imp(text)
    got = tasks(result)
    one = got["1"]
    assert one["title"] == "Rà soát văn bản"
    assert (one["lead_text"], one["lead"]) == ("Sở Tư pháp", ["HN-STP"])
    assert (one["coordinators_text"], one["coordinators"]) == ("Sở Nội vụ và các cơ quan liên quan", ["HN-SNV"])
    assert one["deadline"] == {"phrase": "hoàn thành trước ngày 30/6/2025", "kind": "date", "due": D(2025, 6, 29)}
    assert got["2"]["deadline"]["phrase"] == "Trong năm 2025" and got["2"]["content"] is None
    assert result.problems == []


def test_table_with_a_header_over_two_rows_and_br_in_cells(imp):
    text = HEAD + (
        "| TT | Nội dung | Cơ quan, đơn vị | Cơ quan | Thời gian |\n"
        "|    | công việc | chủ trì | phối hợp | hoàn thành |\n"
        "|----|----|----|----|----|\n"
        "| 1. | Rà soát<br>thủ tục | Sở Tư pháp | Sở Nội vụ<br/>Sở Tài chính | Tháng 9/2025 |\n"
    )
    result = imp(text)
    t = tasks(result)["1"]
    assert (t["title"], t["lead"], t["coordinators"]) == ("Rà soát thủ tục", ["HN-STP"], ["HN-SNV", "HN-STC"])
    assert t["deadline"]["due"] == D(2025, 9, 30)
    assert result.problems == []


def test_enumerations_and_bare_heads(imp):
    text = HEAD + ("1. Rà soát\n- Chủ trì: Các Sở: Tư pháp, Giao thông vận tải.\n"
                   "- Phối hợp: Sở, ban, ngành liên quan.\n- Thời hạn: Trong năm 2025.\n")
    result = imp(text)
    t = tasks(result)["1"]
    assert t["lead"] == ["HN-STP"] and result.unmatched_units == ["Sở Giao thông vận tải"]
    assert t["coordinators"] == [] and t["coordinators_text"] == "Sở, ban, ngành liên quan"


def test_reporting_dates_without_parentheses(imp):
    text = HEAD + ("1. Rà soát\n- Chủ trì: Sở Tư pháp.\n- Thời hạn: Trong năm 2025.\n"
                   "III. TỔ CHỨC THỰC HIỆN\n"
                   "Các Sở, ban, ngành gửi báo cáo về Sở Nội vụ định kỳ 6 tháng trước ngày 15/6 và hằng năm "
                   "trước ngày 15/12 để tổng hợp, báo cáo UBND Thành phố.\n")
    reporting = imp(text).plan["reporting"]
    assert [(r["period"], r["phrase"], r["month"], r["day"], r["reporters"], r["recipient"]) for r in reporting] == [
        ("semiannual", "trước ngày 15/6", 6, 15, ["Các Sở, ngành"], "HN-SNV"),
        ("annual", "trước ngày 15/12", 12, 15, ["Các Sở, ngành"], "HN-SNV"),
        (None, None, None, None, ["HN-SNV"], "HN-UBND"),
    ]


def test_one_sentence_lettered_sub_task_and_sentence_paragraph(imp):
    text = HEAD + (
        "1. Công tác tuyên truyền\n"
        "a) Sở Văn hóa và Thể thao chủ trì, phối hợp với Văn phòng UBND Thành phố đăng tải tin bài; "
        "hoàn thành trước 30/6/2025.\n"
        "2. Công tác kiểm tra\n"
        "Sở Nội vụ chủ trì kiểm tra việc thực hiện tại các phường, xã; thời gian thực hiện: Quý IV/2025.\n"
    )
    result = imp(text)
    got = tasks(result)
    assert list(got) == ["1", "1.a", "2"]
    sub = got["1.a"]
    assert (sub["title"], sub["lead"], sub["coordinators"]) == ("Đăng tải tin bài", ["HN-SVHTT"], ["HN-VPUB"])
    assert sub["deadline"]["due"] == D(2025, 6, 29)
    two = got["2"]
    assert (two["title"], two["lead"], two["deadline"]["phrase"]) == ("Công tác kiểm tra", ["HN-SNV"], "Quý IV/2025")
    assert two["content"].startswith("Sở Nội vụ chủ trì kiểm tra")
    assert result.problems == []


def test_heading_keeps_its_introduction_and_sentence_deadlines_keep_their_line(imp):
    text = HEAD + ("1. Công tác thể chế.\nCác nhiệm vụ về thể chế gồm:\n"
                   "1.1. Sở Tư pháp chủ trì rà soát văn bản; hoàn thành trước ngày 31/2/2025.\n")
    result = imp(text)
    got = tasks(result)
    assert got["1"] == {"number": "1", "heading": True, "title": "Công tác thể chế",
                        "content": "Các nhiệm vụ về thể chế gồm:"}
    assert got["1.1"]["deadline"] == {"phrase": "hoàn thành trước ngày 31/2/2025"}  # no 31 February
    assert [(p["line"], p["text"]) for p in result.problems] == [(7, "hoàn thành trước ngày 31/2/2025")]
