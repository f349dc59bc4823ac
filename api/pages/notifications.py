"""The page "Thông báo": what happened to my tasks, newest first, each linking to the task; marked read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from phancap.api.deps import FormUser, PageUser, ServicesDep
from phancap.api.pages.render import render
from phancap.engine.notifications import mark_read, notifications

router = APIRouter()
PAGE = 30


@router.get("/thong-bao")
def notices(request: Request, services: ServicesDep, user: PageUser, truoc: int | None = None,
            chua_doc: bool = False) -> Response:
    """Thông báo: newest first (reports due soon at the top of the first page), `truoc` pages on."""
    found = notifications(services.engine, user, limit=PAGE, before=truoc if truoc and truoc > 0 else None,
                          unread_only=chua_doc)
    return render(request, "notifications.html", {"found": found, "unread_only": chua_doc, "paged": truoc is not None})


@router.post("/thong-bao/da-doc")
def read(services: ServicesDep, user: FormUser, key: Annotated[str, Form(max_length=40)] = "") -> Response:
    """One notification read (its key), or all of them (no key)."""
    mark_read(services.engine, user, [key] if key else None)
    return RedirectResponse("/thong-bao", status_code=303)
