"""An application per test over the `seeded` database (SQLite and PostgreSQL), and bearer tokens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from phancap.api.app import create_app
from phancap.api.settings import ApiSettings
from phancap.engine.clock import Clock
from phancap.engine.machine import WorkflowMachine
from phancap.engine.runtime import TaskEngine

SECRET = "tests-only-secret-key-0123456789abcdefghij"
PASSWORD = "mật-khẩu-thử-123"


@pytest.fixture
def settings() -> ApiSettings:
    return ApiSettings(secret_key=SECRET)


@pytest.fixture
def app(seeded: TaskEngine, clock: Clock, workflows: dict[str, WorkflowMachine], settings: ApiSettings) -> FastAPI:
    return create_app(database=seeded.db, clock=clock, settings=settings, workflows=workflows)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def bearer(app: FastAPI, user: str) -> dict[str, str]:
    """A valid token for a user, minted with the application's signer (no password hashing needed)."""
    return {"Authorization": f"Bearer {app.state.services.signer.token(user)}"}


_HASHES: dict[str, str] = {}


def set_password(db: object, name: str, password: str) -> None:
    """Give an existing user a password; argon2 hashes are computed once per test session."""
    from sqlalchemy import text

    from phancap.engine.users import hash_password

    if password not in _HASHES:
        _HASHES[password] = hash_password(password)
    with db.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(text("UPDATE app_user SET password_hash = :h WHERE name = :n"), {"h": _HASHES[password], "n": name})
