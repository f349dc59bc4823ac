"""The daily e-mail digest (issue 15, optional): each user's unread notifications of the last day
(engine/notifications.py), one message per user with an e-mail address, through the SMTP settings the
urging notices use (PHANCAP_SMTP_*). Listing never sends; sending never marks anything read."""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy import text

from phancap.engine.clock import stamp
from phancap.engine.notifications import notifications
from phancap.engine.notify import Delivery, NotifySettings
from phancap.engine.runtime import TaskEngine
from phancap.engine.users import ACTIVE_UNIT, user_from_row

DIGEST_HOURS = 24
log = logging.getLogger(__name__)


def digest(engine: TaskEngine, *, limit: int = 100) -> list[dict[str, Any]]:
    """For every active user with an e-mail address who has any: name, email, and the unread notifications
    of the last DIGEST_HOURS (and the reports due soon not yet read), newest first."""
    since = stamp(engine.clock.now() - timedelta(hours=DIGEST_HOURS))
    with engine.db.engine.connect() as conn:
        rows = conn.execute(text("SELECT name, unit, roles, email FROM app_user WHERE active AND email IS NOT NULL "
                                 "AND email <> ''" + ACTIVE_UNIT + " ORDER BY name")).all()
    result = []
    for row in rows:
        user = user_from_row(row)
        items = notifications(engine, user, limit=limit, unread_only=True, since=since).items
        if items:
            result.append({"user": user.name, "email": row[3], "items": items})
    return result


def _body(entry: dict[str, Any]) -> str:
    lines = [f"Thông báo chưa đọc của {entry['user']} trong {DIGEST_HOURS} giờ qua:", ""]
    for n in entry["items"]:
        what = f"- {n['label']}: {n['plan']} · nhiệm vụ {n['number']}"
        if n.get("title"):
            what += f" — {n['title']}"
        if n.get("actor"):
            what += f" ({n['actor']})"
        if n.get("deadline"):
            what += f", hạn {n['deadline']:%d/%m/%Y}"
        lines.append(what)
        if n.get("comment"):
            lines.append(f"  Ý kiến: {n['comment']}")
    lines += ["", "Xem và đánh dấu đã đọc tại trang Thông báo (/thong-bao)."]
    return "\n".join(lines)


def send_digest(entries: list[dict[str, Any]], settings: NotifySettings) -> Delivery:
    """One message per entry; a failed delivery is recorded and the others still go."""
    delivery = Delivery()
    if not settings.smtp_host:
        delivery.errors.append("smtp: PHANCAP_SMTP_HOST is not set")
        return delivery
    for entry in entries:
        message = EmailMessage()
        message["From"], message["To"] = settings.smtp_from, entry["email"]
        message["Subject"] = f"[phancap] {len(entry['items'])} thông báo chưa đọc"
        message.set_content(_body(entry))
        try:
            with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.timeout) as smtp:
                smtp.send_message(message)
            delivery.emails.append(str(entry["email"]))
        except (OSError, smtplib.SMTPException) as exc:
            delivery.errors.append(f"smtp: {entry['user']}: {exc}")
            log.warning("digest e-mail failed", extra={"user": entry["user"], "error": str(exc)})
    return delivery
