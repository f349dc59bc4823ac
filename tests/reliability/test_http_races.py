"""Races through the real server (two uvicorn workers), on SQLite and PostgreSQL: 50 clients firing the
same transition on one task get exactly one 200 and 49 409s, and one audit event is written; 50 tasks
fired at once all succeed; the audit chain verifies."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from phancap.engine.queries import verify_audit
from phancap.engine.runtime import TaskEngine
from tests.api.helpers import sct_task
from tests.helpers import audit_count
from tests.reliability.live import Server, authority_tasks, post_transition

pytestmark = pytest.mark.slow  # a real server, fifty concurrent clients

CLIENTS = 50


def fire_together(server: Server, jobs: list[tuple[str, int, dict[str, Any]]]) -> list[httpx.Response]:
    """One thread and one connection per job; all released by one barrier so they hit the server at once."""
    barrier = threading.Barrier(len(jobs))

    def run(job: tuple[str, int, dict[str, Any]]) -> httpx.Response:
        user, task_id, body = job
        with httpx.Client(timeout=60) as client:
            client.get(f"{server.base}/healthz")  # open the connection before the barrier
            barrier.wait()
            return post_transition(client, server.base, user, task_id, body)

    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(run, jobs))


def test_same_transition_fifty_times_succeeds_once(server: Server, seeded: TaskEngine) -> None:
    assert server.workers_alive() >= 2  # two uvicorn worker processes share the port
    tid = sct_task(seeded.db)
    before = audit_count(seeded.db, tid)
    answers = fire_together(server, [("cv.sct", tid, {"trigger": "submit_for_review"})] * CLIENTS)
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [200] + [409] * (CLIENTS - 1), statuses
    assert {r.json()["rule"] for r in answers if r.status_code == 409} == {"state"}
    winner = next(r.json() for r in answers if r.status_code == 200)
    assert (winner["from_state"], winner["state"], winner["version"]) == ("assigned", "in_review", before + 1)
    assert audit_count(seeded.db, tid) == before + 1
    report = verify_audit(seeded.db)
    assert report.ok, report.to_json()


def test_fifty_tasks_at_once_all_succeed(server: Server, seeded: TaskEngine) -> None:
    tasks = authority_tasks(seeded.db, CLIENTS)
    before = audit_count(seeded.db)
    body = {"trigger": "withdraw", "comment": "Thu hồi để thử tải đồng thời"}
    answers = fire_together(server, [("pd.ubnd", t, body) for t in tasks])
    assert [r.status_code for r in answers] == [200] * CLIENTS, [r.text for r in answers if r.status_code != 200]
    assert sorted(r.json()["task"] for r in answers) == sorted(tasks)
    assert {r.json()["state"] for r in answers} == {"withdrawn"}
    assert audit_count(seeded.db) == before + CLIENTS
    report = verify_audit(seeded.db)
    assert report.ok, report.to_json()
