"""Task listing, detail and history through the API, with the visibility rule."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from phancap.engine.runtime import TaskEngine
from tests.api.conftest import bearer
from tests.api.helpers import assert_refusal, fire, sct_task


def tasks(client: TestClient, app: FastAPI, user: str, **params: object) -> dict:  # type: ignore[type-arg]
    response = client.get("/api/v1/tasks", headers=bearer(app, user), params=params)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_officer_sees_only_instances_related_to_the_unit(client: TestClient, app: FastAPI) -> None:
    page = tasks(client, app, "cv.sct", limit=500)
    assert page["total"] == len(page["items"]) > 0
    for item in page["items"]:
        related = {item["unit"], item["focal"], item["authority"], item["monitor"], item["justice"], *item["coordinators"]}
        assert "HN-SCT" in related, item
    assert all(item["plan"] == "HN-2025" for item in page["items"])  # nothing of the Kon Tum plan


def test_auditor_and_monitor_see_everything(client: TestClient, app: FastAPI, seeded: TaskEngine) -> None:
    every = tasks(client, app, "kiemtoan", limit=1)["total"]
    with seeded.db.engine.connect() as conn:
        from sqlalchemy import text

        assert every == conn.execute(text("SELECT COUNT(*) FROM task_instance")).scalar_one()
    assert tasks(client, app, "dm.pnv", limit=1)["total"] == every  # a monitor (Phòng Nội vụ, Kon Tum)
    assert tasks(client, app, "cv.xa1", limit=1)["total"] < every


def test_filters_and_pagination(client: TestClient, app: FastAPI) -> None:
    hn = tasks(client, app, "kiemtoan", plan="HN-2025", limit=500)
    assert hn["total"] and all(i["plan"] == "HN-2025" for i in hn["items"])
    sct = tasks(client, app, "kiemtoan", unit="HN-SCT", limit=500)
    assert sct["total"] and all(i["unit"] == "HN-SCT" for i in sct["items"])
    first = tasks(client, app, "kiemtoan", plan="HN-2025", limit=5, offset=0)
    second = tasks(client, app, "kiemtoan", plan="HN-2025", limit=5, offset=5)
    assert (first["limit"], first["offset"], second["offset"]) == (5, 0, 5)
    assert {i["id"] for i in first["items"]}.isdisjoint({i["id"] for i in second["items"]})
    assert first["total"] == hn["total"]
    early = tasks(client, app, "kiemtoan", due_before="2025-04-15", limit=500)
    assert early["total"] and all(i["deadline"] < "2025-04-15" for i in early["items"])
    found = tasks(client, app, "kiemtoan", q="rà soát danh mục", limit=500)
    assert found["total"] and all(i["task"] == "1.1" for i in found["items"] if i["plan"] == "HN-2025")
    assert tasks(client, app, "kiemtoan", q="1.1", plan="HN-2025")["total"] >= 1
    assert tasks(client, app, "kiemtoan", state="approved")["total"] == 0
    assert tasks(client, app, "kiemtoan", overdue=True)["total"] == 0  # 1 April 2025: nothing overdue yet
    assert tasks(client, app, "kiemtoan", overdue=False, limit=1)["total"] == tasks(client, app, "kiemtoan", limit=1)["total"]
    assert_refusal(client.get("/api/v1/tasks", headers=bearer(app, "kiemtoan"), params={"limit": 0}), 422, "request")


def test_overdue_filter_and_badges_follow_the_clock(client: TestClient, app: FastAPI, seeded: TaskEngine) -> None:
    from datetime import timedelta

    from phancap.engine.tick import tick

    clock = app.state.services.clock
    clock.shift = timedelta(days=11)  # 12 April: deadline 14 April is due soon
    item = client.get(f"/api/v1/tasks/{sct_task(seeded.db)}", headers=bearer(app, "cv.sct")).json()
    assert item["deadline"] == "2025-04-14" and item["badge"] == "due_soon"
    clock.shift = timedelta(days=20)
    assert tick(seeded.db, seeded.workflows, clock).marked > 0
    late = tasks(client, app, "kiemtoan", overdue=True, limit=500)
    assert late["total"] and all(i["badge"] == "overdue" for i in late["items"])
    assert any(i["state"] == "overdue" for i in late["items"])
    no_deadline = [i for i in tasks(client, app, "kiemtoan", limit=500)["items"] if i["deadline"] is None]
    assert all(i["badge"] in ("no_deadline", "overdue") for i in no_deadline)


def test_detail_has_plan_fields_and_the_callers_triggers(client: TestClient, app: FastAPI, seeded: TaskEngine) -> None:
    tid = sct_task(seeded.db)
    officer = client.get(f"/api/v1/tasks/{tid}", headers=bearer(app, "cv.sct")).json()
    assert officer["plan_title"].startswith("Kế hoạch") and officer["title"].startswith("Rà soát")
    assert officer["unit"] == "HN-SCT" and officer["focal"] == "HN-STP" and officer["relations"] == ["lead"]
    assert officer["state"] == "assigned" and officer["state_label"] == "Đã giao" and officer["version"] == 1
    assert "submit_for_review" in [t["trigger"] for t in officer["triggers"]]
    reviewer = client.get(f"/api/v1/tasks/{tid}", headers=bearer(app, "dm.stp")).json()
    assert "focal" in reviewer["relations"]
    assert "submit_for_review" not in [t["trigger"] for t in reviewer["triggers"]]
    auditor = client.get(f"/api/v1/tasks/{tid}", headers=bearer(app, "kiemtoan")).json()
    assert auditor["triggers"] == []  # sees all, read-only
    fire(client, app, "cv.sct", tid, "submit_for_review")
    fire(client, app, "dm.stp", tid, "submit")
    approver = client.get(f"/api/v1/tasks/{tid}", headers=bearer(app, "pd.ubnd")).json()
    approve = [t for t in approver["triggers"] if t["trigger"] == "approve"]
    assert approve and approve[0]["capacity"] is True
    returning = [t for t in approver["triggers"] if t["trigger"] == "return"]
    assert returning and returning[0]["requires"] == ["comment"]


def test_invisible_or_missing_task_is_404(client: TestClient, app: FastAPI, seeded: TaskEngine) -> None:
    tid = sct_task(seeded.db)
    body = assert_refusal(client.get(f"/api/v1/tasks/{tid}", headers=bearer(app, "cv.xa1")), 404, "task")
    assert body["task"] == tid
    assert_refusal(client.get(f"/api/v1/tasks/{tid}/history", headers=bearer(app, "cv.xa1")), 404, "task")
    assert_refusal(client.get("/api/v1/tasks/999999", headers=bearer(app, "kiemtoan")), 404, "task")


def test_history_lists_events_in_order(client: TestClient, app: FastAPI, seeded: TaskEngine) -> None:
    tid = sct_task(seeded.db)
    fire(client, app, "cv.sct", tid, "submit_for_review", comment="Đã rà soát xong")
    fire(client, app, "dm.stp", tid, "return", comment="Bổ sung danh mục")
    events = client.get(f"/api/v1/tasks/{tid}/history", headers=bearer(app, "cv.sct")).json()
    assert [(e["seq"], e["trigger"], e["from_state"], e["to_state"]) for e in events] == [
        (1, "assign", None, "assigned"), (2, "submit_for_review", "assigned", "in_review"),
        (3, "return", "in_review", "assigned")]
    assert events[2]["comment"] == "Bổ sung danh mục" and events[2]["actor"] == "dm.stp"
    assert events[2]["prev_hash"] == events[1]["hash"]
