"""Urging notices go out by e-mail (a real local SMTP server) and by a signed webhook."""

from __future__ import annotations

import json
from email.header import decode_header, make_header
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from phancap.engine.clock import Clock
from phancap.engine.notify import (EMAIL_KEY_HEADER, SIGNATURE_HEADER, Notifier, NotifySettings,
                                   sign, verify_signature)
from phancap.engine.outbox import list_deliveries
from phancap.engine.runtime import TaskEngine
from phancap.engine.urging import select_for_urging, urge_many
from phancap.engine.users import add_user

SECRET = "bí-mật-webhook"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Any] = []

    def handle_message(self, message: Any) -> None:
        self.messages.append(message)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def webhook() -> Iterator[tuple[list[tuple[bytes, str]], str]]:
    received: list[tuple[bytes, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((body, self.headers[SIGNATURE_HEADER]))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield received, f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def test_urging_reaches_the_unit_by_email_and_signed_webhook(seeded: TaskEngine, smtp: tuple[Inbox, int],
                                                             webhook: tuple[list[tuple[bytes, str]], str]) -> None:
    inbox, port = smtp
    received, url = webhook
    add_user(seeded.db, "cv.sct", "HN-SCT", ["officer"], seeded.clock, email="congthuong@hanoi.gov.vn")
    engine = TaskEngine(seeded.db, seeded.workflows, Clock.parse("2025-04-16"))
    chosen = [t for t in select_for_urging(engine, plan="HN-2025", unit="HN-SCT")]
    assert len(chosen) == 2  # 1.1 and 1.2 are overdue on 16/4
    notifier = Notifier(seeded.db, NotifySettings(smtp_host="127.0.0.1", smtp_port=port, webhook_url=url,
                                                  webhook_secret=SECRET))
    result = urge_many(engine, "dm.snv", chosen, "Đề nghị báo cáo ngay", notifier)
    assert result.urged == chosen and not result.delivery.errors
    assert len(inbox.messages) == 2 and inbox.messages[0]["To"] == "congthuong@hanoi.gov.vn"
    assert "Đôn đốc nhiệm vụ 1.1" in str(make_header(decode_header(inbox.messages[0]["Subject"])))
    keys = {m[EMAIL_KEY_HEADER] for m in inbox.messages}
    assert len(keys) == 2 and {m["Message-ID"] for m in inbox.messages} == {f"<{k}@phancap>" for k in keys}
    assert len(received) == 2
    body, signature = received[0]
    assert verify_signature(SECRET, body, signature) and not verify_signature("other", body, signature)
    notice = json.loads(body)
    assert (notice["event"], notice["unit"], notice["number"], notice["actor"]) == ("urge", "HN-SCT", "1.1", "dm.snv")


def test_failed_delivery_keeps_the_recorded_urging(seeded: TaskEngine) -> None:
    engine = TaskEngine(seeded.db, seeded.workflows, Clock.parse("2025-04-16"))
    add_user(seeded.db, "cv.sct", "HN-SCT", ["officer"], seeded.clock, email="congthuong@hanoi.gov.vn")
    dead = Notifier(seeded.db, NotifySettings(smtp_host="127.0.0.1", smtp_port=free_port()))
    chosen = select_for_urging(engine, plan="HN-2025", unit="HN-SCT")
    result = urge_many(engine, "dm.snv", chosen, None, dead)
    assert result.urged == chosen and len(result.delivery.errors) == 2
    waiting = list_deliveries(seeded.db, region=None)
    assert [(d["status"], d["attempts"]) for d in waiting] == [("pending", 1)] * 2  # kept for the worker to retry
    assert all("smtp" in d["last_error"] for d in waiting)


def test_webhook_without_secret_is_refused_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHANCAP_WEBHOOK_URL", "http://127.0.0.1:9/hook")
    monkeypatch.delenv("PHANCAP_WEBHOOK_SECRET", raising=False)
    with pytest.raises(ValueError, match="always signed"):
        NotifySettings.from_env()
    assert sign("k", b"x").startswith("sha256=")
