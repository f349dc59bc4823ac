"""Signed, expiring tokens (HMAC-SHA256 via itsdangerous): bearer tokens, session cookies, CSRF.

Bearer tokens and session cookies also carry a session id that must be a live row of auth_session
(engine/sessions.py): a forged or expired value is refused by its signature without touching the
database; a signed one still needs its row, which logout, a password change or deactivation delete.
Nothing lives in process memory: any worker holding the secret key and the database can check any token."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from phancap.engine import sessions
from phancap.engine.clock import Clock
from phancap.engine.db import Database
from phancap.engine.users import User

SESSION_COOKIE = "phancap_session"
CSRF_COOKIE = "phancap_csrf"  # before login: a signed random value the login form echoes


@dataclass(frozen=True)
class Session:
    user: str
    csrf: str
    sid: str = ""  # the server-side session's id (its SHA-256 is the auth_session row)


class ClockSigner(TimestampSigner):
    """Timestamps from the project's clock instead of time.time(): expiry follows a shifted clock."""

    def __init__(self, *args: Any, clock: Clock, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clock = clock

    def get_timestamp(self) -> int:
        return int(self.clock.now().timestamp())


class Signer:
    def __init__(self, secret_key: str, clock: Clock | None = None, *, db: Database | None = None,
                 token_ttl: timedelta = timedelta(hours=8), session_ttl: timedelta = timedelta(hours=8)) -> None:
        self.clock = clock or Clock()

        def serializer(salt: str) -> URLSafeTimedSerializer:
            return URLSafeTimedSerializer(secret_key, salt=salt, signer=ClockSigner,
                                          signer_kwargs={"clock": self.clock})

        self._db = db
        self._ttl = {"token": token_ttl, "cookie": session_ttl}
        self._tokens = serializer("phancap.api-token")
        self._sessions = serializer("phancap.session")
        self._csrf = serializer("phancap.csrf")

    def _open(self, user: str, kind: str) -> str:
        if self._db is None:
            raise RuntimeError("Signer without a database cannot open sessions")
        return sessions.open_session(self._db, user, kind, self.clock.now(), self._ttl[kind])

    def token(self, user: str) -> str:
        """A new bearer token for `user`, with its own server-side session."""
        return self._tokens.dumps({"sub": user, "sid": self._open(user, "token")})

    def _token_data(self, token: str | None, max_age: float) -> tuple[str, str] | None:
        data = _load(self._tokens, token, max_age)
        if isinstance(data, dict) and isinstance(data.get("sub"), str) and isinstance(data.get("sid"), str):
            return data["sub"], data["sid"]
        return None

    def token_user(self, token: str, max_age: float) -> User | None:
        """The active user of a signed, unexpired token whose session was not ended."""
        found = self._token_data(token, max_age)
        if found is None or self._db is None:
            return None
        return sessions.session_user(self._db, found[1], "token", found[0])

    def end_token(self, token: str, max_age: float) -> None:
        found = self._token_data(token, max_age)
        if found is not None and self._db is not None:
            sessions.end_session(self._db, found[1])

    def session(self, user: str) -> tuple[str, Session]:
        """A new session cookie's value for `user` (with its CSRF token and server-side session)."""
        session = Session(user, secrets.token_urlsafe(32), self._open(user, "cookie"))
        return self._sessions.dumps({"sub": user, "csrf": session.csrf, "sid": session.sid}), session

    def read_session(self, cookie: str | None, max_age: float) -> Session | None:
        """The cookie's session when signed and unexpired (its row is checked by `session_user`)."""
        data = _load(self._sessions, cookie, max_age)
        if isinstance(data, dict) and all(isinstance(data.get(k), str) for k in ("sub", "csrf", "sid")):
            return Session(data["sub"], data["csrf"], data["sid"])
        return None

    def session_user(self, session: Session) -> User | None:
        """The active user of a cookie's session that was not ended."""
        if self._db is None or not session.sid:
            return None
        return sessions.session_user(self._db, session.sid, "cookie", session.user)

    def end_session(self, session: Session) -> None:
        if self._db is not None and session.sid:
            sessions.end_session(self._db, session.sid)

    def anonymous_csrf(self) -> tuple[str, str]:
        value = secrets.token_urlsafe(32)
        return self._csrf.dumps(value), value

    def read_anonymous_csrf(self, cookie: str | None, max_age: float) -> str | None:
        data = _load(self._csrf, cookie, max_age)
        return data if isinstance(data, str) else None


def _load(serializer: URLSafeTimedSerializer, value: str | None, max_age: float) -> Any:
    if not value:
        return None
    try:
        return serializer.loads(value, max_age=int(max_age))
    except BadSignature:  # also SignatureExpired
        return None


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))
