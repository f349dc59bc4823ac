"""The draft page's corrections (issue 14): a person's edits of the tasks' fields and decisions on the
proposed units, posted as forms; a refused save shows the page again with every value the person typed
and the engine's messages beside the fields. The live reading of a deadline phrase is a small JSON
endpoint for the page's script (api/static/import_draft.js), under the page session."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from phancap.api.deps import FormUser, PageUser, ServicesDep
from phancap.api.errors import ApiError
from phancap.api.pages.imports import draft_page
from phancap.api.routes.imports import require_import
from phancap.engine.draft_edits import FIELDS, deadline_reading, edit_tasks
from phancap.engine.draft_units import PROPOSAL_FIELDS, decide_units
from phancap.engine.drafts import DraftError, scope_of
from phancap.engine.errors import Refusal

router = APIRouter()
TASK_KEY = re.compile(r"^t(\d{1,6})-([a-z_]+)$")
UNIT_KEY = re.compile(r"^u(\d{1,4})-([a-z_]+)$")
MAX_FORM_VALUE = 20_000  # one field's text


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@router.get("/plans/deadline-reading")
def deadline_reading_json(user: PageUser, phrase: Annotated[str, Query(max_length=500)] = "",
                          issued: Annotated[str, Query(max_length=10)] = "") -> Response:
    """How the engine reads a deadline phrase (for the draft page's live reading)."""
    require_import(user)
    return JSONResponse(deadline_reading(phrase, _parse_date(issued)))


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    out: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            if len(value) > MAX_FORM_VALUE:
                raise ApiError("request", f"Trường {key} quá dài", f"field {key} is too long")
            out[key] = value
    return out


@router.post("/plans/imports/{draft_id}/tasks")
async def draft_tasks(request: Request, services: ServicesDep, user: FormUser, draft_id: int) -> Response:
    require_import(user)
    edits: dict[int, dict[str, str]] = {}
    for key, value in (await _form(request)).items():
        m = TASK_KEY.match(key)
        if m and m.group(2) in FIELDS:
            edits.setdefault(int(m.group(1)), {})[m.group(2)] = value
    try:
        edit_tasks(services.db, draft_id, edits, set(services.workflows), services.clock, scope_of(services.db, user))
    except DraftError as exc:
        if exc.rule == "not_found":
            raise
        return draft_page(request, services, user, draft_id, error=exc, posted=edits)
    return RedirectResponse(f"/plans/imports/{draft_id}?done=tasks#corrections", status_code=303)


@router.post("/plans/imports/{draft_id}/units")
async def draft_units(request: Request, services: ServicesDep, user: FormUser, draft_id: int) -> Response:
    require_import(user)
    rows: dict[int, dict[str, str]] = {}
    for key, value in (await _form(request)).items():
        m = UNIT_KEY.match(key)
        if m and (m.group(2) in PROPOSAL_FIELDS or m.group(2) == "name"):
            rows.setdefault(int(m.group(1)), {})[m.group(2)] = value
    decisions = {row.pop("name"): row for row in rows.values() if row.get("name")}
    try:
        decide_units(services.db, draft_id, decisions, services.clock, scope_of(services.db, user))
    except Refusal as exc:
        if exc.rule == "not_found":
            raise
        return draft_page(request, services, user, draft_id, error=exc, posted_units=decisions)
    return RedirectResponse(f"/plans/imports/{draft_id}?done=units#new-units", status_code=303)
