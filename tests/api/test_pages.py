"""The Vietnamese pages: login with CSRF and a session cookie, my tasks, the task page and its forms,
plan, audit and workflow pages, logout, escaping, the demo clock control."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from phancap.api.app import create_app
from phancap.api.settings import ApiSettings
from phancap.engine.clock import Clock
from phancap.engine.runtime import TaskEngine
from tests.api.conftest import set_password
from tests.api.helpers import sct_task, snapshot

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def users(seeded: TaskEngine, clock: Clock) -> None:
    for name in ("cv.sct", "dm.stp", "pd.ubnd", "kiemtoan"):
        set_password(seeded.db, name, f"pw-{name}")


def csrf(html: str) -> str:
    match = CSRF.search(html)
    assert match, "every form carries a CSRF token"
    return match.group(1)


def login(client: TestClient, name: str) -> None:
    client.cookies.clear()
    page = client.get("/login")
    response = client.post("/login", data={"username": name, "password": f"pw-{name}", "csrf_token": csrf(page.text)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/"


def act(client: TestClient, tid: int, trigger: str, **fields: str) -> object:
    page = client.get(f"/tasks/{tid}")
    version = re.search(r'name="version" value="(\d+)"', page.text)
    data = {"csrf_token": csrf(page.text), "trigger": trigger, "version": version.group(1) if version else "", **fields}
    return client.post(f"/tasks/{tid}/fire", data=data, follow_redirects=False)


def test_login_sets_a_hardened_session_cookie_and_logout_ends_it(client: TestClient, users: None) -> None:
    page = client.get("/login")
    assert page.status_code == 200 and "Đăng nhập" in page.text and 'lang="vi"' in page.text
    anon = page.headers["set-cookie"]
    assert "HttpOnly" in anon and "SameSite=lax" in anon.replace("Lax", "lax")
    response = client.post("/login", data={"username": "cv.sct", "password": "pw-cv.sct", "csrf_token": csrf(page.text)},
                           follow_redirects=False)
    cookie = response.headers["set-cookie"]
    assert "phancap_session=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    home = client.get("/")
    assert home.status_code == 200 and "Việc của tôi" in home.text and "cv.sct" in home.text
    logout = client.post("/logout", data={"csrf_token": csrf(home.text)}, follow_redirects=False)
    assert logout.status_code == 303 and logout.headers["location"] == "/login"
    client.cookies.clear()
    assert client.get("/", follow_redirects=False).status_code == 303


def test_login_needs_the_forms_csrf_token_and_the_right_password(client: TestClient, users: None) -> None:
    client.get("/login")
    no_token = client.post("/login", data={"username": "cv.sct", "password": "pw-cv.sct"}, follow_redirects=False)
    assert no_token.status_code == 403 and "phancap_session" not in no_token.headers.get("set-cookie", "")
    page = client.get("/login")
    wrong = client.post("/login", data={"username": "cv.sct", "password": "sai", "csrf_token": csrf(page.text)})
    assert wrong.status_code == 401 and "Sai tên đăng nhập hoặc mật khẩu" in wrong.text
    for _ in range(5):
        client.post("/login", data={"username": "dm.stp", "password": "sai", "csrf_token": csrf(page.text)})
    locked = client.post("/login", data={"username": "dm.stp", "password": "pw-dm.stp", "csrf_token": csrf(page.text)})
    assert locked.status_code == 429 and f"hãy thử lại sau {locked.headers['Retry-After']} giây" in locked.text
    assert 0 < int(locked.headers["Retry-After"]) <= 30


def test_next_only_goes_to_this_site(client: TestClient, users: None) -> None:
    page = client.get("/login")
    response = client.post("/login", data={"username": "cv.sct", "password": "pw-cv.sct", "csrf_token": csrf(page.text),
                                           "next": "//evil.example/x"}, follow_redirects=False)
    assert response.headers["location"] == "/"
    assert client.get("/tasks/1", follow_redirects=False).status_code in (200, 404)


def test_my_tasks_opens_on_my_queue_with_tabs_filters_and_badges(client: TestClient, app: FastAPI, seeded: TaskEngine,
                                                                  users: None) -> None:
    app.state.services.clock.shift = timedelta(days=11)  # 12 April: the 14 April deadlines are near
    login(client, "cv.sct")
    html = client.get("/").text
    assert 'data-tab="queue" aria-current="page"' in html and "Chờ tôi xử lý" in html
    assert 'data-state="assigned"' in html and "Đã giao" in html and "Gửi đầu mối xem xét" in html
    assert "sắp đến hạn" in html and "không thời hạn" in html
    assert html.count('class="task"') >= 5
    found = client.get("/", params={"tab": "lead", "q": "ra soat danh muc"}).text  # typed without diacritics
    assert found.count('class="task"') == 1 and 'data-total="1"' in found
    assert client.get("/", params={"tab": "coordinator"}).text.count('class="task"') >= 1
    # the reviewer's queue: empty until the officer sends a task; a return is marked with its comment
    login(client, "dm.stp")
    assert 'data-total="0"' in client.get("/").text
    tid = sct_task(seeded.db)
    seeded.fire(tid, "submit_for_review", "cv.sct")
    queue_page = client.get("/").text
    assert 'data-total="1"' in queue_page and f'data-task-id="{tid}"' in queue_page
    seeded.fire(tid, "return", "dm.stp", comment="Bổ sung danh mục <b>văn bản</b>")
    login(client, "cv.sct")
    mine = client.get("/").text
    assert "Bị trả lại" in mine and "Bổ sung danh mục &lt;b&gt;văn bản&lt;/b&gt;" in mine


def test_task_page_forms_fire_and_refusals_show_the_reason(client: TestClient, app: FastAPI, seeded: TaskEngine,
                                                           users: None) -> None:
    tid = sct_task(seeded.db)
    login(client, "cv.sct")
    page = client.get(f"/tasks/{tid}").text
    assert "Gửi đầu mối xem xét" in page and 'data-trigger="submit_for_review"' in page
    assert "Sở Tư pháp" in page and "Trước ngày 15/4/2025" in page and "<svg" in page
    assert 'data-current="true"' in page and 'name="capacity"' not in page
    # a form without the session's CSRF token changes nothing
    before = snapshot(seeded.db, tid)
    forged = client.post(f"/tasks/{tid}/fire", data={"trigger": "submit_for_review", "csrf_token": "x"})
    assert forged.status_code == 403 and snapshot(seeded.db, tid) == before
    done = act(client, tid, "submit_for_review")
    assert done.status_code == 303 and done.headers["location"] == f"/tasks/{tid}?done=submit_for_review"
    assert "Đã thực hiện: Gửi đầu mối xem xét" in client.get(done.headers["location"]).text
    # the focal reviewer returns it: the comment is required, and a script in it stays text
    login(client, "dm.stp")
    before = snapshot(seeded.db, tid)
    refused = act(client, tid, "return", comment="")
    assert refused.status_code == 422 and "Cần ghi ý kiến" in refused.text and snapshot(seeded.db, tid) == before
    assert act(client, tid, "return", comment="<script>alert(1)</script> bổ sung").status_code == 303
    html = client.get(f"/tasks/{tid}").text
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; bổ sung" in html
    # a stale form: the version moved on
    login(client, "cv.sct")
    stale = client.get(f"/tasks/{tid}")
    act(client, tid, "submit_for_review")
    again = client.post(f"/tasks/{tid}/fire", data={"csrf_token": csrf(stale.text), "trigger": "comment",
                                                    "comment": "x", "version": "3"})
    assert again.status_code == 409 and 'data-rule="version"' in again.text
    # the approver's form asks for the signing capacity
    login(client, "dm.stp")
    assert act(client, tid, "submit").status_code == 303
    login(client, "pd.ubnd")
    assert 'name="capacity"' in client.get(f"/tasks/{tid}").text
    assert act(client, tid, "approve", capacity="KT. Chủ tịch").status_code == 303
    final = client.get(f"/tasks/{tid}").text
    assert "Đã phê duyệt" in final and "KT. Chủ tịch" in final
    assert "Bạn không có thao tác nào" in final


def test_task_page_of_an_invisible_task_is_404(client: TestClient, app: FastAPI, seeded: TaskEngine,
                                               clock: Clock) -> None:
    set_password(seeded.db, "cv.xa1", "pw-cv.xa1")
    login(client, "cv.xa1")
    response = client.get(f"/tasks/{sct_task(seeded.db)}")
    assert response.status_code == 404 and "Không có nhiệm vụ" in response.text


def test_plan_audit_and_workflow_pages(client: TestClient, seeded: TaskEngine, users: None) -> None:
    tid = sct_task(seeded.db)
    login(client, "cv.sct")
    act(client, tid, "submit_for_review", comment="<b>đậm</b>")
    plan = client.get("/plans/HN-2025")
    assert plan.status_code == 200 and 'class="matrix"' in plan.text and "st-in_review" in plan.text
    assert "HN-SCT" in plan.text and "Tiến độ" in plan.text
    only = client.get("/plans/HN-2025", params={"state": "in_review"}).text
    assert only.count('class="cell ') == 1
    assert client.get("/plans/NOPE").status_code == 404
    assert client.get("/plans").status_code == 200
    assert client.get("/audit").status_code == 403
    wf = client.get("/workflows/plan_task", params={"current": "assigned"})
    assert wf.status_code == 200 and "Chuyên viên (chủ trì)" in wf.text and 'data-current="true"' in wf.text
    assert client.get("/workflows").status_code == 200
    login(client, "kiemtoan")
    audit = client.get("/audit", params={"actor": "cv.sct"})
    assert audit.status_code == 200 and "chuỗi hợp lệ" in audit.text and 'data-ok="true"' in audit.text
    assert "&lt;b&gt;đậm&lt;/b&gt;" in audit.text and "<b>đậm</b>" not in audit.text
    assert audit.text.count('class="audit-row"') == 1
    export = client.get("/audit/export.csv", params={"actor": "cv.sct"})
    assert export.status_code == 200 and "submit_for_review" in export.text
    assert client.get("/audit/export.jsonl").text.count("\n") > 100


def test_demo_clock_control_is_labelled_and_moves_time(seeded: TaskEngine, workflows: dict, clock: Clock,  # type: ignore[type-arg]
                                                       users: None) -> None:
    demo = create_app(database=seeded.db, clock=clock, settings=ApiSettings(secret_key="d" * 40, demo=True),
                      workflows=workflows)
    with TestClient(demo) as client:
        assert "Thời gian mô phỏng" in client.get("/login").text
        login(client, "cv.sct")
        home = client.get("/")
        assert "Thời gian mô phỏng" in home.text and "01/04/2025" in home.text
        moved = client.post("/demo/clock", data={"csrf_token": csrf(home.text), "days": "30", "next": "/"},
                            follow_redirects=False)
        assert moved.status_code == 303 and moved.headers["location"].startswith("/?clock_marked=")
        after = client.get(moved.headers["location"]).text
        assert "01/05/2025" in after and "quá hạn" in after and 'data-state="overdue"' in after
        marked = int(moved.headers["location"].split("=")[1])
        assert marked > 100 and f'data-marked="{marked}"' in after  # says what went overdue
        assert f"<strong>{marked}</strong> nhiệm vụ, báo cáo vừa chuyển sang quá hạn" in after


def test_the_history_labels_each_return_as_its_own(client: TestClient, seeded: TaskEngine, users: None) -> None:
    tid = sct_task(seeded.db)
    seeded.fire(tid, "submit_for_review", "cv.sct")
    seeded.fire(tid, "return", "dm.stp", comment="Bổ sung")
    seeded.fire(tid, "submit_for_review", "cv.sct")
    seeded.fire(tid, "submit", "dm.stp")
    seeded.fire(tid, "return", "pd.ubnd", comment="Làm rõ")
    login(client, "cv.sct")
    html = client.get(f"/tasks/{tid}").text
    timeline = html[html.index('class="timeline"'):]
    assert timeline.index("Trả lại đầu mối") < timeline.index("Trả lại đơn vị chủ trì")  # newest first


def test_no_clock_control_outside_demo(client: TestClient, users: None) -> None:
    login(client, "cv.sct")
    home = client.get("/")
    assert "Thời gian mô phỏng" not in home.text
    assert client.post("/demo/clock", data={"csrf_token": csrf(home.text), "days": "30"}).status_code == 403


def test_extension_form_has_a_date_field(client: TestClient, seeded: TaskEngine, users: None) -> None:
    tid = sct_task(seeded.db)
    login(client, "cv.sct")
    page = client.get(f"/tasks/{tid}").text
    assert 'type="date" name="proposed_deadline"' in page
    bad = act(client, tid, "request_extension", comment="Thêm thời gian", proposed_deadline="15/05/2025")
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.text
    assert act(client, tid, "request_extension", comment="Thêm thời gian", proposed_deadline="2025-05-15").status_code == 303
    login(client, "pd.ubnd")
    assert "Đề nghị gia hạn đang chờ" in client.get(f"/tasks/{tid}").text


def test_the_menu_offers_only_what_the_role_may_open(client: TestClient, users: None) -> None:
    for name in ("cv.sct", "dm.stp", "pd.ubnd", "kiemtoan"):
        login(client, name)
        home = client.get("/").text
        nav = re.search(r'<nav aria-label="Điều hướng">(.*?)</nav>', home, re.S)
        assert nav is not None
        links = re.findall(r'href="([^"]+)"', nav.group(1))
        assert links and {link: client.get(link).status_code for link in links} == {link: 200 for link in links}, name
        assert ("/dashboard" in links) == (name != "cv.sct")  # an officer of a lead unit tracks nothing


ENGLISH = re.compile(r"\b(the|and|of|is|not|task|tasks|state|none|submitted|overdue|assigned|approved|approve|raise|"
                     r"withdrawn|review|error|refused|deadline|unit|plan)\b", re.IGNORECASE)


def visible_text(html: str) -> str:
    """The words a reader sees: text outside <code>, <script>, <style> and <title>' s suffix, no attributes."""
    from html.parser import HTMLParser

    class Reader(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.skip, self.words = 0, []  # type: int, list[str]

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.skip += tag in ("code", "script", "style", "title")

        def handle_endtag(self, tag: str) -> None:
            self.skip -= tag in ("code", "script", "style", "title")

        def handle_data(self, data: str) -> None:
            if not self.skip:
                self.words.append(data)

    reader = Reader()
    reader.feed(html)
    return " ".join(reader.words)


def test_the_pages_speak_vietnamese_only(client: TestClient, seeded: TaskEngine, users: None) -> None:
    """Every page a user opens, with its data (states, histories, workflows), has no English in its text: the
    API keeps `en` for scripts, the pages do not."""
    task = sct_task(seeded.db)
    seeded.fire(task, "submit_for_review", "cv.sct")
    seeded.fire(task, "return", "dm.stp", comment="Bổ sung danh mục")
    for name, paths in (("cv.sct", ("/", "/?tab=lead", f"/tasks/{task}", "/plans", "/plans/HN-2025", "/reports",
                                    "/difficulties", "/workflows", "/workflows/plan_task",
                                    "/workflows/shortened_procedure", "/tasks/999999")),
                        ("kiemtoan", ("/audit", f"/audit?task={task}"))):
        login(client, name)
        for path in paths:
            text = visible_text(client.get(path).text)
            found = sorted({m.group(0) for m in ENGLISH.finditer(text)})
            assert not found, (name, path, found)
