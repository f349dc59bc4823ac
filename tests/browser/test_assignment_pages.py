"""Assignment and notifications by clicking, in Chromium (issue 15): the head of Sở Công Thương assigns a
task to its officer on the task page; the officer sees the count in the header, the notification linking
to the task, the task first in "Chờ tôi xử lý" marked as theirs, and marks everything read."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import LiveServer
from tests.browser.test_life_cycle import login, logout, task_id


def test_the_head_assigns_and_the_officer_is_told(page: Any, live_server: LiveServer) -> None:
    tid = task_id(live_server)
    login(page, live_server, "ld.sct")
    page.goto(f"{live_server.url}/tasks/{tid}")
    assert page.locator("#assignee").inner_text() == "chưa phân công"
    form = page.locator("#assign-form")
    assert form.locator("h3").inner_text() == "Phân công chuyên viên"
    assert page.locator("form[data-trigger=assign_officer][action$=fire]").count() == 0  # no generic form for it
    form.locator("select[name=assignee]").select_option("cv.sct")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#assignee[data-assignee='cv.sct']")
    assert "Phân công chuyên viên" in page.locator(".alert.ok").inner_text()
    assert "cv.sct" in page.locator(".timeline .event[data-trigger=assign_officer] .assignment").inner_text()
    assert page.locator(".notice-count").count() == 0  # the head's own action tells the head nothing
    logout(page, live_server)

    login(page, live_server, "cv.sct")
    assert page.locator("#notices .notice-count").inner_text() == "1"
    first = page.locator("li.task").first
    assert first.get_attribute("data-task-id") == str(tid) and first.locator(".assignee.mine").inner_text() == "Giao cho tôi"
    page.click("#notices")
    page.wait_for_url(f"{live_server.url}/thong-bao")
    entry = page.locator("li.notification.unread[data-kind=assign_officer]")
    assert entry.locator(".label").inner_text() == "Được phân công xử lý"
    assert entry.locator("a").get_attribute("href") == f"/tasks/{tid}"
    page.click("#read-all button")
    page.wait_for_selector("li.notification[data-kind=assign_officer]:not(.unread)")
    assert page.locator(".notice-count").count() == 0 and "đã đọc hết" in page.locator("main").inner_text()
    entry_link = page.locator("li.notification a").first
    entry_link.click()
    page.wait_for_url(f"{live_server.url}/tasks/{tid}")
