"""The plan page lists the versions and what each changed; the task page shows the amendment in its history."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from phancap.engine.runtime import TaskEngine
from tests.api.conftest import set_password
from tests.api.test_pages import login
from tests.helpers import instance
from tests.test_amendments import NUMBER, PLAN, amend, amended_file, moved_deadline


def test_plan_and_task_pages_show_the_amendment(client: TestClient, seeded: TaskEngine, tmp_path: Path) -> None:
    set_password(seeded.db, "cv.xa1", "pw-cv.xa1")
    login(client, "cv.xa1")
    assert 'id="versions"' not in client.get(f"/plans/{PLAN}").text  # one version: nothing to show
    amend(seeded, amended_file(tmp_path, moved_deadline()))
    plan = client.get(f"/plans/{PLAN}").text
    assert 'id="versions"' in plan and NUMBER in plan and "31/03/2025" in plan
    assert 'data-task="3" data-change="changed"' in plan and "thời hạn (14/04/2025 → 14/05/2025)" in plan
    tid = instance(seeded.db, PLAN, "3", "KT-X-01")["id"]
    page = client.get(f"/tasks/{tid}").text
    assert 'data-trigger="amend"' in page and "Sửa đổi, bổ sung kế hoạch" in page
    assert f'<strong class="document-number">{NUMBER}</strong>' in page and "(kế hoạch phiên bản 2)" in page
    assert "14/04/2025 → 14/05/2025" in page


def test_the_api_previews_and_applies_an_amendment_for_admins_only(client: TestClient, seeded: TaskEngine,
                                                                   tmp_path: Path) -> None:
    from fastapi import FastAPI

    from tests.api.conftest import bearer

    app: FastAPI = client.app  # type: ignore[assignment]
    admin, officer = bearer(app, "admin"), bearer(app, "cv.xa1")
    text = amended_file(tmp_path, moved_deadline()).read_text(encoding="utf-8")
    body = {"definition": text, "number": NUMBER, "date": "2025-03-31"}
    url = f"/api/v1/plans/{PLAN}/amendments"
    assert client.post(url, json=body, headers=officer).status_code == 403
    preview = client.post(url, json={**body, "dry_run": True}, headers=admin)
    assert preview.status_code == 200, preview.text
    assert preview.json()["dry_run"] is True and preview.json()["counts"]["amended"] == 18
    assert len(client.get(f"/api/v1/plans/{PLAN}/versions", headers=officer).json()) == 1
    applied = client.post(url, json=body, headers=admin).json()
    assert (applied["applied"], applied["version"], applied["changes"]) == (True, 2, preview.json()["changes"])
    versions = client.get(f"/api/v1/plans/{PLAN}/versions", headers=officer).json()
    assert [(v["version"], v["number"], v["date"]) for v in versions] == [(1, None, None), (2, NUMBER, "2025-03-31")]
    again = client.post(url, json=body, headers=admin)
    assert again.status_code == 409 and again.json()["rule"] == "amendment"
    broken = client.post(url, json={**body, "definition": text.replace("focal: null", "focal: KT-NOPE", 1)},
                         headers=admin)
    assert broken.status_code == 422 and "KT-NOPE" in broken.json()["message_en"]
    assert "/tmp" not in broken.json()["message_en"] and "line " in broken.json()["message_en"]
    assert client.post(f"/api/v1/plans/{PLAN.lower()}/amendments", json=body, headers=admin).status_code == 404
    assert client.get("/api/v1/plans/NOPE/versions", headers=admin).status_code == 404


def test_a_draft_of_a_running_plan_is_shown_as_a_diff_and_applied_as_an_amendment(client: TestClient, seeded: TaskEngine) -> None:
    from fastapi import FastAPI

    from tests.api.conftest import bearer
    from tests.api.test_imports import kon_tum_text
    from tests.api.test_pages import csrf

    app: FastAPI = client.app  # type: ignore[assignment]
    admin = bearer(app, "admin")
    text = kon_tum_text(unknown=False).replace("Trước ngày 15 tháng 4 năm 2025", "Trước ngày 15 tháng 5 năm 2025")
    draft = client.post("/api/v1/imports", headers=admin,
                        json={"text": text, "source_name": "kt-sua-doi.txt", "code": PLAN}).json()
    assert client.post(f"/api/v1/imports/{draft['id']}/validate", headers=admin).json()["state"] == "draft"  # code in use
    preview = client.post(f"/api/v1/imports/{draft['id']}/amendment", headers=admin, json={"dry_run": True})
    assert preview.status_code == 200, preview.text
    changes = preview.json()["amendment"]["changes"]["tasks"]
    assert any(t["task"] == "3" and any(f["field"] == "deadline" and f["new"]["due"] == "2025-05-14" for f in t["fields"])
               for t in changes), changes
    assert preview.json()["draft"]["state"] == "draft"
    set_password(seeded.db, "admin", "pw-admin")
    login(client, "admin")
    page = client.get(f"/plans/imports/{draft['id']}").text
    assert 'id="amendment"' in page and 'id="amend-form"' in page and 'data-task="3"' in page
    refused = client.post(f"/plans/imports/{draft['id']}/amend", data={"csrf_token": csrf(page), "number": "bốn lăm"})
    assert refused.status_code == 409 and "không hợp lệ" in refused.text
    done = client.post(f"/plans/imports/{draft['id']}/amend", follow_redirects=False,
                       data={"csrf_token": csrf(page), "number": NUMBER, "date": "2025-03-31"})
    assert done.status_code == 303, done.text
    assert instance(seeded.db, PLAN, "3", "KT-X-01")["deadline"] == "2025-05-14"
    after = client.get(f"/plans/imports/{draft['id']}?done=amend").text
    assert "Đã áp dụng văn bản sửa đổi" in after and 'id="amend-form"' not in after
    assert client.get(f"/api/v1/imports/{draft['id']}", headers=admin).json()["state"] == "active"
    versions = client.get(f"/api/v1/plans/{PLAN}/versions", headers=admin).json()
    assert [(v["version"], v["number"]) for v in versions] == [(1, None), (2, NUMBER)]
