"""Reorganisation, task by task (issue 13): `transfer` moves one open task to another lead unit by a decision,
audited, the old unit kept in its history. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from phancap.engine.errors import Forbidden, NotFound, Refusal, TransitionNotAllowed
from phancap.engine.queries import history, verify_audit
from phancap.engine.reorganisation import transfer_task
from phancap.engine.runtime import TaskEngine
from phancap.engine.users import get_user
from tests.helpers import audit_count, instance

PLAN, DECISION = "HN-2025", "Quyết định số 12/QĐ-UBND ngày 30/6/2025"


def transfer(engine: TaskEngine, task: int, to: str, who: str = "admin", decision: str = DECISION) -> dict[str, object]:
    user = get_user(engine.db, who)
    assert user is not None
    return transfer_task(engine.db, engine.workflows, engine.clock, user, task, to, decision)


def test_a_task_moves_to_its_new_lead_unit_with_one_audited_event(seeded: TaskEngine) -> None:
    tid = int(instance(seeded.db, PLAN, "3", "HN-STP")["id"])
    before = audit_count(seeded.db)
    moved = transfer(seeded, tid, "HN-SCT")
    assert (moved["unit_from"], moved["unit_to"], moved["version"]) == ("HN-STP", "HN-SCT", 2)
    assert audit_count(seeded.db) == before + 1
    row = instance(seeded.db, PLAN, "3", "HN-SCT")
    assert (row["id"], row["state"], row["version"]) == (tid, "assigned", 2)
    event = history(seeded.db, tid)[-1]
    assert (event["trigger"], event["actor"], event["from"], event["to"]) == ("transfer", "admin", "assigned", "assigned")
    assert event["data"] == {"unit_from": "HN-STP", "unit_to": "HN-SCT", "decision": DECISION}
    assert DECISION in event["comment"]
    assert history(seeded.db, tid)[0]["data"] is None and verify_audit(seeded.db).ok
    seeded.fire(tid, "submit_for_review", "cv.sct")  # the new unit acts
    assert verify_audit(seeded.db).ok


def test_transfers_that_cannot_be_are_refused_and_change_nothing(seeded: TaskEngine) -> None:
    tid = int(instance(seeded.db, PLAN, "3", "HN-STP")["id"])
    before = audit_count(seeded.db)
    for to, who, decision, refusal, words in (
            ("HN-STC", "admin", DECISION, Refusal, "already leads"),
            ("HN-NOPE", "admin", DECISION, NotFound, "no unit"),
            ("HN-SCT", "admin", "  ", Refusal, "decision"),
            ("HN-SCT", "cv.sct", DECISION, Forbidden, "")):
        with pytest.raises(refusal) as refused:
            transfer(seeded, tid, to, who, decision)
        assert words in refused.value.message_en
    done = int(instance(seeded.db, PLAN, "1.1", "HN-SCT")["id"])
    seeded.fire(done, "withdraw", "pd.ubnd", comment="Không còn phù hợp")
    with pytest.raises(Refusal, match="has ended"):
        transfer(seeded, done, "HN-SNV")
    assert audit_count(seeded.db) == before + 1  # only the withdrawal
    assert instance(seeded.db, PLAN, "3", "HN-STP")["version"] == 1
    with pytest.raises(TransitionNotAllowed):
        seeded.fire(tid, "submit_for_review", "cv.sct")  # still the old unit's
