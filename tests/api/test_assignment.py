"""Assignment through the API (issue 15): POST /api/v1/tasks/{id}/assignee with the version seen; the task JSON
and the inbox carry `assignee`; refusals name the rule and change nothing."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from phancap.engine.runtime import TaskEngine
from phancap.engine.users import add_user
from tests.api.conftest import bearer
from tests.api.helpers import assert_refusal, sct_task, snapshot


def assign(client: TestClient, app: FastAPI, user: str, task_id: int, **body: object) -> object:
    return client.post(f"/api/v1/tasks/{task_id}/assignee", headers=bearer(app, user), json=body)


def test_the_head_assigns_and_the_assignee_sees_it_first(client: TestClient, app: FastAPI, seeded: TaskEngine) -> None:
    add_user(seeded.db, "cv2.sct", "HN-SCT", ["officer"], seeded.clock)
    tid = sct_task(seeded.db)
    done = assign(client, app, "ld.sct", tid, assignee="cv2.sct", version=1)
    assert done.status_code == 200, done.text  # type: ignore[attr-defined]
    assert {k: done.json()[k] for k in ("task", "assignee", "assignee_from", "state", "version")} == {  # type: ignore[attr-defined]
        "task": tid, "assignee": "cv2.sct", "assignee_from": None, "state": "assigned", "version": 2}
    detail = client.get(f"/api/v1/tasks/{tid}", headers=bearer(app, "cv.sct")).json()
    assert detail["assignee"] == "cv2.sct" and "assign_officer" not in [t["trigger"] for t in detail["triggers"]]
    inbox = client.get("/api/v1/inbox", headers=bearer(app, "cv2.sct")).json()["items"]
    assert inbox[0]["id"] == tid and inbox[0]["assignee"] == "cv2.sct"
    theirs = {i["id"]: i["assignee"] for i in client.get("/api/v1/inbox", headers=bearer(app, "cv.sct"),
                                                         params={"limit": 500}).json()["items"]}
    assert theirs[tid] == "cv2.sct"  # a colleague's: still in the unit's queue, marked
    history = client.get(f"/api/v1/tasks/{tid}/history", headers=bearer(app, "ld.sct")).json()
    assert history[-1]["trigger"] == "assign_officer"
    undone = assign(client, app, "ld.sct", tid, assignee=None, version=2)
    assert undone.json()["assignee"] is None  # type: ignore[attr-defined]


def test_refusals_name_the_rule_and_change_nothing(client: TestClient, app: FastAPI, seeded: TaskEngine) -> None:
    tid = sct_task(seeded.db)
    before = snapshot(seeded.db, tid)
    assert_refusal(assign(client, app, "cv.sct", tid, assignee="cv.sct"), 403, "role")
    assert_refusal(assign(client, app, "ld.sct", tid, assignee="cv.phtp"), 422, "guard")
    assert_refusal(assign(client, app, "ld.sct", tid, assignee="cv.sct", version=7), 409, "version")
    assert_refusal(assign(client, app, "cv.phtp", tid, assignee="cv.sct"), 404, "task")  # another unit: not found
    assert_refusal(client.post(f"/api/v1/tasks/{tid}/assignee", json={"assignee": "cv.sct"}), 401, "auth")
    assert snapshot(seeded.db, tid) == before
