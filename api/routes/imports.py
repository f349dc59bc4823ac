"""Importing a plan from its text (issue 7): a draft per text, unknown units mapped, validated, activated.

Admins and monitors import, map and validate; only admins activate (store the plan and instantiate it).
A monitor handles only the drafts of their unit's registry (others answer 404 like missing ones); a
text over PHANCAP_IMPORT_MAX_BYTES or with more tasks than PHANCAP_IMPORT_MAX_TASKS is refused (413).
The rules live in engine/drafts.py and engine/policy.py; these routes only translate."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from phancap.api.deps import CurrentUser, ServicesDep
from phancap.api.schemas import ErrorBody
from phancap.engine.draft_activation import activate_draft, activation_preview, amend_from_draft, validate_draft
from phancap.engine.drafts import (
    Draft,
    apply_mapping,
    get_draft,
    list_drafts,
    save_draft,
    scope_of,
)
from phancap.engine.draft_edits import deadline_reading, edit_tasks
from phancap.engine.draft_units import decide_units
from phancap.engine.policy import ACTIVATE_PLANS, AMEND_PLANS, IMPORT_PLANS
from phancap.engine.users import User

router = APIRouter(prefix="/imports", tags=["imports"], responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}})



class ImportProblem(BaseModel):
    line: int = Field(description="line of the source text (1 = the whole text)")
    message: str
    text: str = ""


class ImportRequest(BaseModel):
    text: str = Field(min_length=1, description="the plan's text (UTF-8); at most PHANCAP_IMPORT_MAX_BYTES "
                                                 "bytes and PHANCAP_IMPORT_MAX_TASKS tasks (413 above)")
    source_name: str = Field(default="ke-hoach.txt", max_length=255)
    code: str | None = Field(default=None, max_length=64, description="the plan's code, e.g. KT-2025-B; "
                                                                       "guessed from the text when missing")
    registry: str | None = Field(default=None, max_length=32, description="organisation registry (HN, KT…); "
                                                                           "guessed when missing")


class MappingRequest(BaseModel):
    mapping: dict[str, str | None] = Field(default_factory=dict, description="unmatched unit name -> unit code of "
                                           "the plan's registry; null or \"\": not a unit of the registry")
    code: str | None = Field(default=None, max_length=64, description="a new plan code")


class DraftSummary(BaseModel):
    id: int
    code: str
    source_name: str
    state: str = Field(description="draft, valid or active")
    region: str
    tasks: int
    created_by: str
    created_at: str
    updated_at: str
    undecided: list[str] = Field(description="unmatched unit names with no mapping yet")


class DraftDetail(DraftSummary):
    plan: dict[str, Any] = Field(description="the parsed plan definition (definitions/plans format)")
    problems: list[ImportProblem]
    unmatched_units: list[str]
    mapped_units: list[str]
    mapping: dict[str, str]
    validation: list[str] | None = Field(description="the last validation's problems; null: not validated yet")
    source_text: str
    sources: list[dict[str, Any]] = Field(default_factory=list, description="per task, in order: the source lines "
                                          "it was read from (first, last) and, when the importer renumbered it "
                                          "(an appendix numbered again from 1), the number written (written)")
    proposals: list[dict[str, Any]] = Field(default_factory=list, description="units proposed for unmatched names: "
                                            "name, code, unit_name, kind, type, parent, decision (pending, "
                                            "confirmed, refused)")
    edited: list[int] = Field(default_factory=list, description="indexes of the tasks a person corrected")


class TaskEdits(BaseModel):
    tasks: dict[int, dict[str, str]] = Field(description="task index (its position in plan.tasks) -> field -> value "
                                             "as a person writes it: title, content, lead, coordinators, focal, "
                                             "product, deadline (the phrase), workflow; units by name or code, "
                                             "separated by ';'")


class UnitDecisions(BaseModel):
    units: dict[str, dict[str, str]] = Field(description="proposed name -> decision (pending, confirmed, refused) "
                                             "and optionally code, unit_name, kind, parent")


class ActivateRequest(BaseModel):
    expect_instances: int | None = Field(default=None, ge=0, description="the instance count the person confirmed "
                                         "(see GET …/activation); refused with 409 when activating would create "
                                         "another number")


class Activation(BaseModel):
    draft: DraftDetail
    plan: str
    created: int = Field(description="task instances opened")


def require_import(user: User) -> None:
    IMPORT_PLANS.require(user)


def require_activate(user: User) -> None:
    ACTIVATE_PLANS.require(user)


def summary(draft: Draft) -> DraftSummary:
    return DraftSummary(**{k: v for k, v in draft.to_json().items() if k in DraftSummary.model_fields})


def detail(draft: Draft) -> DraftDetail:
    return DraftDetail(**{k: v for k, v in draft.to_json().items() if k in DraftDetail.model_fields})


ERRORS: dict[int | str, dict[str, Any]] = {s: {"model": ErrorBody} for s in (404, 409, 413, 422)}


@router.get("", response_model=list[DraftSummary])
def drafts(services: ServicesDep, user: CurrentUser) -> list[DraftSummary]:
    """Every draft, newest first."""
    require_import(user)
    return [summary(d) for d in list_drafts(services.db, scope_of(services.db, user))]


@router.post("", response_model=DraftDetail, status_code=201, responses=ERRORS)
def create(services: ServicesDep, user: CurrentUser, body: ImportRequest) -> DraftDetail:
    """Read a plan's text into a new draft: the parsed plan, what could not be placed (by line) and the
    unit names the registry does not know."""
    require_import(user)
    draft = save_draft(services.db, body.text, source_name=body.source_name, created_by=user.name,
                       clock=services.clock, code=body.code, region=body.registry, limits=services.import_limits,
                       scope=scope_of(services.db, user))
    return detail(draft)


@router.get("/deadline-reading", responses=ERRORS)
def reading(user: CurrentUser, phrase: Annotated[str, Query(max_length=500)],
            issued: dt.date | None = None) -> dict[str, Any]:
    """How the engine reads a deadline phrase: ok, kind, due, start, text_vi (or ok false with message_vi and
    message_en); a recurring date's due is its first due day after `issued`."""
    require_import(user)
    return deadline_reading(phrase, issued)


@router.get("/{draft_id}", response_model=DraftDetail, responses=ERRORS)
def read(services: ServicesDep, user: CurrentUser, draft_id: int) -> DraftDetail:
    require_import(user)
    return detail(get_draft(services.db, draft_id, scope_of(services.db, user)))


@router.post("/{draft_id}/mapping", response_model=DraftDetail, responses=ERRORS)
def mapping(services: ServicesDep, user: CurrentUser, draft_id: int, body: MappingRequest) -> DraftDetail:
    """Map unknown unit names to units of the registry (and optionally set the plan code); the
    stored reading is resolved again (the text is not read again) and the draft must be validated again."""
    require_import(user)
    return detail(apply_mapping(services.db, draft_id, body.mapping, services.clock, code=body.code,
                                scope=scope_of(services.db, user)))


@router.post("/{draft_id}/validate", response_model=DraftDetail, responses=ERRORS)
def validate(services: ServicesDep, user: CurrentUser, draft_id: int) -> DraftDetail:
    """Validate against the registry and workflows: state valid when nothing is wrong, else draft with the
    problems in `validation`."""
    require_import(user)
    return detail(validate_draft(services.db, draft_id, set(services.workflows), services.clock,
                                 scope_of(services.db, user)))


@router.post("/{draft_id}/tasks", response_model=DraftDetail, responses=ERRORS)
def tasks(services: ServicesDep, user: CurrentUser, draft_id: int, body: TaskEdits) -> DraftDetail:
    """Correct tasks field by field, all or none: 422 with `problems` (task, field, message_vi, message_en)
    naming each refused field; the draft must be validated again."""
    require_import(user)
    return detail(edit_tasks(services.db, draft_id, body.tasks, set(services.workflows), services.clock,
                             scope_of(services.db, user)))


@router.post("/{draft_id}/units", response_model=DraftDetail, responses=ERRORS)
def units(services: ServicesDep, user: CurrentUser, draft_id: int, body: UnitDecisions) -> DraftDetail:
    """Confirm (possibly edited), refuse or leave pending each proposed unit; 422 with `problems` (unit,
    field, message_vi, message_en). Confirmed units are added to the registry when the draft is activated."""
    require_import(user)
    return detail(decide_units(services.db, draft_id, body.units, services.clock, scope_of(services.db, user)))


@router.get("/{draft_id}/activation", responses=ERRORS)
def activation(services: ServicesDep, user: CurrentUser, draft_id: int) -> dict[str, Any]:
    """What activating would create, nothing written: instances, summary_vi, units (code, name, instances),
    new_units."""
    require_import(user)
    return activation_preview(services.db, get_draft(services.db, draft_id, scope_of(services.db, user))).to_json()


@router.post("/{draft_id}/activate", response_model=Activation, responses=ERRORS)
def activate(services: ServicesDep, user: CurrentUser, draft_id: int, body: ActivateRequest | None = None) -> Activation:
    """Admins only: store the valid draft as a plan and open its task instances (all or nothing).
    409 when the draft is not valid (or no longer validates) or is already active, or when
    `expect_instances` is not what it would create."""
    require_activate(user)
    draft, result = activate_draft(services.db, draft_id, services.workflows, services.clock, scope_of(services.db, user),
                                   expect_instances=body.expect_instances if body else None)
    return Activation(draft=detail(draft), plan=result.plan, created=result.created)


class DraftAmendmentRequest(BaseModel):
    number: str | None = Field(default=None, max_length=100,
                               description="the amending document's number, e.g. 45/KH-UBND (required unless dry_run)")
    date: dt.date | None = Field(default=None, description="its date (default: today)")
    dry_run: bool = Field(default=False, description="only the diff and what it would do")


@router.post("/{draft_id}/amendment", responses=ERRORS)
def amendment(services: ServicesDep, user: CurrentUser, draft_id: int, body: DraftAmendmentRequest) -> dict[str, Any]:
    """Admins only: a draft of a plan already loaded, as the amending document: the diff (dry_run), or the
    amendment applied as `phancap plan amend` does, the draft becoming active. 409 when the draft has other
    problems or the change is refused."""
    AMEND_PLANS.require(user)
    draft, result = amend_from_draft(services.db, draft_id, services.workflows, services.clock, number=body.number,
                                     on=body.date, dry_run=body.dry_run, scope=scope_of(services.db, user))
    return {"draft": detail(draft).model_dump(mode="json"), "amendment": result.to_json()}
