"""Issue 14, drafts a person can correct, over the JSON API and the page without its script: field edits
refused with the task and field named (422, message_vi and message_en), unit decisions, what activating
would create, activation refused for another count, the deadline reading; SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from phancap.engine.importer.files import plan_file_text
from tests.api.conftest import bearer
from tests.api.helpers import assert_refusal
from tests.api.test_spec_page import page_login
from tests.draft_samples import CENTRE, quang_tri_docx


def _index(body: dict[str, Any], number: str) -> int:
    return next(i for i, t in enumerate(body["plan"]["tasks"]) if t["number"] == number)


def test_correct_decide_preview_and_activate_over_the_api(client: TestClient, app: FastAPI, seeded: Any) -> None:
    admin = bearer(app, "admin")
    source = plan_file_text(quang_tri_docx(), "ke-hoach-245.docx")
    body = client.post("/api/v1/imports", headers=admin, json={"text": source, "source_name": "ke-hoach-245.docx"}).json()
    did = body["id"]
    assert [s.get("written") for s in body["sources"]] == [None, None, "1", "2", "3"]
    assert body["proposals"][0] | {"decision": "pending"} == body["proposals"][0] and body["proposals"][0]["name"] == CENTRE

    reading = client.get("/api/v1/imports/deadline-reading", headers=admin,
                         params={"phrase": "Trước ngày 10 tháng 6", "issued": "2025-07-10"}).json()
    assert reading == {"ok": True, "phrase": "Trước ngày 10 tháng 6", "kind": "recurring", "due": "2026-06-09",
                       "start": None, "text_vi": "Hằng năm, hạn ngày 10/6; lần đầu 09/06/2026"}
    assert client.get("/api/v1/imports/deadline-reading", params={"phrase": "x"}).status_code == 401
    assert_refusal(client.get("/api/v1/imports/deadline-reading", headers=bearer(app, "cv.sct"), params={"phrase": "x"}),
                   403, "forbidden")

    i2, i4 = _index(body, "2"), _index(body, "4")
    refused = assert_refusal(client.post(f"/api/v1/imports/{did}/tasks", headers=admin,
                                         json={"tasks": {str(i2): {"deadline": "Quý V năm 2025", "focal": "Sở Tư pháp; Sở Nội vụ"}}}),
                             422, "request")
    assert [(p["task"], p["field"]) for p in refused["problems"]] == [("2", "deadline"), ("2", "focal")]
    assert "Nhiệm vụ 2, Thời hạn: không đọc được thời hạn “Quý V năm 2025”" in refused["message_vi"]
    assert "task 2, focal" in refused["message_en"]
    edited = client.post(f"/api/v1/imports/{did}/tasks", headers=admin,
                         json={"tasks": {str(i2): {"deadline": "Trong năm 2025", "workflow": "shortened_procedure"}}}).json()
    task2 = edited["plan"]["tasks"][i2]
    assert task2["deadline"]["due"] == "2025-12-31" and task2["workflow"] == "shortened_procedure"
    assert edited["edited"] == [i2] and edited["state"] == "draft"

    assert_refusal(client.post(f"/api/v1/imports/{did}/units", headers=admin,
                               json={"units": {CENTRE: {"decision": "confirmed", "kind": "nhà máy"}}}), 422, "request")
    decided = client.post(f"/api/v1/imports/{did}/units", headers=admin,
                          json={"units": {CENTRE: {"decision": "confirmed"}}}).json()
    assert decided["plan"]["tasks"][i4]["lead"] == ["QT-TTPVHCCT"]

    preview = client.get(f"/api/v1/imports/{did}/activation", headers=admin).json()
    assert preview["instances"] == 5 and preview["new_units"] == [CENTRE]
    assert preview["summary_vi"] == ("Sẽ tạo 5 nhiệm vụ cho 5 đơn vị: Sở Nội vụ 1, Sở Tài chính 1, Sở Tư pháp 1, "
                                     f"{CENTRE} 1, Văn phòng UBND tỉnh 1")
    assert client.post(f"/api/v1/imports/{did}/validate", headers=admin).json()["state"] == "valid"
    assert_refusal(client.post(f"/api/v1/imports/{did}/activate", headers=admin, json={"expect_instances": 4}), 409, "state")
    activated = client.post(f"/api/v1/imports/{did}/activate", headers=admin, json={"expect_instances": 5})
    assert activated.status_code == 200, activated.text
    assert activated.json()["created"] == 5
    unit = client.get("/api/v1/units", headers=admin, params={"registry": "QT", "search": CENTRE})
    assert unit.status_code == 200 and [u["code"] for u in unit.json()] == ["QT-TTPVHCCT"]


def test_the_page_without_its_script_keeps_the_input_and_shows_readings_after_saving(client: TestClient, app: FastAPI,
                                                                                     seeded: Any) -> None:
    csrf = page_login(client, app, "admin")
    created = client.post("/plans/import", data={"csrf_token": csrf}, follow_redirects=True,
                          files={"file": ("ke-hoach-245.docx", quang_tri_docx(), "application/octet-stream")})
    did = int(re.search(r"Bản nháp (\d+):", created.text).group(1))  # type: ignore[union-attr]
    assert '<script src="/static/import_draft.js" defer></script>' in created.text
    refused = client.post(f"/plans/imports/{did}/tasks", data={"csrf_token": csrf, "t1-deadline": "Trước ngày 15/11/2025",
                                                               "t4-lead": "Sở Ngoại giao"})
    assert refused.status_code == 422
    assert "Nhiệm vụ 5, Chủ trì: không có đơn vị “Sở Ngoại giao” trong danh mục QT" in refused.text
    assert 'value="Trước ngày 15/11/2025"' in refused.text and ">Sở Ngoại giao</textarea>" in refused.text
    saved = client.post(f"/plans/imports/{did}/tasks", data={"csrf_token": csrf, "t1-deadline": "Trước ngày 15/11/2025"},
                        follow_redirects=True)
    assert saved.status_code == 200 and "Đã lưu các sửa đổi nhiệm vụ" in saved.text
    assert re.search(r'<output id="reading-1" class="deadline-reading" aria-live="polite">Hạn ngày 14/11/2025</output>',
                     saved.text)
    live = client.get("/plans/deadline-reading", params={"phrase": "Từ ngày 01/3/2025 đến ngày 31/12/2026"}).json()
    assert live["text_vi"] == "Từ 01/03/2025 đến 31/12/2026: hạn ngày 31/12/2026"
