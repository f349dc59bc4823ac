"""The administrators' page of outbox deliveries ("Thư và webhook gửi đi"): each e-mail or webhook with its
status, attempts, last error and next attempt, for the units of the administrator's registry; a failed one
can be tried again. The rules are the engine's (engine/outbox.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from phancap.api.deps import FormUser, PageUser, ServicesDep
from phancap.api.pages.admin import _page, _region
from phancap.engine.errors import Forbidden
from phancap.engine.outbox import STATUSES, health, list_deliveries, retry

router = APIRouter()
PAGE = 200
STATUS_VI = {"pending": "Đang chờ gửi", "delivered": "Đã gửi", "failed": "Không gửi được"}
KIND_VI = {"email": "Thư điện tử", "webhook": "Webhook"}


@router.get("/admin/deliveries")
def deliveries_page(request: Request, services: ServicesDep, user: PageUser, status: str = "",
                    before: int | None = None) -> Response:
    region = _region(services, user)
    rows = list_deliveries(services.db, region=region, status=status or None, limit=PAGE + 1, before=before)
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return _page(request, services, user, "admin_deliveries.html", {
        "rows": rows, "status": status if status in STATUSES else "", "statuses": STATUS_VI, "kinds_vi": KIND_VI,
        "health": health(services.db, services.clock.now()),
        "next_before": rows[-1]["id"] if more and rows else None})


@router.post("/admin/deliveries/{delivery}/retry")
def delivery_retry(services: ServicesDep, user: FormUser, delivery: int,
                   status: Annotated[str, Form(max_length=16)] = "") -> Response:
    if not retry(services.db, delivery, services.clock.now(), region=_region(services, user)):
        raise Forbidden("forbidden", "Không có thư hay webhook không gửi được số này trong danh mục của bạn",
                        "no failed delivery with this number in your registry")
    services.wake_worker()
    return RedirectResponse(f"/admin/deliveries?status={status}", status_code=303)
