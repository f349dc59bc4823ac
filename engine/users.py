"""Users: a name, a unit, roles. Passwords (optional) are hashed with argon2 when available."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from phancap.engine.clock import Clock, stamp
from phancap.engine.db import Database
from phancap.engine.roles import ROLES


@dataclass(frozen=True)
class User:
    name: str
    unit: str
    roles: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "unit": self.unit, "roles": list(self.roles)}


def hash_password(password: str) -> str:
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)


def add_user(db: Database, name: str, unit: str, roles: list[str], clock: Clock, password: str | None = None,
             email: str | None = None) -> User:
    """Create or update a user; unknown roles or units are refused."""
    unknown = sorted(set(roles) - ROLES)
    if unknown or not roles:
        raise ValueError(f"unknown role(s) {', '.join(unknown) or '(none given)'}; roles: {', '.join(sorted(ROLES))}")
    if email is not None and ("@" not in email or any(c in email for c in " ,;<>\r\n")):
        raise ValueError(f"e-mail address {email!r} is not valid")
    if not name or not name.replace(".", "").replace("-", "").replace("_", "").isalnum():
        raise ValueError(f"user name {name!r}: use letters, digits, '.', '-', '_'")
    with db.engine.begin() as conn:
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
    return User(name, unit, tuple(sorted(set(roles))))


def get_user(db: Database, name: str) -> User | None:
    with db.engine.connect() as conn:
        row = conn.execute(text("SELECT name, unit, roles FROM app_user WHERE name = :n"), {"n": name}).first()
    return User(row[0], row[1], tuple(row[2].split(","))) if row else None
