"""The web side of the metrics (issue 16): each request timed by method, route template (never the raw path:
ids would make a series per task) and status, and logged once with its request id; and /metrics, the
Prometheus exposition, for whoever holds PHANCAP_METRICS_TOKEN (without one set it does not exist: metrics
name routes, volumes and failures, which are not for the public)."""

from __future__ import annotations

import hmac
import logging
import time

from fastapi import APIRouter, Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from phancap.api.errors import ApiError
from phancap.engine import metrics
from phancap.engine.logs import request_id

log = logging.getLogger("phancap.api.access")
router = APIRouter()


class RequestMetrics:
    """Pure ASGI, inside RequestId (so the log line carries the id)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            metrics.REQUESTS.labels(scope.get("method", ""), route, str(status)).observe(elapsed)
            log.info("request", extra={"method": scope.get("method"), "route": route, "status": status,
                                       "ms": round(elapsed * 1000, 1), "request_id": request_id.get()})


def route_template(scope: Scope) -> str:
    """The matched route's path with its router's prefix ("/api/v1/tasks/{task_id}"): the route knows only its
    own part, so the prefix is the part of the requested path before what the route matched."""
    route = scope.get("route")
    template, pattern = getattr(route, "path", None), getattr(route, "path_regex", None)
    if template is None or pattern is None:
        return "(unmatched)"
    path = str(scope.get("path", ""))
    for cut in [0, *(i for i, c in enumerate(path) if c == "/" and i)]:
        if pattern.match(path[cut:]):
            return path[:cut] + str(template)
    return str(template)


@router.get("/metrics", include_in_schema=False)
def prometheus(request: Request) -> Response:
    token = request.app.state.services.settings.metrics_token
    if not token:
        raise ApiError("not_found", "Không có trang này (chưa đặt PHANCAP_METRICS_TOKEN)",
                       "no such page (PHANCAP_METRICS_TOKEN is not set)", status=404)
    given = request.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        raise ApiError("auth", "Cần mã truy cập số liệu vận hành", "the metrics token is required", status=401)
    return Response(metrics.exposition(), media_type="text/plain; version=0.0.4; charset=utf-8")
