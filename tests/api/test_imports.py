"""Importing a plan from its text (issue 7): draft, map unknown units, validate, activate (admins only),
and the activated plan's tasks advance like any other. API and pages, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from phancap.engine import draft_activation
from phancap.engine.db import Database
from tests.api.conftest import bearer
from tests.api.helpers import assert_refusal
from tests.api.test_spec_page import page_login

SEED = Path(__file__).resolve().parents[1] / "seeds" / "004_b5240fd6c432fd52.txt"
UNKNOWN = "Phòng Pháp chế huyện"
CODE = "KT-2025-B"


def kon_tum_text(unknown: bool = True) -> str:
    """The Kon Tum seed, with task 2's lead renamed to a unit the registry does not know."""
    source = SEED.read_text(encoding="utf-8")
    if unknown:
        assert "- Cơ quan chủ trì: Phòng Tư pháp." in source
        source = source.replace("- Cơ quan chủ trì: Phòng Tư pháp.", f"- Cơ quan chủ trì: {UNKNOWN}.")
    return source


def create(client: TestClient, app: FastAPI, user: str = "admin", **body: Any) -> Any:
    payload = {"text": kon_tum_text(), "source_name": "kontum.txt", "code": CODE, **body}
    return client.post("/api/v1/imports", headers=bearer(app, user), json=payload)


def plan_rows(db: Database, code: str) -> tuple[int, int, int]:
    with db.engine.connect() as conn:
        return tuple(conn.execute(text(f"SELECT COUNT(*) FROM {table} WHERE {column} = :c"), {"c": code}).scalar_one()
                     for table, column in (("plan", "code"), ("plan_task", "plan"), ("task_instance", "plan")))


def test_import_map_validate_activate_then_advance_a_task(client: TestClient, app: FastAPI, seeded: Any) -> None:
    admin = bearer(app, "admin")
    response = create(client, app)
    assert response.status_code == 201, response.text
    draft = response.json()
    did = draft["id"]
    assert draft["state"] == "draft" and draft["code"] == CODE and draft["region"] == "KT"
    assert draft["unmatched_units"] == [UNKNOWN] and draft["undecided"] == [UNKNOWN]
    assert any(p["line"] == 104 and UNKNOWN in p["message"] for p in draft["problems"])
    assert [t["number"] for t in draft["plan"]["tasks"]] == ["1", "2", "3", "4", "4.a", "4.b", "5"]
    assert draft["source_text"].startswith(" KẾ HOẠCH")

    # not valid yet: nothing can be activated, nothing is stored
    checked = client.post(f"/api/v1/imports/{did}/validate", headers=admin).json()
    assert checked["state"] == "draft"
    assert any(UNKNOWN in v for v in checked["validation"])
    assert any("task 2" in v and "lead" in v for v in checked["validation"])
    assert_refusal(client.post(f"/api/v1/imports/{did}/activate", headers=admin), 409, "state")
    assert plan_rows(seeded.db, CODE) == (0, 0, 0)

    # map the unknown name to Phòng Tư pháp: the text is read again, the name lands in task 2's lead
    mapped = client.post(f"/api/v1/imports/{did}/mapping", headers=admin,
                         json={"mapping": {UNKNOWN: "KT-PTP"}}).json()
    assert mapped["unmatched_units"] == [] and mapped["mapped_units"] == [UNKNOWN]
    assert mapped["mapping"] == {UNKNOWN: "KT-PTP"} and mapped["validation"] is None
    assert next(t for t in mapped["plan"]["tasks"] if t["number"] == "2")["lead"] == ["KT-PTP"]
    valid = client.post(f"/api/v1/imports/{did}/validate", headers=admin).json()
    assert valid["state"] == "valid" and valid["validation"] == []
    assert client.get(f"/api/v1/imports/{did}", headers=admin).json()["state"] == "valid"

    activated = client.post(f"/api/v1/imports/{did}/activate", headers=admin)
    assert activated.status_code == 200, activated.text
    result = activated.json()
    assert result["plan"] == CODE and result["created"] > 0 and result["draft"]["state"] == "active"
    assert plan_rows(seeded.db, CODE)[2] == result["created"]
    assert CODE in [p["code"] for p in client.get("/api/v1/plans", headers=admin).json()]
    # the original plan is untouched
    assert plan_rows(seeded.db, "KT-2025")[1] > 0

    # an officer of Phòng Tư pháp advances task 2 of the imported plan like any other task
    officer = bearer(app, "cv.phtp")
    items = client.get("/api/v1/tasks", headers=officer, params={"plan": CODE, "unit": "KT-PTP"}).json()["items"]
    task = next(t for t in items if t["task"] == "2")
    assert task["state"] == "assigned" and task["workflow"] == "plan_task"
    fired = client.post(f"/api/v1/tasks/{task['id']}/transitions", headers=officer,
                        json={"trigger": "submit_for_review", "version": task["version"]})
    assert fired.status_code == 200, fired.text
    assert fired.json()["state"] == "in_review"
    listed = client.get("/api/v1/tasks", headers=officer, params={"plan": CODE, "state": "in_review"}).json()
    assert [t["id"] for t in listed["items"]] == [task["id"]]

    # an active draft never changes again, and is not activated twice
    assert_refusal(client.post(f"/api/v1/imports/{did}/mapping", headers=admin, json={"mapping": {}}), 409, "state")
    assert_refusal(client.post(f"/api/v1/imports/{did}/validate", headers=admin), 409, "state")
    assert_refusal(client.post(f"/api/v1/imports/{did}/activate", headers=admin), 409, "state")
    listing = client.get("/api/v1/imports", headers=admin).json()
    assert [(d["id"], d["state"]) for d in listing] == [(did, "active")]


def test_roles(client: TestClient, app: FastAPI, seeded: Any) -> None:
    assert_refusal(create(client, app, user="cv.sct"), 403, "forbidden")
    assert_refusal(client.get("/api/v1/imports", headers=bearer(app, "kiemtoan")), 403, "forbidden")
    assert client.post("/api/v1/imports", json={"text": "x"}).status_code == 401
    # a monitor imports, maps and validates, but only an admin activates
    monitor = bearer(app, "dm.pnv")
    did = create(client, app, user="dm.pnv").json()["id"]
    client.post(f"/api/v1/imports/{did}/mapping", headers=monitor, json={"mapping": {UNKNOWN: "KT-PTP"}})
    assert client.post(f"/api/v1/imports/{did}/validate", headers=monitor).json()["state"] == "valid"
    assert_refusal(client.post(f"/api/v1/imports/{did}/activate", headers=monitor), 403, "forbidden")
    assert plan_rows(seeded.db, CODE) == (0, 0, 0)


def test_refusals_change_nothing(client: TestClient, app: FastAPI, seeded: Any) -> None:
    admin = bearer(app, "admin")
    assert_refusal(client.get("/api/v1/imports/999", headers=admin), 404, "not_found")
    assert_refusal(create(client, app, code="kt 2025"), 422, "request")
    assert_refusal(create(client, app, text="   \n  "), 422, "request")
    assert_refusal(create(client, app, registry="ZZ"), 422, "request")
    did = create(client, app).json()["id"]
    before = client.get(f"/api/v1/imports/{did}", headers=admin).json()
    # a unit of another registry, or one that does not exist, is refused: units are never invented
    for unit in ("HN-SCT", "KT-NOPE"):
        assert_refusal(client.post(f"/api/v1/imports/{did}/mapping", headers=admin, json={"mapping": {UNKNOWN: unit}}),
                       422, "request")
    assert client.get(f"/api/v1/imports/{did}", headers=admin).json() == before


def test_a_name_marked_as_no_unit_is_decided_but_the_task_still_needs_a_lead(client: TestClient, app: FastAPI,
                                                                             seeded: Any) -> None:
    admin = bearer(app, "admin")
    did = create(client, app).json()["id"]
    ignored = client.post(f"/api/v1/imports/{did}/mapping", headers=admin, json={"mapping": {UNKNOWN: None}}).json()
    assert ignored["undecided"] == [] and ignored["mapping"] == {UNKNOWN: ""}
    checked = client.post(f"/api/v1/imports/{did}/validate", headers=admin).json()
    assert checked["state"] == "draft" and not any("chưa được ánh xạ" in v for v in checked["validation"])
    assert any("lead" in v for v in checked["validation"])  # task 2 has no lead at all: still not valid


def test_a_code_in_use_does_not_validate_and_can_be_changed(client: TestClient, app: FastAPI, seeded: Any) -> None:
    admin = bearer(app, "admin")
    guessed = create(client, app, code=None, text=kon_tum_text(unknown=False)).json()
    assert guessed["code"] == "KT-2025-2" and guessed["unmatched_units"] == []  # derived, never a loaded code (issue 14)
    draft = create(client, app, code="KT-2025", text=kon_tum_text(unknown=False)).json()
    checked = client.post(f"/api/v1/imports/{draft['id']}/validate", headers=admin).json()
    assert checked["state"] == "draft" and any("KT-2025" in v and "đã được dùng" in v for v in checked["validation"])
    renamed = client.post(f"/api/v1/imports/{draft['id']}/mapping", headers=admin,
                          json={"code": "kt-2025-c"}).json()
    assert renamed["code"] == "KT-2025-C" and renamed["plan"]["code"] == "KT-2025-C"
    assert client.post(f"/api/v1/imports/{draft['id']}/validate", headers=admin).json()["state"] == "valid"


def test_two_valid_drafts_of_one_code_activate_once(client: TestClient, app: FastAPI, seeded: Any) -> None:
    admin = bearer(app, "admin")
    ids = []
    for _ in range(2):
        did = create(client, app, text=kon_tum_text(unknown=False)).json()["id"]
        assert client.post(f"/api/v1/imports/{did}/validate", headers=admin).json()["state"] == "valid"
        ids.append(did)
    assert client.post(f"/api/v1/imports/{ids[0]}/activate", headers=admin).status_code == 200
    created = plan_rows(seeded.db, CODE)
    assert_refusal(client.post(f"/api/v1/imports/{ids[1]}/activate", headers=admin), 409, "state")
    assert client.get(f"/api/v1/imports/{ids[1]}", headers=admin).json()["state"] == "draft"
    assert plan_rows(seeded.db, CODE) == created


def test_activation_is_all_or_nothing(client: TestClient, app: FastAPI, seeded: Any,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    admin = bearer(app, "admin")
    did = create(client, app, text=kon_tum_text(unknown=False)).json()["id"]
    client.post(f"/api/v1/imports/{did}/validate", headers=admin)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("instantiation failed half-way")

    monkeypatch.setattr(draft_activation, "instantiate", broken)
    with pytest.raises(RuntimeError):
        client.post(f"/api/v1/imports/{did}/activate", headers=admin)
    assert plan_rows(seeded.db, CODE) == (0, 0, 0)
    assert client.get(f"/api/v1/imports/{did}", headers=admin).json()["state"] == "valid"
    monkeypatch.undo()
    assert client.post(f"/api/v1/imports/{did}/activate", headers=admin).status_code == 200
    assert plan_rows(seeded.db, CODE)[2] > 0


def test_openapi_lists_the_import_routes_with_models(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/imports", "/api/v1/imports/{draft_id}", "/api/v1/imports/{draft_id}/mapping",
                 "/api/v1/imports/{draft_id}/validate", "/api/v1/imports/{draft_id}/activate", "/api/v1/spec"):
        assert path in paths
    ok = paths["/api/v1/imports/{draft_id}/activate"]["post"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"]["$ref"].endswith("/Activation")


# --- pages --------------------------------------------------------------------------------------

def test_pages_paste_map_validate_activate(client: TestClient, app: FastAPI, seeded: Any) -> None:
    csrf = page_login(client, app, "admin")
    form = client.get("/plans/import")
    assert form.status_code == 200 and 'id="import-form"' in form.text and 'name="text"' in form.text
    assert 'href="/plans/imports"' in form.text  # the nav link
    response = client.post("/plans/import", data={"csrf_token": csrf, "text": kon_tum_text(), "code": CODE},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    did = int(re.search(r"/plans/imports/(\d+)", location).group(1))  # type: ignore[union-attr]
    page = client.get(location).text
    assert 'id="draft-state" data-state="draft"' in page and "Đã đọc văn bản" in page
    assert f'<mark class="mark-unknown">{UNKNOWN}</mark>' in page  # highlighted in the source
    assert 'id="L104"' in page and re.search(r'class="src-line flagged" id="L104"', page)
    assert '<span class="ln">260</span>' in page  # every line numbered
    assert re.search(r'class="parsed-task uncertain" data-task="2"', page)
    assert 'option value="KT-PTP"' in page and 'option value="HN-SCT"' not in page
    assert client.get("/plans/imports").text.count(f'data-draft="{did}"') == 1

    client.post(f"/plans/imports/{did}/mapping", data={"csrf_token": csrf, "name": [UNKNOWN], "unit": ["KT-PTP"],
                                                       "code": CODE})
    page = client.get(f"/plans/imports/{did}").text
    assert f'<mark class="mark-mapped">{UNKNOWN}</mark>' in page and 'value="KT-PTP" selected' in page
    done = client.post(f"/plans/imports/{did}/validate", data={"csrf_token": csrf}, follow_redirects=True)
    assert 'data-state="valid"' in done.text and 'id="validation-ok"' in done.text
    unconfirmed = client.post(f"/plans/imports/{did}/activate", data={"csrf_token": csrf})
    assert unconfirmed.status_code == 422 and "Hãy xác nhận" in unconfirmed.text and plan_rows(seeded.db, CODE)[0] == 0
    count = int(re.search(r'name="instances" value="(\d+)"', done.text).group(1))  # type: ignore[union-attr]
    done = client.post(f"/plans/imports/{did}/activate", data={"csrf_token": csrf, "confirm": "yes", "instances": count},
                       follow_redirects=True)
    assert 'data-state="active"' in done.text and f'href="/plans/{CODE}"' in done.text
    assert plan_rows(seeded.db, CODE)[2] == count > 0
    plan = client.get(f"/plans/{CODE}")
    assert plan.status_code == 200 and f"<h1>{CODE}</h1>" in plan.text


def test_page_upload_and_refusals(client: TestClient, app: FastAPI, seeded: Any) -> None:
    csrf = page_login(client, app, "admin")
    upload = client.post("/plans/import", data={"csrf_token": csrf, "code": CODE},
                         files={"file": ("kontum.txt", kon_tum_text(unknown=False).encode("utf-8"), "text/plain")},
                         follow_redirects=True)
    assert upload.status_code == 200 and "kontum.txt" in upload.text and 'data-state="draft"' in upload.text
    did = int(re.search(r"Bản nháp (\d+):", upload.text).group(1))  # type: ignore[union-attr]
    # no CSRF token: refused
    assert client.post("/plans/import", data={"text": "x"}).status_code == 403
    # activating before validating: the page says why, nothing is stored
    refused = client.post(f"/plans/imports/{did}/activate", data={"csrf_token": csrf, "confirm": "yes", "instances": 0})
    assert refused.status_code == 409 and 'data-rule="state"' in refused.text
    assert plan_rows(seeded.db, CODE) == (0, 0, 0)
    # an empty text: the form again, with the reason
    empty = client.post("/plans/import", data={"csrf_token": csrf, "text": "  "})
    assert empty.status_code == 422 and "trống" in empty.text
    # a binary file is refused
    binary = client.post("/plans/import", data={"csrf_token": csrf}, files={"file": ("x.pdf", b"\xff\xfe\x00", "x")})
    assert binary.status_code == 422 and "UTF-8" in binary.text
    # the text is shown as text
    xss = client.post("/plans/import", data={"csrf_token": csrf, "text": "<script>alert(1)</script>\nKẾ HOẠCH"},
                      follow_redirects=True)
    assert "<script>alert(1)</script>" not in xss.text and "&lt;script&gt;" in xss.text
    assert client.get("/plans/imports/999").status_code == 404


def test_pages_by_role(client: TestClient, app: FastAPI, seeded: Any) -> None:
    page_login(client, app, "cv.sct")
    assert client.get("/plans/import").status_code == 403
    assert client.get("/plans/imports").status_code == 403
    assert 'href="/plans/imports"' not in client.get("/").text
    csrf = page_login(client, app, "dm.pnv")  # a monitor imports but does not activate
    response = client.post("/plans/import", data={"csrf_token": csrf, "text": kon_tum_text(), "code": CODE},
                           follow_redirects=True)
    assert response.status_code == 200 and 'id="activate-form"' not in response.text
    did = int(re.search(r"Bản nháp (\d+):", response.text).group(1))  # type: ignore[union-attr]
    assert client.post(f"/plans/imports/{did}/activate", data={"csrf_token": csrf, "confirm": "yes",
                                                               "instances": 1}).status_code == 403
    client.cookies.clear()
    assert client.get("/plans/import", follow_redirects=False).status_code == 303


def test_page_reads_a_word_document(client: TestClient, app: FastAPI, seeded: Any) -> None:
    import io

    from docx import Document

    document = Document()
    for line in kon_tum_text().split("\n"):
        document.add_paragraph(line)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Nơi nhận", "Lưu VT"
    buffer = io.BytesIO()
    document.save(buffer)
    csrf = page_login(client, app, "admin")
    response = client.post("/plans/import", data={"csrf_token": csrf, "code": CODE}, follow_redirects=True,
                           files={"file": ("kontum.docx", buffer.getvalue(), "application/octet-stream")})
    assert response.status_code == 200 and "kontum.docx" in response.text
    assert f'<mark class="mark-unknown">{UNKNOWN}</mark>' in response.text
    assert re.search(r'class="src-line flagged" id="L104"', response.text)  # one paragraph a line
    assert "| Nơi nhận | Lưu VT |" in response.text
    broken = client.post("/plans/import", data={"csrf_token": csrf},
                         files={"file": ("x.docx", b"not a zip", "application/octet-stream")})
    assert broken.status_code == 422 and "Word" in broken.text


# --- issue 11: bounded work, the stored reading, limits, scope ----------------------------------

HN_SEED = Path(__file__).resolve().parents[1] / "seeds" / "000_22f93b5388a59456.txt"


def test_the_draft_page_of_a_thousand_duplicate_numbers_stays_small(client: TestClient, app: FastAPI,
                                                                   seeded: Any) -> None:
    """The probe's draft: 1,000 lines of "1.1. a" (6 KB) rendered 265 MB, every problem once per task.
    Now each problem is listed once (paged), beside its line and the first row of its number (capped)."""
    created = client.post("/api/v1/imports", headers=bearer(app, "admin"),
                          json={"text": "1.1. a\n" * 1000, "code": "KT-DUP", "registry": "KT"})
    assert created.status_code == 201, created.text
    did = created.json()["id"]
    assert len(created.json()["problems"]) > 2000
    page_login(client, app, "admin")
    page = client.get(f"/plans/imports/{did}")
    assert page.status_code == 200
    assert len(page.content) < 1_000_000, len(page.content)
    body = page.text
    assert body.count("duplicate task number 1.1") <= 4  # the list, its line (note and title), the first 1.1 row
    assert "vấn đề khác" in body and 'data-pager="problems"' in body
    assert body.count('<tr class="parsed-task') == 500 and 'data-pager="tasks"' in body
    second = client.get(f"/plans/imports/{did}?problems=2&tasks=2")
    assert second.status_code == 200 and second.text.count('<tr class="parsed-task') == 500
    assert len(second.content) < 1_000_000


def test_mapping_validating_and_activating_use_the_stored_reading(client: TestClient, app: FastAPI, seeded: Any,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The text is read once, when the draft is made: afterwards the importer is never called again, and
    the stored text can be anything (here emptied) without changing what mapping, validating, activating do."""
    did = create(client, app).json()["id"]
    with seeded.db.engine.begin() as conn:
        conn.execute(text("UPDATE plan_draft SET source_text = '' WHERE id = :i"), {"i": did})
    import phancap.engine.importer as importer

    def no_reading(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the plan text was read again")

    monkeypatch.setattr(importer, "import_plan_text", no_reading)
    admin = bearer(app, "admin")
    mapped = client.post(f"/api/v1/imports/{did}/mapping", headers=admin, json={"mapping": {UNKNOWN: "KT-PTP"}})
    assert mapped.status_code == 200, mapped.text
    body = mapped.json()
    assert body["unmatched_units"] == [] and body["mapped_units"] == [UNKNOWN]
    assert next(t for t in body["plan"]["tasks"] if t["number"] == "2")["lead"] == ["KT-PTP"]
    assert not any(UNKNOWN in p["message"] for p in body["problems"])
    assert client.post(f"/api/v1/imports/{did}/validate", headers=admin).json()["state"] == "valid"
    activated = client.post(f"/api/v1/imports/{did}/activate", headers=admin)
    assert activated.status_code == 200, activated.text
    assert plan_rows(seeded.db, CODE)[2] == activated.json()["created"] > 0
    page_login(client, app, "admin")
    assert client.get(f"/plans/imports/{did}").status_code == 200


def test_mapping_back_and_forth_gives_the_first_reading_again(client: TestClient, app: FastAPI, seeded: Any) -> None:
    first = create(client, app).json()
    admin = bearer(app, "admin")
    client.post(f"/api/v1/imports/{first['id']}/mapping", headers=admin, json={"mapping": {UNKNOWN: "KT-PTP"}})
    again = client.post(f"/api/v1/imports/{first['id']}/mapping", headers=admin,
                        json={"mapping": {UNKNOWN: "", "x": None}}).json()
    assert again["plan"]["tasks"] == first["plan"]["tasks"]
    assert again["unmatched_units"] == [UNKNOWN] and again["undecided"] == []
    assert again["problems"] == first["problems"]


def test_imports_over_the_limits_are_refused_413(client: TestClient, app: FastAPI, seeded: Any) -> None:
    from phancap.engine.importer import ImportLimits

    app.state.services.import_limits = ImportLimits(max_bytes=20_000, max_tasks=5)
    admin = bearer(app, "admin")
    big = assert_refusal(client.post("/api/v1/imports", headers=admin, json={"text": "a" * 20_001}), 413, "too_large")
    assert "PHANCAP_IMPORT_MAX_BYTES" in big["message_en"] and "tối đa" in big["message_vi"]
    many = assert_refusal(create(client, app), 413, "too_large")  # the Kon Tum plan has 7 tasks
    assert "PHANCAP_IMPORT_MAX_TASKS" in many["message_en"] and "7 nhiệm vụ" in many["message_vi"]
    csrf = page_login(client, app, "admin")
    page = client.post("/plans/import", data={"csrf_token": csrf, "text": kon_tum_text()})
    assert page.status_code == 413 and 'data-rule="too_large"' in page.text
    upload = client.post("/plans/import", data={"csrf_token": csrf}, files={"file": ("k.txt", b"x" * 30_000, "text/plain")})
    assert upload.status_code == 413 and "PHANCAP_IMPORT_MAX_BYTES" in upload.text
    form = client.get("/plans/import")
    assert "5 nhiệm vụ" in form.text
    with seeded.db.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM plan_draft")).scalar_one() == 0


def test_import_limits_are_settings() -> None:
    from phancap.engine.settings import Settings

    limits = Settings.from_env(import_max_bytes="1000", import_max_tasks="3").import_limits()
    assert (limits.max_bytes, limits.max_tasks) == (1000, 3)
    assert Settings.from_env().import_limits().max_tasks == 5000
    with pytest.raises(ValueError, match="PHANCAP_IMPORT_MAX_TASKS"):
        Settings.from_env(import_max_tasks="0")


def test_drafts_are_scoped_to_the_users_registry(client: TestClient, app: FastAPI, seeded: Any) -> None:
    """A monitor of Kon Tum sees and handles only Kon Tum drafts: a Hà Nội draft answers 404 like a
    missing one, everywhere; the Hà Nội monitor and admins keep it."""
    hanoi = client.post("/api/v1/imports", headers=bearer(app, "admin"),
                        json={"text": HN_SEED.read_text(encoding="utf-8"), "code": "HN-2025-B", "registry": "HN"})
    assert hanoi.status_code == 201, hanoi.text
    hid = hanoi.json()["id"]
    kid = create(client, app, user="dm.pnv").json()["id"]
    kt, hn = bearer(app, "dm.pnv"), bearer(app, "dm.snv")
    missing = assert_refusal(client.get("/api/v1/imports/999999", headers=kt), 404, "not_found")
    hidden = assert_refusal(client.get(f"/api/v1/imports/{hid}", headers=kt), 404, "not_found")
    assert hidden["message_en"] == missing["message_en"].replace("999999", str(hid))
    assert_refusal(client.post(f"/api/v1/imports/{hid}/mapping", headers=kt, json={"mapping": {}}), 404, "not_found")
    assert_refusal(client.post(f"/api/v1/imports/{hid}/validate", headers=kt), 404, "not_found")
    assert [d["id"] for d in client.get("/api/v1/imports", headers=kt).json()] == [kid]
    assert [d["id"] for d in client.get("/api/v1/imports", headers=hn).json()] == [hid]
    assert {d["id"] for d in client.get("/api/v1/imports", headers=bearer(app, "admin")).json()} == {hid, kid}
    assert client.get(f"/api/v1/imports/{hid}", headers=hn).status_code == 200
    assert_refusal(client.get(f"/api/v1/imports/{kid}", headers=hn), 404, "not_found")
    # a monitor imports into their own registry only
    assert create(client, app, user="dm.pnv", registry=None).json()["region"] == "KT"
    assert_refusal(create(client, app, user="dm.pnv", registry="HN"), 422, "request")
    # the pages say the same
    csrf = page_login(client, app, "dm.pnv")
    assert client.get(f"/plans/imports/{hid}").status_code == 404
    assert client.post(f"/plans/imports/{hid}/validate", data={"csrf_token": csrf}).status_code == 404
    assert client.post(f"/plans/imports/{hid}/mapping", data={"csrf_token": csrf, "code": "HN-X"}).status_code == 404
    listing = client.get("/plans/imports").text
    assert f'data-draft="{kid}"' in listing and f'data-draft="{hid}"' not in listing
    assert '<option value="HN"' not in client.get("/plans/import").text
    with seeded.db.engine.connect() as conn:
        state = conn.execute(text("SELECT state, mapping_json FROM plan_draft WHERE id = :i"), {"i": hid}).one()
    assert tuple(state) == ("draft", "{}")


def test_a_draft_stored_before_the_places_were_kept_maps_once(client: TestClient, app: FastAPI, seeded: Any) -> None:
    import json

    did = create(client, app).json()["id"]
    with seeded.db.engine.begin() as conn:
        report = json.loads(conn.execute(text("SELECT report_json FROM plan_draft WHERE id = :i"), {"i": did}).scalar_one())
        del report["places"]
        conn.execute(text("UPDATE plan_draft SET report_json = :r WHERE id = :i"), {"r": json.dumps(report), "i": did})
    mapped = client.post(f"/api/v1/imports/{did}/mapping", headers=bearer(app, "admin"),
                         json={"mapping": {UNKNOWN: "KT-PTP"}}).json()
    assert next(t for t in mapped["plan"]["tasks"] if t["number"] == "2")["lead"] == ["KT-PTP"]
    with seeded.db.engine.connect() as conn:
        stored = json.loads(conn.execute(text("SELECT report_json FROM plan_draft WHERE id = :i"), {"i": did}).scalar_one())
    assert stored["places"] and stored["places"][0]["names"] == [UNKNOWN]


def test_page_reads_a_pdf_and_refuses_a_scan(client: TestClient, app: FastAPI, seeded: Any) -> None:
    from tests.test_importer_corpus import SAMPLES, _pdf

    pdf = _pdf((SAMPLES / "province_nghean.txt").read_text(encoding="utf-8").splitlines())
    csrf = page_login(client, app, "admin")
    response = client.post("/plans/import", data={"csrf_token": csrf}, follow_redirects=True,
                           files={"file": ("nghe-an.pdf", pdf, "application/pdf")})
    assert response.status_code == 200 and "nghe-an.pdf" in response.text and "NA-88-2025" in response.text
    import io

    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.rect(50, 50, 200, 200, fill=1)
    page.save()
    scan = client.post("/plans/import", data={"csrf_token": csrf},
                       files={"file": ("scan.pdf", out.getvalue(), "application/pdf")})
    assert scan.status_code == 422 and "không có lớp chữ" in scan.text


def test_page_shows_proposed_units_under_the_issuer(client: TestClient, app: FastAPI, seeded: Any) -> None:
    from tests.test_importer_corpus import SAMPLES

    csrf = page_login(client, app, "admin")
    text = (SAMPLES / "province_quangtri.txt").read_text(encoding="utf-8")
    response = client.post("/plans/import", data={"csrf_token": csrf, "text": text}, follow_redirects=True)
    assert response.status_code == 200 and "QT-245-2025" in response.text
    assert re.search(r'class="hint proposed-unit" data-name="Trung tâm Phát triển quỹ đất tỉnh">Đề xuất đơn vị mới: '
                     r'<b>Trung tâm Phát triển quỹ đất tỉnh</b>\s*\(mã QT-TTPTQDT, loại trung tâm, thuộc UBND tỉnh Quảng Trị\)',
                     response.text)
