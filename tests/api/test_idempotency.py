"""The Idempotency-Key header on POST /tasks/{id}/transitions."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.conftest import bearer
from tests.api.helpers import assert_refusal, sct_task, snapshot


def post(client: TestClient, app: FastAPI, task_id: int, key: str, trigger: str) -> object:
    return client.post(f"/api/v1/tasks/{task_id}/transitions", json={"trigger": trigger},
                       headers={**bearer(app, "cv.sct"), "Idempotency-Key": key})


def test_retry_returns_the_first_answer_and_applies_once(client: TestClient, app: FastAPI) -> None:
    tid = sct_task(app.state.services.db)
    first = post(client, app, tid, "k-1", "submit_for_review")
    assert first.status_code == 200 and first.json()["state"] == "in_review"  # type: ignore[attr-defined]
    before = snapshot(app.state.services.db, tid)
    again = post(client, app, tid, "k-1", "submit_for_review")
    assert again.status_code == 200 and again.json() == first.json()  # type: ignore[attr-defined]
    assert snapshot(app.state.services.db, tid) == before
    assert_refusal(post(client, app, tid, "k-1", "comment"), 422, "idempotency")
    assert_refusal(post(client, app, tid, "k-2", "submit_for_review"), 409, "state")  # a new key is a new request
