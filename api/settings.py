"""Web settings from the environment, checked at start: a bad or missing value fails fast."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import timedelta

MIN_SECRET_LENGTH = 32


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be 1 or 0, not {value!r}")


def _int(name: str, default: int, minimum: int = 1) -> int:
    raw = os.environ.get(name)
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}")
    return value


@dataclass(frozen=True)
class ApiSettings:
    secret_key: str
    demo: bool = False
    token_ttl: timedelta = timedelta(hours=8)
    session_ttl: timedelta = timedelta(hours=8)
    cookie_secure: bool = False
    login_max_failures: int = 5
    login_window: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        if len(self.secret_key or "") < MIN_SECRET_LENGTH:
            raise ValueError(f"PHANCAP_SECRET_KEY must hold at least {MIN_SECRET_LENGTH} characters "
                             "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)")

    @classmethod
    def from_env(cls) -> ApiSettings:
        demo = _flag("PHANCAP_DEMO")
        secret = os.environ.get("PHANCAP_SECRET_KEY", "")
        if not secret:
            if not demo:
                raise ValueError("PHANCAP_SECRET_KEY is not set; it signs tokens and session cookies "
                                 f"(at least {MIN_SECRET_LENGTH} characters). Only demo mode (PHANCAP_DEMO=1) "
                                 "may run without one.")
            secret = secrets.token_urlsafe(48)  # demo: sessions end when the server stops
        return cls(
            secret_key=secret,
            demo=demo,
            token_ttl=timedelta(minutes=_int("PHANCAP_TOKEN_TTL_MINUTES", 480)),
            session_ttl=timedelta(minutes=_int("PHANCAP_SESSION_TTL_MINUTES", 480)),
            # Secure cookies need HTTPS: on by default, except for the local demo over plain HTTP.
            cookie_secure=_flag("PHANCAP_COOKIE_SECURE", default=not demo),
            login_max_failures=_int("PHANCAP_LOGIN_MAX_FAILURES", 5),
            login_window=timedelta(minutes=_int("PHANCAP_LOGIN_WINDOW_MINUTES", 15)),
        )
