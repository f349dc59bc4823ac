"""/metrics (issue 16): the Prometheus exposition for the scraper holding PHANCAP_METRICS_TOKEN only; it counts
transitions by trigger, refusals by rule, sweeps, requests by route template, the pool; each request is
logged once with its request id."""

from __future__ import annotations

import logging
import re

import pytest
from fastapi.testclient import TestClient

from phancap.api.app import create_app
from phancap.api.settings import ApiSettings
from phancap.engine.clock import Clock
from phancap.engine.machine import WorkflowMachine
from phancap.engine.runtime import TaskEngine
from tests.api.conftest import SECRET, bearer
from tests.api.helpers import sct_task

TOKEN = "scraper-token-0123456789"


def value(text: str, name: str, **labels: str) -> float:
    """A sample's value in the exposition (0 when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(name + ("{" + wanted + "}" if wanted else " ")) or (
                wanted and line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items())):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_need_their_token_and_count_what_happened(seeded: TaskEngine, clock: Clock,
                                                          workflows: dict[str, WorkflowMachine],
                                                          caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(database=seeded.db, clock=clock, workflows=workflows,
                     settings=ApiSettings(secret_key=SECRET, metrics_token=TOKEN))
    with TestClient(app) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong-token-0123456789"}).status_code == 401
        scrape = {"Authorization": f"Bearer {TOKEN}"}
        before = client.get("/metrics", headers=scrape).text
        task = sct_task(seeded.db)
        officer = bearer(app, "cv.sct")
        with caplog.at_level(logging.INFO, logger="phancap.api.access"):
            fired = client.post(f"/api/v1/tasks/{task}/transitions", headers=officer,
                                json={"trigger": "submit_for_review"})
        assert fired.status_code == 200, fired.text
        refused = client.post(f"/api/v1/tasks/{task}/transitions", headers=officer, json={"trigger": "approve"})
        assert refused.status_code in (403, 409)
        after = client.get("/metrics", headers=scrape).text
    assert value(after, "phancap_transitions_total", trigger="submit_for_review") == \
        value(before, "phancap_transitions_total", trigger="submit_for_review") + 1
    rule = refused.json()["rule"]
    assert value(after, "phancap_refusals_total", rule=rule) == value(before, "phancap_refusals_total", rule=rule) + 1
    route = "/api/v1/tasks/{task_id}/transitions"
    assert value(after, "phancap_http_request_duration_seconds_count", method="POST", route=route, status="200") >= 1
    assert f"/api/v1/tasks/{task}/" not in after  # the template, never a series per task
    assert re.search(r"^phancap_sweep_duration_seconds_count ", after, re.M)
    [line] = [r for r in caplog.records if r.name == "phancap.api.access" and getattr(r, "route", "") == route]
    assert getattr(line, "status") == 200 and getattr(line, "request_id") == fired.headers["X-Request-ID"]


def test_without_a_token_set_there_is_no_metrics_page(client: TestClient, app: object) -> None:
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers=bearer(app, "kiemtoan")).status_code == 404  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="16 characters"):
        ApiSettings(secret_key=SECRET, metrics_token="short")
