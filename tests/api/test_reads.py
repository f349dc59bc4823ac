"""Plans, progress, audit (search, export, verify), workflows and their diagrams, the demo clock."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from phancap.engine.runtime import TaskEngine
from tests.api.conftest import bearer
from tests.api.helpers import assert_refusal, fire, sct_task
from tests.helpers import allow_tampering


def get(client: TestClient, app: FastAPI, user: str, path: str, **params: object) -> object:
    response = client.get(path, headers=bearer(app, user), params=params)
    assert response.status_code == 200, response.text
    return response


def test_plans_and_plan_detail(client: TestClient, app: FastAPI) -> None:
    plans = get(client, app, "cv.sct", "/api/v1/plans").json()
    assert [p["code"] for p in plans] == ["HN-2025", "KT-2025"]
    plan = get(client, app, "cv.sct", "/api/v1/plans/HN-2025").json()
    assert plan["issuer"] == "HN-UBND" and plan["authority"] == "HN-UBND"
    first = next(t for t in plan["tasks"] if t["number"] == "1.1")
    assert first["focal"] == "HN-STP" and first["deadline_due"] == "2025-04-14" and first["workflow"] == "plan_task"
    assert first["deadline_phrase"] == "Trước ngày 15/4/2025" and isinstance(first["lead"], list)
    assert_refusal(client.get("/api/v1/plans/NOPE", headers=bearer(app, "cv.sct")), 404, "not_found")


def test_progress_counts_per_state_and_unit(client: TestClient, app: FastAPI, seeded: TaskEngine) -> None:
    tid = sct_task(seeded.db)
    fire(client, app, "cv.sct", tid, "submit_for_review")
    all_ = get(client, app, "kiemtoan", "/api/v1/plans/HN-2025/progress").json()
    assert all_["plan"] == "HN-2025" and all_["by_state"]["in_review"] == 1
    assert all_["total"] == sum(all_["by_state"].values()) == sum(sum(u.values()) for u in all_["by_unit"].values())
    assert all_["by_unit"]["HN-SCT"]["in_review"] == 1 and all_["approved"] == 0 and all_["overdue"] == 0
    mine = get(client, app, "cv.sct", "/api/v1/plans/HN-2025/progress").json()
    assert mine["total"] < all_["total"]  # over the instances the caller may see
    assert_refusal(client.get("/api/v1/plans/NOPE/progress", headers=bearer(app, "kiemtoan")), 404, "not_found")


def _life_cycle(client: TestClient, app: FastAPI, tid: int) -> None:
    for user, trigger, body in [("cv.sct", "submit_for_review", {}), ("dm.stp", "return", {"comment": "Thiếu, bổ sung"}),
                                ("cv.sct", "submit_for_review", {}), ("dm.stp", "submit", {}),
                                ("pd.ubnd", "approve", {"capacity": "KT. Chủ tịch"})]:
        assert fire(client, app, user, tid, trigger, **body).status_code == 200


def test_audit_search_filters_and_exports(client: TestClient, app: FastAPI, seeded: TaskEngine) -> None:
    tid = sct_task(seeded.db)
    _life_cycle(client, app, tid)
    events = get(client, app, "kiemtoan", "/api/v1/audit", task=tid).json()
    assert [e["trigger"] for e in events] == ["assign", "submit_for_review", "return", "submit_for_review", "submit",
                                              "approve"]
    assert events[-1]["capacity"] == "KT. Chủ tịch" and events[-1]["plan"] == "HN-2025"
    by_actor = get(client, app, "kiemtoan", "/api/v1/audit", actor="dm.stp").json()
    assert [e["trigger"] for e in by_actor] == ["return", "submit"]
    assert get(client, app, "kiemtoan", "/api/v1/audit", trigger="approve", plan="HN-2025").json()[0]["task_id"] == tid
    assert get(client, app, "kiemtoan", "/api/v1/audit", trigger="approve", plan="KT-2025").json() == []
    assert len(get(client, app, "kiemtoan", "/api/v1/audit", unit="HN-UBND").json()) == 1
    assert get(client, app, "kiemtoan", "/api/v1/audit", since="2025-04-02", actor="dm.stp").json() == []
    assert len(get(client, app, "kiemtoan", "/api/v1/audit", until="2025-04-01", actor="dm.stp").json()) == 2
    assert len(get(client, app, "kiemtoan", "/api/v1/audit", limit=3).json()) == 3
    # exports
    response = get(client, app, "kiemtoan", "/api/v1/audit", task=tid, format="csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["trigger"] for r in rows][-1] == "approve" and rows[2]["comment"] == "Thiếu, bổ sung"
    lines = get(client, app, "kiemtoan", "/api/v1/audit", task=tid, format="jsonl").text.splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [1, 2, 3, 4, 5, 6]
    # the monitor may read it too; an officer may not
    assert get(client, app, "dm.snv", "/api/v1/audit", task=tid).json()
    assert_refusal(client.get("/api/v1/audit", headers=bearer(app, "cv.sct")), 403, "forbidden")
    assert_refusal(client.get("/api/v1/audit/verify", headers=bearer(app, "cv.sct")), 403, "forbidden")


def test_audit_verify_detects_tampering(client: TestClient, app: FastAPI, seeded: TaskEngine) -> None:
    tid = sct_task(seeded.db)
    _life_cycle(client, app, tid)
    ok = get(client, app, "kiemtoan", "/api/v1/audit/verify").json()
    assert ok["ok"] and ok["problems"] == [] and ok["events"] > ok["tasks"] > 0
    allow_tampering(seeded.db)
    with seeded.db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET comment = 'Đã sửa' WHERE task_id = :t AND seq = 3"), {"t": tid})
    bad = get(client, app, "kiemtoan", "/api/v1/audit/verify").json()
    assert not bad["ok"] and any(f"task {tid}" in p for p in bad["problems"])


def test_workflows_detail_and_diagram(client: TestClient, app: FastAPI) -> None:
    names = [w["name"] for w in get(client, app, "cv.sct", "/api/v1/workflows").json()]
    assert {"plan_task", "shortened_procedure"} <= set(names)
    detail = get(client, app, "cv.sct", "/api/v1/workflows/plan_task").json()
    assert detail["initial"] == "assigned" and detail["overdue_state"] == "overdue"
    submit = next(t for t in detail["transitions"] if t["trigger"] == "submit_for_review" and t["source"] == "assigned")
    assert submit["grants"] == ["officer@lead", "head@lead"]
    svg = get(client, app, "cv.sct", "/api/v1/workflows/plan_task/diagram.svg", current="in_review")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(svg.text)
    ns = {"s": "http://www.w3.org/2000/svg"}
    states = {g.get("data-state") for g in root.findall(".//s:g[@class='state']", ns)}
    assert states == {s["name"] for s in detail["states"]}
    assert len(root.findall(".//s:g[@class='transition']", ns)) >= 5
    current = root.findall(".//s:g[@data-current='true']", ns)
    assert [g.get("data-state") for g in current] == ["in_review"]
    assert_refusal(client.get("/api/v1/workflows/nope", headers=bearer(app, "cv.sct")), 404, "not_found")
    assert_refusal(client.get("/api/v1/workflows/nope/diagram.svg", headers=bearer(app, "cv.sct")), 404, "not_found")


def test_clock_moves_only_in_demo_mode(client: TestClient, app: FastAPI, seeded: TaskEngine) -> None:
    now = get(client, app, "cv.sct", "/api/v1/clock").json()
    assert now["today"] == "2025-04-01" and now["simulated"] is False
    assert_refusal(client.post("/api/v1/demo/clock", headers=bearer(app, "cv.sct"), json={"days": 30}), 403, "forbidden")
    assert get(client, app, "cv.sct", "/api/v1/clock").json()["today"] == "2025-04-01"


def test_demo_clock_shifts_and_sweeps(seeded: TaskEngine, workflows: dict, clock: object) -> None:  # type: ignore[type-arg]
    from phancap.api.app import create_app
    from phancap.api.settings import ApiSettings

    demo = create_app(database=seeded.db, clock=clock, settings=ApiSettings(secret_key="d" * 40, demo=True),  # type: ignore[arg-type]
                      workflows=workflows)
    with TestClient(demo) as client:
        moved = client.post("/api/v1/demo/clock", headers=bearer(demo, "cv.sct"), json={"days": 30})
        assert moved.status_code == 200, moved.text
        body = moved.json()
        assert body["today"] == "2025-05-01" and body["simulated"] and body["marked_overdue"] > 0
        late = client.get("/api/v1/tasks", headers=bearer(demo, "kiemtoan"), params={"state": "overdue"}).json()
        assert late["total"] == body["marked_overdue"]
    assert clock.shift == timedelta(days=30)  # type: ignore[attr-defined]


def test_inbox_lists_what_awaits_the_caller_with_the_actions_open(client: TestClient, app: FastAPI,
                                                                  seeded: TaskEngine) -> None:
    from tests.api.conftest import bearer
    from tests.api.helpers import sct_task

    reviewer = bearer(app, "dm.stp")
    assert client.get("/api/v1/inbox").status_code == 401
    assert client.get("/api/v1/inbox", headers=reviewer).json()["total"] == 0
    tid = sct_task(seeded.db)
    seeded.fire(tid, "submit_for_review", "cv.sct")
    body = client.get("/api/v1/inbox", headers=reviewer).json()
    assert body["total"] == 1 and body["cut"] is False
    item = body["items"][0]
    assert {k: item[k] for k in ("id", "plan", "task", "unit", "state", "deadline", "category")} == {
        "id": tid, "plan": "HN-2025", "task": "1.1", "unit": "HN-SCT", "state": "in_review", "deadline": "2025-04-14",
        "category": "open_on_time"}
    assert [a["trigger"] for a in item["actions"]] == ["submit", "return"]
    officer = bearer(app, "cv.sct")
    lead = client.get("/api/v1/tasks", params={"relation": "lead", "sort": "urgency", "q": "ra soat danh muc"},
                      headers=officer).json()
    assert lead["total"] == 1 and lead["items"][0]["id"] == tid
    assert client.get("/api/v1/tasks", params={"relation": "nobody"}, headers=officer).status_code == 422
