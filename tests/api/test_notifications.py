"""Notifications through the API (issue 15): GET /api/v1/notifications (items, unread) and
POST /api/v1/notifications/read (some keys, or all); a user of another unit gets none."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.conftest import bearer
from tests.api.helpers import assert_refusal, fire, sct_task
from phancap.engine.runtime import TaskEngine


def listed(client: TestClient, app: FastAPI, user: str, **params: object) -> dict:  # type: ignore[type-arg]
    response = client.get("/api/v1/notifications", headers=bearer(app, user), params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_notifications_list_count_and_mark_read(client: TestClient, app: FastAPI, seeded: TaskEngine) -> None:
    tid = sct_task(seeded.db)
    assert fire(client, app, "cv.sct", tid, "submit_for_review").status_code == 200
    assert fire(client, app, "dm.stp", tid, "return", comment="Bổ sung danh mục").status_code == 200
    assert fire(client, app, "dm.stp", tid, "urge").status_code == 200
    mine = listed(client, app, "cv.sct")
    assert mine["unread"] == 2 and [i["kind"] for i in mine["items"]] == ["urge", "return"]
    assert {"key", "label", "task", "plan", "number", "actor", "at", "comment", "read"} <= set(mine["items"][0])
    assert mine["items"][1]["label"] == "Bị trả lại" and mine["items"][1]["task"] == tid
    assert listed(client, app, "cv.phtp") == {"items": [], "unread": 0, "next_before": None}
    one = client.post("/api/v1/notifications/read", headers=bearer(app, "cv.sct"), json={"keys": [mine["items"][0]["key"]]})
    assert one.json() == {"unread": 1}
    assert [i["kind"] for i in listed(client, app, "cv.sct", unread=True)["items"]] == ["return"]
    assert client.post("/api/v1/notifications/read", headers=bearer(app, "cv.sct"), json={}).json() == {"unread": 0}
    assert listed(client, app, "ld.sct")["unread"] == 2  # each user's own read marks
    assert_refusal(client.get("/api/v1/notifications"), 401, "auth")
    assert_refusal(client.post("/api/v1/notifications/read", headers=bearer(app, "cv.sct"), json={"keys": "x"}), 422, "request")
