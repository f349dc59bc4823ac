"""Server-side sessions: every session cookie and bearer token carries a random id whose SHA-256 is a
row of auth_session. Each request looks the row up together with its user (one primary-key lookup
and a join on app_user's primary key); no row, or a deactivated user, means signed out.

Logout deletes the session's row; a password change or deactivating the user deletes all of the
user's rows in the same transaction as the change, so every cookie and token ends at once."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import text

from phancap.engine.clock import stamp
from phancap.engine.db import Database, sha256_hex
from phancap.engine.users import User, end_user_sessions, user_from_row

__all__ = ["open_session", "session_user", "end_session", "end_user_sessions", "live_sessions"]

KINDS = ("cookie", "token")


def open_session(db: Database, user: str, kind: str, now: datetime, ttl: timedelta) -> str:
    """A new session for `user`; returns the id to put (signed) in the cookie or token. Also drops the
    user's own expired rows, so the table holds live sessions only."""
    if kind not in KINDS:
        raise ValueError(f"session kind {kind!r}: one of {', '.join(KINDS)}")
    sid = secrets.token_urlsafe(32)
    with db.begin() as conn:
        conn.execute(text("DELETE FROM auth_session WHERE user_name = :u AND expires_at < :now"),
                     {"u": user, "now": stamp(now)})
        conn.execute(text("INSERT INTO auth_session (id, user_name, kind, created_at, expires_at) "
                          "VALUES (:id, :u, :k, :at, :exp)"),
                     {"id": sha256_hex(sid), "u": user, "k": kind, "at": stamp(now), "exp": stamp(now + ttl)})
    return sid


def session_user(db: Database, sid: str, kind: str, name: str) -> User | None:
    """The active user of a live session of this kind, signed for `name`; None when it was ended."""
    with db.engine.connect() as conn:
        row = conn.execute(text(
            "SELECT u.name, u.unit, u.roles FROM auth_session s JOIN app_user u ON u.name = s.user_name "
            "WHERE s.id = :id AND s.kind = :k AND u.active AND EXISTS "
            "(SELECT 1 FROM unit n WHERE n.code = u.unit AND n.active)"), {"id": sha256_hex(sid), "k": kind}).first()
    if row is None or row[0] != name:
        return None
    return user_from_row(row)


def end_session(db: Database, sid: str) -> None:
    with db.begin() as conn:
        conn.execute(text("DELETE FROM auth_session WHERE id = :id"), {"id": sha256_hex(sid)})


def live_sessions(db: Database, user: str) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM auth_session WHERE user_name = :u"),
                                {"u": user}).scalar_one())
