"""The caller's notifications: what happened to their tasks (engine/notifications.py decides which)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from phancap.api.deps import CurrentUser, ServicesDep
from phancap.api.schemas import ErrorBody, MarkRead, NotificationItem, NotificationList, UnreadCount
from phancap.engine.notifications import mark_read, notifications

router = APIRouter(prefix="/notifications", tags=["notifications"], responses={401: {"model": ErrorBody}})


@router.get("", response_model=NotificationList)
def list_notifications(services: ServicesDep, user: CurrentUser, limit: Annotated[int, Query(ge=1, le=200)] = 30,
                       before: Annotated[int | None, Query(ge=1, description="an event id: older ones")] = None,
                       unread: bool = False) -> NotificationList:
    """Newest first: returned, urged, extension requested/granted/refused, difficulty answered, amended,
    transferred, assigned to me (never the caller's own actions), and the unit's reports due soon (first page);
    with the unread count. Paged by `before` (next_before)."""
    found = notifications(services.engine, user, limit=limit, before=before, unread_only=unread)
    return NotificationList(items=[NotificationItem(**i) for i in found.items], unread=found.unread,
                            next_before=found.next_before)


@router.post("/read", response_model=UnreadCount)
def read(services: ServicesDep, user: CurrentUser, body: MarkRead) -> UnreadCount:
    """Mark the notifications named by `keys` read, or every one when `keys` is absent; answers the unread count."""
    return UnreadCount(unread=mark_read(services.engine, user, body.keys))
