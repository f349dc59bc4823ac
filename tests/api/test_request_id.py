"""Request ids and logs: every response names its request; an unexpected error is logged with that id
as one JSON line; refusals are logged at DEBUG only."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from phancap.engine.logs import JsonFormatter
from tests.api.conftest import bearer


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    first, second = client.get("/healthz"), client.get("/healthz")
    assert first.headers["x-request-id"] and first.headers["x-request-id"] != second.headers["x-request-id"]
    assert client.get("/healthz", headers={"X-Request-ID": "lb-42.a"}).headers["x-request-id"] == "lb-42.a"
    forged = client.get("/healthz", headers={"X-Request-ID": "x\" injected=1 " + "y" * 200})
    assert forged.headers["x-request-id"] != "x\" injected=1 " + "y" * 200 and " " not in forged.headers["x-request-id"]


def test_an_unexpected_error_is_logged_once_with_its_request_id(app: FastAPI, caplog: pytest.LogCaptureFixture) -> None:
    def boom() -> None:
        raise RuntimeError("kaputt")

    app.add_api_route("/api/v1/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client, caplog.at_level(logging.ERROR, "phancap.api"):
        answer = client.get("/api/v1/boom", headers={"X-Request-ID": "req-7"})
    assert answer.status_code == 500 and answer.headers["x-request-id"] == "req-7"
    assert answer.json()["rule"] == "internal" and "kaputt" not in answer.text
    assert answer.headers["x-content-type-options"] == "nosniff"
    errors = [r for r in caplog.records if r.name == "phancap.api" and r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is not None
    line = json.loads(JsonFormatter().format(errors[0]))
    assert line["level"] == "error" and line["path"] == "/api/v1/boom" and "kaputt" in line["exception"]
    assert line["request_id"] == "req-7" and answer.json()["request_id"] == "req-7"


def test_refusals_are_logged_at_debug(client: TestClient, app: FastAPI, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, "phancap.api"):
        client.get("/api/v1/tasks/999999", headers=bearer(app, "cv.sct"))
    refused = [r for r in caplog.records if r.getMessage() == "refused"]
    assert refused and refused[0].levelno == logging.DEBUG and getattr(refused[0], "rule") == "task"


def test_the_formatter_writes_one_json_object_with_the_extra_fields() -> None:
    record = logging.LogRecord("phancap.engine.tick", logging.INFO, __file__, 1, "deadline sweep", None, None)
    record.marked, record.today = 3, "2025-05-01"
    line = JsonFormatter().format(record)
    assert "\n" not in line
    assert json.loads(line) | {"at": None} == {"at": None, "level": "info", "logger": "phancap.engine.tick",
                                                "message": "deadline sweep", "marked": 3, "today": "2025-05-01"}


def test_a_request_is_logged_once_not_again_by_uvicorn() -> None:
    script = ("import logging, logging.config\n"
              "from phancap.engine.logs import dict_config\n"
              "logging.config.dictConfig(dict_config('INFO'))\n"
              "logging.getLogger('uvicorn.access').info('%s - \"GET /healthz HTTP/1.1\" 200', '127.0.0.1')\n"
              "logging.getLogger('uvicorn.error').info('Application startup complete.')\n"
              "logging.getLogger('phancap.api').info('request', extra={'path': '/healthz', 'status': 200})\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert [(line["logger"], line["message"]) for line in lines] == [
        ("uvicorn.error", "Application startup complete."), ("phancap.api", "request")]
