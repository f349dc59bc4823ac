"""Signing in: password check (argon2) and a limit on failed attempts per user name and address.

The failures live in the database (table login_failure), so every worker process sees them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import text

from phancap.engine.clock import Clock, stamp
from phancap.engine.db import Database
from phancap.engine.users import User


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)


class LoginRefused(Exception):
    """rule is 'user' (unknown name or wrong password) or 'throttled' (too many failures)."""

    def __init__(self, rule: str, message_vi: str, message_en: str) -> None:
        self.rule = rule
        self.message_vi = message_vi
        self.message_en = message_en
        super().__init__(f"[{rule}] {message_en}")


_DUMMY_HASH: list[str] = []


def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so both cases take as long."""
    if not _DUMMY_HASH:
        from phancap.engine.users import hash_password

        _DUMMY_HASH.append(hash_password("phancap-no-such-user"))
    return _DUMMY_HASH[0]


def _key(name: str, ip: str) -> tuple[str, str]:
    return name.strip().lower()[:64], (ip or "?")[:64]


def recent_failures(db: Database, name: str, ip: str, clock: Clock, policy: LoginPolicy) -> int:
    user, addr = _key(name, ip)
    since = stamp(clock.now() - policy.window)
    with db.engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT COUNT(*) FROM login_failure WHERE user_name = :u AND ip = :ip AND at >= :since"),
            {"u": user, "ip": addr, "since": since}).scalar_one())


def _record_failure(db: Database, name: str, ip: str, clock: Clock, policy: LoginPolicy) -> None:
    user, addr = _key(name, ip)
    now = clock.now()
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM login_failure WHERE user_name = :u AND ip = :ip AND at < :old"),
                     {"u": user, "ip": addr, "old": stamp(now - policy.window)})
        conn.execute(text("INSERT INTO login_failure (user_name, ip, at) VALUES (:u, :ip, :at)"),
                     {"u": user, "ip": addr, "at": stamp(now)})


def _clear_failures(db: Database, name: str, ip: str) -> None:
    user, addr = _key(name, ip)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM login_failure WHERE user_name = :u AND ip = :ip"), {"u": user, "ip": addr})


def authenticate(db: Database, name: str, password: str, ip: str, clock: Clock,
                 policy: LoginPolicy | None = None) -> User:
    """The user when the password matches; LoginRefused otherwise (nothing says which part was wrong)."""
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    policy = policy or LoginPolicy()
    if recent_failures(db, name, ip, clock, policy) >= policy.max_failures:
        minutes = int(policy.window.total_seconds() // 60)
        raise LoginRefused(
            "throttled",
            f"Đăng nhập sai quá {policy.max_failures} lần; hãy thử lại sau {minutes} phút",
            f"more than {policy.max_failures} failed logins; try again in {minutes} minutes",
        )
    with db.engine.connect() as conn:
        row = conn.execute(text("SELECT name, unit, roles, password_hash FROM app_user WHERE name = :n"),
                           {"n": name.strip()}).first()
    hasher = PasswordHasher()
    stored = row[3] if row is not None and row[3] else None
    try:
        hasher.verify(stored or _dummy_hash(), password)
        ok = stored is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or row is None:
        _record_failure(db, name, ip, clock, policy)
        raise LoginRefused("user", "Sai tên đăng nhập hoặc mật khẩu", "wrong user name or password")
    _clear_failures(db, name, ip)
    if stored and hasher.check_needs_rehash(stored):
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE app_user SET password_hash = :h WHERE name = :n"),
                         {"h": hasher.hash(password), "n": row[0]})
    return User(row[0], row[1], tuple(r for r in row[2].split(",") if r))


def unit_name(db: Database, code: str) -> str | None:
    """The unit's full name, for showing who a user is."""
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT name FROM unit WHERE code = :c"), {"c": code}).scalar()
