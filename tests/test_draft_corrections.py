"""Issue 14, drafts a person can correct: a Word file of a Quảng Trị plan (Số: 245/KH-UBND) whose appendix
numbers its tasks again from 1 is read into a draft, corrected field by field (a deadline, a lead),
its proposed unit confirmed, and activated under its own province's registry: the engine's side, on
SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from phancap.engine import admin_log
from phancap.engine.clock import Clock
from phancap.engine.db import Database
from phancap.engine.draft_activation import activate_draft, activation_preview, validate_draft
from phancap.engine.draft_edits import deadline_reading, edit_tasks
from phancap.engine.draft_units import decide_units
from phancap.engine.drafts import Draft, DraftError, apply_mapping, get_draft, save_draft, scope_of
from phancap.engine.importer.files import plan_file_text
from phancap.engine.users import get_user
from tests.draft_samples import CENTRE, quang_tri_docx


def _draft(db: Database, clock: Clock) -> tuple[Draft, Any]:
    admin = get_user(db, "admin")
    assert admin is not None
    scope = scope_of(db, admin)
    text_ = plan_file_text(quang_tri_docx(), "ke-hoach-245.docx")
    return save_draft(db, text_, source_name="ke-hoach-245.docx", created_by="admin", clock=clock, scope=scope), scope


def _task(draft: Draft, number: str) -> dict[str, Any]:
    return next(t for t in draft.plan["tasks"] if t["number"] == number)


def _index(draft: Draft, number: str) -> int:
    return next(i for i, t in enumerate(draft.plan["tasks"]) if t["number"] == number)


def test_the_appendix_numbering_restarted_continues_and_stays_traceable(db: Database, seeded: Any, clock: Clock) -> None:
    draft, _ = _draft(db, clock)
    assert [t["number"] for t in draft.plan["tasks"]] == ["1", "2", "3", "4", "5"]
    # the appendix's rows 1–3 continue as 3–5, each with the number it was written with and its source line
    assert [s.get("written") for s in draft.sources] == [None, None, "1", "2", "3"]
    lines = draft.source_text.split("\n")
    assert lines[draft.sources[2]["first"] - 1].startswith("| 1 | Số hóa hồ sơ thủ tục được phân cấp |")
    assert any(p["message"].startswith("nhiệm vụ 3: phụ lục đánh số lại từ 1; số 1 của phụ lục") for p in draft.problems)
    assert _task(draft, "3")["lead"] == ["QT-VPUB"]


def test_correct_confirm_and_activate_under_the_province(db: Database, seeded: Any, clock: Clock, workflows: Any) -> None:
    draft, scope = _draft(db, clock)
    assert (draft.region, draft.code) == ("QT", "QT-245-2025")
    # task 2's deadline ran into the next paragraph: unreadable, shown so
    assert "deadline" not in _task(draft, "2") or "due" not in _task(draft, "2")["deadline"]
    assert deadline_reading(_task(draft, "2")["deadline"]["phrase"])["ok"] is False
    assert [p["code"] for p in draft.proposals] == ["QT-TTPVHCCT"]

    # edits the engine refuses: each message names the task and the field; nothing is written
    with pytest.raises(DraftError) as refused:
        edit_tasks(db, draft.id, {_index(draft, "2"): {"deadline": "Quý V năm 2025", "lead": "Sở Tư pháp; Sở Du hành"},
                                  _index(draft, "1"): {"title": "  "}}, set(workflows), clock, scope)
    problems = refused.value.extra["problems"]
    assert {(p["task"], p["field"]) for p in problems} == {("2", "deadline"), ("2", "lead"), ("1", "title")}
    assert any("Nhiệm vụ 2, Chủ trì: không có đơn vị “Sở Du hành” trong danh mục QT" == p["message_vi"] for p in problems)
    assert get_draft(db, draft.id).updated_at == draft.updated_at

    # a deadline and a lead corrected; fields posted unchanged are no edit
    i2, i5 = _index(draft, "2"), _index(draft, "5")
    edited = edit_tasks(db, draft.id, {i2: {"deadline": "Trước ngày 15/11/2025", "title": _task(draft, "2")["title"]},
                                       i5: {"lead": "Sở Tài chính; Sở Nội vụ", "coordinators": "Các Sở, ngành"}},
                        set(workflows), clock, scope)
    assert _task(edited, "2")["deadline"]["due"].isoformat() == "2025-11-14"
    assert _task(edited, "5")["lead"] == ["QT-STC", "QT-SNV"] and edited.edited == [i2, i5]
    assert not any("task 2:" in p["message"] and "thời hạn" in p["message"] for p in edited.problems)

    # the proposed centre, renamed and confirmed: task 4 leads it; mapping other names leaves the edits alone
    decided = decide_units(db, draft.id, {CENTRE: {"decision": "confirmed", "code": "QT-TTPVHCC",
                                                   "unit_name": "Trung tâm Phục vụ hành chính công tỉnh Quảng Trị",
                                                   "kind": "office", "parent": "QT-UBND"}}, clock, scope)
    assert _task(decided, "4")["lead"] == ["QT-TTPVHCC"] and decided.undecided == []
    remapped = apply_mapping(db, draft.id, {}, clock, scope=scope)
    assert _task(remapped, "5")["lead"] == ["QT-STC", "QT-SNV"] and _task(remapped, "4")["lead"] == ["QT-TTPVHCC"]

    valid = validate_draft(db, draft.id, set(workflows), clock, scope)
    assert valid.state == "valid", valid.validation
    preview = activation_preview(db, valid)
    counts = {code: n for code, _, n in preview.units}
    assert counts == {"QT-STP": 1, "QT-SNV": 2, "QT-VPUB": 1, "QT-TTPVHCC": 1, "QT-STC": 1}
    assert preview.instances == 6
    assert preview.summary_vi.startswith("Sẽ tạo 6 nhiệm vụ cho 5 đơn vị: Sở Nội vụ 2, ")
    with db.engine.connect() as conn:  # the preview wrote nothing
        assert conn.execute(text("SELECT COUNT(*) FROM unit WHERE code = 'QT-TTPVHCC'")).scalar_one() == 0

    with pytest.raises(DraftError):  # confirmed for another count: refused, nothing stored
        activate_draft(db, draft.id, seeded.workflows, clock, scope, expect_instances=5)
    active, result = activate_draft(db, draft.id, seeded.workflows, clock, scope, expect_instances=6)
    assert active.state == "active" and result.created == 6
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT task, unit, deadline FROM task_instance WHERE plan = 'QT-245-2025'")).all()
        unit = conn.execute(text("SELECT region, name, parent, origin FROM unit WHERE code = 'QT-TTPVHCC'")).one()
    instances = {(r[0], r[1]): str(r[2])[:10] for r in rows}
    assert set(instances) == {("1", "QT-STP"), ("2", "QT-SNV"), ("3", "QT-VPUB"), ("4", "QT-TTPVHCC"),
                              ("5", "QT-STC"), ("5", "QT-SNV")}
    assert instances[("2", "QT-SNV")] == "2025-11-14"
    assert tuple(unit) == ("QT", "Trung tâm Phục vụ hành chính công tỉnh Quảng Trị", "QT-UBND", "admin")
    events = admin_log.search(db, action="unit.add", subject="QT-TTPVHCC")
    assert len(events) == 1 and events[0]["actor"] == "admin" and f"bản nháp {draft.id}" in events[0]["comment"]


def test_a_refused_unit_leaves_the_lead_to_be_set_by_hand(db: Database, seeded: Any, clock: Clock, workflows: Any) -> None:
    draft, scope = _draft(db, clock)
    with pytest.raises(DraftError) as bad:
        decide_units(db, draft.id, {CENTRE: {"decision": "confirmed", "code": "QT-STP"}}, clock, scope)
    assert bad.value.extra["problems"][0]["field"] == "code"
    refused = decide_units(db, draft.id, {CENTRE: {"decision": "refused"}}, clock, scope)
    assert _task(refused, "4")["lead"] == [] and refused.undecided == []
    checked = validate_draft(db, draft.id, set(workflows), clock, scope)
    assert checked.state == "draft" and any("lead" in v for v in checked.validation or [])
    by_hand = edit_tasks(db, draft.id, {_index(draft, "4"): {"lead": "Văn phòng UBND tỉnh", "deadline": "Trong năm 2025",
                                                              "title": "Công khai thủ tục tại bộ phận một cửa"}},
                         set(workflows), clock, scope)
    assert _task(by_hand, "4")["lead"] == ["QT-VPUB"]


def test_the_preview_counts_a_confirmed_department_in_the_groups_it_joins(db: Database, seeded: Any, clock: Clock,
                                                                          workflows: Any) -> None:
    """'Các Sở, ngành' takes in every department: a confirmed new department leads its tasks once added, and
    the count the person confirmed is what activation creates."""
    draft, scope = _draft(db, clock)
    i2, i3 = _index(draft, "2"), _index(draft, "3")
    edit_tasks(db, draft.id, {i2: {"deadline": "Trong năm 2025"}, i3: {"lead": "Các Sở, ngành"}}, set(workflows), clock, scope)
    decided = decide_units(db, draft.id, {CENTRE: {"decision": "confirmed", "kind": "department"}}, clock, scope)
    assert _task(decided, "3")["lead"] == ["Các Sở, ngành"]
    valid = validate_draft(db, draft.id, set(workflows), clock, scope)
    assert valid.state == "valid", valid.validation
    preview = activation_preview(db, valid)
    counts = {code: n for code, _, n in preview.units}
    assert counts["QT-TTPVHCCT"] == 2  # task 3 through the group, task 4 by name
    _, result = activate_draft(db, draft.id, seeded.workflows, clock, scope, expect_instances=preview.instances)
    assert result.created == preview.instances
    with db.engine.connect() as conn:
        led = conn.execute(text("SELECT task FROM task_instance WHERE plan = 'QT-245-2025' AND unit = 'QT-TTPVHCCT' "
                                "ORDER BY task")).scalars().all()
    assert led == ["3", "4"]
