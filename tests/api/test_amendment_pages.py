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
