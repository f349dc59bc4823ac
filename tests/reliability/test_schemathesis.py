"""schemathesis against the application's own OpenAPI document, in process (ASGI), authenticated as a
seeded user who sees every task (dm.snv: reviewer and monitor): for every operation a bounded number of
generated requests (positive and negative), no 5xx, and every response's status, content type and
body conform to the document."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from phancap.api.app import create_app
from phancap.api.settings import ApiSettings
from phancap.engine.clock import Clock
from phancap.engine.db import Database
from phancap.engine.evidence import EvidenceStore
from phancap.engine.machine import WorkflowMachine
from tests.reliability.live import SECRET, START

pytestmark = pytest.mark.slow  # fuzzing every route

MAX_EXAMPLES = 15
USER = "dm.snv"


@pytest.fixture(scope="module")
def api_schema(sqlite_seeded_template: Path, workflows: dict[str, WorkflowMachine],
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    work = tmp_path_factory.mktemp("schemathesis")
    shutil.copy(sqlite_seeded_template, work / "phancap.db")
    db = Database(f"sqlite:///{work / 'phancap.db'}")
    app = create_app(database=db, clock=Clock.parse(START), settings=ApiSettings(secret_key=SECRET),
                     workflows=workflows)
    app.state.evidence_store = EvidenceStore(work / "evidence", max_bytes=256 * 1024)
    token = app.state.services.signer.token(USER)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    schema.phancap_headers = {"Authorization": f"Bearer {token}"}  # type: ignore[attr-defined]
    yield schema
    db.dispose()


INT64 = 2**63 - 1
# Integers beyond 64 bits are refused with 422 by the application's out-of-range handler
# (test_huge_integers_are_refused); the fuzzing below stays within 64 bits to explore the rest.
HUGE = 2**70


def within_int64(case: Any) -> bool:
    values = [*(case.path_parameters or {}).values(), *(case.query or {}).values()]
    return all(not isinstance(v, int) or isinstance(v, bool) or abs(v) <= INT64 for v in values)


def test_huge_integers_are_refused(api_schema: Any) -> None:
    from starlette.testclient import TestClient

    with TestClient(api_schema.app, raise_server_exceptions=False) as client:
        answers = {path: client.get(path, headers=api_schema.phancap_headers).status_code
                   for path in (f"/api/v1/tasks/{HUGE}", f"/api/v1/tasks/{HUGE}/history",
                                f"/api/v1/tasks?offset={HUGE}", f"/api/v1/reports/{HUGE}")}
        answers["POST transitions"] = client.post(f"/api/v1/tasks/{HUGE}/transitions", json={"trigger": "comment"},
                                                  headers=api_schema.phancap_headers).status_code
    assert all(status in (404, 422) for status in answers.values()), answers


def test_api_conforms_to_its_openapi_document(api_schema: Any) -> None:
    """One hypothesis run per operation and generation mode; all failures are gathered, then reported."""
    headers = api_schema.phancap_headers
    always = [not_a_server_error, content_type_conformance, response_schema_conformance]
    failures: dict[str, str] = {}
    unsatisfiable: list[str] = []
    # POST /api/v1/auth/logout would end the fuzzing token's session (tests/api/test_sessions.py covers it)
    operations = [op for op in (result.ok() for result in api_schema.get_all_operations())
                  if op.path != "/api/v1/auth/logout"]
    assert len(operations) >= 20
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            selected = always + ([status_code_conformance] if mode.is_positive else [])

            @given(case=operation.as_strategy(generation_mode=mode, headers=headers).filter(within_int64))
            @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
            def run(case: Any) -> None:
                # Malformed requests may get any 4xx, documented or not (a body that is no JSON gets 400);
                # well-formed ones must get a status the document lists.
                case.call_and_validate(checks=selected)  # noqa: B023 - run() is called in this iteration

            try:
                run()
            except Unsatisfiable:
                unsatisfiable.append(f"{operation.label} [{mode.value}]")  # nothing to break: no input may be invalid
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - gathered and reported below
                failures[f"{operation.label} [{mode.value}]"] = str(exc)[:1500]
    assert len(unsatisfiable) < len(operations)
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())


STATEFUL_EXAMPLES = 15
STATEFUL_STEPS = 6


def test_stateful_sequences_along_the_inferred_links_never_get_a_server_error(api_schema: Any) -> None:
    """Sequences of calls along the links schemathesis infers from the document (a task of the list → its
    detail, history, transitions, evidence and difficulties; a draft created → mapped, validated,
    activated; a report → its DOCX/XLSX): a later step reuses what an earlier one returned, so it reaches
    the routes with real ids, not just 404s. No step may get a 5xx."""
    headers = api_schema.phancap_headers
    base = api_schema.as_state_machine()
    assert len(base.bundles) >= 5  # links were inferred: this is stateful, not a random walk

    class Machine(base):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            case.validate_response(response, checks=[not_a_server_error], transport_kwargs=kwargs or None)

    Machine.run(settings=settings(max_examples=STATEFUL_EXAMPLES, stateful_step_count=STATEFUL_STEPS, deadline=None,
                                  derandomize=True, database=None, suppress_health_check=list(HealthCheck)))
