"""Every setting in one object, read from the environment once at start and passed down.

A bad value fails fast with a message naming the environment variable. The variable names are the
ones users' scripts already set (DATABASE_URL, PHANCAP_*); empty means unset."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from datetime import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import AliasChoices, BeforeValidator, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from phancap.engine.clock import Clock

if TYPE_CHECKING:  # notify imports db, which imports this module
    from phancap.engine.importer import ImportLimits
    from phancap.engine.notify import NotifySettings
    from phancap.engine.worker import WorkerSettings

DEFAULT_DATABASE_URL = "sqlite:///phancap.db"
DEFAULT_EVIDENCE_DIR = "evidence"
DEFAULT_EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_BODY_BYTES = 1024 * 1024  # JSON and forms
DEFAULT_NOTIFY_TIMEOUT = 5.0  # seconds, per e-mail or webhook
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _whole(name: str, minimum: int) -> Callable[[Any], int]:
    def check(raw: Any) -> int:
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a whole number, not {raw!r}") from None
        if value < minimum:
            raise ValueError(f"{name} must be at least {minimum}")
        return value
    return check


def _seconds(name: str) -> Callable[[Any], float]:
    def check(raw: Any) -> float:
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise ValueError(f"{name} must be a number of seconds, not {raw!r}") from None
        if not 0 < value <= 120:
            raise ValueError(f"{name} must be more than 0 and at most 120 seconds")
        return value
    return check


def _time_of_day(name: str) -> Callable[[Any], time | None]:
    def check(raw: Any) -> time | None:
        if raw is None or isinstance(raw, time):
            return raw
        text = str(raw).strip()
        if not text:
            return None
        try:
            hours, minutes = text.split(":")
            return time(int(hours), int(minutes))
        except ValueError:
            raise ValueError(f"{name} must be a Việt Nam time of day as HH:MM (07:00), not {raw!r}") from None
    return check


def _flag(name: str) -> Callable[[Any], bool | None]:
    def check(raw: Any) -> bool | None:
        if raw is None or isinstance(raw, bool):
            return raw
        if str(raw).lower() in ("1", "true", "yes", "on"):
            return True
        if str(raw).lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{name} must be 1 or 0, not {raw!r}")
    return check


def _one_of(name: str, choices: tuple[str, ...]) -> Callable[[Any], str]:
    def check(raw: Any) -> str:
        value = str(raw).upper()
        if value not in choices:
            raise ValueError(f"{name} must be {', '.join(choices[:-1])} or {choices[-1]}, not {value!r}")
        return value
    return check


def _networks(name: str) -> Callable[[Any], str]:
    def check(raw: Any) -> str:
        items = [item.strip() for item in str(raw or "").split(",") if item.strip()]
        for item in items:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{name}: {item!r} is not an IP address or network (e.g. 10.0.0.1, 10.0.0.0/8)") from None
        return ",".join(items)
    return check


def _clock_spec(raw: Any) -> str | None:
    if raw is None:
        return None
    Clock.parse(str(raw))  # refuses a value that is neither a time nor a shift, naming PHANCAP_NOW
    return str(raw)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PHANCAP_", env_ignore_empty=True, populate_by_name=True,
                                      frozen=True, extra="ignore")

    # engine
    database_url: Annotated[str, BeforeValidator(lambda v: normalise_url(str(v)))] = Field(
        DEFAULT_DATABASE_URL, validation_alias=AliasChoices("DATABASE_URL", "database_url"))
    # FULL by default: an acknowledged transition survives power loss
    sqlite_synchronous: Annotated[str, BeforeValidator(_one_of("PHANCAP_SQLITE_SYNCHRONOUS",
                                                               ("FULL", "NORMAL", "EXTRA")))] = "FULL"
    now: Annotated[str | None, BeforeValidator(_clock_spec)] = None
    due_soon_days: Annotated[int, BeforeValidator(_whole("PHANCAP_DUE_SOON_DAYS", 0))] = 3
    log_level: Annotated[str, BeforeValidator(_one_of("PHANCAP_LOG_LEVEL", LOG_LEVELS))] = "INFO"
    # evidence files
    evidence_dir: str = DEFAULT_EVIDENCE_DIR
    evidence_max_bytes: Annotated[int, BeforeValidator(_whole("PHANCAP_EVIDENCE_MAX_BYTES", 1))] = \
        DEFAULT_EVIDENCE_MAX_BYTES
    # plan import: the text's size and its tasks, per import (API, page, command line)
    import_max_bytes: Annotated[int, BeforeValidator(_whole("PHANCAP_IMPORT_MAX_BYTES", 1))] = 2 * 1024 * 1024
    import_max_tasks: Annotated[int, BeforeValidator(_whole("PHANCAP_IMPORT_MAX_TASKS", 1))] = 5000
    # request bodies: refused with 413 before the application reads them (evidence uploads: evidence_max_bytes,
    # plan imports: import_max_bytes, allowing for JSON escaping)
    max_body_bytes: Annotated[int, BeforeValidator(_whole("PHANCAP_MAX_BODY_BYTES", 1024))] = DEFAULT_MAX_BODY_BYTES
    # notices (urging)
    notify_timeout: Annotated[float, BeforeValidator(_seconds("PHANCAP_NOTIFY_TIMEOUT"))] = DEFAULT_NOTIFY_TIMEOUT
    smtp_host: str | None = None
    smtp_port: Annotated[int, BeforeValidator(_whole("PHANCAP_SMTP_PORT", 1))] = 25
    smtp_from: str = "phancap@localhost"
    webhook_url: str | None = None
    webhook_secret: str | None = Field(None, repr=False)
    # the worker (engine/worker.py): outbox deliveries and the scheduled deadline sweep
    worker_poll_seconds: Annotated[float, BeforeValidator(_seconds("PHANCAP_WORKER_POLL_SECONDS"))] = 5.0
    sweep_minutes: Annotated[int, BeforeValidator(_whole("PHANCAP_SWEEP_MINUTES", 1))] = 5
    # the daily digest (engine/digest.py) queued by the worker at this Việt Nam time; unset: only `phancap digest`
    digest_at: Annotated[time | None, BeforeValidator(_time_of_day("PHANCAP_DIGEST_AT"))] = None
    outbox_max_attempts: Annotated[int, BeforeValidator(_whole("PHANCAP_OUTBOX_MAX_ATTEMPTS", 1))] = 10
    outbox_backoff_seconds: Annotated[int, BeforeValidator(_whole("PHANCAP_OUTBOX_BACKOFF_SECONDS", 1))] = 30
    # `phancap serve` runs the worker in its own process: unset, yes on SQLite, no on PostgreSQL
    serve_worker: Annotated[bool | None, BeforeValidator(_flag("PHANCAP_SERVE_WORKER"))] = None
    # web
    secret_key: str = Field("", repr=False)
    demo: Annotated[bool, BeforeValidator(_flag("PHANCAP_DEMO"))] = False
    token_ttl_minutes: Annotated[int, BeforeValidator(_whole("PHANCAP_TOKEN_TTL_MINUTES", 1))] = 480
    session_ttl_minutes: Annotated[int, BeforeValidator(_whole("PHANCAP_SESSION_TTL_MINUTES", 1))] = 480
    cookie_secure: Annotated[bool | None, BeforeValidator(_flag("PHANCAP_COOKIE_SECURE"))] = None  # None: not demo
    login_max_failures: Annotated[int, BeforeValidator(_whole("PHANCAP_LOGIN_MAX_FAILURES", 1))] = 5
    login_window_minutes: Annotated[int, BeforeValidator(_whole("PHANCAP_LOGIN_WINDOW_MINUTES", 1))] = 15
    login_source_max_failures: Annotated[int, BeforeValidator(_whole("PHANCAP_LOGIN_SOURCE_MAX_FAILURES", 1))] = 50
    login_backoff_seconds: Annotated[int, BeforeValidator(_whole("PHANCAP_LOGIN_BACKOFF_SECONDS", 1))] = 30
    # addresses or networks of reverse proxies whose X-Forwarded-For is believed; none by default
    trusted_proxies: Annotated[str, BeforeValidator(_networks("PHANCAP_TRUSTED_PROXIES"))] = ""
    features_dir: Path | None = None
    cucumber_json: Path | None = None
    # /metrics (Prometheus) answers only a scraper holding this token; unset, the page does not exist
    metrics_token: str | None = Field(None, repr=False)

    @model_validator(mode="after")
    def _signed_webhooks(self) -> Settings:
        if self.webhook_url and not self.webhook_secret:
            raise ValueError("PHANCAP_WEBHOOK_URL is set without PHANCAP_WEBHOOK_SECRET: webhooks are always signed")
        return self

    @classmethod
    def from_env(cls, database_url: str | None = None, **overrides: Any) -> Settings:
        """The environment, with explicit values (command-line options) on top; None means not given.
        Raises ValueError with one line per bad variable."""
        given = {k: v for k, v in {"database_url": database_url, **overrides}.items() if v is not None}
        try:
            return cls(**given)
        except ValidationError as exc:
            raise ValueError("\n".join(_message(e) for e in exc.errors())) from None

    def clock(self) -> Clock:
        return Clock.parse(self.now)

    def notify(self) -> NotifySettings:
        from phancap.engine.notify import NotifySettings

        return NotifySettings(self.smtp_host, self.smtp_port, self.smtp_from, self.webhook_url, self.webhook_secret,
                              timeout=self.notify_timeout)

    def worker(self) -> WorkerSettings:
        from datetime import timedelta

        from phancap.engine.outbox import RetryPolicy
        from phancap.engine.worker import WorkerSettings

        retry = RetryPolicy(base=timedelta(seconds=self.outbox_backoff_seconds), max_attempts=self.outbox_max_attempts,
                            lease=timedelta(seconds=max(120.0, 4 * self.notify_timeout * 20)))
        return WorkerSettings(poll_seconds=self.worker_poll_seconds, sweep_every=timedelta(minutes=self.sweep_minutes),
                              retry=retry, digest_at=self.digest_at)

    def runs_worker_in_serve(self) -> bool:
        """Whether `phancap serve` runs the worker itself: PHANCAP_SERVE_WORKER, by default on SQLite only (one
        process owns the file; on PostgreSQL run `phancap worker` processes beside the web servers)."""
        return self.serve_worker if self.serve_worker is not None else self.database_url.startswith("sqlite")

    def import_limits(self) -> ImportLimits:
        from phancap.engine.importer import ImportLimits

        return ImportLimits(self.import_max_bytes, self.import_max_tasks)


def _message(error: Any) -> str:
    cause = (error.get("ctx") or {}).get("error")
    if cause is not None:
        return str(cause)
    where = ".".join(str(p) for p in error.get("loc", ())) or "settings"
    return f"{where}: {error.get('msg')}"


def normalise_url(url: str) -> str:
    """Accept sqlite:///file and postgresql://…; use psycopg 3 for PostgreSQL."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ValueError(f"DATABASE_URL {url!r} is not a database URL") from exc
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if backend == "sqlite":
        return url
    raise ValueError(f"DATABASE_URL: unsupported database {backend!r}; use sqlite:///FILE or postgresql://…")
