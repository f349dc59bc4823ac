"""The issue's "done when", by clicking in Chromium against the demo (simulated clock): a ward sends its
report, the clock moves past 10 June 2025, the dashboard shows which communes' reports are late, Sở Nội vụ
downloads the consolidated DOCX, and every figure in it matches the engine's data."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from sqlalchemy import text

from phancap.demo import DEMO_PASSWORD
from phancap.engine.db import Database
from phancap.engine.reports import report_content
from phancap.engine.status import CATEGORIES, LABELS_VI
from phancap.engine.units import search_units
from tests.browser.conftest import START, _free_port, demo_copy

pytestmark = pytest.mark.browser

def hanoi_communes(db: Database) -> set[str]:
    """Hà Nội's 126 commune-level units (Decision 19/2025/QĐ-TTg), as the demo database holds them."""
    communes = {u["code"] for u in search_units(db, region="HN") if u["kind"] in ("commune", "ward")}
    assert len(communes) == 126 and "HN-P-HOANKIEM" in communes
    return communes


class DemoServer:
    def __init__(self, url: str, db: Database, app: Any) -> None:
        self.url, self.db, self.app = url, db, app

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.db.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar_one()


@pytest.fixture(scope="module")
def demo_server(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """`phancap demo` as a visitor meets it: the demo database, demo mode (the clock control) on."""
    import uvicorn

    from phancap.api.app import create_app
    from phancap.api.settings import ApiSettings
    from phancap.engine.clock import Clock

    path = demo_copy(demo_template, tmp_path_factory.mktemp("reports"), "demo.db")
    db = Database(f"sqlite:///{path}")
    app = create_app(database=db, clock=Clock.parse(START),
                     settings=ApiSettings(secret_key="browser-tests-secret-key-0123456789abcdef", demo=True))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=_free_port(), log_level="warning", ws="none",
                                           lifespan="off", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield DemoServer(f"http://127.0.0.1:{server.config.port}", db, app)
    server.should_exit = True
    thread.join(timeout=10)
    db.dispose()


def login(page: Any, server: DemoServer, name: str) -> None:
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", DEMO_PASSWORD)  # every demo user has the demo password
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/")


def logout(page: Any, server: DemoServer) -> None:
    page.click("text=Đăng xuất")
    page.wait_for_url(f"{server.url}/login")


def move_clock(page: Any, days: int) -> None:
    with page.expect_navigation():
        page.click(f"section.demo-clock button[value='{days}']")


def attributes(locator: Any, *names: str) -> list[tuple[str | None, ...]]:
    """The named attributes of every element the locator matches, in one round trip to the browser
    (what locator.nth(i).get_attribute(name) gives for each i, name, without a round trip each)."""
    found = locator.evaluate_all("(els, names) => els.map(e => names.map(n => e.getAttribute(n)))", list(names))
    return [tuple(values) for values in found]


def vn_day(iso: str) -> str:
    return f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}"


def table_rows(table: Any) -> list[list[str]]:
    return [[cell.text for cell in row.cells] for row in table.rows[1:]]


def test_late_communes_and_the_consolidated_docx(page: Any, demo_server: DemoServer) -> None:
    server = demo_server
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    # a ward sends its report to Sở Nội vụ, in time, from the reports page
    login(page, server, "cv.hoankiem")
    page.click("nav >> text=Báo cáo")
    page.wait_for_url(f"{server.url}/reports")
    rows = page.locator("#to-write tr.report-row")
    assert rows.count() == 2  # one report for the half year and one for the year, each to every focal department
    assert rows.first.get_attribute("data-recipients") == "HN-SKHCN HN-SNV HN-STC HN-STP"
    page.locator("#to-write tr.report-row[data-period='BC-2025-6T'] a").click()
    page.wait_for_url("**/reports/*")
    assert page.locator("#current-state").get_attribute("data-state") == "assigned"
    assert page.locator("#recipients li[data-received=false]").count() == 4
    form = page.locator("form[data-trigger=submit]")
    form.locator("textarea[name=results]").fill("Phường đã rà soát 12 thủ tục hành chính.")
    form.locator("textarea[name=proposals]").fill("Đề xuất phân cấp 3 nội dung.")
    form.locator("textarea[name=comment]").fill("Kính gửi các Sở đầu mối.")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#current-state[data-state=submitted]")
    assert "Kính gửi các Sở" in page.locator("#free-text").inner_text()
    assert page.locator("#sections [data-section=results]").inner_text() == "Phường đã rà soát 12 thủ tục hành chính."
    assert page.locator("#recipients li[data-received=true]").count() == 4  # each Sở has received it
    assert [t for t in page.locator("#history li").evaluate_all("els => els.map(e => e.dataset.trigger)")] == [
        "submit", "assign"]
    assert "Gửi báo cáo" in page.locator("#history").inner_text()
    logout(page, server)

    # Sở Nội vụ moves the simulated clock past 10 June 2025 (1/4 + 30 + 30 + 7 + 4 days = 11/6)
    login(page, server, "dm.snv")
    for days in (30, 30, 7, 1, 1, 1, 1):
        move_clock(page, days)
    assert page.locator(".clock-now").inner_text().startswith("11/06/2025")
    today = server.app.state.services.clock.today()
    assert today.isoformat() == "2025-06-11"

    # the dashboard shows which communes' reports are late
    communes = hanoi_communes(server.db)
    page.click("nav >> text=Theo dõi, đôn đốc")
    page.wait_for_url(f"{server.url}/dashboard")
    page.select_option("select[name=plan]", "HN-2025")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/dashboard?plan=HN-2025")
    board = page.locator("section.reports-board[data-plan='HN-2025']")
    assert "BC-2025-6T" in board.locator("h2").inner_text()
    late = attributes(board.locator("li.late-report"), "data-unit")
    assert {unit for (unit,) in late} == communes - {"HN-P-HOANKIEM"}  # the ward sent its one report in time
    assert len(late) == len(communes) - 1  # one report per commune, not one per department; departments are due 14/6
    received = attributes(board.locator("li.received-report"), "data-unit")
    assert [unit for (unit,) in received] == ["HN-P-HOANKIEM"]
    # the bar chart has a bar per lead agency
    assert page.locator(".plan-board[data-plan='HN-2025'] .chart-row").count() > 10

    # Sở Nội vụ opens its consolidated report and downloads the DOCX
    consolidated = int(server.scalar("SELECT id FROM task_instance WHERE kind = 'report' AND unit = 'HN-SNV' "
                                     "AND task = 'BC-2025-6T'"))
    page.goto(f"{server.url}/reports/{consolidated}")
    rows = attributes(page.locator("#received tr[data-late=true]"), "data-unit")
    assert {unit for (unit,) in rows} == communes - {"HN-P-HOANKIEM"}
    with page.expect_download() as download:
        page.click("#download-docx")
    assert download.value.suggested_filename == "BC-2025-6T_HN-SNV.docx"
    with open(download.value.path(), "rb") as handle:
        doc = Document(io.BytesIO(handle.read()))

    # every figure in it matches the engine's data
    content = report_content(server.db, consolidated, today, server.app.state.services.engine.status)
    assert content["scope"] == "plan"
    assert doc.tables[0].cell(0, 1).text.startswith("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc")
    assert doc.tables[0].cell(1, 0).text == "Số: …/BC-SNV"
    assert doc.tables[0].cell(1, 1).text == "Hà Nội, ngày 11 tháng 6 năm 2025"
    tables = {tuple(c.text for c in t.rows[0].cells): t for t in doc.tables[1:-1]}
    cats = content["categories"]
    assert table_rows(tables[("Phân loại", "Số nhiệm vụ")]) == [[LABELS_VI[c], str(cats[c])] for c in CATEGORIES] + [
        ["Tỷ lệ hoàn thành (trên nhiệm vụ đến hạn)",
         "—" if cats["completion_rate"] is None else f"{cats['completion_rate']:.0%}"]]
    assert cats["open_overdue"] > 0
    by_task = tables[("Nhiệm vụ", *[LABELS_VI[c] for c in CATEGORIES[:5]])]
    assert table_rows(by_task) == [[task, *[str(t[c]) for c in CATEGORIES[:5]]] for task, t in content["by_task"].items()]
    overdue = tables[("Nhiệm vụ", "Đơn vị chủ trì", "Thời hạn")]
    assert table_rows(overdue) == [[o["task"], o["unit_name"], vn_day(o["deadline"])] for o in content["overdue"]]
    assert len(content["overdue"]) == cats["open_overdue"]
    assert table_rows(tables[("Mã nhiệm vụ", "Thời hạn cũ", "Thời hạn mới")]) == [["Không có", "", ""]]
    assert table_rows(tables[("Đơn vị", "Nội dung", "Tình trạng")]) == [["Không có", "", ""]]
    labels = {"assigned": "Chưa gửi", "submitted": "Đã gửi", "accepted": "Đã tiếp nhận", "overdue": "Quá hạn"}
    received_table = tables[("Đơn vị", "Tình trạng", "Thời hạn", "Chưa gửi", "Trễ hạn")]
    assert table_rows(received_table) == [[r["unit_name"], labels[r["state"]], vn_day(r["deadline"]),
                                           "x" if r["missing"] else "", "x" if r["late"] else ""]
                                          for r in content["received"]]
    flagged = {r[0] for r in table_rows(received_table) if r[4] == "x"}
    names = {r["unit"]: r["unit_name"] for r in content["received"]}
    assert flagged == {names[c] for c in communes - {"HN-P-HOANKIEM"}}
    # and the page shows the same figures
    shown = page.locator("#categories tbody tr")
    assert [shown.nth(i).locator("td").nth(1).inner_text() for i in range(len(CATEGORIES))] == [
        str(cats[c]) for c in CATEGORIES]
    assert dialogs == []


def test_difficulty_from_the_task_page_to_an_answer(page: Any, demo_server: DemoServer) -> None:
    server = demo_server
    tid = int(server.scalar("SELECT id FROM task_instance WHERE plan = 'HN-2025' AND task = '1.2' "
                            "AND unit = 'HN-SCT' AND kind = 'task'"))
    login(page, server, "cv.sct")
    page.goto(f"{server.url}/tasks/{tid}")
    page.fill("#raise-difficulty textarea[name=text]", "<b>Chưa có</b> hướng dẫn của Bộ")
    page.click("#raise-difficulty button[type=submit]")
    page.wait_for_selector("#difficulties li.difficulty[data-state=raised]")
    assert "<b>Chưa có</b> hướng dẫn của Bộ" in page.locator("#difficulties li.difficulty").inner_text()
    logout(page, server)

    login(page, server, "dm.snv")
    page.click("nav >> text=Vướng mắc")
    item = page.locator("li.difficulty", has_text="hướng dẫn của Bộ")
    item.locator("form[data-trigger=answer] textarea").fill("Áp dụng Nghị định 10/2025/NĐ-CP")
    item.locator("form[data-trigger=answer] button[type=submit]").click()
    page.wait_for_selector("li.difficulty[data-state=answered]")
    assert "Áp dụng Nghị định" in page.locator("li.difficulty[data-state=answered] .answer").inner_text()
    # the difficulty opens its own page: the task it is about, its text, the answer and the history
    page.locator("li.difficulty[data-state=answered] a", has_text="chi tiết").click()
    page.wait_for_url("**/difficulties/*")
    assert page.locator("#current-state").get_attribute("data-state") == "answered"
    assert page.locator("#difficulty-text").inner_text() == "<b>Chưa có</b> hướng dẫn của Bộ"
    assert "Áp dụng Nghị định" in page.locator("#answer").inner_text()
    assert page.locator("#raised-by").inner_text() == "Sở Công Thương"
    assert page.locator("#history li").evaluate_all("els => els.map(e => e.dataset.trigger)") == ["answer", "raise"]
    difficulty_url = page.url
    page.goto(f"{server.url}/tasks/{difficulty_url.rsplit('/', 1)[1]}")  # the plain task page sends it here
    assert page.url == difficulty_url
