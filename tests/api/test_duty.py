"""Separation of duties over HTTP: the trigger is absent from the caller's `triggers`, and firing it
anyway is a 403 with rule `duty` that changes nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from phancap.engine.clock import Clock
from phancap.engine.runtime import TaskEngine
from phancap.engine.users import add_user
from tests.api.conftest import bearer
from tests.api.helpers import assert_refusal, fire, snapshot
from tests.helpers import instance


def offered(client: TestClient, app: FastAPI, user: str, task_id: int) -> set[str]:
    response = client.get(f"/api/v1/tasks/{task_id}", headers=bearer(app, user))
    assert response.status_code == 200, response.text
    return {t["trigger"] for t in response.json()["triggers"]}


def test_own_submission_is_not_offered_for_review_and_is_refused_403_duty(
        client: TestClient, app: FastAPI, seeded: TaskEngine, clock: Clock) -> None:
    add_user(seeded.db, "cv.stp", "HN-STP", ["officer", "reviewer"], clock)
    tid = int(instance(seeded.db, "HN-2025", "1.1", "HN-STP")["id"])
    assert fire(client, app, "cv.stp", tid, "submit_for_review").status_code == 200
    assert offered(client, app, "cv.stp", tid) & {"submit", "return"} == set()
    assert "comment" in offered(client, app, "cv.stp", tid)
    assert {"submit", "return"} <= offered(client, app, "dm.stp", tid)
    before = snapshot(seeded.db, tid)
    body = assert_refusal(fire(client, app, "cv.stp", tid, "submit"), 403, "duty")
    assert (body["state"], body["trigger"]) == ("in_review", "submit") and "phân tách nhiệm vụ" in body["message_vi"]
    assert snapshot(seeded.db, tid) == before
    assert fire(client, app, "dm.stp", tid, "submit").json()["state"] == "submitted"


def test_own_difficulty_is_not_offered_for_an_answer(client: TestClient, app: FastAPI, seeded: TaskEngine,
                                                     clock: Clock) -> None:
    add_user(seeded.db, "tp.snv", "HN-SNV", ["officer", "monitor"], clock)
    task = int(instance(seeded.db, "HN-2025", "2.1", "HN-SNV")["id"])
    raised = client.post(f"/api/v1/tasks/{task}/difficulties", headers=bearer(app, "tp.snv"),
                         json={"text": "Chưa rõ thẩm quyền"})
    assert raised.status_code == 201, raised.text
    vm = raised.json()["id"]
    assert offered(client, app, "tp.snv", vm) & {"answer", "escalate"} == set()
    assert {"answer", "escalate"} <= offered(client, app, "dm.snv", vm)
    before = snapshot(seeded.db, vm)
    assert_refusal(fire(client, app, "tp.snv", vm, "answer", comment="Tự trả lời"), 403, "duty")
    assert snapshot(seeded.db, vm) == before
