"""The daily e-mail digest (issue 15, optional): each user's unread notifications of the last day
(engine/notifications.py), one message per user with an e-mail address, through the SMTP settings the
urging notices use (PHANCAP_SMTP_*). Listing never sends; sending never marks anything read.

`queue_digest` writes one outbox row per user and Việt Nam day (engine/outbox.py): sent once that day however
often `phancap digest --send` runs, and retried by the worker when the SMTP server is away."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import text

from phancap.engine import outbox
from phancap.engine.clock import stamp
from phancap.engine.notifications import notifications
from phancap.engine.notify import Delivery, DeliveryFailed, NotifySettings, Sender
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
            result.append({"user": user.name, "unit": user.unit, "email": row[3], "items": items})
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


def _payload(entry: dict[str, Any]) -> dict[str, Any]:
    return {"to": entry["email"], "subject": f"[phancap] {len(entry['items'])} thông báo chưa đọc", "body": _body(entry)}


def queue_digest(engine: TaskEngine, entries: list[dict[str, Any]]) -> list[str]:
    """Each entry's e-mail in the outbox, keyed by user and today (Việt Nam): returns the keys."""
    day, at = engine.clock.today().isoformat(), stamp(engine.clock.now())
    keys = []
    with engine.db.write() as cur:
        for entry in entries:
            key = outbox.idempotency_key("digest", entry["user"], day)
            outbox.enqueue(cur, engine.db, outbox.EMAIL, key, _payload(entry), at, unit=entry.get("unit"))
            keys.append(key)
    return keys


def send_digest(entries: list[dict[str, Any]], settings: NotifySettings) -> Delivery:
    """One message per entry, sent now without the outbox; a failed delivery is recorded and the others still go."""
    delivery = Delivery()
    if not settings.smtp_host:
        delivery.errors.append("smtp: PHANCAP_SMTP_HOST is not set")
        return delivery
    sender = Sender(settings)
    for entry in entries:
        try:
            sender.email(uuid.uuid4().hex, _payload(entry))  # sent once, here: no key to keep
            delivery.emails.append(str(entry["email"]))
        except DeliveryFailed as exc:
            delivery.errors.append(f"{exc} ({entry['user']})")
            log.warning("digest e-mail failed", extra={"user": entry["user"], "error": str(exc)})
    return delivery

