"""Importing a plan by clicking, in Chromium against a real server: paste the Kon Tum plan's text, map the
unit the registry does not know, validate, activate; then an officer advances one of its tasks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from phancap.engine.db import Database
from tests.api.test_imports import CODE, UNKNOWN, kon_tum_text
from tests.browser.conftest import LiveServer
from tests.browser.test_life_cycle import act, login, logout


def imported_task(server: LiveServer) -> int:
    db = Database(server.db_url)
    try:
        with db.engine.connect() as conn:
            return int(conn.execute(text("SELECT id FROM task_instance WHERE plan = :p AND task = '2' AND unit = 'KT-PTP'"),
                                    {"p": CODE}).scalar_one())
    finally:
        db.dispose()


def test_paste_map_validate_activate(page: Any, live_server: LiveServer) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    server = live_server
    login(page, server, "admin")
    page.click("text=Nhập kế hoạch")
    page.wait_for_url(f"{server.url}/plans/imports")
    page.click("text=Nhập kế hoạch mới từ văn bản")
    page.wait_for_url(f"{server.url}/plans/import")
    page.fill("textarea[name=text]", kon_tum_text() + "\n<script>alert(1)</script>")
    page.fill("input[name=code]", CODE)
    page.click("#import-form button[type=submit]")
    page.wait_for_url("**/plans/imports/*?done=created")
    assert page.locator("#draft-state").get_attribute("data-state") == "draft"

    # the parsed plan beside the source: the unknown unit is highlighted, its line flagged, task 2 uncertain
    assert page.locator(".source mark.mark-unknown").first.inner_text() == UNKNOWN
    assert "flagged" in (page.locator("#L104").get_attribute("class") or "")
    assert page.locator("tr.parsed-task.uncertain[data-task='2']").is_visible()
    assert page.locator("#activate-form button").is_disabled()

    # validating now fails and says why
    page.click("#validate-form button")
    page.wait_for_url("**?done=validate")
    assert UNKNOWN in page.locator("#validation").inner_text()
    assert page.locator("#draft-state").get_attribute("data-state") == "draft"

    # map the unknown name to Phòng Tư pháp, then validate and activate
    page.select_option(f"select[data-name='{UNKNOWN}']", "KT-PTP")
    page.click("#mapping-form button[type=submit]")
    page.wait_for_url("**?done=mapping")
    assert page.locator(".source mark.mark-mapped").first.inner_text() == UNKNOWN
    assert page.locator("tr.parsed-task[data-task='2'] td.lead").inner_text() == "Phòng Tư pháp"
    page.click("#validate-form button")
    page.wait_for_url("**?done=validate")
    assert page.locator("#validation-ok").is_visible()
    assert page.locator("#draft-state").get_attribute("data-state") == "valid"
    page.check("#activate-form input[name=confirm]")
    page.click("#activate-form button")
    page.wait_for_url("**?done=activate")
    assert page.locator("#draft-state").get_attribute("data-state") == "active"
    page.click(f"#activated a[href='/plans/{CODE}']")
    page.wait_for_url(f"{server.url}/plans/{CODE}")
    logout(page, server)

    # the imported plan's task advances like any other
    tid = imported_task(server)
    login(page, server, "cv.phtp")
    page.goto(f"{server.url}/tasks/{tid}")
    assert page.locator("#current-state").get_attribute("data-state") == "assigned"
    act(page, "submit_for_review", "in_review")
    assert dialogs == [], "no script from the pasted text may run"
