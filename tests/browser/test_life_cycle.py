"""The whole life cycle by clicking, in Chromium, against a real server: submit, return with a comment,
resubmit, submit, approve "KT. Chủ tịch", and the auditor sees every event in order and a valid chain."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from phancap.demo import DEMO_PASSWORD
from phancap.engine.collation import number_key
from phancap.engine.db import Database
from tests.browser.conftest import LiveServer

XSS = "<script>alert(1)</script> Bổ sung danh mục văn bản"


def task_id(server: LiveServer) -> int:
    db = Database(server.db_url)
    try:
        with db.engine.connect() as conn:
            return int(conn.execute(text(
                "SELECT id FROM task_instance WHERE plan = 'HN-2025' AND task = '1.1' AND unit = 'HN-SCT'")).scalar_one())
    finally:
        db.dispose()


def login(page: Any, server: LiveServer, name: str) -> None:
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", DEMO_PASSWORD)  # every demo user has the demo password
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/")
    assert page.locator(".user").inner_text().startswith(name)


def logout(page: Any, server: LiveServer) -> None:
    page.click("text=Đăng xuất")
    page.wait_for_url(f"{server.url}/login")


def act(page: Any, trigger: str, expect_state: str, **fields: str) -> None:
    form = page.locator(f"form[data-trigger={trigger}]")
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    confirm = form.locator("input[name=confirm]")
    if confirm.count():  # an irreversible step asks for confirmation first
        form.locator("button[type=submit]").click()
        assert page.locator(f"#current-state[data-state={expect_state}]").count() == 0  # not without it
        confirm.check()
    form.locator("button[type=submit]").click()
    page.wait_for_selector(f"#current-state[data-state={expect_state}]")
    assert page.locator(".alert.ok").is_visible()


def current_state(page: Any) -> str:
    return str(page.locator("#current-state").get_attribute("data-state"))


def test_life_cycle_by_clicking(page: Any, live_server: LiveServer) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    tid = task_id(live_server)
    server = live_server

    # the officer finds the task in "Việc của tôi" and sends it to the focal agency
    login(page, server, "cv.sct")
    assert "Việc của tôi" in page.locator("h1").inner_text()
    page.click(f"li.task[data-task-id='{tid}'] a")
    page.wait_for_url(f"{server.url}/tasks/{tid}")
    assert current_state(page) == "assigned"
    assert page.locator("svg.diagram g[data-current=true]").get_attribute("data-state") == "assigned"
    act(page, "submit_for_review", "in_review")
    logout(page, server)

    # the focal reviewer (Sở Tư pháp) returns it with a comment that holds a script
    login(page, server, "dm.stp")
    page.goto(f"{server.url}/tasks/{tid}")
    page.locator("form[data-trigger=return] button[type=submit]").click()  # the browser asks for the comment first
    assert current_state(page) == "in_review"
    act(page, "return", "assigned", comment=XSS)
    comment = page.locator("li.event[data-trigger=return] blockquote.comment")
    assert comment.inner_text() == XSS  # shown as text, never run
    logout(page, server)

    # the officer resubmits, the reviewer submits
    login(page, server, "cv.sct")
    page.goto(f"{server.url}/tasks/{tid}")
    act(page, "submit_for_review", "in_review")
    logout(page, server)
    login(page, server, "dm.stp")
    page.goto(f"{server.url}/tasks/{tid}")
    act(page, "submit", "submitted")
    logout(page, server)

    # a vice-chairman approves on behalf of the chairman
    login(page, server, "pd.ubnd")
    page.goto(f"{server.url}/tasks/{tid}")
    act(page, "approve", "approved", capacity="KT. Chủ tịch")
    assert page.locator("li.event[data-trigger=approve] .capacity").inner_text() == "KT. Chủ tịch"
    assert page.locator("form.action").count() == 0
    logout(page, server)

    # the auditor sees every event of the task, newest first, in Vietnamese, and the chain verifies
    login(page, server, "kiemtoan")
    page.click("text=Nhật ký kiểm toán")
    page.select_option("select[name=plan]", "HN-2025")
    page.fill("input[name=unit]", "so cong thuong")  # the unit by its name, typed without diacritics
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/audit?*")
    rows = page.locator(f"tr.audit-row[data-task='{tid}']")
    triggers = [rows.nth(i).get_attribute("data-trigger") for i in range(rows.count())]
    assert triggers == ["approve", "submit", "submit_for_review", "return", "submit_for_review", "assign"]
    seqs = [int(rows.nth(i).get_attribute("data-seq")) for i in range(rows.count())]
    assert seqs == [6, 5, 4, 3, 2, 1]
    newest = rows.nth(0).inner_text()
    assert "Phê duyệt" in newest and "Đã trình → Đã phê duyệt" in newest and "Sở Công Thương" in newest
    assert "approve" not in newest and "submitted" not in newest
    assert "chuỗi hợp lệ" in page.locator("#verify-result").inner_text()
    assert page.locator("#verify-result").get_attribute("data-ok") == "true"
    assert XSS in page.locator(f"tr.audit-row[data-task='{tid}'][data-trigger=return]").inner_text()
    assert dialogs == [], "no script from a comment may run"


def test_pages_fit_a_phone(page: Any, live_server: LiveServer) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, live_server, "dm.stp")
    for path in ("/", f"/tasks/{task_id(live_server)}", "/plans/HN-2025", "/workflows/plan_task", "/dashboard"):
        page.goto(f"{live_server.url}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 400, (path, width)
        if path == "/dashboard":
            assert page.locator(".plan-board .progress-chart, .plan-board .chart").count() >= 1  # the charts, not a refusal


def test_the_plan_matrix_names_units_and_tasks_and_keeps_them_in_view(page: Any, live_server: LiveServer) -> None:
    login(page, live_server, "dm.snv")
    page.goto(f"{live_server.url}/plans/HN-2025")
    headers = page.locator("table.matrix thead th.unit").all_inner_texts()
    assert "Sở Tư pháp" in headers and not any(h.startswith("HN-") for h in headers)  # names, not codes
    rows = page.locator("table.matrix tbody tr").evaluate_all("rs => rs.map(r => r.dataset.task)")
    assert rows[:3] == ["1.1", "1.2", "1.3"] and rows == sorted(rows, key=number_key) and not any(r.startswith("BC-") for r in rows)  # plan tasks, in order
    assert page.locator("table.matrix tbody tr[data-task='1.1'] th .title").inner_text().strip()
    box = page.locator(".matrix-wrap")
    first = page.locator("table.matrix tbody tr:first-child th")
    left_before = first.bounding_box()["x"]
    box.evaluate("b => { b.scrollLeft = 2000; b.scrollTop = 400; }")
    assert box.evaluate("b => b.scrollLeft") > 0 and box.evaluate("b => b.scrollTop") > 0  # it did scroll
    assert abs(first.bounding_box()["x"] - left_before) < 2  # the task column stays while units scroll by
    head, wrap = page.locator("table.matrix thead th").first.bounding_box(), box.bounding_box()
    assert abs(head["y"] - wrap["y"]) < 2  # and the unit names stay on top


def test_a_keyboard_user_skips_to_the_content_and_sees_where_the_focus_is(page: Any, live_server: LiveServer) -> None:
    login(page, live_server, "cv.sct")
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("e => e === document.activeElement") and skip.bounding_box()["y"] >= 0  # visible on focus
    assert skip.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.emulate_media(media="print")
    assert page.locator("header.top").is_hidden() and page.locator("main").is_visible()
