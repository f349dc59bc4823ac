"""Signing in: password check (argon2) behind login throttling per account and per source address.

Throttling (table login_throttle, one row per key, so every worker process sees it):
- two keys per attempt, counted independently: the account (`account:NAME`) and the source address
  (`source:ADDRESS`, the socket peer unless a trusted proxy forwarded the request); a source has a
  higher limit than an account, so failures of others behind one office address do not stop a user;
- exponential backoff instead of a lockout: up to `max_failures` failures pass at once, then each
  further failure makes the key wait `backoff * 2**k` seconds, capped at `max_delay`; failures are
  forgotten after `window` without one;
- counting is atomic: an attempt is admitted and counted as a failure in one write transaction
  (SQLite BEGIN IMMEDIATE, PostgreSQL row locks) before the password is checked, and a success gives
  it back, so a parallel burst gets no more than the limit through;
- timing is real time (`time.time`), never the project's clock: a demo's fixed clock does not make
  a backoff last for ever;
- a throttled attempt is refused before any password hashing, so a flood of attempts costs no argon2."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import text

from phancap.engine import passwords
from phancap.engine.db import Database
from phancap.engine.errors import Refusal
from phancap.engine.users import ACTIVE_UNIT, User, user_from_row


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5  # per account, before the backoff starts
    source_max_failures: int = 50  # per source address
    window: timedelta = timedelta(minutes=15)  # failures are forgotten after this long without one
    backoff: timedelta = timedelta(seconds=30)  # the first wait; doubles with each further failure
    max_delay: timedelta = timedelta(minutes=15)

    def delay(self, failures: int, limit: int) -> float:
        """Seconds a key must wait after its `failures`-th recent failure."""
        if failures < limit:
            return 0.0
        return min(self.backoff.total_seconds() * 2.0 ** min(failures - limit, 60), self.max_delay.total_seconds())


class LoginRefused(Refusal):
    """rule is 'user' (unknown name or wrong password) or 'throttled' (too many recent failures; then
    `retry_after` says in how many seconds the next attempt may come)."""

    def __init__(self, rule: str, message_vi: str, message_en: str, retry_after: int | None = None) -> None:
        super().__init__(rule, message_vi, message_en,
                         extra={"retry_after": retry_after} if retry_after is not None else None)
        self.retry_after = retry_after


_DUMMY_HASH: list[str] = []


def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so both cases take as long."""
    if not _DUMMY_HASH:
        from phancap.engine.users import hash_password

        _DUMMY_HASH.append(hash_password("phancap-no-such-user"))
    return _DUMMY_HASH[0]


def _keys(name: str, source: str, policy: LoginPolicy) -> dict[str, int]:
    """The throttle keys of an attempt and each key's limit."""
    return {"account:" + name.strip().lower()[:64]: policy.max_failures,
            "source:" + (source or "?")[:64]: policy.source_max_failures}


def _admit(db: Database, keys: dict[str, int], policy: LoginPolicy, now: float) -> None:
    """Admit the attempt and count it as a failure on every key, in one transaction; or refuse it
    (LoginRefused 'throttled') without counting, while any key must still wait."""
    ordered = sorted(keys)  # one lock order for every process: no deadlock between two attempts
    window = policy.window.total_seconds()
    with db.write() as cur:
        for key in ordered:
            cur.execute(db.sql("INSERT INTO login_throttle (key, failures, last_failure, next_allowed) "
                               "VALUES (?, 0, 0, 0) ON CONFLICT (key) DO NOTHING"), (key,))
        lock = "" if db.is_sqlite else " FOR UPDATE"
        cur.execute(db.sql("SELECT key, failures, last_failure, next_allowed FROM login_throttle "
                           f"WHERE key IN (?, ?) ORDER BY key{lock}"), tuple(ordered))
        rows = {r[0]: (int(r[1]), float(r[2]), float(r[3])) for r in cur.fetchall()}
        wait = max(next_allowed - now for _f, _l, next_allowed in rows.values())
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise LoginRefused("throttled",
                               f"Đăng nhập sai nhiều lần; hãy thử lại sau {seconds} giây",
                               f"too many failed logins; try again in {seconds} seconds", retry_after=seconds)
        for key in ordered:
            failures, last, _next = rows[key]
            failures = (failures if now - last < window else 0) + 1
            cur.execute(db.sql("UPDATE login_throttle SET failures = ?, last_failure = ?, next_allowed = ? "
                               "WHERE key = ?"), (failures, now, now + policy.delay(failures, keys[key]), key))
        # forget keys quiet for a whole window (indexed on last_failure)
        cur.execute(db.sql("DELETE FROM login_throttle WHERE last_failure < ? AND next_allowed < ?"),
                    (now - window, now))


def _succeeded(db: Database, keys: dict[str, int], policy: LoginPolicy) -> None:
    """The password was right: the account starts afresh; the source gets back the failure counted
    in advance (its other failures stay: one valid account does not reset an address)."""
    account, source = sorted(keys)  # "account:…" < "source:…"
    with db.write() as cur:
        cur.execute(db.sql("DELETE FROM login_throttle WHERE key = ?"), (account,))
        cur.execute(db.sql("UPDATE login_throttle SET failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END, "
                           "next_allowed = CASE WHEN failures - 1 < ? THEN 0 ELSE next_allowed END WHERE key = ?"),
                    (keys[source], source))


def verify_password(stored: str, password: str) -> bool:
    """argon2 verification: the costly step, reached only by admitted attempts."""
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return bool(passwords.HASHER.verify(stored, password))
    except (VerificationError, InvalidHashError):
        return False


def authenticate(db: Database, name: str, password: str, source: str, policy: LoginPolicy | None = None,
                 now: Callable[[], float] = time.time) -> User:
    """The user when the password matches; LoginRefused otherwise (nothing says which part was wrong).
    `source` is the client's address as the web layer determined it; `now` is real time."""
    policy = policy or LoginPolicy()
    keys = _keys(name, source, policy)
    _admit(db, keys, policy, now())
    with db.engine.connect() as conn:
        row = conn.execute(text("SELECT name, unit, roles, password_hash FROM app_user WHERE name = :n AND active"
                                + ACTIVE_UNIT),
                           {"n": name.strip()}).first()
    stored = row[3] if row is not None and row[3] else None
    ok = verify_password(stored or _dummy_hash(), password) and stored is not None
    if not ok or row is None:
        raise LoginRefused("user", "Sai tên đăng nhập hoặc mật khẩu", "wrong user name or password")
    _succeeded(db, keys, policy)
    hasher = passwords.HASHER
    if stored and hasher.check_needs_rehash(stored):
        with db.begin() as conn:
            conn.execute(text("UPDATE app_user SET password_hash = :h WHERE name = :n"),
                         {"h": hasher.hash(password), "n": row[0]})
    return user_from_row(row)


def recent_failures(db: Database, key: str) -> int:
    """The recent failures counted on one throttle key (`account:NAME` or `source:ADDRESS`)."""
    with db.engine.connect() as conn:
        value = conn.execute(text("SELECT failures FROM login_throttle WHERE key = :k"), {"k": key}).scalar()
    return int(value or 0)


def unit_name(db: Database, code: str) -> str | None:
    """The unit's full name, for showing who a user is."""
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT name FROM unit WHERE code = :c"), {"c": code}).scalar()
