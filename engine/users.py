"""Users: a name, a unit, roles. Passwords (optional) are hashed with argon2 and must pass the
password policy (engine/passwords.py). A password change or deactivation ends every session and
token of the user in the same transaction (engine/sessions.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from phancap.engine.clock import Clock, stamp
from phancap.engine.db import Database
from phancap.engine.errors import NotFound
from phancap.engine import passwords
from phancap.engine.passwords import check_password
from phancap.engine.roles import ROLES


@dataclass(frozen=True)
class User:
    name: str
    unit: str
    roles: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "unit": self.unit, "roles": list(self.roles)}


def user_from_row(row: Sequence[Any]) -> User:
    """A User from (name, unit, roles) as stored (roles comma-separated)."""
    return User(row[0], row[1], tuple(r for r in str(row[2]).split(",") if r))


def hash_password(password: str) -> str:
    return passwords.HASHER.hash(password)


def end_user_sessions(conn: Connection, user: str) -> int:
    """Inside the caller's transaction: end every session and token of `user`; how many there were."""
    return conn.execute(text("DELETE FROM auth_session WHERE user_name = :u"), {"u": user}).rowcount or 0


def add_user(db: Database, name: str, unit: str, roles: list[str], clock: Clock, password: str | None = None,
             email: str | None = None) -> User:
    """Create or update a user; unknown roles or units are refused, a weak password too (WeakPassword).
    A new password for an existing user ends the user's sessions, as `set_password` does."""
    unknown = sorted(set(roles) - ROLES)
    if unknown or not roles:
        raise ValueError(f"unknown role(s) {', '.join(unknown) or '(none given)'}; roles: {', '.join(sorted(ROLES))}")
    if email is not None and ("@" not in email or any(c in email for c in " ,;<>\r\n")):
        raise ValueError(f"e-mail address {email!r} is not valid")
    if not name or not name.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"user name {name!r}: use letters, digits, '.', '-', '_'")
    if password is not None:
        check_password(name, password)
    with db.begin() as conn:
        if conn.execute(text("SELECT 1 FROM unit WHERE code = :u"), {"u": unit}).first() is None:
            raise ValueError(f"unknown unit {unit!r} (load the definitions first; `phancap units list` lists codes)")
        row = {"name": name, "unit": unit, "roles": ",".join(sorted(set(roles))),
               "password_hash": hash_password(password) if password else None, "created_at": stamp(clock.now()),
               "email": email}
        conn.execute(text(
            "INSERT INTO app_user (name, unit, roles, password_hash, created_at, email) "
            "VALUES (:name, :unit, :roles, :password_hash, :created_at, :email) ON CONFLICT (name) DO UPDATE SET "
            "unit = excluded.unit, roles = excluded.roles, "
            "password_hash = COALESCE(excluded.password_hash, app_user.password_hash), "
            "email = COALESCE(excluded.email, app_user.email)"), row)
        if password:
            end_user_sessions(conn, name)
    return User(name, unit, tuple(sorted(set(roles))))


def _no_user(name: str) -> NotFound:
    return NotFound(f"Không có người dùng {name!r}", f"no user {name!r}", extra={"user": name})


def set_password(db: Database, name: str, password: str) -> int:
    """Change a user's password (policy checked); every session and token of the user ends. Returns how
    many sessions ended; NotFound when there is no such user."""
    check_password(name, password)
    hashed = hash_password(password)
    with db.begin() as conn:
        if conn.execute(text("UPDATE app_user SET password_hash = :h WHERE name = :n"),
                        {"h": hashed, "n": name}).rowcount != 1:
            raise _no_user(name)
        return end_user_sessions(conn, name)


def set_active(db: Database, name: str, active: bool) -> int:
    """Deactivate (no sign-in, no session, no token) or reactivate a user. Deactivating ends every session
    and token of the user at once; returns how many ended. NotFound when there is no such user."""
    with db.begin() as conn:
        if conn.execute(text("UPDATE app_user SET active = :a WHERE name = :n"),
                        {"a": active, "n": name}).rowcount != 1:
            raise _no_user(name)
        return 0 if active else end_user_sessions(conn, name)


# A user acts only while their unit is active: the users of a unit succeeded or dissolved cannot act
# (they keep their history); an administrator moves them to the successor (`phancap user update --unit`).
ACTIVE_UNIT = " AND EXISTS (SELECT 1 FROM unit WHERE unit.code = app_user.unit AND unit.active)"


def get_user(db: Database, name: str) -> User | None:
    """An active user of an active unit by name; None for an unknown or deactivated one."""
    with db.engine.connect() as conn:
        row = conn.execute(text("SELECT name, unit, roles FROM app_user WHERE name = :n AND active" + ACTIVE_UNIT),
                           {"n": name}).first()
    return user_from_row(row) if row else None
