"""Signed, expiring tokens (HMAC-SHA256 via itsdangerous): bearer tokens, session cookies, CSRF.

Nothing lives in process memory: any worker holding the secret key can check any token."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from phancap.engine.clock import Clock

SESSION_COOKIE = "phancap_session"
CSRF_COOKIE = "phancap_csrf"  # before login: a signed random value the login form echoes


@dataclass(frozen=True)
class Session:
    user: str
    csrf: str


class ClockSigner(TimestampSigner):
    """Timestamps from the project's clock instead of time.time(): expiry follows a shifted clock."""

    def __init__(self, *args: Any, clock: Clock, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clock = clock

    def get_timestamp(self) -> int:
        return int(self.clock.now().timestamp())


class Signer:
    def __init__(self, secret_key: str, clock: Clock | None = None) -> None:
        def serializer(salt: str) -> URLSafeTimedSerializer:
            return URLSafeTimedSerializer(secret_key, salt=salt, signer=ClockSigner,
                                          signer_kwargs={"clock": clock or Clock()})

        self._tokens = serializer("phancap.api-token")
        self._sessions = serializer("phancap.session")
        self._csrf = serializer("phancap.csrf")

    def token(self, user: str) -> str:
        return self._tokens.dumps({"sub": user})

    def token_user(self, token: str, max_age: float) -> str | None:
        data = _load(self._tokens, token, max_age)
        return data.get("sub") if isinstance(data, dict) else None

    def session(self, user: str) -> tuple[str, Session]:
        session = Session(user, secrets.token_urlsafe(32))
        return self._sessions.dumps({"sub": user, "csrf": session.csrf}), session

    def read_session(self, cookie: str | None, max_age: float) -> Session | None:
        data = _load(self._sessions, cookie, max_age)
        if isinstance(data, dict) and isinstance(data.get("sub"), str) and isinstance(data.get("csrf"), str):
            return Session(data["sub"], data["csrf"])
        return None

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
