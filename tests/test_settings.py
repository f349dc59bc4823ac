"""One Settings object: every variable keeps its name and meaning; a bad value is refused by name."""

from __future__ import annotations

from datetime import time

import pytest

from phancap.engine.settings import Settings


def test_the_environment_is_read_under_its_usual_names(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"DATABASE_URL": "postgresql://u@h/db", "PHANCAP_NOW": "+2d", "PHANCAP_DUE_SOON_DAYS": "0",
                        "PHANCAP_SMTP_HOST": "mail", "PHANCAP_SMTP_PORT": "2525", "PHANCAP_EVIDENCE_DIR": "/srv/ev",
                        "PHANCAP_DEMO": "1", "PHANCAP_SQLITE_SYNCHRONOUS": "normal", "PHANCAP_DIGEST_AT": "07:30"}.items():
        monkeypatch.setenv(name, value)
    s = Settings.from_env()
    assert s.database_url == "postgresql+psycopg://u@h/db" and s.now == "+2d" and s.due_soon_days == 0
    assert (s.notify().smtp_host, s.notify().smtp_port, s.evidence_dir) == ("mail", 2525, "/srv/ev")
    assert s.demo and s.sqlite_synchronous == "NORMAL" and s.worker().digest_at == time(7, 30)
    given = Settings.from_env("sqlite:///other.db", now="2025-04-01")  # command-line options win
    assert given.database_url == "sqlite:///other.db" and given.clock().today().isoformat() == "2025-04-01"


@pytest.mark.parametrize(("name", "value", "message"), [
    ("PHANCAP_DUE_SOON_DAYS", "-1", "PHANCAP_DUE_SOON_DAYS must be at least 0"),
    ("PHANCAP_SMTP_PORT", "smtp", "PHANCAP_SMTP_PORT must be a whole number"),
    ("PHANCAP_DEMO", "maybe", "PHANCAP_DEMO must be 1 or 0"),
    ("PHANCAP_LOG_LEVEL", "loud", "PHANCAP_LOG_LEVEL must be"),
    ("DATABASE_URL", "mysql://x/y", "DATABASE_URL: unsupported database"),
    ("PHANCAP_TRUSTED_PROXIES", "10.0.0.1, proxy.local", "PHANCAP_TRUSTED_PROXIES: 'proxy.local' is not an IP"),
    ("PHANCAP_LOGIN_BACKOFF_SECONDS", "0", "PHANCAP_LOGIN_BACKOFF_SECONDS must be at least 1"),
    ("PHANCAP_DIGEST_AT", "7am", "PHANCAP_DIGEST_AT must be a Việt Nam time of day as HH:MM"),
    ("PHANCAP_DIGEST_AT", "25:00", "PHANCAP_DIGEST_AT must be a Việt Nam time of day as HH:MM"),
])
def test_a_bad_value_is_refused_by_name(monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=message):
        Settings.from_env()


def test_empty_means_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHANCAP_DUE_SOON_DAYS", "")
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("PHANCAP_DIGEST_AT", "")
    s = Settings.from_env()
    assert s.due_soon_days == 3 and s.database_url == "sqlite:///phancap.db" and s.digest_at is None
    assert "k" * 40 not in repr(Settings(secret_key="k" * 40))  # the key never reaches a log line


def test_trusted_proxies_are_off_by_default_and_read_as_networks(monkeypatch: pytest.MonkeyPatch) -> None:
    from phancap.api.settings import ApiSettings

    monkeypatch.delenv("PHANCAP_TRUSTED_PROXIES", raising=False)
    assert Settings.from_env().trusted_proxies == ""
    assert ApiSettings.from_settings(Settings.from_env(secret_key="k" * 40)).trusted_proxies == ()
    monkeypatch.setenv("PHANCAP_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1")
    networks = ApiSettings.from_settings(Settings.from_env(secret_key="k" * 40)).trusted_proxies
    assert [str(n) for n in networks] == ["10.0.0.0/8", "127.0.0.1/32"]
