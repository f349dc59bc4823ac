"""Signed, expiring tokens (HMAC-SHA256 via itsdangerous): bearer tokens, session cookies, CSRF.

Nothing lives in process memory: any worker holding the secret key can check any token."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

SESSION_COOKIE = "phancap_session"
CSRF_COOKIE = "phancap_csrf"  # before login: a signed random value the login form echoes


@dataclass(frozen=True)
class Session:
    user: str
    csrf: str


class Signer:
    def __init__(self, secret_key: str) -> None:
        self._tokens = URLSafeTimedSerializer(secret_key, salt="phancap.api-token")
        self._sessions = URLSafeTimedSerializer(secret_key, salt="phancap.session")
        self._csrf = URLSafeTimedSerializer(secret_key, salt="phancap.csrf")

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
        return serializer.loads(value, max_age=max_age)
    except BadSignature:  # also SignatureExpired
        return None


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))
