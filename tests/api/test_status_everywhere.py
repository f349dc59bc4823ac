"""One definition of late, due soon and done, seen through the API and the pages: progress counts only
plan tasks and never a withdrawn one as approved; PHANCAP_DUE_SOON_DAYS moves every badge; a stage late
on its own limit is said so and still counts within the deadline; the plan page names each state once."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from phancap.api.app import create_app
from phancap.api.security import SESSION_COOKIE
from phancap.engine.clock import Clock
from phancap.engine.queries import list_tasks
from phancap.engine.reports import create_reports
from phancap.engine.runtime import TaskEngine
from phancap.engine.settings import Settings
from phancap.engine.tick import tick
from tests.api.conftest import SECRET, bearer
from tests.api.helpers import fire, sct_task
from tests.helpers import instance


def test_progress_counts_plan_tasks_and_not_a_withdrawn_one_as_approved(client: TestClient, app: FastAPI,
                                                                         seeded: TaskEngine) -> None:
    create_reports(seeded.db, seeded.workflows, seeded.clock, "HN-2025", "semiannual", 2025, date(2025, 6, 15))
    assert list_tasks(seeded.db, plan="HN-2025", kind="report")
    tid = sct_task(seeded.db)
    assert fire(client, app, "pd.ubnd", tid, "withdraw", comment="Không còn phù hợp").status_code == 200
    body = client.get("/api/v1/plans/HN-2025/progress", headers=bearer(app, "kiemtoan")).json()
    assert body["total"] == len(list_tasks(seeded.db, plan="HN-2025"))  # reports are not plan tasks
    assert body["approved"] == 0 and body["by_state"]["withdrawn"] == 1
    assert body["categories"]["withdrawn"] == 1 and body["categories"]["done_on_time"] == 0


def badge_of(client: TestClient, app: FastAPI, task_id: int) -> str | None:
    answer = client.get(f"/api/v1/tasks/{task_id}", headers=bearer(app, "kiemtoan")).json()
    return answer["badge"]  # type: ignore[no-any-return]


def test_the_due_soon_window_is_the_setting_everywhere(seeded: TaskEngine) -> None:
    tid = sct_task(seeded.db)  # deadline 14 April 2025
    eight_days_before = Clock.parse("2025-04-06")
    for window, expected in ((3, None), (10, "due_soon")):
        app = create_app(database=seeded.db, clock=eight_days_before, workflows=seeded.workflows,
                         settings=Settings.from_env(secret_key=SECRET, due_soon_days=window))
        with TestClient(app) as client:
            assert badge_of(client, app, tid) == expected
            listed = client.get("/api/v1/tasks", params={"plan": "HN-2025", "limit": 500},
                                headers=bearer(app, "kiemtoan")).json()["items"]
            assert next(i for i in listed if i["id"] == tid)["badge"] == expected
            board = client.get("/api/v1/dashboard", params={"plan": "HN-2025"},
                               headers=bearer(app, "dm.snv")).json()["plans"][0]
            assert (tid in {t["id"] for t in board["due_soon"]}) == (expected == "due_soon")
            assert (board["categories"]["due_soon"] > 0) == (expected == "due_soon")


def test_a_stage_late_on_its_own_limit_says_so_and_counts_within_the_deadline(client: TestClient, app: FastAPI,
                                                                              seeded: TaskEngine) -> None:
    draft = next(t for t in list_tasks(seeded.db, plan="HN-2025") if t["workflow"] == "shortened_procedure"
                 and t["deadline"] is not None)
    lead = instance(seeded.db, "HN-2025", draft["task"], draft["unit"])
    deadline = date.fromisoformat(str(draft["deadline"]))
    with seeded.db.engine.begin() as conn:  # appraisal began long before the deadline: its 7 days ran out first
        conn.execute(text("UPDATE task_instance SET state = 'in_review', stage = 'in_review', state_due = :due "
                          "WHERE id = :i"), {"due": deadline - timedelta(days=30), "i": lead["id"]})
    sweep_day = Clock.parse((deadline - timedelta(days=20)).isoformat())
    assert tick(seeded.db, seeded.workflows, sweep_day).marked >= 1
    app.state.services.clock.fixed = sweep_day.fixed
    answer = client.get(f"/api/v1/tasks/{lead['id']}", headers=bearer(app, "kiemtoan")).json()
    assert answer["state"] == "overdue" and answer["badge"] == "stage_overdue"
    board = client.get("/api/v1/dashboard", params={"plan": "HN-2025"}, headers=bearer(app, "dm.snv")).json()
    assert lead["id"] not in {t["id"] for t in board["plans"][0]["overdue"]}  # the task's deadline holds


def test_the_plan_page_names_each_state_once(client: TestClient, app: FastAPI, seeded: TaskEngine) -> None:
    cookie, _session = app.state.services.signer.session("kiemtoan")
    client.cookies.set(SESSION_COOKIE, cookie)
    page = client.get("/plans/HN-2025").text
    assert "Đã giao" in page and "Đang soạn thảo" in page
    assert "Chưa gửi" not in page  # a report's state label is not a plan task's chip
