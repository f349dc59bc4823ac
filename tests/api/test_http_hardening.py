"""Bounded, robust HTTP (issue 11): body limits before authentication, every input error a 4xx naming the
field, outages answered with a Vietnamese page or the refusal JSON (with the security headers), the
roll-up's scope, and no webhook or SMTP call inside a request. SQLite and PostgreSQL alike."""

from __future__ import annotations

import errno
import json
import logging
import shutil
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from phancap.api.app import create_app
from phancap.api.settings import ApiSettings
from phancap.engine.clock import Clock
from phancap.engine.db import Database
from phancap.engine.machine import WorkflowMachine
from phancap.engine.notify import DeliveryFailed, NotifySettings, Sender
from phancap.engine.runtime import TaskEngine
from phancap.engine.settings import DEFAULT_MAX_BODY_BYTES
from tests.api.conftest import SECRET, bearer
from tests.api.helpers import assert_refusal, sct_task, snapshot
from tests.api.test_reports_api import move_clock, sign_in

MiB = 1024 * 1024


def assert_secured(response: Any) -> None:
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers.get("x-request-id")


def assert_field(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["rule"] == "request" and body["message_vi"] and body["message_en"]
    named = [".".join(str(p) for p in d["loc"]) for d in body.get("detail", [])]
    assert body.get("field") == field or field in named, body


# ---- 1. body size limits, before authentication -------------------------------------------------

def test_a_body_above_the_limit_is_refused_with_413_before_authentication(client: TestClient) -> None:
    big = b'{"trigger": "comment", "comment": "' + b"x" * (2 * MiB) + b'"}'
    for path in ("/api/v1/tasks/1/transitions", "/api/v1/auth/token", "/login", "/api/v1/imports"):
        answer = client.post(path, content=big, headers={"Content-Type": "application/json"})
        body = assert_refusal(answer, 413, "too_large")
        assert body["limit"] == DEFAULT_MAX_BODY_BYTES and "quá lớn" in body["message_vi"]
        assert_secured(answer)


def test_a_chunked_body_is_counted_and_cut_off_at_the_limit(client: TestClient, app: FastAPI) -> None:
    """Straight through ASGI (the test client reads a whole body before the app sees it): 150 MB offered in
    64 KiB chunks without Content-Length, the application stops receiving just past 1 MiB."""
    import anyio

    def run(headers: list[tuple[bytes, bytes]]) -> tuple[int, int, dict[str, Any]]:
        sent = 0
        answer: dict[str, Any] = {"headers": {}, "body": b""}

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent >= 150 * MiB:
                return {"type": "http.request", "body": b"", "more_body": False}
            sent += 64 * 1024
            return {"type": "http.request", "body": b"x" * (64 * 1024), "more_body": True}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["headers"] = {k.decode(): v.decode() for k, v in message["headers"]}
            elif message["type"] == "http.response.body":
                answer["body"] += message.get("body", b"")

        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
                 "path": "/api/v1/tasks/1/transitions", "raw_path": b"/api/v1/tasks/1/transitions", "query_string": b"",
                 "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"),
                             (b"transfer-encoding", b"chunked"), *headers],
                 "client": ("127.0.0.1", 1), "server": ("testserver", 80), "root_path": "", "state": {}}
        anyio.run(app, scope, receive, send)
        return answer["status"], sent, answer

    token = bearer(app, "cv.sct")["Authorization"].encode()
    for headers in ([], [(b"authorization", token)]):
        status, sent, answer = run(headers)
        assert status == 413 and json.loads(answer["body"])["rule"] == "too_large"
        assert answer["headers"]["x-content-type-options"] == "nosniff" and answer["headers"]["x-request-id"]
        assert sent <= DEFAULT_MAX_BODY_BYTES + 64 * 1024, sent  # stopped at the limit, not at 150 MB


def test_imports_and_evidence_keep_their_larger_limits_only_with_a_credential(client: TestClient, app: FastAPI,
                                                                             seeded: TaskEngine) -> None:
    body = json.dumps({"text": "x" * 2_000_001}).encode()  # 2 MB: above the 1 MiB default, within the import cap
    assert len(body) > DEFAULT_MAX_BODY_BYTES
    anonymous = client.post("/api/v1/imports", content=body, headers={"Content-Type": "application/json"})
    assert_refusal(anonymous, 413, "too_large")
    signed = client.post("/api/v1/imports", content=body,
                         headers={"Content-Type": "application/json", **bearer(app, "admin")})
    assert signed.status_code == 201, signed.text[:300]  # read, and made a draft: the middleware let it through
    upload = client.post(f"/api/v1/tasks/{sct_task(seeded.db)}/evidence", headers=bearer(app, "cv.sct"),
                         files={"file": ("bao-cao.pdf", b"%PDF-1.4\n" + b"0" * (2 * MiB), "application/pdf")})
    assert upload.status_code != 413, upload.text[:300]


# ---- 2. every input error a 4xx naming the field ------------------------------------------------

def test_lone_surrogates_and_nul_characters_are_refused_naming_the_field(client: TestClient, app: FastAPI,
                                                                         seeded: TaskEngine) -> None:
    task = sct_task(seeded.db)
    before = snapshot(seeded.db, task)
    url = f"/api/v1/tasks/{task}/transitions"
    for raw, field in ((rb'{"trigger": "comment", "comment": "a\ud800b"}', "body.comment"),
                       (rb'{"trigger": "comment", "comment": "a\u0000b"}', "body.comment"),
                       (rb'{"trigger": "comment\udfff"}', "body.trigger"),
                       (rb'{"trigger": "comment", "comment": "x", "evidence": {"title": "\u0000"}}', "body.evidence.title")):
        answer = client.post(url, content=raw, headers={"Content-Type": "application/json", **bearer(app, "cv.sct")})
        assert_field(answer, field)
        assert_secured(answer)
    # a valid pair (an emoji) is text
    fine = client.post(url, content=rb'{"trigger": "comment", "comment": "ok \ud83d\ude00"}',
                       headers={"Content-Type": "application/json", **bearer(app, "cv.sct")})
    assert fine.status_code == 200, fine.text
    assert snapshot(seeded.db, task)[3] == before[3] + 1  # only the valid comment was recorded
    assert_field(client.get("/api/v1/tasks?q=a%00b", headers=bearer(app, "cv.sct")), "query.q")
    urge = client.post("/api/v1/urge", content=rb'{"comment": "\u0000"}',
                       headers={"Content-Type": "application/json", **bearer(app, "dm.snv")})
    assert_field(urge, "body.comment")
    sign_in(client, app, "cv.sct")
    form = client.post(f"/tasks/{task}/fire", content=b"trigger=comment&comment=a%00b&csrf=x",
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_field(form, "body.comment")


def test_audit_dates_that_are_no_dates_are_refused_naming_the_field(client: TestClient, app: FastAPI) -> None:
    auditor = bearer(app, "kiemtoan")
    for query, field in (("until=2025-13-45", "query.until"), ("until=hôm-qua", "query.until"),
                         ("since=not-a-date", "query.since"), ("since=2025-02-30", "query.since")):
        assert_field(client.get(f"/api/v1/audit?{query}", headers=auditor), field)
        assert_field(client.get(f"/api/v1/audit?format=csv&{query}", headers=auditor), field)
    assert client.get("/api/v1/audit?since=2025-04-01&until=2025-04-30", headers=auditor).status_code == 200
    sign_in(client, app, "kiemtoan")
    for path in ("/audit?until=2025-13-45", "/audit?since=xyz", "/audit/export.csv?until=2025-99-99"):
        page = client.get(path)
        assert page.status_code == 422, (path, page.status_code)
        assert "until" in page.text or "since" in page.text
        assert_secured(page)


def test_version_and_task_ids_must_be_json_integers(client: TestClient, app: FastAPI, seeded: TaskEngine) -> None:
    task = sct_task(seeded.db)
    before = snapshot(seeded.db, task)
    for version in (True, "1", 1.0):
        answer = client.post(f"/api/v1/tasks/{task}/transitions", headers=bearer(app, "cv.sct"),
                             json={"trigger": "submit_for_review", "version": version})
        assert_field(answer, "body.version")
    assert snapshot(seeded.db, task) == before
    assert_field(client.post("/api/v1/urge", headers=bearer(app, "dm.snv"), json={"tasks": [True]}), "body.tasks.0")
    ok = client.post(f"/api/v1/tasks/{task}/transitions", headers=bearer(app, "cv.sct"),
                     json={"trigger": "submit_for_review", "version": before[1]})
    assert ok.status_code == 200, ok.text


def test_a_body_that_cannot_be_read_is_a_documented_422(client: TestClient, app: FastAPI, seeded: TaskEngine) -> None:
    # the evidence route reads its own form after the permission check: the file it cannot find is named
    for path, field in ((f"/api/v1/tasks/{sct_task(seeded.db)}/evidence", "file"), ("/api/v1/auth/token", "body")):
        # multipart without a boundary: FastAPI's undocumented 400 "error parsing the body" before
        answer = client.post(path, headers={**bearer(app, "cv.sct"), "Content-Type": "multipart/form-data"},
                             content=b"--zzz\r\nbroken")
        assert_field(answer, field)
        assert_secured(answer)
    document = client.get("/openapi.json").json()
    transitions = document["paths"]["/api/v1/tasks/{task_id}/transitions"]["post"]["responses"]
    assert "422" in transitions and "400" not in transitions


# ---- 3. outages: a Vietnamese page or the refusal JSON, with the security headers ----------------

UNREACHABLE = "postgresql://nobody@127.0.0.1:1/none"


@pytest.fixture
def offline_app(workflows: dict[str, WorkflowMachine]) -> FastAPI:
    return create_app(database=Database(UNREACHABLE), clock=Clock.parse("2025-04-01"),
                      settings=ApiSettings(secret_key=SECRET), workflows=workflows)


def test_the_server_starts_without_its_database_and_answers_503(offline_app: FastAPI,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO), TestClient(offline_app, raise_server_exceptions=False) as client:
        started = [r for r in caplog.records if r.getMessage().startswith("database unreachable at start")]
        assert len(started) == 1 and started[0].levelno == logging.ERROR
        health = client.get("/healthz")
        assert health.status_code == 503 and health.headers["retry-after"]
        assert health.json() == {"status": "unavailable", "database": "unreachable",
                                 "reason": "the database does not answer (OperationalError)"}
        assert "127.0.0.1" not in health.text  # the connection's details stay in the log
        assert_secured(health)
        # credentials signed as before the outage (opening a session needs the database itself)
        signer = offline_app.state.services.signer
        token = signer._tokens.dumps({"sub": "cv.sct", "sid": "issued-before-the-outage"})
        api = client.get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
        assert_refusal(api, 503, "unavailable")
        assert_secured(api)
        assert api.json()["request_id"] == api.headers["x-request-id"]
        client.cookies.set("phancap_session", signer._sessions.dumps({"sub": "cv.sct", "csrf": "c",
                                                                      "sid": "issued-before-the-outage"}))
        page = client.get("/")
        assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
        assert "tạm thời không phục vụ được" in page.text and "<html" in page.text
        assert_secured(page)
    logged = [r for r in caplog.records if r.getMessage() == "unexpected error"]
    assert logged and all(getattr(r, "request_id", None) for r in logged)


def test_a_full_disk_and_a_crash_get_a_vietnamese_page_with_the_security_headers(app: FastAPI) -> None:
    def disk_full() -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    def database_gone() -> None:
        raise OperationalError("INSERT …", {}, Exception("database or disk is full"))

    def bug() -> None:
        raise RuntimeError("kaputt")

    for path, handler in (("/disk", disk_full), ("/api/v1/disk", disk_full), ("/gone", database_gone), ("/bug", bug)):
        app.add_api_route(path, handler)
    with TestClient(app, raise_server_exceptions=False) as client:
        for path, status in (("/disk", 503), ("/gone", 503), ("/bug", 500)):
            page = client.get(path)
            assert page.status_code == status and page.headers["content-type"].startswith("text/html"), path
            assert ("Lỗi máy chủ" if status == 500 else "tạm thời không phục vụ được") in page.text
            assert "kaputt" not in page.text
            assert_secured(page)
        api = client.get("/api/v1/disk")
        assert_refusal(api, 503, "unavailable")
        assert_secured(api)


def test_healthz_answers_503_when_the_database_stops_answering(app: FastAPI, seeded: TaskEngine,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    with TestClient(app) as client:
        assert {k: v for k, v in client.get("/healthz").json().items() if k in ("status", "database")} == {
            "status": "ok", "database": "ok"}

        def refuse(*_args: Any, **_kwargs: Any) -> Any:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

        monkeypatch.setattr(seeded.db.engine, "connect", refuse)
        down = client.get("/healthz")
        assert down.status_code == 503 and down.json()["database"] == "unreachable"
        assert_secured(down)


# ---- 4. the roll-up's scope ---------------------------------------------------------------------

def test_the_rollup_is_for_the_plans_registry_and_related_units(client: TestClient, app: FastAPI,
                                                                tmp_path: Path) -> None:
    from tests.api.test_rollup import test_rollup_shows_the_child_plans_under_each_parent_task as with_levels

    with_levels(client, app, tmp_path)  # loads KT-TINH-1036 (registry KT) with KT-2025 under it

    def rollup(user: str, plan: str = "KT-TINH-1036") -> Any:
        return client.get(f"/api/v1/plans/{plan}/rollup", headers=bearer(app, user))

    assert rollup("pd.huyen").status_code == 200  # Kon Tum's approver: the plan's authority
    assert rollup("dm.pnv").status_code == 200  # Kon Tum's monitor
    assert rollup("kiemtoan").status_code == 200 and rollup("admin").status_code == 200  # see everything
    assert_refusal(rollup("pd.ubnd"), 403, "forbidden")  # Hà Nội's approver: another registry
    assert_refusal(rollup("dm.snv"), 403, "forbidden")  # Hà Nội's monitor
    assert rollup("pd.ubnd", "HN-2025").status_code == 200
    assert_refusal(rollup("cv.sct"), 403, "role")
    sign_in(client, app, "pd.ubnd")
    page = client.get("/plans/KT-TINH-1036")
    assert page.status_code == 200 and "Kế hoạch cấp dưới thực hiện" not in page.text
    sign_in(client, app, "pd.huyen")
    assert "Kế hoạch cấp dưới thực hiện" in client.get("/plans/KT-TINH-1036").text


# ---- 5. urging never waits on a webhook ---------------------------------------------------------

@pytest.fixture
def hanging_webhook() -> Iterator[tuple[str, threading.Event, list[bytes]]]:
    release = threading.Event()
    received: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            release.wait(30)  # hangs until the test lets it answer
            received.append(body)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", release, received
    release.set()
    server.shutdown()
    server.server_close()


def test_urging_answers_at_once_while_the_webhook_hangs(client: TestClient, app: FastAPI, seeded: TaskEngine,
                                                        clock: Clock,
                                                        hanging_webhook: tuple[str, threading.Event, list[bytes]]) -> None:
    url, release, received = hanging_webhook
    services = app.state.services
    services.notify = NotifySettings(webhook_url=url, webhook_secret="s" * 32, timeout=20)
    move_clock(clock, "2025-04-12")  # 1.1 and 1.2 are due soon: Sở Tư pháp tracks 15 of them
    started = time.monotonic()
    answer = client.post("/api/v1/urge", headers=bearer(app, "dm.stp"), json={"plan": "HN-2025"})
    elapsed = time.monotonic() - started
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert len(body["urged"]) == 15 and body["webhooks"] == 15 and body["queued"] is True and body["errors"] == []
    assert elapsed < 3, elapsed  # 15 hanging webhooks would have held it 150 s (10 s each)
    assert received == []  # nothing was delivered while the request ran
    release.set()
    from phancap.engine.worker import Worker

    done = Worker(seeded.db, seeded.workflows, clock, Sender(services.notify)).run_once()  # the worker delivers
    assert len(received) == 15 and done.delivered == 15
    notices = [json.loads(b) for b in received]
    assert {n["task"] for n in notices} == set(body["urged"]) and all(n["event"] == "urge" for n in notices)


def test_a_webhook_that_never_answers_is_given_up_after_the_timeout(seeded: TaskEngine,
                                                                    hanging_webhook: tuple[str, threading.Event, list[bytes]]) -> None:
    url, _release, _received = hanging_webhook
    sender = Sender(NotifySettings(webhook_url=url, webhook_secret="s" * 32, timeout=0.5))
    started = time.monotonic()
    with pytest.raises(DeliveryFailed, match="timed out") as failed:
        sender.webhook("key-1", {"body": {"event": "urge", "task": 1, "unit": "HN-SCT"}})
    assert time.monotonic() - started < 3 and not failed.value.permanent  # retried later by the worker


# ---- 6. nothing unauthenticated does heavy work -------------------------------------------------

def test_without_a_credential_every_api_route_stops_at_authentication(client: TestClient) -> None:
    """Besides the login routes (throttled on their own) and /healthz (`SELECT 1` and two small counts), every operation
    answers 401 before touching any data; the body it may read first is bounded by the 1 MiB limit."""
    document = client.get("/openapi.json").json()
    public = {("post", "/api/v1/auth/token"), ("get", "/healthz")}
    checked = 0
    for path, operations in document["paths"].items():
        concrete = path.replace("{task_id}", "1").replace("{code}", "HN-2025").replace("{draft_id}", "1")
        for method in operations:
            if (method, path) in public or "{" in concrete:
                continue
            answer = client.request(method.upper(), concrete, content=b"{}", headers={"Content-Type": "application/json"})
            assert answer.status_code == 401, (method, path, answer.status_code)
            checked += 1
    assert checked >= 20
    big = b'{"text": "' + b"x" * (DEFAULT_MAX_BODY_BYTES - 100) + b'"}'
    started = time.monotonic()
    for _ in range(6):
        assert client.post("/api/v1/imports", content=big, headers={"Content-Type": "application/json"}).status_code == 401
    assert time.monotonic() - started < 5
