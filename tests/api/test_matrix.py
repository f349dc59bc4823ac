"""The authorisation matrix: every role × every trigger (from each state it leaves) × every relation of the
caller's unit to the task (own unit, another lead unit, focal agency, authority, coordinator, justice body,
an unrelated unit). Only the cells the workflow YAML grants pass; every other cell is refused with
403/role and changes nothing. Requirements and guards are satisfied in every request, so the grant
alone decides. Assigning an officer (`assign_officer`) goes through its own route, naming the lead unit's officer."""

from __future__ import annotations

from unittest.mock import ANY

import json
from typing import Any

import anyio
import httpx2
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from phancap.engine.policy import sees_all
from phancap.engine.roles import ROLES
from phancap.engine.runtime import TaskEngine
from phancap.engine.users import add_user
from phancap.engine.visibility import relations as unit_relations
from phancap.engine.workflow import Workflow
from tests.api.conftest import bearer

pytestmark = pytest.mark.slow  # every role against every route

BODY = {"comment": "Ý kiến kiểm thử", "evidence": {"number": "12/2025/QĐ-UBND", "title": "Hồ sơ"},
        "capacity": "KT. Chủ tịch", "proposed_deadline": "2030-01-01"}
ASSIGN = "assign_officer"  # POST /tasks/{id}/assignee: the workflow's grant decides there too
RELATIONS = ("lead", "other_lead", "focal", "authority", "coordinator", "monitor", "justice", "none")


def _instance(db: Any, workflow: str) -> dict[str, Any] | None:
    """An instance of the workflow whose lead unit differs from its focal, authority and justice units."""
    with db.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT id, plan, task, unit, focal, authority, monitor, justice, coordinators FROM task_instance "
            "WHERE workflow = :w ORDER BY id"), {"w": workflow}).mappings().all()
    for row in rows:
        item = dict(row, coordinators=json.loads(row["coordinators"] or "[]"))
        if item["unit"] not in (item["focal"], item["authority"], item["justice"], item["monitor"]):
            return item
    return dict(rows[0], coordinators=json.loads(rows[0]["coordinators"] or "[]")) if rows else None


def _relation_units(db: Any, item: dict[str, Any]) -> dict[str, str]:
    related = {item["unit"], item["focal"], item["authority"], item["monitor"], item["justice"], *item["coordinators"]}
    with db.engine.connect() as conn:
        leads = [r[0] for r in conn.execute(text(
            "SELECT unit FROM task_instance WHERE plan = :p AND task = :t ORDER BY id"), {"p": item["plan"], "t": item["task"]})]
        units = [r[0] for r in conn.execute(text("SELECT code FROM unit ORDER BY code"))]
    chosen = {"lead": item["unit"], "focal": item["focal"], "authority": item["authority"],
              "monitor": item["monitor"], "justice": item["justice"],
              "coordinator": item["coordinators"][0] if item["coordinators"] else None,
              "other_lead": next((u for u in leads if u not in related), None),
              "none": next((u for u in units if u not in related and u not in leads), None)}
    result: dict[str, str] = {}
    for name in RELATIONS:  # one user set per distinct unit; a unit holding several relations counts once
        unit = chosen.get(name)
        if unit and unit not in result.values():
            result[name] = unit
    return result


def _cases(workflow: Workflow) -> list[tuple[str, str, str]]:
    """(trigger, state, stage) for every transition as defined, plus the system's overdue marking."""
    seen: dict[tuple[str, str, str], None] = {}
    overdue = workflow.overdue.state if workflow.overdue else None
    for t in workflow.transitions:
        if t.stage is not None:
            continue  # copies from the overdue state carry the grants of the stage they copy
        stage = workflow.initial if t.source == overdue else t.source
        seen[(t.trigger, t.source, stage)] = None
    return list(seen)


def _expected(workflow: Workflow, trigger: str, state: str, stage: str, role: str, rels: set[str]) -> bool:
    return any(t.trigger == trigger and t.source == state and (t.stage is None or t.stage == stage)
               and any(g.role == role and g.relation in rels for g in t.grants) for t in workflow.transitions)


def _set_state(db: Any, task_id: int, state: str, stage: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE task_instance SET state = :s, stage = :g, pending_deadline = :p, assignee = NULL "
                          "WHERE id = :i"),
                     {"s": state, "g": stage, "p": "2029-12-31", "i": task_id})


def _state(db: Any, task_id: int) -> tuple[Any, ...]:
    with db.engine.connect() as conn:
        return tuple(conn.execute(text("SELECT state, version FROM task_instance WHERE id = :i"), {"i": task_id}).one())


def test_authorisation_matrix(app: FastAPI, seeded: TaskEngine) -> None:
    # An in-process async client: the matrix sends a few thousand requests, and TestClient's thread
    # hand-offs would make it four times slower.
    plan_task = _instance(seeded.db, "plan_task")
    assert plan_task is not None
    # the five relations the issue names are all represented
    assert {"lead", "other_lead", "focal", "authority", "none"} <= set(_relation_units(seeded.db, plan_task))
    outcomes = anyio.run(_matrix, app, seeded)
    assert {"plan_task", "shortened_procedure"} <= {cell[0] for cell in outcomes}
    # the cells the issue names, explicitly
    assert outcomes[("plan_task", "submit_for_review", "assigned", "officer", "lead")] == 200
    assert outcomes[("plan_task", "submit_for_review", "assigned", "head", "lead")] == 200
    assert outcomes[("plan_task", "submit_for_review", "assigned", "officer", "other_lead")] == 404
    assert outcomes[("plan_task", "submit_for_review", "assigned", "officer", "none")] == 404
    assert outcomes[("plan_task", "submit_for_review", "assigned", "auditor", "none")] == 403  # sees, may not act
    assert outcomes[("plan_task", "submit_for_review", "assigned", "reviewer", "focal")] == 403
    assert outcomes[("plan_task", "submit", "in_review", "reviewer", "focal")] == 200
    assert outcomes[("plan_task", "submit", "in_review", "reviewer", "lead")] == 403
    assert outcomes[("plan_task", "approve", "submitted", "approver", "authority")] == 200
    assert outcomes[("plan_task", "approve", "submitted", "approver", "focal")] == 403
    assert outcomes[("plan_task", "approve", "submitted", "auditor", "authority")] == 403
    assert outcomes[("plan_task", "mark_overdue", "assigned", "admin", "lead")] == 403
    assert outcomes[("shortened_procedure", "appraise", "in_review", "appraiser", "justice")] == 200
    assert outcomes[("shortened_procedure", "appraise", "in_review", "reviewer", "focal")] == 403
    assert outcomes[("plan_task", ASSIGN, "in_review", "head", "lead")] == 200
    assert outcomes[("plan_task", ASSIGN, "assigned", "officer", "lead")] == 403
    assert sum(1 for s in outcomes.values() if s == 200) >= 20
    assert len(outcomes) >= 1000, len(outcomes)


async def _matrix(app: FastAPI, seeded: TaskEngine) -> dict[tuple[str, str, str, str, str], int]:
    db = seeded.db
    outcomes: dict[tuple[str, str, str, str, str], int] = {}
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://phancap.test") as client:
        for name, machine in sorted(seeded.workflows.items()):
            workflow = machine.workflow
            item = _instance(db, name)
            if item is None:
                continue  # no instance of this workflow in the seed plans
            units = _relation_units(db, item)
            users = {}
            for rel, unit in units.items():
                for role in sorted(ROLES):
                    user = f"mx.{role}.{rel}".replace("_", "-")
                    add_user(db, user, unit, [role], seeded.clock)
                    users[(role, rel)] = (bearer(app, user), set(unit_relations(_user(user, unit, role), item)))
            for trigger, state, stage in _cases(workflow):
                _set_state(db, item["id"], state, stage)
                start_version, passed = _state(db, item["id"])[1], 0
                for (role, rel), (headers, rels) in users.items():
                    expected = _expected(workflow, trigger, state, stage, role, rels)
                    if trigger == ASSIGN:
                        response = await client.post(f"/api/v1/tasks/{item['id']}/assignee", headers=headers,
                                                     json={"assignee": "mx.officer.lead", "comment": BODY["comment"]})
                    else:
                        response = await client.post(f"/api/v1/tasks/{item['id']}/transitions",
                                                     headers=headers, json={"trigger": trigger, **BODY})
                    cell = (name, trigger, state, role, rel)
                    outcomes[cell] = response.status_code
                    if expected:
                        assert response.status_code == 200, (cell, rels, response.json())
                        passed += 1
                        _set_state(db, item["id"], state, stage)
                    elif not rels and not sees_all(_user("-", "-", role)):
                        # no relation to the instance: answered as if it did not exist, revealing nothing
                        assert response.status_code == 404, (cell, rels, response.json())
                        assert response.json() == {"rule": "task", "message_vi": ANY, "message_en": ANY,
                                                   "task": item["id"], "trigger": trigger}, (cell, response.json())
                    else:
                        assert response.status_code == 403, (cell, rels, response.json())
                        assert response.json()["rule"] == "role", (cell, response.json())
                # refusals wrote nothing: only the granted cells moved the version on
                assert _state(db, item["id"]) == (state, start_version + passed), (name, trigger, state)
    return outcomes


def _user(name: str, unit: str, role: str) -> Any:
    from phancap.engine.users import User

    return User(name, unit, (role,))
