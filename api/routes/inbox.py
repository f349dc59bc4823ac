"""The caller's queue: what awaits their decision now, most urgent first (engine/queue.py decides)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from phancap.api.deps import CurrentUser, ServicesDep
from phancap.api.routes.tasks import Filters
from phancap.api.schemas import ErrorBody, Inbox, QueueItem
from phancap.api.views import queue_item
from phancap.engine.queue import queue

router = APIRouter(tags=["tasks"], responses={401: {"model": ErrorBody}})


@router.get("/inbox", response_model=Inbox)
def inbox(services: ServicesDep, user: CurrentUser, filters: Filters,
          limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0)] = 0) -> Inbox:
    """Each instance on which the caller may now take a step that moves it on (or decide a pending
    request), with the actions open to them; overdue first, then the nearest deadline; the same filters
    as /tasks. A task whose last move was a return says who returned it and why."""
    found = queue(services.engine, user, filters, limit=limit, offset=offset)
    items: list[QueueItem] = [queue_item(services, i) for i in found.items]
    return Inbox(items=items, total=found.total, limit=limit, offset=offset, cut=found.cut)
