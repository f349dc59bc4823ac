"""The pages pass axe-core's WCAG 2 A and AA rules (labels, names, contrast, landmarks, language) in Chromium,
as a signed-in officer, focal reviewer, auditor and administrator see them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import LiveServer
from tests.browser.test_life_cycle import login, task_id

AXE = Path(__file__).with_name("vendor") / "axe.min.js"
PAGES = {
    "cv.sct": ("/", "/?tab=lead", "TASK", "/plans", "/plans/HN-2025", "/reports", "/difficulties", "/thong-bao",
               "/workflows/plan_task"),
    "dm.snv": ("/dashboard", "/audit"),
    "admin": ("/admin", "/admin/units", "/admin/users", "/plans/imports"),
}


@pytest.fixture
def axe_page(browser: Any) -> Any:
    # axe is injected as a script: the pages' CSP (rightly) refuses that, so this context alone bypasses it
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
    }""")
    return list(found)


def test_the_pages_pass_the_wcag_a_and_aa_rules(axe_page: Any, live_server: LiveServer) -> None:
    page = axe_page
    page.goto(f"{live_server.url}/login")
    problems = {"/login": violations(page)}
    for user, paths in PAGES.items():
        login(page, live_server, user)
        for path in paths:
            path = f"/tasks/{task_id(live_server)}" if path == "TASK" else path
            page.goto(f"{live_server.url}{path}")
            problems[f"{user} {path}"] = violations(page)
        page.context.clear_cookies()
    assert {where: found for where, found in problems.items() if found} == {}
