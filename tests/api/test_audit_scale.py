"""Issue 16 over HTTP: the /audit page verifies incrementally and shows its checkpoint, a full verification
on demand (a CSRF-protected form), and the audit search paged by keyset."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text

from phancap.engine.runtime import TaskEngine
from tests.api.conftest import bearer
from tests.api.helpers import fire, sct_task
from tests.api.test_pages import csrf, login, users  # noqa: F401  (users: a fixture)
from tests.helpers import allow_tampering, audit_count


def newest_id(seeded: TaskEngine) -> int:
    with seeded.db.engine.connect() as conn:
        return int(conn.execute(text("SELECT MAX(id) FROM audit_event")).scalar_one())


def test_the_audit_page_shows_its_checkpoint_and_verifies_fully_on_demand(
        client: TestClient, app: FastAPI, seeded: TaskEngine, users: None) -> None:  # noqa: F811
    login(client, "kiemtoan")
    first = client.get("/audit")
    assert first.status_code == 200 and 'data-ok="true"' in first.text
    assert f'data-up-to="{newest_id(seeded)}"' in first.text and "đến sự kiện số" in first.text
    assert "(kiểm tra toàn bộ; lần này đọc" in first.text  # no checkpoint before: the first visit reads every event
    tid = sct_task(seeded.db)
    assert fire(client, app, "cv.sct", tid, "submit_for_review").status_code == 200
    later = client.get("/audit")
    assert "kiểm tra tăng dần; lần này đọc 1 sự kiện mới" in later.text and f'data-up-to="{newest_id(seeded)}"' in later.text
    allow_tampering(seeded.db)
    with seeded.db.engine.begin() as conn:  # an event before the checkpoint: only a full verification reads it
        conn.execute(text("UPDATE audit_event SET comment = 'Đã sửa' WHERE task_id = :t AND seq = 1"), {"t": tid})
    assert 'data-ok="true"' in client.get("/audit").text
    refused = client.post("/audit/verify", data={"csrf_token": "sai"}, follow_redirects=False)
    assert refused.status_code != 303
    full = client.post("/audit/verify", data={"csrf_token": csrf(later.text)}, follow_redirects=False)
    assert full.status_code == 303 and full.headers["location"].startswith("/audit?verified=")
    shown = client.get(full.headers["location"]).text
    assert 'data-ok="false"' in shown and f"task {tid} event seq 1" in shown and "phát hiện" in shown


def test_the_search_pages_by_keyset_every_event_once_while_events_are_added(
        client: TestClient, app: FastAPI, seeded: TaskEngine) -> None:
    tid = sct_task(seeded.db)
    before = audit_count(seeded.db)
    seen: list[int] = []
    after, pages = 0, 0
    while True:
        page = client.get("/api/v1/audit/events", headers=bearer(app, "kiemtoan"), params={"after": after, "limit": 40})
        assert page.status_code == 200, page.text
        body = page.json()
        seen.extend(e["id"] for e in body["events"])
        pages += 1
        if pages == 2:  # new events while paging: they come at the end, once
            assert fire(client, app, "cv.sct", tid, "submit_for_review").status_code == 200
            assert fire(client, app, "dm.stp", tid, "return", comment="Bổ sung").status_code == 200
        if body["next"] is None:
            break
        after = body["next"]
    assert len(seen) == len(set(seen)) == before + 2 == audit_count(seeded.db) and seen == sorted(seen)
    assert pages > 2
    # the list endpoint keeps its shape; `after` pages it and the Link header names the next page
    listed = client.get("/api/v1/audit", headers=bearer(app, "kiemtoan"), params={"after": 0, "limit": 5, "actor": "dm.stp"})
    assert listed.status_code == 200 and isinstance(listed.json(), list) and "Link" not in listed.headers
    first = client.get("/api/v1/audit", headers=bearer(app, "kiemtoan"), params={"after": 0, "limit": 3})
    ids = [e["id"] for e in first.json()]
    assert len(ids) == 3 and 'rel="next"' in first.headers["Link"] and f"after={ids[-1]}" in first.headers["Link"]
    nxt = client.get(first.headers["Link"].split(">")[0].lstrip("<"), headers=bearer(app, "kiemtoan")).json()
    assert nxt[0]["id"] > ids[-1] and len(nxt) == 3
    assert len(client.get("/api/v1/audit", headers=bearer(app, "kiemtoan"),
                          params={"format": "jsonl"}).text.splitlines()) == audit_count(seeded.db)
