"""Notices (urging) beyond the audit trail: e-mail over SMTP and a webhook signed with HMAC-SHA256.
Sent after the transition committed; a failed delivery never undoes the recorded urging.

The web server never waits on them: `NoticeQueue` hands them to one worker thread that delivers after
the response went out, each call bounded by PHANCAP_NOTIFY_TIMEOUT (5 s); the command line delivers
in place (`Notifier.urged`)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import smtplib
import threading
import urllib.request
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from sqlalchemy import text

from phancap.engine.db import Database
from phancap.engine.settings import Settings

SIGNATURE_HEADER = "X-Phancap-Signature"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NotifySettings:
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "phancap@localhost"
    webhook_url: str | None = None
    webhook_secret: str | None = None
    timeout: float = 5.0  # seconds, per SMTP conversation or webhook call

    @classmethod
    def from_env(cls) -> NotifySettings:
        """PHANCAP_SMTP_* and PHANCAP_WEBHOOK_*, read through the one Settings object."""
        return Settings.from_env().notify()


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str) -> bool:
    return hmac.compare_digest(sign(secret, body), header)


@dataclass
class Delivery:
    emails: list[str] = field(default_factory=list)
    webhooks: int = 0
    errors: list[str] = field(default_factory=list)


class Notifier:
    def __init__(self, db: Database, settings: NotifySettings | None = None) -> None:
        self.db = db
        self.settings = settings or NotifySettings.from_env()

    def unit_addresses(self, unit: str) -> list[str]:
        with self.db.engine.connect() as conn:
            rows = conn.execute(text("SELECT email FROM app_user WHERE unit = :u AND email IS NOT NULL ORDER BY name"),
                                {"u": unit}).all()
        return [r[0] for r in rows]

    def outgoing(self, notice: dict[str, Any]) -> Outgoing:
        """What a notice will send (the unit's addresses are looked up now, in the request)."""
        s = self.settings
        to = self.unit_addresses(str(notice["unit"])) if s.smtp_host else []
        return Outgoing(notice, to, bool(s.webhook_url and s.webhook_secret))

    def urged(self, notice: dict[str, Any], delivery: Delivery) -> None:
        """notice: task, plan, number, unit, deadline, comment, actor, at. Delivered now (the command line)."""
        self.send(self.outgoing(notice), delivery)

    def send(self, outgoing: Outgoing, delivery: Delivery) -> None:
        s, notice, to = self.settings, outgoing.notice, outgoing.to
        if s.smtp_host and to:
            message = EmailMessage()
            message["From"], message["To"] = s.smtp_from, ", ".join(to)
            message["Subject"] = f"[phancap] Đôn đốc nhiệm vụ {notice['number']} ({notice['plan']})"
            message.set_content(
                f"Đơn vị {notice['unit']} được đôn đốc thực hiện nhiệm vụ {notice['number']} của kế hoạch "
                f"{notice['plan']} (thời hạn: {notice['deadline'] or 'không có'}).\n\n{notice.get('comment') or ''}\n\n"
                f"Người đôn đốc: {notice['actor']}, lúc {notice['at']}.")
            try:
                with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.timeout) as smtp:
                    smtp.send_message(message)
                delivery.emails.extend(to)
                log.info("e-mail sent", extra={"task": notice["task"], "unit": notice["unit"], "to": len(to)})
            except (OSError, smtplib.SMTPException) as exc:
                delivery.errors.append(f"smtp: {exc}")
                log.warning("e-mail failed", extra={"task": notice["task"], "unit": notice["unit"],
                                                    "error": str(exc)})
        if outgoing.webhook and s.webhook_url and s.webhook_secret:
            body = json.dumps({"event": "urge", **notice}, ensure_ascii=False, sort_keys=True).encode("utf-8")
            request = urllib.request.Request(s.webhook_url, data=body, method="POST", headers={
                "Content-Type": "application/json", SIGNATURE_HEADER: sign(s.webhook_secret, body)})
            try:
                with urllib.request.urlopen(request, timeout=s.timeout) as response:
                    response.read()
                delivery.webhooks += 1
                log.info("webhook sent", extra={"task": notice["task"], "unit": notice["unit"]})
            except (OSError, ValueError) as exc:  # ValueError: a URL urllib cannot use
                delivery.errors.append(f"webhook: {exc}")
                log.warning("webhook failed", extra={"task": notice["task"], "unit": notice["unit"], "error": str(exc)})


@dataclass(frozen=True)
class Outgoing:
    notice: dict[str, Any]
    to: list[str]  # e-mail addresses
    webhook: bool


class NoticeQueue:
    """Deliveries after the response: one daemon worker thread, started on the first notice, so a hanging
    SMTP server or webhook delays only the notices behind it (each call bounded by the timeout), never a
    request. Bounded: past `maxsize` waiting notices a new one is refused (`put` returns False) and logged."""

    def __init__(self, notifier: Notifier, maxsize: int = 10_000) -> None:
        self.notifier = notifier
        self._queue: queue.Queue[Outgoing | None] = queue.Queue(maxsize)
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self.delivery = Delivery()  # every delivery so far (the newest 1,000 errors and addresses)

    def put(self, outgoing: Outgoing) -> bool:
        with self._lock:
            if self._worker is None:
                self._worker = threading.Thread(target=self._run, name="phancap-notices", daemon=True)
                self._worker.start()
        try:
            self._queue.put_nowait(outgoing)
        except queue.Full:
            log.warning("notice dropped: the delivery queue is full", extra={"task": outgoing.notice.get("task")})
            return False
        return True

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                done = Delivery()
                self.notifier.send(item, done)
                with self._lock:
                    d = self.delivery
                    d.emails, d.errors = (d.emails + done.emails)[-1000:], (d.errors + done.errors)[-1000:]
                    d.webhooks += done.webhooks
            except Exception:  # noqa: BLE001 - the worker outlives any one notice
                log.exception("notice delivery failed")
            finally:
                self._queue.task_done()

    def join(self) -> None:
        """Wait until every queued notice was delivered or failed (tests)."""
        self._queue.join()

    def close(self, timeout: float = 5.0) -> None:
        """Let the worker finish what it is sending, within `timeout`; what still waits is logged as dropped."""
        with self._lock:
            worker = self._worker
        if worker is None:
            return
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            pass
        worker.join(timeout)
        if worker.is_alive():
            log.warning("notices not delivered at shutdown", extra={"waiting": self._queue.qsize()})
