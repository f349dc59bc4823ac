"""The worker as the web side shows it (issue 16): /healthz tells the database, the worker's heartbeat and the
outbox lag apart (counts and ages only); /metrics has the outbox gauges; administrators see each delivery and
can try a failed one again; `phancap serve`'s in-process worker delivers an urging's e-mail without anyone
running anything."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from phancap.api.app import create_app
from phancap.api.settings import ApiSettings
from phancap.engine import outbox
from phancap.engine.clock import Clock, stamp
from phancap.engine.machine import WorkflowMachine
from phancap.engine.notify import NotifySettings, Sender
from phancap.engine.runtime import TaskEngine
from phancap.engine.users import add_user
from phancap.engine.worker import Worker
from tests.api.conftest import SECRET, bearer, set_password
from tests.api.test_metrics import value
from tests.api.test_pages import ENGLISH, visible_text
from tests.api.test_security import csrf_of, login
from tests.test_notify import Inbox, free_port

ADDRESS = "congthuong@hanoi.gov.vn"


def queue_mail(seeded: TaskEngine, clock: Clock, key: str, minutes_ago: float = 0) -> None:
    with seeded.db.write() as cur:
        outbox.enqueue(cur, seeded.db, outbox.EMAIL, outbox.idempotency_key(key), {
            "to": ADDRESS, "subject": "Đôn đốc", "body": "…"}, stamp(clock.now() - timedelta(minutes=minutes_ago)),
            unit="HN-SCT")


def moved(clock: Clock, seconds: float) -> None:
    assert clock.fixed is not None
    clock.fixed += timedelta(seconds=seconds)


def test_healthz_tells_the_worker_and_the_outbox_lag_apart(client: TestClient, seeded: TaskEngine,
                                                           clock: Clock) -> None:
    health = client.get("/healthz").json()
    assert health["worker"] == {"state": "absent", "heartbeat_age_seconds": None}
    Worker(seeded.db, seeded.workflows, clock, Sender(NotifySettings()), name="w1").run_once()
    assert client.get("/healthz").json()["worker"] == {"state": "ok", "heartbeat_age_seconds": 0.0}
    queue_mail(seeded, clock, "a", minutes_ago=11)  # no SMTP configured: it waits
    moved(clock, 120)
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.json() == {
        "status": "ok", "database": "ok", "worker": {"state": "stale", "heartbeat_age_seconds": 120.0},
        "outbox": {"state": "lagging", "pending": 1, "failed": 0, "oldest_pending_age_seconds": 780.0}}
    assert ADDRESS not in answer.text  # public: counts and ages, never what is sent to whom


def test_metrics_show_the_outbox_depth_and_age_and_the_heartbeat(seeded: TaskEngine, clock: Clock,
                                                                 workflows: dict[str, WorkflowMachine]) -> None:
    token = "scraper-token-0123456789"
    app = create_app(database=seeded.db, clock=clock, workflows=workflows,
                     settings=ApiSettings(secret_key=SECRET, metrics_token=token))
    queue_mail(seeded, clock, "a", minutes_ago=3)
    queue_mail(seeded, clock, "b", minutes_ago=1)
    Worker(seeded.db, seeded.workflows, clock, Sender(NotifySettings()), name="w1").beat()
    moved(clock, 30)
    with TestClient(app) as client:
        text = client.get("/metrics", headers={"Authorization": f"Bearer {token}"}).text
    assert value(text, "phancap_outbox_deliveries", status="pending") == 2
    assert value(text, "phancap_outbox_deliveries", status="failed") == 0
    assert value(text, "phancap_outbox_oldest_pending_age_seconds") == 210.0
    assert value(text, "phancap_worker_heartbeat_age_seconds") == 30.0


def test_administrators_see_each_delivery_and_retry_a_failed_one(client: TestClient, seeded: TaskEngine,
                                                                 clock: Clock) -> None:
    add_user(seeded.db, "qt.admin", "QT-VPUB", ["admin"], seeded.clock)  # another registry's administrator
    for name in ("admin", "cv.sct", "qt.admin"):
        set_password(seeded.db, name, f"pw-{name}")
    queue_mail(seeded, clock, "a")
    settings = NotifySettings(smtp_host="127.0.0.1", smtp_port=free_port(), timeout=2)
    policy = outbox.RetryPolicy(max_attempts=1)
    [row] = outbox.claim(seeded.db, "w1", clock.now(), policy)
    outbox.failed(seeded.db, row, "w1", clock.now(), "smtp: ConnectionRefusedError: [Errno 111]", policy)
    login(client, "cv.sct")
    assert client.get("/admin/deliveries").status_code == 403
    other = login(client, "qt.admin")
    assert ADDRESS not in client.get("/admin/deliveries").text  # Hà Nội's deliveries are not theirs
    assert client.post(f"/admin/deliveries/{row.id}/retry", data={"csrf_token": other}).status_code == 403
    csrf = login(client, "admin")
    page = client.get("/admin/deliveries")
    assert page.status_code == 200 and f'data-status="failed"' in page.text and ADDRESS in page.text
    assert "Không gửi được" in page.text and "ConnectionRefusedError" in page.text and "Gửi lại" in page.text
    words = sorted({m.group(0) for m in ENGLISH.finditer(visible_text(page.text))})
    assert not words, words  # the error itself is shown as code
    assert "Thư và webhook gửi đi" in client.get("/admin").text  # in the admin menu
    retried = client.post(f"/admin/deliveries/{row.id}/retry", data={"csrf_token": csrf_of(page.text)},
                          follow_redirects=False)
    assert retried.status_code == 303 and csrf
    assert 'data-status="pending"' in client.get("/admin/deliveries?status=pending").text
    again = client.post(f"/admin/deliveries/{row.id}/retry", data={"csrf_token": csrf_of(page.text)})
    assert again.status_code == 403  # no longer failed: nothing to retry


def test_the_in_process_worker_delivers_an_urgings_mail_by_itself(seeded: TaskEngine, clock: Clock,
                                                                  workflows: dict[str, WorkflowMachine],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from aiosmtpd.controller import Controller

    inbox, port = Inbox(), free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    monkeypatch.setenv("PHANCAP_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PHANCAP_SMTP_PORT", str(port))
    add_user(seeded.db, "cv.sct", "HN-SCT", ["officer"], seeded.clock, email=ADDRESS)
    app: FastAPI = create_app(database=seeded.db, clock=clock, workflows=workflows,
                              settings=ApiSettings(secret_key=SECRET), worker=True)
    try:
        with TestClient(app) as client:
            clock.fixed = Clock.parse("2025-04-12").fixed  # 1.1 and 1.2 are due soon
            answer = client.post("/api/v1/urge", headers=bearer(app, "dm.stp"),
                                 json={"plan": "HN-2025", "unit": "HN-SCT"})
            assert answer.status_code == 200 and answer.json()["emails"] == [ADDRESS]  # Sở Tư pháp tracks 1.1
            for _ in range(200):  # woken by the urging: well within a second, not at its 5 s poll
                if inbox.messages:
                    break
                threading.Event().wait(0.01)
            for _ in range(200):  # the pass that delivered beat before it (or, the first, right after its sweep)
                health = client.get("/healthz").json()["worker"]["state"]
                if health == "ok":
                    break
                threading.Event().wait(0.01)
            assert health == "ok"
        assert [m["To"] for m in inbox.messages] == [ADDRESS]
        assert not app.state.services.worker._thread.is_alive()  # stopped with the server
    finally:
        server.stop()
