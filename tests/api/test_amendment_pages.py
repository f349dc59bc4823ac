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
