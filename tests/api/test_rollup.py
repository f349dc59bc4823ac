"""GET /api/v1/plans/{code}/rollup: plans across levels over HTTP."""

from __future__ import annotations

import shutil
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from phancap.engine.instantiate import instantiate
from phancap.engine.amendments import amend_plan, read_amending_plan
from phancap.engine.loader import read_definitions, shipped_definitions_dir, store_definitions, stored_registry
from tests.api.conftest import bearer
from tests.api.helpers import assert_refusal
from tests.test_plan_levels import PARENT


def test_rollup_shows_the_child_plans_under_each_parent_task(client: TestClient, app: FastAPI, tmp_path: Path) -> None:
    services = app.state.services
    folder = tmp_path / "definitions"
    shutil.copytree(shipped_definitions_dir(), folder)
    (folder / "plans" / "KT-TINH-1036.yaml").write_text(PARENT, encoding="utf-8")
    child = folder / "plans" / "KT-2025.yaml"
    text = child.read_text(encoding="utf-8").replace("\ntasks:\n", "\nparent_code: KT-TINH-1036\ntasks:\n", 1)
    child.write_text(text.replace('  - number: "3"\n', '  - number: "3"\n    parent_task: "2"\n', 1), encoding="utf-8")
    # the province's plan is new: loaded alone; the district's, running, is amended to name its parent
    parent = folder / "plans" / "KT-TINH-1036.yaml"
    store_definitions(services.db, read_definitions(parent, set(services.workflows), stored_registry(services.db)),
                      services.clock)
    amend_plan(services.db, read_amending_plan(child, services.db, set(services.workflows)), services.workflows,
               services.clock, number="12/KH-UBND")
    instantiate(services.db, "KT-TINH-1036", services.workflows, services.clock)
    response = client.get("/api/v1/plans/KT-TINH-1036/rollup", headers=bearer(app, "pd.huyen"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["children"] == ["KT-2025"]
    by_number = {t["number"]: t["children"] for t in body["tasks"]}
    assert by_number["1"] == {} and by_number["2"]["KT-2025"]["open_on_time"] > 0
    assert_refusal(client.get("/api/v1/plans/KT-TINH-1036/rollup", headers=bearer(app, "cv.sct")), 403, "role")
    assert client.get("/api/v1/plans/NOPE/rollup", headers=bearer(app, "pd.huyen")).status_code == 404


def test_parent_plan_page_shows_the_child_plans(client: TestClient, app: FastAPI, tmp_path: Path) -> None:
    from tests.api.test_reports_api import sign_in

    test_rollup_shows_the_child_plans_under_each_parent_task(client, app, tmp_path)
    sign_in(client, app, "pd.huyen")
    page = client.get("/plans/KT-TINH-1036")
    assert page.status_code == 200 and "Kế hoạch cấp dưới thực hiện" in page.text and "KT-2025" in page.text
    sign_in(client, app, "cv.phtp")  # an officer: the roll-up is for monitors, auditors, approvers
    assert "Kế hoạch cấp dưới thực hiện" not in client.get("/plans/KT-TINH-1036").text
