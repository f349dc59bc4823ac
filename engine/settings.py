"""Settings from the environment, checked at start so a bad value fails fast."""

from __future__ import annotations

import os
from dataclasses import dataclass

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite:///phancap.db"


@dataclass(frozen=True)
class Settings:
    database_url: str
    sqlite_synchronous: str  # FULL by default: an acknowledged transition survives power loss

    @classmethod
    def from_env(cls, database_url: str | None = None) -> Settings:
        url = database_url or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
        sync = os.environ.get("PHANCAP_SQLITE_SYNCHRONOUS", "FULL").upper()
        if sync not in ("FULL", "NORMAL", "EXTRA"):
            raise ValueError(f"PHANCAP_SQLITE_SYNCHRONOUS must be FULL, NORMAL or EXTRA, not {sync!r}")
        return cls(normalise_url(url), sync)


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
