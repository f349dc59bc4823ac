"""The clock the engine reads; in demo mode it may be moved forward (simulated time)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter
from pydantic import BaseModel, Field

from phancap.api.deps import CurrentUser, ServicesDep
from phancap.api.schemas import ClockPublic, ErrorBody
from phancap.api.services import Services
from phancap.engine.clock import stamp
from phancap.engine.policy import require_clock
from phancap.engine.tick import tick

router = APIRouter(tags=["clock"], responses={401: {"model": ErrorBody}})


class ShiftRequest(BaseModel):
    days: int = Field(ge=1, le=366)


def clock_public(services: Services, marked: int | None = None, changes: int | None = None) -> ClockPublic:
    clock = services.clock
    return ClockPublic(now=stamp(clock.now()), today=clock.today(), simulated=services.settings.demo,
                       marked_overdue=marked, unit_changes_applied=changes)


def shift_clock(services: Services, days: int) -> ClockPublic:
    """Demo only: move simulated time forward, then run the deadline sweep (which applies the unit changes
    scheduled up to the new day first)."""
    require_clock(services.settings.demo)
    services.clock.shift += timedelta(days=days)
    result = tick(services.db, services.workflows, services.clock)
    applied = sum(1 for c in result.unit_changes if c["status"] == "applied")
    return clock_public(services, result.marked, applied)


@router.get("/clock", response_model=ClockPublic)
def get_clock(services: ServicesDep, user: CurrentUser) -> ClockPublic:
    return clock_public(services)


@router.post("/demo/clock", response_model=ClockPublic, responses={403: {"model": ErrorBody}})
def post_clock(services: ServicesDep, user: CurrentUser, body: ShiftRequest) -> ClockPublic:
    """Demo mode: shift the simulated clock forward by some days and run the deadline sweep."""
    return shift_clock(services, body.days)
