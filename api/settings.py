"""What the web layer needs, taken from the one Settings object (engine/settings.py), checked at start:
a missing or short secret key stops the server before it listens."""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from phancap.engine.settings import Settings

MIN_SECRET_LENGTH = 32
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(spec: str) -> tuple[IPNetwork, ...]:
    """Comma-separated addresses or networks (already checked by Settings)."""
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in spec.split(",") if item.strip())


@dataclass(frozen=True)
class ApiSettings:
    secret_key: str
    demo: bool = False
    token_ttl: timedelta = timedelta(hours=8)
    session_ttl: timedelta = timedelta(hours=8)
    cookie_secure: bool = False
    login_max_failures: int = 5
    login_window: timedelta = timedelta(minutes=15)
    login_source_max_failures: int = 50  # per source address, independent of the per-account limit
    login_backoff: timedelta = timedelta(seconds=30)  # the first wait once a limit is reached; doubles
    trusted_proxies: tuple[IPNetwork, ...] = ()  # PHANCAP_TRUSTED_PROXIES: whose X-Forwarded-For counts
    features_dir: Path | None = None  # PHANCAP_FEATURES_DIR: the feature files the /dac-ta page shows
    cucumber_json: Path | None = None  # PHANCAP_CUCUMBER_JSON: the last BDD run's results
    metrics_token: str | None = None  # PHANCAP_METRICS_TOKEN: the scraper's bearer token for /metrics

    def __post_init__(self) -> None:
        if len(self.secret_key or "") < MIN_SECRET_LENGTH:
            raise ValueError(f"PHANCAP_SECRET_KEY must hold at least {MIN_SECRET_LENGTH} characters "
                             "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)")
        if self.metrics_token is not None and len(self.metrics_token) < 16:
            raise ValueError("PHANCAP_METRICS_TOKEN must hold at least 16 characters")

    def __repr__(self) -> str:  # never print the key
        return f"ApiSettings(demo={self.demo}, token_ttl={self.token_ttl}, session_ttl={self.session_ttl})"

    @classmethod
    def from_env(cls) -> ApiSettings:
        return cls.from_settings(Settings.from_env())

    @classmethod
    def from_settings(cls, settings: Settings) -> ApiSettings:
        secret = settings.secret_key
        if not secret:
            if not settings.demo:
                raise ValueError("PHANCAP_SECRET_KEY is not set; it signs tokens and session cookies "
                                 f"(at least {MIN_SECRET_LENGTH} characters). Only demo mode (PHANCAP_DEMO=1) "
                                 "may run without one.")
            secret = secrets.token_urlsafe(48)  # demo: sessions end when the server stops
        # Secure cookies need HTTPS: on by default, except for the local demo over plain HTTP.
        secure = settings.cookie_secure if settings.cookie_secure is not None else not settings.demo
        return cls(
            secret_key=secret,
            demo=settings.demo,
            token_ttl=timedelta(minutes=settings.token_ttl_minutes),
            session_ttl=timedelta(minutes=settings.session_ttl_minutes),
            cookie_secure=secure,
            login_max_failures=settings.login_max_failures,
            login_window=timedelta(minutes=settings.login_window_minutes),
            login_source_max_failures=settings.login_source_max_failures,
            login_backoff=timedelta(seconds=settings.login_backoff_seconds),
            trusted_proxies=networks(settings.trusted_proxies),
            features_dir=settings.features_dir,
            cucumber_json=settings.cucumber_json,
            metrics_token=settings.metrics_token,
        )
