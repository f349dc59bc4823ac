"""Notices (urging) beyond the audit trail: e-mail over SMTP and a webhook signed with HMAC-SHA256.
Sent after the transition committed; a failed delivery never undoes the recorded urging."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
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

    def urged(self, notice: dict[str, Any], delivery: Delivery) -> None:
        """notice: task, plan, number, unit, deadline, comment, actor, at."""
        s = self.settings
        if s.smtp_host:
            to = self.unit_addresses(str(notice["unit"]))
            if to:
                message = EmailMessage()
                message["From"], message["To"] = s.smtp_from, ", ".join(to)
                message["Subject"] = f"[phancap] Đôn đốc nhiệm vụ {notice['number']} ({notice['plan']})"
                message.set_content(
                    f"Đơn vị {notice['unit']} được đôn đốc thực hiện nhiệm vụ {notice['number']} của kế hoạch "
                    f"{notice['plan']} (thời hạn: {notice['deadline'] or 'không có'}).\n\n{notice.get('comment') or ''}\n\n"
                    f"Người đôn đốc: {notice['actor']}, lúc {notice['at']}.")
                try:
                    with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=10) as smtp:
                        smtp.send_message(message)
                    delivery.emails.extend(to)
                    log.info("e-mail sent", extra={"task": notice["task"], "unit": notice["unit"], "to": len(to)})
                except OSError as exc:
                    delivery.errors.append(f"smtp: {exc}")
                    log.warning("e-mail failed", extra={"task": notice["task"], "unit": notice["unit"],
                                                        "error": str(exc)})
        if s.webhook_url and s.webhook_secret:
            body = json.dumps({"event": "urge", **notice}, ensure_ascii=False, sort_keys=True).encode("utf-8")
            request = urllib.request.Request(s.webhook_url, data=body, method="POST", headers={
                "Content-Type": "application/json", SIGNATURE_HEADER: sign(s.webhook_secret, body)})
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    response.read()
                delivery.webhooks += 1
                log.info("webhook sent", extra={"task": notice["task"], "unit": notice["unit"]})
            except OSError as exc:
                delivery.errors.append(f"webhook: {exc}")
                log.warning("webhook failed", extra={"task": notice["task"], "unit": notice["unit"], "error": str(exc)})
