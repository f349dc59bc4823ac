"""Idempotency across a crash: a transition POSTed with an Idempotency-Key, the server SIGKILLed and
restarted, the same request retried: the same answer, applied once. The same key with another request is
still refused after the restart."""

from __future__ import annotations

import httpx
import pytest

from phancap.engine.queries import verify_audit
from phancap.engine.runtime import TaskEngine
from tests.api.helpers import sct_task, snapshot
from tests.reliability.live import Server, post_transition

pytestmark = pytest.mark.slow  # a real server killed and restarted


def test_retry_after_sigkill_gets_the_first_answer(server: Server, seeded: TaskEngine) -> None:
    tid = sct_task(seeded.db)
    body = {"trigger": "submit_for_review", "comment": "Gửi lần đầu"}
    with httpx.Client(timeout=30) as client:
        first = post_transition(client, server.base, "cv.sct", tid, body, key="retry-after-crash-1")
    assert first.status_code == 200, first.text
    after_first = snapshot(seeded.db, tid)
    server.kill()
    assert snapshot(seeded.db, tid) == after_first  # the acknowledged transition survived the kill
    server.start()
    with httpx.Client(timeout=30) as client:
        answers = [post_transition(client, server.base, "cv.sct", tid, body, key="retry-after-crash-1")
                   for _ in range(4)]  # several retries, landing on either worker
        assert {a.status_code for a in answers} == {200}
        assert all(a.json() == first.json() for a in answers)
        assert snapshot(seeded.db, tid) == after_first  # applied once
        other = post_transition(client, server.base, "cv.sct", tid, {"trigger": "comment", "comment": "khác"},
                                key="retry-after-crash-1")
        assert other.status_code == 422 and other.json()["rule"] == "idempotency"
        fresh = post_transition(client, server.base, "cv.sct", tid, body, key="retry-after-crash-2")
        assert fresh.status_code == 409 and fresh.json()["rule"] == "state"  # a new key is a new request
    assert snapshot(seeded.db, tid) == after_first
    assert verify_audit(seeded.db).ok
