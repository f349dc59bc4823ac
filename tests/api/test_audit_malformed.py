"""A malformed audit row (bad JSON, a garbage hash or instant, text in an integer column) never breaks a
read: every page, API and export that shows the trail answers 200 and marks the row; verify names it
(issue 11). SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from phancap.engine.runtime import TaskEngine
from tests.api.conftest import bearer
from tests.api.test_reports_api import sign_in
from tests.test_audit import MALFORMED, malform


def ok(response: object) -> object:
    assert response.status_code == 200, response.text  # type: ignore[attr-defined]
    return response


@pytest.mark.parametrize("kind", list(MALFORMED))
def test_every_read_of_the_trail_marks_a_malformed_row(client: TestClient, app: FastAPI, seeded: TaskEngine,
                                                       kind: str) -> None:
    tid = malform(seeded, kind)  # the event seq 3 ("return") of the task
    auditor = bearer(app, "kiemtoan")

    events = ok(client.get(f"/api/v1/tasks/{tid}/history", headers=auditor)).json()  # type: ignore[attr-defined]
    assert len(events) == 5 and [(e["trigger"], e["comment"]) for e in events if e["malformed"]] == [("return", "Bổ sung")]

    found = ok(client.get("/api/v1/audit", headers=auditor, params={"task": tid})).json()  # type: ignore[attr-defined]
    assert len(found) == 5 and sum(e["malformed"] for e in found) == 1, found
    api_csv = ok(client.get("/api/v1/audit", headers=auditor, params={"task": tid, "format": "csv"})).text  # type: ignore[attr-defined]
    api_jsonl = ok(client.get("/api/v1/audit", headers=auditor, params={"task": tid, "format": "jsonl"})).text  # type: ignore[attr-defined]
    verify = ok(client.get("/api/v1/audit/verify", headers=auditor)).json()  # type: ignore[attr-defined]
    assert verify["ok"] is False and any(f"task {tid} event" in p for p in verify["problems"]), verify

    sign_in(client, app, "kiemtoan")
    page_csv = ok(client.get("/audit/export.csv", params={"plan": "HN-2025", "actor": "dm.stp"})).text  # type: ignore[attr-defined]
    page_jsonl = ok(client.get("/audit/export.jsonl", params={"actor": "dm.stp"})).text  # type: ignore[attr-defined]
    for text in (api_csv, page_csv):
        marked = [r for r in csv.DictReader(io.StringIO(text)) if r["malformed"]]
        assert len(marked) == 1 and marked[0]["trigger"] == "return" and marked[0]["task_id"] == str(tid), text
    for text in (api_jsonl, page_jsonl):
        lines = [json.loads(line) for line in text.splitlines()]
        assert [line["trigger"] for line in lines if line["task_id"] == tid and line["malformed"]] == ["return"], lines
    page = ok(client.get("/audit", params={"actor": "dm.stp"})).text  # type: ignore[attr-defined]
    assert 'data-ok="false"' in page and page.count('data-malformed="true"') == 1 and "Bản ghi hỏng" in page
    task_page = ok(client.get(f"/tasks/{tid}")).text  # type: ignore[attr-defined]
    assert task_page.count('data-malformed="true"') == 1 and "Bản ghi nhật ký này bị hỏng" in task_page
