"""Web security: CSRF on every form route, expiring sessions and tokens, limited failed logins, security
headers on pages and API, escaping of comments and names, and the authorisation matrix extended to pages
and exports."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import text

from phancap.api.app import create_app
from phancap.api.settings import ApiSettings
from phancap.engine.clock import Clock
from phancap.engine.runtime import TaskEngine
from tests.api.conftest import SECRET, bearer, set_password
from tests.api.helpers import sct_task, snapshot
from tests.helpers import audit_count, instance

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
XSS = "<script>alert('xss')</script>"
PEOPLE = ("cv.sct", "dm.stp", "pd.ubnd", "kiemtoan", "dm.snv", "cv.xa1", "cv.phtp")


@pytest.fixture
def users(seeded: TaskEngine) -> None:
    for name in PEOPLE:
        set_password(seeded.db, name, f"pw-{name}")


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page carries a CSRF token"
    return match.group(1)


def login(client: TestClient, name: str) -> str:
    """Sign in through the form; returns the session's CSRF token (from the home page)."""
    client.cookies.clear()
    page = client.get("/login")
    answer = client.post("/login", data={"username": name, "password": f"pw-{name}", "csrf_token": csrf_of(page.text)},
                         follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/").text)


def all_routes(routes: list[Any], prefix: str = "") -> list[tuple[str, set[str]]]:
    """(path, methods) of every route, through included routers (FastAPI wraps them)."""
    found = []
    for route in routes:
        context = getattr(route, "include_context", None)
        if context is not None:
            found += all_routes(context.included_router.routes, prefix + context.prefix)
        elif isinstance(route, APIRoute):
            found.append((prefix + route.path, set(route.methods)))
    return found


def form_routes(app: FastAPI) -> list[str]:
    return sorted({path for path, methods in all_routes(app.routes) if "POST" in methods
                   and not path.startswith("/api/")})


def fill(path: str, task_id: int) -> str:
    return re.sub(r"\{[a-z_]+\}", lambda m: str(task_id if m.group(0) == "{task_id}" else 1), path)


FORM_FIELDS = {"trigger": "comment", "comment": "không có mã CSRF", "days": "1", "username": "cv.sct",
               "password": "pw-cv.sct", "next": "/", "title": "x", "text": "x", "unit": "HN-SCT", "kind": "x"}


def test_every_form_route_refuses_a_post_without_the_csrf_token(client: TestClient, app: FastAPI, seeded: TaskEngine,
                                                                users: None) -> None:
    routes = form_routes(app)
    assert {"/login", "/logout", "/tasks/{task_id}/fire"} <= set(routes)
    tid = sct_task(seeded.db)
    token = login(client, "cv.sct")
    events = audit_count(seeded.db)
    for path in routes:
        for data in (FORM_FIELDS, {**FORM_FIELDS, "csrf_token": "forged-" + token[::-1]}):
            answer = client.post(fill(path, tid), data=data, follow_redirects=False)
            assert answer.status_code == 403, (path, answer.status_code, answer.text[:300])
    assert audit_count(seeded.db) == events
    assert client.get("/", follow_redirects=False).status_code == 200  # still signed in: logout was refused too
    # and the token works: the same form with it goes through
    ok = client.post(f"/tasks/{tid}/fire", data={**FORM_FIELDS, "csrf_token": token}, follow_redirects=False)
    assert ok.status_code == 303 and audit_count(seeded.db) == events + 1


def test_a_csrf_token_from_another_session_is_refused(client: TestClient, app: FastAPI, seeded: TaskEngine,
                                                      users: None) -> None:
    other = login(client, "pd.ubnd")
    login(client, "cv.sct")
    tid = sct_task(seeded.db)
    before = snapshot(seeded.db, tid)
    answer = client.post(f"/tasks/{tid}/fire", data={"trigger": "comment", "comment": "x", "csrf_token": other},
                         follow_redirects=False)
    assert answer.status_code == 403 and snapshot(seeded.db, tid) == before


LIFETIME = 4  # seconds of the engine's clock, which the test moves instead of sleeping


def short_lived(seeded: TaskEngine, workflows: dict[str, Any], clock: Clock) -> FastAPI:
    settings = ApiSettings(secret_key=SECRET, token_ttl=timedelta(seconds=LIFETIME), session_ttl=timedelta(seconds=LIFETIME))
    return create_app(database=seeded.db, clock=clock, settings=settings, workflows=workflows)


def test_sessions_and_tokens_expire(seeded: TaskEngine, workflows: dict[str, Any], clock: Clock, users: None) -> None:
    app = short_lived(seeded, workflows, clock)
    with TestClient(app) as client:
        login(client, "cv.sct")
        headers = bearer(app, "cv.sct")
        assert client.get("/api/v1/me", headers=headers).status_code == 200
        assert client.get("/", follow_redirects=False).status_code == 200
        clock.shift += timedelta(seconds=LIFETIME - 1)
        assert client.get("/api/v1/me", headers=headers).status_code == 200  # not yet
        clock.shift += timedelta(seconds=2)  # signed timestamps are older than the lifetime now
        expired = client.get("/api/v1/me", headers=headers)
        assert expired.status_code == 401 and expired.json()["rule"] == "auth"
        assert expired.headers["www-authenticate"] == "Bearer"
        page = client.get("/", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        tid = sct_task(seeded.db)
        before = snapshot(seeded.db, tid)
        stale = client.post(f"/tasks/{tid}/fire", data={"trigger": "comment", "comment": "x", "csrf_token": "x"},
                            follow_redirects=False)
        assert stale.status_code == 303 and snapshot(seeded.db, tid) == before


def test_default_lifetimes_are_bounded() -> None:
    settings = ApiSettings(secret_key=SECRET)
    assert timedelta(0) < settings.token_ttl <= timedelta(hours=24)
    assert timedelta(0) < settings.session_ttl <= timedelta(hours=24)


def test_failed_logins_are_limited_on_api_and_form(client: TestClient, users: None) -> None:
    for _ in range(5):
        wrong = client.post("/api/v1/auth/token", data={"username": "pd.ubnd", "password": "sai"})
        assert wrong.status_code == 401
    locked = client.post("/api/v1/auth/token", data={"username": "pd.ubnd", "password": "pw-pd.ubnd"})
    assert locked.status_code == 429 and locked.json()["rule"] == "throttled"
    page = client.get("/login")
    form = client.post("/login", data={"username": "pd.ubnd", "password": "pw-pd.ubnd",
                                       "csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert form.status_code == 429 and "phancap_session" not in form.headers.get("set-cookie", "")
    other = client.post("/api/v1/auth/token", data={"username": "cv.sct", "password": "pw-cv.sct"})
    assert other.status_code == 200  # the limit is per user (and address), not global


def assert_hardened(response: Any) -> None:
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert "unsafe-inline" not in csp and "http:" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


def test_security_headers_on_pages_api_errors_and_exports(client: TestClient, app: FastAPI, seeded: TaskEngine,
                                                         users: None) -> None:
    tid = sct_task(seeded.db)
    anonymous = [client.get("/login"), client.get("/healthz"), client.get("/api/v1/me"), client.get("/nope"),
                 client.get("/api/v1/nope"), client.get("/static/nope.css")]
    api = [client.get(p, headers=bearer(app, "kiemtoan")) for p in
           ("/api/v1/me", f"/api/v1/tasks/{tid}", "/api/v1/audit?limit=1", "/api/v1/workflows/plan_task/diagram.svg",
            "/openapi.json")]
    login(client, "kiemtoan")
    pages = [client.get(p) for p in ("/", f"/tasks/{tid}", "/plans/HN-2025", "/audit", "/audit/export.csv",
                                     "/audit/export.jsonl", "/workflows/plan_task", "/tasks/999999")]
    for response in anonymous + api + pages:
        assert_hardened(response)
    for response in pages[:4]:
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["content-type"].startswith("text/html")


def test_comments_titles_and_names_are_escaped(client: TestClient, app: FastAPI, seeded: TaskEngine,
                                               users: None) -> None:
    with seeded.db.engine.begin() as conn:
        conn.execute(text("UPDATE unit SET name = :n WHERE code = 'HN-SCT'"), {"n": f"Sở {XSS} Công Thương"})
    tid = sct_task(seeded.db)
    fired = client.post(f"/api/v1/tasks/{tid}/transitions", headers=bearer(app, "cv.sct"),
                        json={"trigger": "submit_for_review", "comment": f"Ghi chú {XSS}",
                              "evidence": {"title": f"Tài liệu {XSS}", "number": "<img src=x onerror=alert(1)>"}})
    assert fired.status_code == 200, fired.text
    login(client, "kiemtoan")
    for path in (f"/tasks/{tid}", "/audit", "/plans/HN-2025"):
        html = client.get(path).text
        assert "<script>alert(" not in html and "<img src=x" not in html, path
    task_page = client.get(f"/tasks/{tid}").text
    assert "&lt;script&gt;alert(" in task_page
    login(client, "cv.sct")
    home = client.get("/").text
    assert "<script>alert(" not in home


def test_pages_follow_the_visibility_rule(client: TestClient, seeded: TaskEngine, users: None) -> None:
    hn = sct_task(seeded.db)
    own = int(instance(seeded.db, "KT-2025", "1", "KT-X-01")["id"])
    other = int(instance(seeded.db, "KT-2025", "1", "KT-X-02")["id"])
    login(client, "cv.xa1")  # a commune officer of KT-X-01
    assert client.get(f"/tasks/{hn}").status_code == 404  # another province's department task
    assert client.get(f"/tasks/{own}").status_code == 200
    assert client.get(f"/tasks/{other}").status_code == 404  # the neighbouring commune's task
    home = client.get("/").text
    assert f"/tasks/{own}" in home and f"/tasks/{other}" not in home and f"/tasks/{hn}" not in home


@pytest.mark.parametrize(("user", "allowed"), [
    ("cv.sct", False), ("dm.stp", False), ("pd.ubnd", False), ("cv.xa1", False), ("cv.phtp", False),
    ("kiemtoan", True), ("dm.snv", True),  # the auditor, and the monitor
])
def test_audit_page_and_exports_only_for_auditors_and_monitors(client: TestClient, app: FastAPI, users: None,
                                                               user: str, allowed: bool) -> None:
    login(client, user)
    paths = ("/audit", "/audit/export.csv", "/audit/export.jsonl", "/audit/export.csv?actor=cv.sct")
    for path in paths:
        answer = client.get(path)
        assert answer.status_code == (200 if allowed else 403), (user, path, answer.status_code)
        if not allowed:
            assert "audit_event" not in answer.text and "prev_hash" not in answer.text
    for path in ("/api/v1/audit", "/api/v1/audit?format=csv", "/api/v1/audit/verify"):
        answer = client.get(path, headers=bearer(app, user))
        assert answer.status_code == (200 if allowed else 403), (user, path, answer.status_code)


def test_task_pages_of_every_user_match_the_api(client: TestClient, app: FastAPI, seeded: TaskEngine,
                                                users: None) -> None:
    """For a sample of instances, the page opens exactly when the API shows the instance to that user."""
    with seeded.db.engine.connect() as conn:
        sample = [int(r[0]) for r in conn.execute(text("SELECT id FROM task_instance ORDER BY id")).all()[::25]]
    for user in PEOPLE:
        login(client, user)
        for tid in sample:
            api = client.get(f"/api/v1/tasks/{tid}", headers=bearer(app, user)).status_code
            page = client.get(f"/tasks/{tid}").status_code
            assert api in (200, 404) and page == api, (user, tid, api, page)
