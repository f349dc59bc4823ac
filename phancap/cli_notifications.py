"""`phancap notifications --as USER`: what happened to that user's tasks; `phancap digest`: each user's
unread notifications of the last day, sent by e-mail with --send (engine/notifications.py, engine/digest.py)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from phancap.console import JsonOpt, ctx, emit, fail
from phancap.engine.digest import digest, queue_digest
from phancap.engine.notifications import mark_read, notifications


def _line(n: dict[str, Any]) -> str:
    return "\t".join(str(v) for v in ("" if n["read"] else "*", n["at"] or n["deadline"], n["label"], n["task"],
                                      n["plan"], n["number"], n["actor"] or "-"))


def list_notifications(as_user: Annotated[str, typer.Option("--as", help="User name.")],
                       unread: Annotated[bool, typer.Option("--unread", help="Only those not read yet.")] = False,
                       read_all: Annotated[bool, typer.Option("--read-all", help="Then mark every one read.")] = False,
                       limit: Annotated[int, typer.Option("--limit")] = 30, as_json: JsonOpt = False) -> None:
    """USER's notifications, newest first (key, kind, label, task, plan, number, actor, at, comment, read) and
    the unread count; unread ones are starred."""
    c = ctx()
    user = c.user(as_user)
    found = notifications(c.engine(), user, limit=limit, unread_only=unread)
    left = mark_read(c.engine(), user) if read_all else found.unread
    emit({"items": found.items, "unread": left}, as_json,
         "\n".join(_line(n) for n in found.items) + f"\n{left} unread" if found.items else "(no notifications)")


def digest_command(send: Annotated[bool, typer.Option("--send", help="E-mail each user their digest (PHANCAP_SMTP_*).")] = False,
                   as_json: JsonOpt = False) -> None:
    """Each user's unread notifications of the last day (user, unit, email, items); with --send one e-mail each,
    through the outbox: once per user and day, however often it runs; a failed one is retried by `phancap worker`."""
    c = ctx()
    entries = digest(c.engine())
    result: dict[str, Any] = {"users": entries}
    if send:  # through the outbox: once per user and day; what fails now the worker retries
        from phancap.engine.notify import Sender
        from phancap.engine.worker import deliver_now

        if not c.settings.smtp_host:
            fail("error: PHANCAP_SMTP_HOST is not set: there is no server to send the digest through", 2)
        keys = queue_digest(c.engine(), entries)
        delivery = deliver_now(c.db, Sender(c.settings.notify()), keys, c.clock)
        result |= {"sent": delivery.emails, "errors": delivery.errors}
    emit(result, as_json, "\n".join(f"{e['user']}\t{e['email']}\t{len(e['items'])}" for e in entries) or "(nothing to send)")
    if send and result["errors"]:
        fail("; ".join(result["errors"]), 1)


def register(app: typer.Typer) -> None:
    app.command("notifications")(list_notifications)
    app.command("digest")(digest_command)
