"""Plans: the list, one plan's tasks with their fields, progress counts over the caller's visible instances."""

from __future__ import annotations


import datetime as dt
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from phancap.api.deps import CurrentUser, ServicesDep
from phancap.api.errors import ApiError

from phancap.api.schemas import CategoryCounts, ErrorBody, PlanDetail, PlanPublic, PlanTaskPublic, Progress
from phancap.api.services import Services
from phancap.engine.queries import list_plans, plan_detail, plan_monitor, progress, rollup, rollup_scope
from phancap.engine.amendments import amend_plan, plan_versions, read_plan_text
from phancap.engine.policy import AMEND_PLANS, SEE_ROLLUP, require_plan_rollup
from phancap.engine.users import User

router = APIRouter(prefix="/plans", tags=["plans"], responses={401: {"model": ErrorBody}})


def plan_not_found(code: str) -> ApiError:
    return ApiError("not_found", f"Không có kế hoạch '{code}'", f"no plan '{code}'")


@router.get("", response_model=list[PlanPublic])
def plans(services: ServicesDep, user: CurrentUser) -> list[PlanPublic]:
    return [PlanPublic(**p) for p in list_plans(services.db)]


@router.get("/{code}", response_model=PlanDetail, responses={404: {"model": ErrorBody}})
def plan(services: ServicesDep, user: CurrentUser, code: str) -> PlanDetail:
    """The plan as issued: every task (headings too) with its fields."""
    found = plan_detail(services.db, code)
    if found is None:
        raise plan_not_found(code)
    return PlanDetail(**{**found, "tasks": [PlanTaskPublic(**t) for t in found["tasks"]]})


def plan_progress(services: Services, user: User, code: str) -> Progress:
    """The plan's tasks the caller may see, by state, unit and official category (the engine's figures)."""
    if plan_monitor(services.db, code) is None:  # one key lookup: is the plan loaded
        raise plan_not_found(code)
    data = progress(services.db, code, services.clock.today(), services.engine.status, viewer=user)
    return Progress(plan=code, total=data["tasks"], by_state=data["states"],
                    by_unit={u: v["states"] for u, v in data["units"].items()},
                    overdue=data["categories"]["open_overdue"], approved=data["done"],
                    categories=CategoryCounts(**data["categories"]))


@router.get("/{code}/progress", response_model=Progress, responses={404: {"model": ErrorBody}})
def get_progress(services: ServicesDep, user: CurrentUser, code: str) -> Progress:
    """Counts per state and per unit over the instances the caller may see."""
    return plan_progress(services, user, code)


class RollupTask(BaseModel):
    number: str
    title: str
    children: dict[str, CategoryCounts]


class Rollup(BaseModel):
    plan: str
    today: str
    children: list[str]
    own: CategoryCounts
    tasks: list[RollupTask]


@router.get("/{code}/rollup", response_model=Rollup, responses={403: {"model": ErrorBody}, 404: {"model": ErrorBody}})
def get_rollup(services: ServicesDep, user: CurrentUser, code: str) -> Rollup:
    """Plans across levels: each task of this plan with the progress of the child plans' tasks that carry
    it out (official categories). For auditors and administrators; for monitors and approvers of the plan's
    own registry or of a unit the plan names (issuer, authority, monitor, justice body)."""
    SEE_ROLLUP.require(user)
    plan, region = rollup_scope(services.db, code, user.unit)
    if plan is None:
        raise plan_not_found(code)
    require_plan_rollup(user, region, plan)
    return Rollup(**rollup(services.db, code, services.clock.today(), services.engine.status))


class AmendmentRequest(BaseModel):
    definition: str = Field(max_length=2_000_000, description="the whole plan as amended, in the definitions/plans YAML format")
    number: str = Field(max_length=100, description="the amending document's number, e.g. 1234/KH-UBND")
    date: dt.date | None = Field(default=None, description="its date (default: today)")
    dry_run: bool = Field(default=False, description="only the diff and what it would do")


class PlanVersion(BaseModel):
    version: int
    number: str | None
    date: str | None
    at: str
    changes: dict[str, list[dict[str, Any]]]
    definition_sha256: str


AMEND_ERRORS: dict[int | str, dict[str, Any]] = {s: {"model": ErrorBody} for s in (403, 404, 409, 422)}


@router.post("/{code}/amendments", responses=AMEND_ERRORS)
def amend(services: ServicesDep, user: CurrentUser, code: str, body: AmendmentRequest) -> dict[str, Any]:
    """Admins only: the diff of the amended plan against the stored one, task by task and field by field; without
    dry_run, applied in one transaction (as `phancap plan amend`). 409 when nothing changed or the change is
    not an amendment; 422 when the text does not validate."""
    AMEND_PLANS.require(user)
    plan = read_plan_text(body.definition, services.db, set(services.workflows), code=code)
    return amend_plan(services.db, plan, services.workflows, services.clock, number=body.number, on=body.date,
                      dry_run=body.dry_run).to_json()


@router.get("/{code}/versions", response_model=list[PlanVersion], responses={404: {"model": ErrorBody}})
def versions(services: ServicesDep, user: CurrentUser, code: str) -> list[PlanVersion]:
    """Every version of the plan, oldest first: version, number, date, at, changes."""
    return [PlanVersion(**v) for v in plan_versions(services.db, code)]
