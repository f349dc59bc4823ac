"""The reporting API: periodic reports (create, list, read, download, move), difficulties, urging and the
monitoring dashboard, with their refusals and who sees what, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from typing import Any

import pytest
from docx import Document
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from phancap.engine.units import search_units
from phancap.engine.clock import Clock
from phancap.engine.reports import report_content
from phancap.engine.runtime import TaskEngine
from phancap.engine.tick import tick
from phancap.engine.users import add_user
from tests.api.conftest import bearer
from tests.api.helpers import assert_refusal, fire, sct_task, snapshot

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WARD, COMMUNE = "HN-P-HOANKIEM", "HN-X-SOCSON"
COMMUNES = 126  # Hà Nội's communes and wards


def move_clock(clock: Clock, day: str) -> None:
    clock.fixed = Clock.parse(day).fixed


def create(client: TestClient, app: FastAPI, user: str = "dm.snv", plan: str = "HN-2025", **body: Any) -> Any:
    return client.post(f"/api/v1/plans/{plan}/reports", headers=bearer(app, user),
                       json={"period": "semiannual", "year": 2025, **body})


def reports(client: TestClient, app: FastAPI, user: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/v1/reports", headers=bearer(app, user), params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return list(body["items"])


@pytest.fixture
def period(client: TestClient, app: FastAPI) -> dict[str, Any]:
    """The first half of 2025 in Hà Nội, Sở Nội vụ's consolidation due 20/6 as configured."""
    response = create(client, app, due="2025-06-20")
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_only_the_plans_monitor_or_an_admin_creates_a_period(client: TestClient, app: FastAPI,
                                                             seeded: TaskEngine) -> None:
    assert_refusal(create(client, app, "cv.sct"), 403, "forbidden")
    assert_refusal(create(client, app, "dm.stp"), 403, "forbidden")  # a focal reviewer, not the monitor
    assert_refusal(create(client, app, "dm.pnv"), 403, "forbidden")  # Kon Tum's monitor, not Hà Nội's
    assert_refusal(create(client, app, "dm.snv", plan="XX-0000"), 404, "not_found")
    assert_refusal(client.post("/api/v1/plans/HN-2025/reports", headers=bearer(app, "dm.snv"),
                               json={"period": "quarterly", "year": 2025}), 422, "request")
    assert client.post("/api/v1/plans/HN-2025/reports", json={"period": "annual", "year": 2025}).status_code == 401
    undated = create(client, app)
    assert undated.status_code == 201
    body = undated.json()
    assert body["created"] == COMMUNES + 3 and len(body["skipped"]) == 1  # no date for Sở Nội vụ's own
    dated = create(client, app, due="2025-06-20").json()
    assert (dated["created"], dated["existing"], dated["skipped"]) == (1, COMMUNES + 3, [])
    kt = create(client, app, "admin", plan="KT-2025", due="2025-06-20").json()
    assert (kt["plan"], kt["created"]) == ("KT-2025", 1)
    own = reports(client, app, "dm.pnv", plan="KT-2025")
    assert [(r["unit"], r["recipient"], r["deadline"], r["period"]) for r in own] == [
        ("KT-PNV", "KT-UBND", "2025-06-20", "BC-2025-6T")]


def test_a_unit_sees_the_reports_it_writes_or_receives(client: TestClient, app: FastAPI, seeded: TaskEngine,
                                                       period: dict[str, Any]) -> None:
    add_user(seeded.db, "cv.hoankiem", WARD, ["officer"], seeded.clock)
    add_user(seeded.db, "cv.socson", COMMUNE, ["officer"], seeded.clock)
    ward = reports(client, app, "cv.hoankiem")
    assert len(ward) == 1 and {r["unit"] for r in ward} == {WARD}  # one report for the period, sent to four
    assert [x["unit"] for x in ward[0]["recipients"]] == ["HN-SKHCN", "HN-SNV", "HN-STC", "HN-STP"]
    assert ward[0]["recipient_name"] == "Sở Khoa học và Công nghệ; Sở Nội vụ; Sở Tài chính; Sở Tư pháp"
    assert all(r["deadline"] == "2025-06-09" and r["missing"] and not r["late"] for r in ward)  # "trước ngày 10 tháng 6"
    other = reports(client, app, "cv.socson")
    assert {r["unit"] for r in other} == {COMMUNE}
    stp = reports(client, app, "dm.stp")  # receives the communes' reports, writes its own to Sở Nội vụ
    assert len(stp) == COMMUNES + 1
    assert {r["unit"] for r in stp if "HN-STP" in {x["unit"] for x in r["recipients"]}} >= {WARD, COMMUNE}
    assert len(reports(client, app, "dm.snv")) == COMMUNES + 3 + 1  # the monitor sees everything
    assert len(reports(client, app, "kiemtoan")) == COMMUNES + 3 + 1
    assert reports(client, app, "cv.xa1") == []  # a Kon Tum commune has no part in Hà Nội's reports
    # filters
    assert {r["unit"] for r in reports(client, app, "dm.snv", recipient="HN-SNV", unit=WARD)} == {WARD}
    assert len(reports(client, app, "dm.snv", period="BC-2025-6T", plan="HN-2025")) == COMMUNES + 4
    assert reports(client, app, "dm.snv", period="BC-2025-NAM") == []
    assert len(reports(client, app, "dm.snv", state="assigned")) == COMMUNES + 4
    # a commune cannot read, download or move another commune's report
    theirs = ward[0]["id"]
    before = snapshot(seeded.db, theirs)
    for path in (f"/api/v1/reports/{theirs}", f"/api/v1/reports/{theirs}.docx", f"/api/v1/reports/{theirs}.xlsx"):
        assert_refusal(client.get(path, headers=bearer(app, "cv.socson")), 404, "not_found")
    assert_refusal(client.get(f"/api/v1/tasks/{theirs}", headers=bearer(app, "cv.socson")), 404, "task")
    assert_refusal(fire(client, app, "cv.socson", theirs, "submit", comment="không phải của tôi"), 404, "task")
    assert snapshot(seeded.db, theirs) == before
    # a plan task is not a report
    assert_refusal(client.get(f"/api/v1/reports/{sct_task(seeded.db)}", headers=bearer(app, "dm.snv")), 404, "not_found")
    assert client.get(f"/api/v1/reports/{theirs}").status_code == 401


def test_a_report_moves_through_the_task_transitions_route(client: TestClient, app: FastAPI, seeded: TaskEngine,
                                                           period: dict[str, Any]) -> None:
    add_user(seeded.db, "cv.hoankiem", WARD, ["officer"], seeded.clock)
    (rid,) = [r["id"] for r in reports(client, app, "cv.hoankiem")]
    detail = client.get(f"/api/v1/reports/{rid}", headers=bearer(app, "cv.hoankiem")).json()
    assert [t["trigger"] for t in detail["triggers"]] == ["submit", "comment"] and detail["relations"] == ["lead"]
    assert_refusal(fire(client, app, "cv.hoankiem", rid, "submit"), 422, "guard")  # the free text is required
    assert_refusal(fire(client, app, "cv.hoankiem", rid, "accept"), 409, "state")
    assert_refusal(fire(client, app, "cv.sct", rid, "comment", comment="không phải nơi nhận"), 404, "task")
    text = "Phường đã rà soát 12 thủ tục; đề xuất phân cấp 3 nội dung"
    sent = fire(client, app, "cv.hoankiem", rid, "submit", comment=text, version=detail["version"])
    assert sent.status_code == 200 and sent.json()["state"] == "submitted" and sent.json()["state_label"] == "Đã gửi"
    assert_refusal(fire(client, app, "cv.hoankiem", rid, "accept"), 403, "role")  # only the recipient accepts
    accepted = fire(client, app, "dm.snv", rid, "accept")
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    detail = client.get(f"/api/v1/reports/{rid}", headers=bearer(app, "dm.snv")).json()
    assert detail["free_text"] == text and detail["received"] and not detail["missing"] and detail["triggers"] == []
    history = client.get(f"/api/v1/tasks/{rid}/history", headers=bearer(app, "cv.hoankiem")).json()
    assert [e["trigger"] for e in history] == ["assign", "submit", "accept"]
    # the recipient's own report counts it as received
    snv = next(r["id"] for r in reports(client, app, "dm.snv", unit="HN-SNV"))
    content = client.get(f"/api/v1/reports/{snv}", headers=bearer(app, "dm.snv")).json()["content"]
    received = {r["unit"]: r for r in content["received"]}
    assert received[WARD]["state"] == "accepted" and not received[WARD]["missing"]
    assert len(content["missing_or_late"]) == COMMUNES - 1 + 3


def test_report_figures_and_downloads_match_the_engine(client: TestClient, app: FastAPI, seeded: TaskEngine,
                                                       clock: Clock, period: dict[str, Any]) -> None:
    tid = sct_task(seeded.db)
    for user, trigger in (("cv.sct", "submit_for_review"), ("dm.stp", "submit"), ("pd.ubnd", "approve")):
        assert fire(client, app, user, tid, trigger).status_code == 200
    move_clock(clock, "2025-06-15")
    tick(seeded.db, seeded.workflows, clock)
    stp = next(r for r in reports(client, app, "dm.stp") if r["unit"] == "HN-STP")
    assert stp["late"] and stp["state"] == "overdue"  # due 13/6
    detail = client.get(f"/api/v1/reports/{stp['id']}", headers=bearer(app, "dm.stp")).json()
    expected = report_content(seeded.db, stp["id"], date(2025, 6, 15), seeded.status)
    content = detail["content"]
    assert content == json.loads(json.dumps(expected))  # every figure, as the engine computes it
    assert len(content["received"]) == COMMUNES and all(r["late"] for r in content["received"])  # communes → Sở Tư pháp
    assert content["by_task"]["1.1"]["done_on_time"] == 1 and content["by_task"]["1.1"]["open_overdue"] == 14

    docx = client.get(f"/api/v1/reports/{stp['id']}.docx", headers=bearer(app, "dm.stp"))
    assert docx.status_code == 200 and docx.headers["content-type"] == DOCX
    assert docx.headers["content-disposition"] == 'attachment; filename="BC-2025-6T_HN-STP.docx"'
    doc = Document(io.BytesIO(docx.content))
    figures = {row.cells[0].text: row.cells[1].text for row in doc.tables[1].rows[1:]}
    assert figures["Chưa hoàn thành quá hạn"] == str(expected["categories"]["open_overdue"])
    assert figures["Đã hoàn thành đúng hạn"] == "1"
    xlsx = client.get(f"/api/v1/reports/{stp['id']}.xlsx", headers=bearer(app, "dm.snv"))
    assert xlsx.status_code == 200 and xlsx.headers["content-type"] == XLSX
    assert xlsx.headers["content-disposition"].endswith('_HN-STP.xlsx"')
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    rows = {r[0]: r[1] for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert rows["Chưa hoàn thành quá hạn"] == expected["categories"]["open_overdue"]
    assert_refusal(client.get(f"/api/v1/reports/{stp['id']}.docx", headers=bearer(app, "cv.sct")), 404, "not_found")


def test_difficulties_are_raised_listed_and_answered(client: TestClient, app: FastAPI, seeded: TaskEngine) -> None:
    tid = sct_task(seeded.db)

    def raise_(user: str, text: Any, task: int = tid) -> Any:
        return client.post(f"/api/v1/tasks/{task}/difficulties", headers=bearer(app, user), json={"text": text})

    assert_refusal(raise_("cv.xa1", "không liên quan"), 404, "task")  # cannot even see the task
    assert_refusal(raise_("dm.stp", "tôi là đầu mối"), 403, "role")  # sees it, but only the lead raises
    assert_refusal(raise_("cv.sct", "   "), 422, "guard")
    assert_refusal(raise_("cv.sct", ""), 422, "request")
    assert_refusal(raise_("cv.sct", "x", task=999_999), 404, "task")
    raised = raise_("cv.sct", "Chưa có hướng dẫn của Bộ về danh mục văn bản")
    assert raised.status_code == 201, raised.text
    vm = raised.json()
    assert (vm["unit"], vm["focal"], vm["state"], vm["parent_id"], vm["parent_task"], vm["kind"]) == (
        "HN-SCT", "HN-SNV", "raised", tid, "1.1", "difficulty")
    assert vm["text"] == "Chưa có hướng dẫn của Bộ về danh mục văn bản" and vm["answer"] is None

    def listed(user: str, **params: Any) -> list[int]:
        response = client.get("/api/v1/difficulties", headers=bearer(app, user), params=params)
        assert response.status_code == 200
        return [d["id"] for d in response.json()["items"]]

    assert listed("cv.sct") == listed("dm.snv") == listed("pd.ubnd") == listed("kiemtoan") == [vm["id"]]
    assert listed("dm.stc") == [] and listed("cv.xa1") == []  # neither raised it nor receives it
    assert listed("dm.snv", task=tid, state="raised") == [vm["id"]] and listed("dm.snv", state="answered") == []
    assert_refusal(client.get(f"/api/v1/tasks/{vm['id']}", headers=bearer(app, "dm.stc")), 404, "task")
    assert_refusal(fire(client, app, "cv.sct", vm["id"], "answer", comment="tự trả lời"), 403, "role")
    assert_refusal(fire(client, app, "dm.snv", vm["id"], "escalate"), 422, "guard")
    assert fire(client, app, "dm.snv", vm["id"], "escalate", comment="Vượt thẩm quyền").json()["state"] == "escalated"
    assert_refusal(fire(client, app, "dm.snv", vm["id"], "answer", comment="x"), 403, "role")
    answered = fire(client, app, "pd.ubnd", vm["id"], "answer", comment="Giao Sở Tư pháp hướng dẫn")
    assert answered.json()["state"] == "answered"
    item = client.get("/api/v1/difficulties", headers=bearer(app, "cv.sct")).json()["items"][0]
    assert item["answer"] == "Giao Sở Tư pháp hướng dẫn" and item["state_label"] == "Đã trả lời"


def test_urging_by_the_monitor_and_a_focal_agency(client: TestClient, app: FastAPI, seeded: TaskEngine,
                                                  clock: Clock) -> None:
    def urge(user: str, **body: Any) -> Any:
        return client.post("/api/v1/urge", headers=bearer(app, user), json=body)

    assert_refusal(urge("cv.sct", plan="HN-2025"), 403, "forbidden")
    assert_refusal(urge("pd.ubnd", plan="HN-2025"), 403, "forbidden")
    assert urge("dm.snv", plan="HN-2025").json()["urged"] == []  # on 1/4 nothing is due soon
    move_clock(clock, "2025-04-12")  # 1.1 and 1.2 (last day 14/4) are due soon for 15 departments
    few = urge("dm.snv", plan="HN-2025", tasks=[sct_task(seeded.db), 999_999], comment="Đề nghị khẩn trương")
    assert few.status_code == 200 and few.json()["urged"] == [sct_task(seeded.db)]
    stp = urge("dm.stp", plan="HN-2025").json()  # Sở Tư pháp tracks only 1.1
    assert len(stp["urged"]) == 15 and stp["refused"] == {} and stp["emails"] == [] and stp["webhooks"] == 0
    snv = urge("dm.snv", plan="HN-2025", comment="Đề nghị khẩn trương hoàn thành").json()
    assert len(snv["urged"]) == 30 and snv["refused"] == {}
    history = client.get(f"/api/v1/tasks/{sct_task(seeded.db)}/history", headers=bearer(app, "cv.sct")).json()
    assert [e["trigger"] for e in history].count("urge") == 3  # shown to the unit, in its audit trail
    assert urge("dm.pnv", plan="HN-2025").json()["urged"] == []  # Kon Tum's monitor tracks nothing in Hà Nội


def test_the_dashboard_for_the_monitor_and_for_a_focal_agency(client: TestClient, app: FastAPI, seeded: TaskEngine,
                                                              clock: Clock, period: dict[str, Any]) -> None:
    add_user(seeded.db, "cv.hoankiem", WARD, ["officer"], seeded.clock)
    (mine,) = [r["id"] for r in reports(client, app, "cv.hoankiem")]
    assert fire(client, app, "cv.hoankiem", mine, "submit", comment="Đã rà soát").status_code == 200
    move_clock(clock, "2025-06-11")
    tick(seeded.db, seeded.workflows, clock)
    board = client.get("/api/v1/dashboard", headers=bearer(app, "dm.snv"))
    assert board.status_code == 200, board.text
    body = board.json()
    assert body["scope"] == "all" and body["today"] == "2025-06-11" and body["state_labels"]["overdue"] == "Quá hạn"
    hn = next(p for p in body["plans"] if p["plan"] == "HN-2025")
    from phancap.engine.queries import progress

    engine_view = progress(seeded.db, "HN-2025", date(2025, 6, 11), seeded.status)
    assert hn["tasks"] == engine_view["tasks"] and hn["categories"] == engine_view["categories"]
    by_unit = {a["unit"]: a for a in hn["agencies"]}
    assert {u: a["categories"] for u, a in by_unit.items()} == {u: v["categories"] for u, v in engine_view["units"].items()}
    assert {u: a["states"] for u, a in by_unit.items()} == {u: v["states"] for u, v in engine_view["units"].items()}
    assert len(hn["overdue"]) == hn["categories"]["open_overdue"] and all(t["badge"] == "overdue" for t in hn["overdue"])
    reports_now = hn["reports"]
    assert reports_now["period"] == "BC-2025-6T" and reports_now["periods"] == ["BC-2025-6T"]
    late = {r["unit"] for r in reports_now["late"]}
    communes = {u["code"] for u in search_units(seeded.db, region="HN") if u["kind"] in ("commune", "ward")}
    assert len(communes) == COMMUNES and late == communes - {WARD}  # the ward sent its one report in time
    assert [r["unit"] for r in reports_now["received"]] == [WARD]
    assert len(reports_now["missing"]) == COMMUNES - 1 + 3 + 1
    # a focal agency sees what it tracks, and the reports it receives
    stp = client.get("/api/v1/dashboard", headers=bearer(app, "dm.stp"), params={"plan": "HN-2025"}).json()
    assert stp["scope"] == "HN-STP" and [p["plan"] for p in stp["plans"]] == ["HN-2025"]
    assert stp["plans"][0]["tasks"] == 15
    assert all("HN-STP" in {x["unit"] for x in r["recipients"]} for r in stp["plans"][0]["reports"]["missing"])
    assert_refusal(client.get("/api/v1/dashboard", headers=bearer(app, "cv.sct")), 403, "forbidden")
    assert_refusal(client.get("/api/v1/dashboard", headers=bearer(app, "dm.snv"), params={"plan": "XX"}), 404, "not_found")


def test_openapi_lists_the_reporting_routes_with_models(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    expected = {
        ("/api/v1/reports", "get"): "ReportList", ("/api/v1/reports/{report_id}", "get"): "ReportDetail",
        ("/api/v1/plans/{code}/reports", "post"): "CreateReportsResult",
        ("/api/v1/difficulties", "get"): "DifficultyList",
        ("/api/v1/tasks/{task_id}/difficulties", "post"): "DifficultyPublic",
        ("/api/v1/urge", "post"): "UrgeResultPublic", ("/api/v1/dashboard", "get"): "Dashboard",
    }
    for (path, method), model in expected.items():
        responses = paths[path][method]["responses"]
        ok = responses.get("200") or responses.get("201")
        assert ok["content"]["application/json"]["schema"]["$ref"].endswith(f"/{model}"), (path, method)
        assert responses["401"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert DOCX in paths["/api/v1/reports/{report_id}.docx"]["get"]["responses"]["200"]["content"]
    assert XLSX in paths["/api/v1/reports/{report_id}.xlsx"]["get"]["responses"]["200"]["content"]


# --- the pages (the browser tests drive them end to end; these check refusals and escaping) -----------

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def sign_in(client: TestClient, app: FastAPI, user: str) -> str:
    """A session cookie minted with the application's signer; returns the session's CSRF token."""
    cookie, session = app.state.services.signer.session(user)
    client.cookies.clear()
    client.cookies.set("phancap_session", cookie)
    return str(session.csrf)


def test_report_pages_forms_and_refusals(client: TestClient, app: FastAPI, seeded: TaskEngine, clock: Clock,
                                         period: dict[str, Any]) -> None:
    add_user(seeded.db, "cv.hoankiem", WARD, ["officer"], seeded.clock)
    add_user(seeded.db, "cv.socson", COMMUNE, ["officer"], seeded.clock)
    (rid,) = [r["id"] for r in reports(client, app, "cv.hoankiem")]
    csrf = sign_in(client, app, "cv.hoankiem")
    page = client.get("/reports")
    assert page.status_code == 200 and page.text.count('class="report-row"') == 1 and "Báo cáo định kỳ" in page.text
    detail = client.get(f"/reports/{rid}")
    assert 'data-trigger="submit"' in detail.text and f'href="/reports/{rid}.docx"' in detail.text
    assert client.get(f"/reports/{rid}.docx").headers["content-type"] == DOCX
    # no CSRF token: refused, nothing changes
    before = snapshot(seeded.db, rid)
    refused = client.post(f"/reports/{rid}/fire", data={"trigger": "submit", "comment": "x"})
    assert refused.status_code == 403 and snapshot(seeded.db, rid) == before
    # the free text is escaped wherever it shows
    sent = client.post(f"/reports/{rid}/fire", data={"csrf_token": csrf, "trigger": "submit",
                                                     "comment": "<script>alert(1)</script> đã rà soát"},
                       follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == f"/reports/{rid}?done=submit"
    shown = client.get(sent.headers["location"]).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; đã rà soát" in shown and "<script>alert" not in shown
    again = client.post(f"/reports/{rid}/fire", data={"csrf_token": csrf, "trigger": "submit", "comment": "lại"})
    assert again.status_code == 409 and 'data-rule="state"' in again.text
    # another commune: not found, page and downloads alike
    sign_in(client, app, "cv.socson")
    for path in (f"/reports/{rid}", f"/reports/{rid}.docx", f"/reports/{rid}.xlsx"):
        assert client.get(path).status_code == 404
    assert client.get("/dashboard").status_code == 403
    # the monitor: dashboard, urging from it, difficulties page
    move_clock(clock, "2025-06-11")
    tick(seeded.db, seeded.workflows, clock)
    csrf = sign_in(client, app, "dm.snv")
    board = client.get("/dashboard", params={"plan": "HN-2025"})
    assert board.status_code == 200 and 'class="late-report"' in board.text and 'class="chart-row"' in board.text
    ticked = re.findall(r'name="task" value="(\d+)"', board.text)[:2]
    assert len(ticked) == 2
    assert client.post("/dashboard/urge", data={"plan": "HN-2025", "task": ticked}).status_code == 403  # no token
    urged = client.post("/dashboard/urge", data={"csrf_token": csrf, "plan": "HN-2025", "task": ticked,
                                                 "scope": "selected", "comment": "Khẩn trương"}, follow_redirects=False)
    assert urged.status_code == 303 and "urged=2" in urged.headers["location"]
    assert "Đã đôn đốc 2 nhiệm vụ" in client.get(urged.headers["location"].split("#")[0]).text
    assert client.get("/difficulties").status_code == 200


def test_task_page_raises_a_difficulty(client: TestClient, app: FastAPI, seeded: TaskEngine) -> None:
    tid = sct_task(seeded.db)
    csrf = sign_in(client, app, "cv.sct")
    page = client.get(f"/tasks/{tid}").text
    assert 'id="raise-difficulty"' in page and "Nêu khó khăn, vướng mắc" in page
    assert 'name="proposed_deadline"' in page and "Thời hạn đề nghị" in page  # the extension request's date
    empty = client.post(f"/tasks/{tid}/difficulties", data={"csrf_token": csrf, "text": "  "})
    assert empty.status_code == 422 and 'data-rule="guard"' in empty.text
    raised = client.post(f"/tasks/{tid}/difficulties", data={"csrf_token": csrf, "text": "<i>Thiếu</i> hướng dẫn"},
                         follow_redirects=False)
    assert raised.status_code == 303 and raised.headers["location"].startswith(f"/tasks/{tid}?raised=")
    shown = client.get(raised.headers["location"].split("#")[0]).text
    assert "&lt;i&gt;Thiếu&lt;/i&gt; hướng dẫn" in shown and 'data-state="raised"' in shown
    csrf = sign_in(client, app, "dm.stp")  # the focal reviewer sees the task but may not raise on it
    page = client.get(f"/tasks/{tid}").text
    assert 'id="raise-difficulty"' not in page and 'data-state="raised"' not in page  # nor see the difficulty
    refused = client.post(f"/tasks/{tid}/difficulties", data={"csrf_token": csrf, "text": "x"})
    assert refused.status_code == 403 and 'data-rule="role"' in refused.text
    csrf = sign_in(client, app, "dm.snv")
    listing = client.get("/difficulties").text
    did = re.search(r'class="difficulty" id="d-(\d+)"', listing)
    assert did and 'data-trigger="escalate"' in listing
    history = client.get(f"/tasks/{did.group(1)}")  # a difficulty's own page: its timeline and actions
    assert history.status_code == 200 and 'data-trigger="escalate"' in history.text
    answered = client.post(f"/difficulties/{did.group(1)}/fire",
                           data={"csrf_token": csrf, "trigger": "answer", "comment": "Áp dụng Nghị định"},
                           follow_redirects=False)
    assert answered.status_code == 303
    assert "Áp dụng Nghị định" in client.get("/difficulties", params={"state": "answered"}).text


def test_dashboard_shows_progress_over_time(client: TestClient, app: FastAPI, seeded: TaskEngine) -> None:
    from tests.api.helpers import sct_task

    tid = sct_task(seeded.db)
    for trigger, user in (("submit_for_review", "cv.sct"), ("submit", "dm.stp"), ("approve", "pd.ubnd")):
        seeded.fire(tid, trigger, user)
    board = client.get("/api/v1/dashboard", headers=bearer(app, "dm.snv"), params={"plan": "HN-2025"}).json()
    points = board["plans"][0]["timeline"]
    assert points[-1] == {"date": "2025-04-01", "done": 1} and all(p["done"] == 0 for p in points[:-1])
    sign_in(client, app, "dm.snv")
    page = client.get("/dashboard")
    assert "Tiến độ theo thời gian" in page.text and 'data-date="2025-04-01"' in page.text
    # the chart: a scale from 0 to the plan's tasks (1 of them sits low), dates spaced by the time between them
    import re as _re

    svg = page.text[page.text.index('<svg class="progress-chart"'):]
    svg = svg[:svg.index("</svg>")]
    assert "<title" in svg and "Số nhiệm vụ đã hoàn thành (lũy kế)" in svg and "Thời gian" in svg
    total = board["plans"][0]["tasks"]
    assert f">{total}</text>" in svg and ">0</text>" in svg  # the vertical scale reaches the plan's task count
    points = {d: (float(x), float(y)) for d, x, y in _re.findall(
        r'data-date="([\d-]+)" data-done="\d+" cx="([\d.]+)" cy="([\d.]+)"', svg)}
    (x_feb, _), (x_mar, y_mar), (x_apr, y_apr) = points["2025-02-28"], points["2025-03-31"], points["2025-04-01"]
    assert x_apr - x_mar < (x_mar - x_feb) / 10  # one day apart is drawn close, a month apart far
    assert y_mar - y_apr < 20  # 1 task done of many is a small rise, not the full height
    assert "Tỷ lệ hoàn thành = số nhiệm vụ đã hoàn thành" in page.text
    # the bars have their axis: evenly spaced ticks from 0 past the largest agency's count, the bars drawn to it
    board_html = page.text[page.text.index('data-plan="HN-2025"'):]
    board_html = board_html[:board_html.index("</section>")]
    ticks = [int(v) for v in _re.findall(r'<line class="tick" data-value="(\d+)"', board_html)]
    steps = {b - a for a, b in zip(ticks, ticks[1:])}
    totals = [int(t) for t in _re.findall(r'<span class="total">(\d+)', board_html)]
    assert ticks[0] == 0 and len(steps) == 1 and ticks[-1] >= max(totals) > ticks[-1] - steps.pop()
