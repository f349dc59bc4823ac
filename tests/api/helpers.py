"""Helpers for the API tests."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from phancap.engine.db import Database
from tests.api.conftest import bearer
from tests.helpers import instance

SCT_1_1 = ("HN-2025", "1.1", "HN-SCT")  # Sở Công Thương leads; Sở Tư pháp tracks; UBND approves


def sct_task(db: Database) -> int:
    return int(instance(db, *SCT_1_1)["id"])


def snapshot(db: Database, task_id: int) -> tuple[Any, ...]:
    with db.engine.connect() as conn:
        row = conn.execute(text("SELECT state, version, last_hash FROM task_instance WHERE id = :i"), {"i": task_id}).one()
        events = conn.execute(text("SELECT COUNT(*) FROM audit_event WHERE task_id = :i"), {"i": task_id}).scalar_one()
    return (*row, events)


def fire(client: TestClient, app: FastAPI, user: str, task_id: int, trigger: str, **body: Any) -> Any:
    return client.post(f"/api/v1/tasks/{task_id}/transitions", headers=bearer(app, user),
                       json={"trigger": trigger, **body})


def assert_refusal(response: Any, status: int, rule: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["rule"] == rule
    assert body["message_vi"] and body["message_en"]
    return body
