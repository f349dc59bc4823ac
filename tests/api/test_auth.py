"""Authentication: the token endpoint, /me, the failed-login limit, tokens that expire or are forged,
every route closed without credentials, settings that fail fast, security headers."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from phancap.api.settings import ApiSettings
from phancap.engine.clock import Clock
from phancap.engine.runtime import TaskEngine
from tests.api.conftest import PASSWORD, bearer, set_password
from tests.api.helpers import assert_refusal

PUBLIC = {"/healthz", "/login", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/api/v1/auth/token"}


@pytest.fixture
def with_password(seeded: TaskEngine, clock: Clock) -> str:
    set_password(seeded.db, "cv.sct", PASSWORD)
    return "cv.sct"


def token(client: TestClient, name: str, password: str) -> object:
    return client.post("/api/v1/auth/token", data={"username": name, "password": password})


def test_health_is_public(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {
        "status": "ok", "database": "ok", "worker": {"state": "absent", "heartbeat_age_seconds": None},
        "outbox": {"state": "ok", "pending": 0, "failed": 0, "oldest_pending_age_seconds": None}}


def test_password_flow_gives_an_expiring_token_and_me(client: TestClient, with_password: str) -> None:
    response = token(client, with_password, PASSWORD)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 8 * 3600
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json() == {"name": "cv.sct", "unit": "HN-SCT", "unit_name": "Sở Công Thương", "roles": ["officer"],
                         "sees_all": False, "may_audit": False}


def test_auditor_me_says_sees_all(client: TestClient, app: FastAPI) -> None:
    me = client.get("/api/v1/me", headers=bearer(app, "kiemtoan")).json()
    assert me["sees_all"] and me["may_audit"] and me["roles"] == ["auditor"]


def test_wrong_credentials_are_refused_alike(client: TestClient, with_password: str) -> None:
    # a wrong password, an unknown user, a user without a password: the same answer
    for name, password in [("cv.sct", "sai"), ("nobody", PASSWORD), ("ld.sct", "ld.sct")]:
        body = assert_refusal(token(client, name, password), 401, "user")
        assert body["message_vi"] == "Sai tên đăng nhập hoặc mật khẩu"


def test_failed_logins_back_off_per_account(client: TestClient, with_password: str) -> None:
    for _ in range(5):
        assert token(client, with_password, "sai").status_code == 401
    # the sixth attempt is refused even with the right password, says when to try again, in both languages
    response = token(client, with_password, PASSWORD)
    body = assert_refusal(response, 429, "throttled")
    wait = re.fullmatch(r"Đăng nhập sai nhiều lần; hãy thử lại sau (\d+) giây", body["message_vi"])
    assert wait and 0 < int(wait.group(1)) <= 30  # the first backoff is 30 s, counted down in real time
    assert body["retry_after"] == int(wait.group(1)) and response.headers["Retry-After"] == wait.group(1)
    # another user name from the same address is not affected
    assert token(client, "dm.stp", "sai").status_code == 401


def test_moving_the_project_clock_does_not_lift_a_backoff(client: TestClient, app: FastAPI, with_password: str) -> None:
    for _ in range(5):
        token(client, with_password, "sai")
    app.state.services.clock.shift += timedelta(days=1)  # throttling runs on real time, not the project's clock
    assert_refusal(token(client, with_password, PASSWORD), 429, "throttled")


def test_missing_forged_or_expired_token_is_401(client: TestClient, app: FastAPI,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    assert_refusal(client.get("/api/v1/me"), 401, "auth")
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer abc.def.ghi"})
    assert_refusal(response, 401, "auth")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    other = ApiSettings(secret_key="another-secret-key-for-forging-tokens-00")
    from phancap.api.security import Signer

    forged = Signer(other.secret_key, db=app.state.services.db).token("kiemtoan")  # a live session, wrong key
    assert_refusal(client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"}), 401, "auth")
    good = bearer(app, "kiemtoan")
    assert client.get("/api/v1/me", headers=good).status_code == 200
    app.state.services.clock.shift += timedelta(hours=9)  # past the 8 h lifetime, on the engine's clock
    assert_refusal(client.get("/api/v1/me", headers=good), 401, "auth")


def test_token_of_a_user_that_no_longer_exists_is_401(client: TestClient, app: FastAPI) -> None:
    assert_refusal(client.get("/api/v1/tasks", headers=bearer(app, "ghost")), 401, "auth")


PAGES = [("GET", "/"), ("GET", "/tasks/4"), ("POST", "/tasks/4/fire"), ("GET", "/plans"), ("GET", "/plans/HN-2025"),
         ("GET", "/audit"), ("GET", "/audit/export.csv"), ("GET", "/audit/export.jsonl"), ("GET", "/workflows"),
         ("GET", "/workflows/plan_task"), ("POST", "/demo/clock"), ("POST", "/logout")]


def test_every_route_but_the_public_ones_needs_authentication(client: TestClient) -> None:
    checked = 0
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        if path in PUBLIC:
            continue
        path = path.replace("{task_id}", "4").replace("{code}", "HN-2025").replace("{name}", "plan_task")
        for method in operations:
            response = client.request(method.upper(), path, json={})
            assert response.status_code == 401, (method, path, response.status_code)
            assert response.json()["rule"] == "auth"
            checked += 1
    assert checked >= 15
    for method, path in PAGES:
        response = client.request(method, path, follow_redirects=False)
        if method == "GET":
            assert response.status_code == 303 and response.headers["location"].startswith("/login"), (method, path)
        else:  # page forms: no session, no action
            assert response.status_code in (303, 403, 422), (method, path, response.status_code)


def test_openapi_lists_every_api_route_with_models(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    paths = doc["paths"]
    for path in ("/api/v1/auth/token", "/api/v1/me", "/api/v1/plans", "/api/v1/plans/{code}",
                 "/api/v1/plans/{code}/progress", "/api/v1/tasks", "/api/v1/tasks/{task_id}",
                 "/api/v1/tasks/{task_id}/transitions", "/api/v1/tasks/{task_id}/history", "/api/v1/audit",
                 "/api/v1/audit/verify", "/api/v1/workflows", "/api/v1/workflows/{name}",
                 "/api/v1/workflows/{name}/diagram.svg", "/healthz"):
        assert path in paths, path
    for model in ("TaskDetail", "TaskList", "TransitionRequest", "TransitionResult", "ErrorBody", "UserPublic",
                  "Progress", "AuditVerify", "WorkflowDetail", "PlanDetail", "EventPublic"):
        assert model in doc["components"]["schemas"], model
    assert not any(p.startswith("/tasks") or p == "/login" for p in paths), "pages stay out of the API document"


def test_security_headers(client: TestClient) -> None:
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_settings_fail_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PHANCAP_SECRET_KEY", raising=False)
    monkeypatch.delenv("PHANCAP_DEMO", raising=False)
    with pytest.raises(ValueError, match="PHANCAP_SECRET_KEY"):
        ApiSettings.from_env()
    monkeypatch.setenv("PHANCAP_SECRET_KEY", "short")
    with pytest.raises(ValueError, match="at least 32"):
        ApiSettings.from_env()
    monkeypatch.setenv("PHANCAP_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("PHANCAP_TOKEN_TTL_MINUTES", "soon")
    with pytest.raises(ValueError, match="PHANCAP_TOKEN_TTL_MINUTES"):
        ApiSettings.from_env()
    monkeypatch.delenv("PHANCAP_TOKEN_TTL_MINUTES")
    monkeypatch.delenv("PHANCAP_SECRET_KEY")
    monkeypatch.setenv("PHANCAP_DEMO", "1")
    demo = ApiSettings.from_env()
    assert demo.demo and len(demo.secret_key) >= 32  # demo mode may generate its own key
    assert not demo.cookie_secure  # the demo runs over plain HTTP on localhost
    monkeypatch.delenv("PHANCAP_DEMO")
    monkeypatch.setenv("PHANCAP_SECRET_KEY", "k" * 40)
    assert ApiSettings.from_env().cookie_secure  # anywhere else, cookies travel over HTTPS only


def test_unknown_addresses_answer_in_the_error_format(client: TestClient, app: FastAPI) -> None:
    assert_refusal(client.get("/api/v1/nothing", headers=bearer(app, "cv.sct")), 404, "not_found")
    assert_refusal(client.delete("/api/v1/me", headers=bearer(app, "cv.sct")), 405, "request")
    page = client.get("/no-such-page")
    assert page.status_code == 404 and "Không có địa chỉ này" in page.text
