"""A real server (uvicorn in a thread, temp SQLite demo database) and Debian's Chromium via Playwright.

Skips when /usr/bin/chromium or playwright is missing, unless PHANCAP_REQUIRE_BROWSER=1 (then fails).
A failing browser test leaves a screenshot in reports/screenshots/."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic"]
START = "2025-04-01T09:00:00+07:00"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "reports" / "screenshots"


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright)"
    return None


@pytest.fixture(scope="session")
def browser_available() -> None:
    reason = _missing()
    if reason:
        if os.environ.get("PHANCAP_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests are required (PHANCAP_REQUIRE_BROWSER=1): {reason}")
        pytest.skip(f"browser tests skipped: {reason}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    def __init__(self, url: str, db_url: str) -> None:
        self.url = url
        self.db_url = db_url


@pytest.fixture(scope="session")
def demo_template(browser_available: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`phancap demo`'s database (both plans, the demo reports, every demo user with the demo password),
    built once: each module's server gets its own copy (demo_copy), as if it had built its own."""
    from phancap.engine.clock import Clock
    from phancap.demo import build_demo

    path = tmp_path_factory.mktemp("demo-template") / "demo.db"
    build_demo(path, Clock.parse(START))
    return path


def demo_copy(template: Path, directory: Path, name: str = "phancap.db") -> Path:
    path = directory / name
    shutil.copy(template, path)
    return path


@pytest.fixture(scope="module")
def live_server(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    import uvicorn

    from phancap.api.app import create_app
    from phancap.api.settings import ApiSettings
    from phancap.engine.clock import Clock
    from phancap.engine.db import Database

    path = demo_copy(demo_template, tmp_path_factory.mktemp("browser"))
    db = Database(f"sqlite:///{path}")
    app = create_app(database=db, clock=Clock.parse(START),
                     settings=ApiSettings(secret_key="browser-tests-secret-key-0123456789abcdef"))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none",
                                           lifespan="off", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield LiveServer(f"http://127.0.0.1:{port}", f"sqlite:///{path}")
    server.should_exit = True
    thread.join(timeout=10)
    db.dispose()


@pytest.fixture(scope="module")
def browser(browser_available: None) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        page = getattr(item, "funcargs", {}).get("page")
        if page is not None:
            from playwright.sync_api import Error as PlaywrightError

            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)[-150:]
            try:
                page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
            except PlaywrightError as exc:  # the page may be gone; the test's own failure matters more
                report.sections.append(("screenshot", f"could not save a screenshot: {exc}"))
