"""Notices (urging) beyond the audit trail: e-mail over SMTP and a webhook signed with HMAC-SHA256.

`Notifier` writes them to the outbox (engine/outbox.py) in the transaction of the urging itself; `Sender`
delivers one outbox row, each call bounded by PHANCAP_NOTIFY_TIMEOUT (5 s), and raises DeliveryFailed when it
could not. The receiver gets the row's idempotency key: the `Idempotency-Key` header of a webhook call, the
`Message-ID` (and `X-Phancap-Idempotency-Key`) of an e-mail, so a repeat after a lost acknowledgement can be
dropped. The web server never waits on a delivery: the worker (engine/worker.py) does them."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from email.utils import formatdate
from email.message import EmailMessage
from typing import Any

from sqlalchemy import text

from phancap.engine import outbox
from phancap.engine.db import Database
from phancap.engine.settings import Settings

SIGNATURE_HEADER = "X-Phancap-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
EMAIL_KEY_HEADER = "X-Phancap-Idempotency-Key"
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


class DeliveryFailed(Exception):
    """`permanent`: retrying cannot help (nothing configured to send with, a receiver that refuses the request)."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Outgoing:
    notice: dict[str, Any]
    to: list[str]  # e-mail addresses
    webhook: bool


def urge_email(notice: dict[str, Any]) -> tuple[str, str]:
    """The subject and text of an urging e-mail."""
    subject = f"[phancap] Đôn đốc nhiệm vụ {notice['number']} ({notice['plan']})"
    body = (f"Đơn vị {notice['unit']} được đôn đốc thực hiện nhiệm vụ {notice['number']} của kế hoạch "
            f"{notice['plan']} (thời hạn: {notice['deadline'] or 'không có'}).\n\n{notice.get('comment') or ''}\n\n"
            f"Người đôn đốc: {notice['actor']}, lúc {notice['at']}.")
    return subject, body


class Notifier:
    """Which notices an urging causes, written to the outbox."""

    def __init__(self, db: Database, settings: NotifySettings | None = None) -> None:
        self.db = db
        self.settings = settings or NotifySettings.from_env()

    def unit_addresses(self, unit: str) -> list[str]:
        with self.db.engine.connect() as conn:
            rows = conn.execute(text("SELECT email FROM app_user WHERE unit = :u AND email IS NOT NULL "
                                     "AND email <> '' ORDER BY name"), {"u": unit}).all()
        return [r[0] for r in rows]

    def outgoing(self, notice: dict[str, Any]) -> Outgoing:
        """Who a notice goes to (the unit's addresses as they are now)."""
        s = self.settings
        to = self.unit_addresses(str(notice["unit"])) if s.smtp_host else []
        return Outgoing(notice, to, bool(s.webhook_url and s.webhook_secret))

    def enqueue(self, cur: Any, outgoing: Outgoing, event: str) -> list[str]:
        """One outbox row per address and one for the webhook, in the caller's transaction; `event`: the causing
        audit event's hash. Returns the rows' idempotency keys."""
        notice, keys = outgoing.notice, []
        subject, body = urge_email(notice)
        for address in outgoing.to:
            key = outbox.idempotency_key(event, outbox.EMAIL, address)
            outbox.enqueue(cur, self.db, outbox.EMAIL, key, {"to": address, "subject": subject, "body": body},
                           str(notice["at"]), unit=str(notice["unit"]))
            keys.append(key)
        if outgoing.webhook:
            key = outbox.idempotency_key(event, outbox.WEBHOOK)
            outbox.enqueue(cur, self.db, outbox.WEBHOOK, key, {"body": {"event": "urge", **notice}},
                           str(notice["at"]), unit=str(notice["unit"]))
            keys.append(key)
        return keys


class Sender:
    """Delivers one outbox row through the configured SMTP server or webhook."""

    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings

    def send(self, row: outbox.Claimed) -> None:
        if row.kind == outbox.EMAIL:
            self.email(row.idempotency_key, row.payload)
        elif row.kind == outbox.WEBHOOK:
            self.webhook(row.idempotency_key, row.payload)
        else:
            raise DeliveryFailed(f"unknown delivery kind {row.kind!r}", permanent=True)

    def email(self, key: str, payload: dict[str, Any]) -> None:
        s = self.settings
        if not s.smtp_host:
            raise DeliveryFailed("smtp: PHANCAP_SMTP_HOST is not set")  # retried: the setting may come
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = s.smtp_from, payload["to"], payload["subject"]
        message["Message-ID"] = f"<{key}@phancap>"
        message[EMAIL_KEY_HEADER] = key
        message["Date"] = formatdate(localtime=False)
        message.set_content(payload["body"])
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.timeout) as smtp:
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryFailed(f"smtp: recipient refused: {exc}", permanent=True) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(f"smtp: {type(exc).__name__}: {exc}") from exc
        log.info("e-mail sent", extra={"key": key})

    def webhook(self, key: str, payload: dict[str, Any]) -> None:
        s = self.settings
        if not (s.webhook_url and s.webhook_secret):
            raise DeliveryFailed("webhook: PHANCAP_WEBHOOK_URL is not set")
        body = json.dumps(payload["body"], ensure_ascii=False, sort_keys=True).encode("utf-8")
        request = urllib.request.Request(s.webhook_url, data=body, method="POST", headers={
            "Content-Type": "application/json", SIGNATURE_HEADER: sign(s.webhook_secret, body), IDEMPOTENCY_HEADER: key})
        try:
            with urllib.request.urlopen(request, timeout=s.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:  # the receiver answered: 4xx is its final word (but 408, 429)
            permanent = 400 <= exc.code < 500 and exc.code not in (408, 429)
            raise DeliveryFailed(f"webhook: HTTP {exc.code}", permanent=permanent) from exc
        except (OSError, ValueError) as exc:  # ValueError: a URL urllib cannot use
            raise DeliveryFailed(f"webhook: {exc}") from exc
        log.info("webhook sent", extra={"key": key})
