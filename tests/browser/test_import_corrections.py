"""Issue 14, done when: a Word file of a Quảng Trị plan (Số: 245/KH-UBND) with an appendix table numbered
again from 1 is uploaded in the import page, corrected there (a deadline with its reading shown as it is
typed, a lead, a refused unit name with the person's input kept, the proposed unit confirmed), and
activated after confirming how many tasks it creates for which units, under the QT registry."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect
from sqlalchemy import text

from phancap.engine.db import Database
from tests.browser.conftest import LiveServer
from tests.browser.test_life_cycle import login
from tests.draft_samples import quang_tri_docx


def _rows(server: LiveServer, sql: str) -> list[tuple[Any, ...]]:
    db = Database(server.db_url)
    try:
        with db.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql)).all()]
    finally:
        db.dispose()


def test_a_word_plan_is_corrected_in_the_page_and_activates_under_its_province(page: Any, live_server: LiveServer) -> None:
    server = live_server
    login(page, server, "admin")
    page.goto(f"{server.url}/plans/import")
    page.set_input_files("input[name=file]", files=[{
        "name": "ke-hoach-245.docx", "buffer": quang_tri_docx(),
        "mimeType": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}])
    page.click("#import-form button[type=submit]")
    page.wait_for_url("**/plans/imports/*?done=created")
    assert "QT-245-2025" in page.locator("h1").inner_text()

    # each task's fields beside its source lines; the appendix's row 1 continues as task 3
    task3 = page.locator("fieldset.task-edit[data-task='3']")
    assert "(số 1 trong phụ lục)" in task3.locator("legend").inner_text()
    assert "Số hóa hồ sơ thủ tục được phân cấp" in task3.locator(".task-source").inner_text()
    task2 = page.locator("fieldset.task-edit[data-task='2']")
    assert "Không đọc được thời hạn" in task2.locator("output.deadline-reading").inner_text()

    # the reading follows the phrase as it is typed (static script, the engine's reader)
    deadline = task2.locator("input.deadline-input")
    deadline.fill("Quý V năm 2025")
    expect(task2.locator("output.deadline-reading")).to_contain_text("Không đọc được thời hạn “Quý V năm 2025”")
    deadline.fill("Trước ngày 15/11/2025")
    expect(task2.locator("output.deadline-reading")).to_have_text("Hạn ngày 14/11/2025")

    # a lead corrected, and a coordinator that is no unit: refused naming task and field, nothing lost
    task5 = page.locator("fieldset.task-edit[data-task='5']")
    task5.locator("textarea[name$='-lead']").fill("Sở Tài chính; Sở Nội vụ")
    task5.locator("textarea[name$='-coordinators']").fill("Sở Du hành")
    page.click("#tasks-form button[type=submit]")
    page.wait_for_load_state()
    alerts = page.locator("fieldset.task-edit[data-task='5'] .field-problem").all_inner_texts()
    assert alerts == ["Nhiệm vụ 5, Phối hợp: không có đơn vị “Sở Du hành” trong danh mục QT"], alerts
    assert page.locator("fieldset.task-edit[data-task='2'] input.deadline-input").input_value() == "Trước ngày 15/11/2025"
    assert page.locator("fieldset.task-edit[data-task='5'] textarea[name$='-lead']").input_value() == "Sở Tài chính; Sở Nội vụ"
    page.locator("fieldset.task-edit[data-task='5'] textarea[name$='-coordinators']").fill("Các Sở, ngành")
    page.click("#tasks-form button[type=submit]")
    page.wait_for_url("**?done=tasks*")
    assert page.locator("fieldset.task-edit[data-task='2'] output").inner_text() == "Hạn ngày 14/11/2025"
    assert page.locator("tr.parsed-task[data-task='5'] td.lead").inner_text() == "Sở Tài chính; Sở Nội vụ"

    # the proposed centre: its code edited, confirmed
    row = page.locator("tr.proposal[data-name='Trung tâm Phục vụ hành chính công tỉnh']")
    assert row.locator("input[name$='-code']").input_value() == "QT-TTPVHCCT"
    row.locator("input[name$='-code']").fill("QT-TTPVHCC")
    row.locator("select[name$='-decision']").select_option("confirmed")
    page.click("#units-form button[type=submit]")
    page.wait_for_url("**?done=units*")
    assert page.locator("tr.parsed-task[data-task='4'] td.lead").inner_text() == "Trung tâm Phục vụ hành chính công tỉnh"

    page.click("#validate-form button")
    page.wait_for_url("**?done=validate")
    assert page.locator("#draft-state").get_attribute("data-state") == "valid"
    summary = page.locator("#activation-summary").inner_text()
    assert summary.startswith("Sẽ tạo 6 nhiệm vụ cho 5 đơn vị: Sở Nội vụ 2, ")
    assert "Trung tâm Phục vụ hành chính công tỉnh 1" in summary
    page.click("#activate-form button")  # not confirmed: the form does not go
    assert page.locator("#draft-state").get_attribute("data-state") == "valid"
    page.check("#activate-form input[name=confirm]")
    page.click("#activate-form button")
    page.wait_for_url("**?done=activate")
    assert page.locator("#draft-state").get_attribute("data-state") == "active"

    instances = _rows(server, "SELECT task, unit, deadline FROM task_instance WHERE plan = 'QT-245-2025' ORDER BY task, unit")
    assert [(t, u) for t, u, _ in instances] == [("1", "QT-STP"), ("2", "QT-SNV"), ("3", "QT-VPUB"), ("4", "QT-TTPVHCC"),
                                                 ("5", "QT-SNV"), ("5", "QT-STC")]
    assert str(instances[1][2])[:10] == "2025-11-14"
    assert _rows(server, "SELECT region, parent FROM unit WHERE code = 'QT-TTPVHCC'") == [("QT", "QT-UBND")]
    assert _rows(server, "SELECT actor FROM admin_event WHERE action = 'unit.add' AND subject = 'QT-TTPVHCC'") == [("admin",)]
