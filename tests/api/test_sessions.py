"""Sessions that can be revoked, login throttling that cannot be borrowed, the password policy (issue 11).

Each test reproduces one finding of the security probe, on SQLite and PostgreSQL: a cookie kept after
logout, tokens and cookies surviving a password change or deactivation, a shared office address
locking a user out, X-Forwarded-For rotated from loopback, a parallel burst beating the limit, a
fixed demo clock making a lockout last for ever, a login flood burning argon2, password `a`."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from phancap.api.app import create_app
from phancap.api.security import SESSION_COOKIE
from phancap.api.settings import ApiSettings, networks
from phancap.demo import DEMO_PASSWORD, DEMO_USERS
from phancap.engine.accounts import LoginPolicy, LoginRefused, authenticate, recent_failures
from phancap.engine.clock import Clock
from phancap.engine.errors import Refusal
from phancap.engine.machine import WorkflowMachine
from phancap.engine.passwords import WeakPassword, check_password
from phancap.engine.runtime import TaskEngine
from phancap.engine.sessions import live_sessions
from phancap.engine.users import add_user, set_active, set_password
from tests.api.conftest import PASSWORD, SECRET, set_password as give_password
from tests.api.helpers import assert_refusal, sct_task, snapshot

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
NEW_PASSWORD = "một mật khẩu mới dài"


@pytest.fixture
def users(seeded: TaskEngine) -> None:
    for name in ("cv.sct", "dm.stp", "cv.xa1", "pd.ubnd"):
        give_password(seeded.db, name, PASSWORD)


def csrf(html: str) -> str:
    match = CSRF.search(html)
    assert match, "the page carries a CSRF token"
    return match.group(1)


def page_login(client: TestClient, name: str, password: str = PASSWORD) -> tuple[str, str]:
    """Sign in through the form; (the session cookie's value, the session's CSRF token)."""
    client.cookies.clear()
    page = client.get("/login")
    answer = client.post("/login", data={"username": name, "password": password, "csrf_token": csrf(page.text)},
                         follow_redirects=False)
    assert answer.status_code == 303, answer.text
    cookie = client.cookies[SESSION_COOKIE]
    return cookie, csrf(client.get("/").text)


def api_token(client: TestClient, name: str, password: str = PASSWORD) -> dict[str, str]:
    answer = client.post("/api/v1/auth/token", data={"username": name, "password": password})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def with_cookie(client: TestClient, cookie: str) -> None:
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, cookie)


def assert_signed_out(client: TestClient, cookie: str, csrf_token: str, db: Any, tid: int) -> None:
    """The saved cookie neither reads a page nor changes anything: both go to the login page."""
    with_cookie(client, cookie)
    read = client.get("/", follow_redirects=False)
    assert read.status_code == 303 and read.headers["location"].startswith("/login")
    before = snapshot(db, tid)
    write = client.post(f"/tasks/{tid}/fire", data={"csrf_token": csrf_token, "trigger": "comment",
                                                    "comment": "sau khi đăng xuất"}, follow_redirects=False)
    assert write.status_code == 303 and write.headers["location"].startswith("/login")
    assert snapshot(db, tid) == before


def make_client(seeded: TaskEngine, clock: Clock, workflows: dict[str, WorkflowMachine], peer: str = "testclient",
                **settings: Any) -> TestClient:
    app = create_app(database=seeded.db, clock=clock, workflows=workflows,
                     settings=ApiSettings(secret_key=SECRET, **settings))
    return TestClient(app, client=(peer, 50000))


# --- sessions that can be revoked ---------------------------------------------------------------


def test_cookie_kept_after_logout_is_refused_for_reads_and_changes(client: TestClient, seeded: TaskEngine,
                                                                   users: None) -> None:
    tid = sct_task(seeded.db)
    cookie, token = page_login(client, "cv.sct")
    fired = client.post(f"/tasks/{tid}/fire", data={"csrf_token": token, "trigger": "comment", "comment": "trước"},
                        follow_redirects=False)
    assert fired.status_code == 303 and "/login" not in fired.headers["location"]  # the cookie worked
    assert client.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    assert_signed_out(client, cookie, token, seeded.db, tid)


def test_token_after_logout_is_refused(client: TestClient, users: None) -> None:
    headers = api_token(client, "cv.sct")
    other = api_token(client, "cv.sct")  # a second token of the same user lives on
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert_refusal(client.get("/api/v1/me", headers=headers), 401, "auth")
    assert_refusal(client.post("/api/v1/auth/logout", headers=headers), 401, "auth")
    assert client.get("/api/v1/me", headers=other).status_code == 200


def test_password_change_ends_every_session_and_token(client: TestClient, seeded: TaskEngine, users: None) -> None:
    tid = sct_task(seeded.db)
    headers = api_token(client, "cv.sct")
    cookie, token = page_login(client, "cv.sct")
    bystander = api_token(client, "dm.stp")
    assert live_sessions(seeded.db, "cv.sct") == 2
    assert set_password(seeded.db, "cv.sct", NEW_PASSWORD) == 2  # what `phancap user passwd` calls
    assert_refusal(client.get("/api/v1/me", headers=headers), 401, "auth")
    before = snapshot(seeded.db, tid)
    refused = client.post(f"/api/v1/tasks/{tid}/transitions", headers=headers, json={"trigger": "submit_for_review"})
    assert_refusal(refused, 401, "auth")
    assert snapshot(seeded.db, tid) == before
    assert_signed_out(client, cookie, token, seeded.db, tid)
    assert client.get("/api/v1/me", headers=bystander).status_code == 200  # nobody else is signed out
    client.cookies.clear()
    assert client.post("/api/v1/auth/token", data={"username": "cv.sct", "password": PASSWORD}).status_code == 401
    assert client.get("/api/v1/me", headers=api_token(client, "cv.sct", NEW_PASSWORD)).status_code == 200


def test_deactivation_ends_every_session_and_token(client: TestClient, seeded: TaskEngine, users: None) -> None:
    tid = sct_task(seeded.db)
    headers = api_token(client, "cv.sct")
    cookie, token = page_login(client, "cv.sct")
    assert set_active(seeded.db, "cv.sct", False) == 2  # what `phancap user deactivate` calls
    assert_refusal(client.get("/api/v1/me", headers=headers), 401, "auth")
    assert_signed_out(client, cookie, token, seeded.db, tid)
    client.cookies.clear()
    again = client.post("/api/v1/auth/token", data={"username": "cv.sct", "password": PASSWORD})
    assert_refusal(again, 401, "user")  # the right password no longer signs in
    set_active(seeded.db, "cv.sct", True)
    assert client.get("/api/v1/me", headers=api_token(client, "cv.sct")).status_code == 200
    assert client.get("/api/v1/me", headers=headers).status_code == 401  # reactivating revives no old token


def test_a_signed_token_without_its_session_row_is_refused(client: TestClient, app: FastAPI, users: None) -> None:
    headers = api_token(client, "cv.sct")
    from sqlalchemy import text

    with app.state.services.db.engine.begin() as conn:  # the database, not the signature, decides
        conn.execute(text("DELETE FROM auth_session"))
    assert_refusal(client.get("/api/v1/me", headers=headers), 401, "auth")


# --- throttling that cannot be borrowed -----------------------------------------------------------


def test_shared_address_failures_of_other_accounts_do_not_stop_the_victim(client: TestClient, users: None) -> None:
    # colleagues (or an attacker) behind the same office address fail many times on other accounts
    for name in ("dm.stp", "cv.xa1", "pd.ubnd", "nobody"):
        for _ in range(6):
            client.post("/api/v1/auth/token", data={"username": name, "password": "sai"})
    assert_refusal(client.post("/api/v1/auth/token", data={"username": "dm.stp", "password": PASSWORD}), 429,
                   "throttled")
    assert client.post("/api/v1/auth/token", data={"username": "cv.sct", "password": PASSWORD}).status_code == 200


def test_one_address_trying_many_names_is_throttled(seeded: TaskEngine, clock: Clock,
                                                    workflows: dict[str, WorkflowMachine], users: None) -> None:
    with make_client(seeded, clock, workflows, peer="192.0.2.10", login_source_max_failures=8) as flood:
        for i in range(8):
            assert flood.post("/api/v1/auth/token", data={"username": f"ten{i}", "password": "sai"}).status_code == 401
        refused = flood.post("/api/v1/auth/token", data={"username": "cv.sct", "password": PASSWORD})
        assert_refusal(refused, 429, "throttled")
    with make_client(seeded, clock, workflows, peer="192.0.2.11", login_source_max_failures=8) as office:
        assert office.post("/api/v1/auth/token", data={"username": "cv.sct", "password": PASSWORD}).status_code == 200


def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(seeded: TaskEngine, clock: Clock,
                                                                     workflows: dict[str, WorkflowMachine],
                                                                     users: None) -> None:
    def attempt(client: TestClient, i: int, forwarded: str) -> int:
        return client.post("/api/v1/auth/token", data={"username": f"ten{i}", "password": "sai"},
                           headers={"X-Forwarded-For": forwarded}).status_code

    # default: no trusted proxy; rotating the header from loopback is still one source
    with make_client(seeded, clock, workflows, peer="127.0.0.1", login_source_max_failures=3) as local:
        assert [attempt(local, i, f"203.0.113.{i}") for i in range(5)] == [401, 401, 401, 429, 429]
    assert recent_failures(seeded.db, "source:127.0.0.1") == 3
    assert recent_failures(seeded.db, "source:203.0.113.0") == 0
    # a trusted proxy: its X-Forwarded-For names the source; a spoofed left-most hop does not help
    trusted = {"login_source_max_failures": 3, "trusted_proxies": networks("10.0.0.0/8")}
    with make_client(seeded, clock, workflows, peer="10.0.0.1", **trusted) as proxied:
        assert [attempt(proxied, 10 + i, f"198.51.100.{i}, 10.0.0.2") for i in range(4)] == [401] * 4
        assert [attempt(proxied, 20 + i, f"6.6.6.{i}, 198.51.100.7") for i in range(5)] == [401, 401, 401, 429, 429]
    assert recent_failures(seeded.db, "source:198.51.100.0") == 1
    assert recent_failures(seeded.db, "source:198.51.100.7") == 3
    assert recent_failures(seeded.db, "source:10.0.0.1") == 0
    # a peer that is not a listed proxy gets no say either
    with make_client(seeded, clock, workflows, peer="192.0.2.50", **trusted) as outsider:
        attempt(outsider, 40, "198.51.100.99")
    assert recent_failures(seeded.db, "source:192.0.2.50") == 1


def test_a_parallel_burst_gets_at_most_the_limit_through(seeded: TaskEngine, users: None) -> None:
    policy = LoginPolicy(max_failures=5, backoff=timedelta(minutes=10))  # the burst falls inside the first wait
    start = threading.Barrier(12)

    def one(i: int) -> str:
        start.wait()
        try:
            authenticate(seeded.db, "cv.sct", "sai", f"192.0.2.{i}", policy)
        except LoginRefused as exc:
            return exc.rule
        return "ok"

    with ThreadPoolExecutor(max_workers=12) as pool:
        outcomes = list(pool.map(one, range(24)))
    assert outcomes.count("user") == 5 and outcomes.count("throttled") == 19
    assert recent_failures(seeded.db, "account:cv.sct") == 5


def test_backoff_ends_in_real_time_under_a_fixed_project_clock(seeded: TaskEngine,
                                                              workflows: dict[str, WorkflowMachine],
                                                              users: None) -> None:
    fixed = Clock.parse("2025-04-01T09:00:00+07:00")
    assert fixed.fixed is not None  # the demo's clock: it never moves by itself
    with make_client(seeded, fixed, workflows, login_backoff=timedelta(seconds=1)) as client:
        for _ in range(5):
            assert client.post("/api/v1/auth/token", data={"username": "cv.sct", "password": "sai"}).status_code == 401
        refused = client.post("/api/v1/auth/token", data={"username": "cv.sct", "password": PASSWORD})
        assert_refusal(refused, 429, "throttled")
        assert refused.headers["Retry-After"] == "1"
        time.sleep(1.1)
        assert client.post("/api/v1/auth/token", data={"username": "cv.sct", "password": PASSWORD}).status_code == 200
        # a success starts the account afresh: five more tries before any wait
        for _ in range(5):
            assert client.post("/api/v1/auth/token", data={"username": "cv.sct", "password": "sai"}).status_code == 401


def test_backoff_grows_with_failures_and_is_capped() -> None:
    policy = LoginPolicy(max_failures=5, backoff=timedelta(seconds=30), max_delay=timedelta(minutes=15))
    assert [policy.delay(n, 5) for n in range(4, 12)] == [0, 30, 60, 120, 240, 480, 900, 900]
    assert policy.delay(10_000, 5) == 900


@pytest.fixture
def hasher_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts argon2 verifications (the costly step a flood would burn)."""
    from argon2 import PasswordHasher

    calls: list[int] = []
    original = PasswordHasher.verify

    def counting(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        calls.append(1)
        return original(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    yield calls


def test_throttled_attempts_never_reach_the_password_hasher(seeded: TaskEngine, clock: Clock,
                                                            workflows: dict[str, WorkflowMachine], users: None,
                                                            hasher_calls: list[int]) -> None:
    # a long first wait, so that however slow this machine is the whole flood falls inside it
    with make_client(seeded, clock, workflows, login_backoff=timedelta(minutes=10)) as client:
        for _ in range(5):
            assert client.post("/api/v1/auth/token", data={"username": "cv.sct", "password": "sai"}).status_code == 401
        assert len(hasher_calls) == 5
        for _ in range(40):  # a flood on a throttled account
            assert client.post("/api/v1/auth/token", data={"username": "cv.sct", "password": "sai"}).status_code == 429
        page = client.get("/login")
        form = client.post("/login", data={"username": "cv.sct", "password": PASSWORD, "csrf_token": csrf(page.text)})
        assert form.status_code == 429 and "hãy thử lại sau" in form.text
    assert len(hasher_calls) == 5  # not one more argon2 verification
    assert recent_failures(seeded.db, "account:cv.sct") == 5  # refused attempts are not even counted


# --- the password policy --------------------------------------------------------------------------


@pytest.mark.parametrize(("password", "policy", "message_vi"), [
    ("a", "length", "Mật khẩu quá ngắn: cần ít nhất 10 ký tự"),
    ("cv.sct-2025-abc", "name", "Mật khẩu không được chứa tên đăng nhập"),
    ("CV.SCT.moi.nhat", "name", "Mật khẩu không được chứa tên đăng nhập"),
    ("password123", "common", "Mật khẩu nằm trong danh sách mật khẩu phổ biến; hãy chọn mật khẩu khác"),
    ("QwertyUiop", "common", "Mật khẩu nằm trong danh sách mật khẩu phổ biến; hãy chọn mật khẩu khác"),
])
def test_weak_passwords_are_refused_naming_the_rule(seeded: TaskEngine, clock: Clock, password: str, policy: str,
                                                    message_vi: str) -> None:
    for setting in (lambda: add_user(seeded.db, "cv.sct", "HN-SCT", ["officer"], clock, password),
                    lambda: set_password(seeded.db, "cv.sct", password)):
        with pytest.raises(WeakPassword) as refused:
            setting()
        assert isinstance(refused.value, Refusal) and refused.value.rule == "password"
        assert refused.value.extra["policy"] == policy and refused.value.message_vi == message_vi
        assert refused.value.message_en
    from sqlalchemy import text

    with seeded.db.engine.connect() as conn:  # nothing was stored
        assert conn.execute(text("SELECT password_hash FROM app_user WHERE name = 'cv.sct'")).scalar() is None


def test_a_good_password_and_every_demo_users_password_pass() -> None:
    check_password("cv.sct", NEW_PASSWORD)
    for name, _unit, _roles in DEMO_USERS:  # the demo sets its users' passwords through the same policy
        check_password(name, DEMO_PASSWORD)


def test_a_demo_user_signs_in_with_the_demo_password(client: TestClient, seeded: TaskEngine, clock: Clock) -> None:
    add_user(seeded.db, "cv.sct", "HN-SCT", ["officer"], clock, DEMO_PASSWORD)
    assert client.get("/api/v1/me", headers=api_token(client, "cv.sct", DEMO_PASSWORD)).json()["name"] == "cv.sct"
