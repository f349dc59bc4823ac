"""/docs and /redoc work offline: every file they load comes from this server (the browser is not allowed
any other host), and the operations of the API are listed."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import LiveServer


def _local_only(page: Any, server: LiveServer) -> list[str]:
    elsewhere: list[str] = []

    def route(r: Any) -> None:
        if r.request.url.startswith(server.url) or r.request.url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            elsewhere.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    return elsewhere


def test_swagger_ui_and_redoc_render_from_local_files(page: Any, live_server: LiveServer) -> None:
    elsewhere = _local_only(page, live_server)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/docs")
    page.wait_for_selector(".opblock-summary-path", timeout=30_000)  # 1.7 MB of script on a busy machine
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/inbox" in paths and "/api/v1/tasks/{task_id}/transitions" in "".join(paths)
    page.goto(f"{live_server.url}/redoc")
    page.wait_for_selector("text=\"/api/v1/inbox\"", timeout=30_000)
    assert elsewhere == []
    # ReDoc's footer logo (cdn.redoc.ly) is the one thing refused, by the policy: cosmetic, never a script
    refused = [e for e in errors if "Content Security Policy" in e]
    assert all("img-src" in e and "logo" in e for e in refused), refused
