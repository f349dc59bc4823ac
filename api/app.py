"""The application factory: `uvicorn api.app:create_app --factory`.

Tests inject a Database, a Clock and ApiSettings; the CLI passes the one Settings object; otherwise
everything comes from the environment (DATABASE_URL, PHANCAP_SECRET_KEY, PHANCAP_DEMO…) and a bad
value stops the start."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

import psycopg
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError as DBAPIDataError
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from phancap.api.errors import ApiError, LoginRequired, http_status
from phancap.api.limits import BodyLimit, CleanInput, Limits, too_large
from phancap.api import metrics as metrics_routes
from phancap.api.metrics import RequestMetrics
from phancap.api.request_id import RequestId
from phancap.api.pages import admin as page_admin
from phancap.api.pages import auth as page_auth
from phancap.api.pages import deliveries as page_deliveries
from phancap.api.pages import import_edits as page_import_edits
from phancap.api.pages import imports as page_imports
from phancap.api.pages import notifications as page_notifications
from phancap.api.pages import other as page_other
from phancap.api.pages import reports as page_reports
from phancap.api.pages import cases as page_cases
from phancap.api.pages import spec as page_spec
from phancap.api.pages import tasks as page_tasks
from phancap.api.pages.render import render_error
from phancap.api.routes import admin as admin_routes
from phancap.api.routes import inbox as inbox_routes
from phancap.api.routes import notifications as notification_routes
from phancap.api.routes import audit as audit_routes
from phancap.api.routes import auth as auth_routes
from phancap.api.routes import clock as clock_routes
from phancap.api.routes import evidence as evidence_routes
from phancap.api.routes import health as health_routes
from phancap.api.routes import imports as import_routes
from phancap.api.routes import plans as plan_routes
from phancap.api.routes import reports as report_routes
from phancap.api.routes import spec as spec_routes
from phancap.api.routes import tasks as task_routes
from phancap.api.routes import workflows as workflow_routes
from phancap.api.services import HERE, Services
from phancap.api.settings import ApiSettings
from phancap.engine import metrics
from phancap.engine.clock import Clock
from phancap.engine.db import Database
from phancap.engine.errors import Refusal
from phancap.engine.evidence import EvidenceStore
from phancap.engine.machine import WorkflowMachine
from phancap.engine.notify import Sender
from phancap.engine.queries import ping
from phancap.engine.settings import Settings
from phancap.engine.worker import Worker
from phancap.engine.workflows import load_workflows

CSP = "default-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
# Swagger UI and ReDoc run from files shipped in static/vendor (they work offline); their pages start
# them with an inline script and ReDoc uses a worker, so only those two pages get a wider policy.
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'")
VENDOR = "/static/vendor"
DOCS_PATHS = ("/docs", "/redoc")
log = logging.getLogger(__name__)


def _docs(app: FastAPI) -> None:
    """/docs and /redoc (public, like /openapi.json) with their scripts served from this server."""
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html

    @app.get("/docs", include_in_schema=False)
    async def swagger() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="phancap · API",
                                   oauth2_redirect_url="/docs/oauth2-redirect",
                                   swagger_js_url=f"{VENDOR}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{VENDOR}/swagger-ui.css",
                                   swagger_favicon_url=f"{VENDOR}/favicon-32x32.png")

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url="/openapi.json", title="phancap · API",
                              redoc_js_url=f"{VENDOR}/redoc.standalone.js",
                              redoc_favicon_url=f"{VENDOR}/favicon-32x32.png", with_google_fonts=False)


def create_app(database: Database | None = None, clock: Clock | None = None,
               settings: Settings | ApiSettings | None = None,
               workflows: dict[str, WorkflowMachine] | None = None, worker: bool = False) -> FastAPI:
    """`settings`: the one Settings object (the CLI passes it), or only the web part (tests); what is
    not given is read from the environment, once, here. `worker`: run the outbox worker and the scheduled
    sweep in a thread of this process while it serves (`phancap serve` on SQLite)."""
    config = settings if isinstance(settings, Settings) else Settings.from_env()
    web = settings if isinstance(settings, ApiSettings) else ApiSettings.from_settings(config)
    owned = database is None
    db = database or Database.from_settings(config)
    services = Services(db, workflows or load_workflows(), clock or config.clock(), web,
                        notify=config.notify(), due_soon_days=config.due_soon_days,
                        import_limits=config.import_limits())

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # An unreachable database does not stop the start: the server answers /healthz with 503 and
        # every other request with a 503 page until the database answers; this line says why.
        try:
            ping(db)
        except Exception as exc:  # noqa: BLE001 - any failure to answer is the same outage
            log.error("database unreachable at start: serving 503 until it answers",
                      extra={"error": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"})
        if worker:
            services.worker = Worker(db, services.workflows, services.clock, Sender(config.notify()), config.worker())
            services.worker.start()
        yield
        services.close()
        if owned:
            db.dispose()

    app = FastAPI(
        title="phancap",
        summary="Kế hoạch thực hiện của chính quyền địa phương: nhiệm vụ, quy trình, nhật ký kiểm toán",
        version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
    )
    _docs(app)
    app.state.services = services
    app.state.evidence_store = EvidenceStore.from_settings(config)
    for router in (auth_routes.router, task_routes.router, plan_routes.router, audit_routes.router,
                   workflow_routes.router, clock_routes.router, report_routes.router,
                   evidence_routes.router, import_routes.router, spec_routes.router, admin_routes.router,
                   inbox_routes.router, notification_routes.router):
        app.include_router(router, prefix="/api/v1")
    app.include_router(health_routes.router)
    app.include_router(metrics_routes.router)
    metrics.POOLS.watch(db.engine.url.get_backend_name(), db.engine.pool)
    metrics.OUTBOX.watch(db, services.clock)
    for router in (page_auth.router, page_tasks.router, page_import_edits.router, page_imports.router, page_spec.router,
                   page_other.router, page_reports.router, page_cases.router, page_admin.router,
                   page_notifications.router, page_deliveries.router):
        app.include_router(router, include_in_schema=False)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    _handlers(app)
    _headers(app, Limits.from_settings(config))
    return app


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/healthz"


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(Refusal)
    async def refused(request: Request, exc: Refusal) -> Response:
        """Every refusal, from the engine or the web layer: the rule's status, the reasons, nothing changed."""
        status = http_status(exc)
        metrics.REFUSALS.labels(exc.rule).inc()
        # refusals are the engine working as meant: visible when debugging, quiet otherwise
        log.debug("refused", extra={"rule": exc.rule, "status": status, "path": request.url.path})
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
        headers.update(getattr(exc, "headers", None) or {})  # Retry-After on a throttled login
        if _wants_json(request):
            return JSONResponse(exc.body(), status_code=status, headers=headers)
        return render_error(request, exc)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        known = {404: ("not_found", "Không có địa chỉ này", "not found"),
                 405: ("request", "Phương thức không được hỗ trợ", "method not allowed")}
        status = exc.status_code
        if status == 413:  # a streamed body passed its limit (api/limits.py)
            error: ApiError = too_large(int(getattr(exc, "limit", 0)))
        elif status == 400:
            # FastAPI's "error parsing the body" (a malformed form or multipart body): a 422 naming the body,
            # the status every route documents for a request it cannot take
            error = ApiError("request", "Không đọc được nội dung gửi lên", f"the request body cannot be read: {exc.detail}",
                             status=422, extra={"field": "body", "detail": [
                                 {"loc": ["body"], "msg": str(exc.detail), "type": "body_unreadable"}]})
        else:
            rule, vi, en = known.get(status, ("request", "Yêu cầu không hợp lệ", str(exc.detail)))
            error = ApiError(rule, vi, en, status=status)
        if _wants_json(request) or request.url.path.startswith("/static/"):
            return JSONResponse(error.body(), status_code=error.status, headers=exc.headers)
        return render_error(request, error)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DBAPIDataError)
    @app.exception_handler(psycopg.DataError)
    async def out_of_range(request: Request, exc: Exception) -> Response:
        # a value the database cannot store is a bad request, not a server error: a number beyond 64 bits
        # (a 30-digit id), or a NUL character where CleanInput could not see it (a multipart field)
        if "NUL" in str(exc) or "0x00" in str(exc):
            error = ApiError("request", "Dữ liệu gửi lên chứa ký tự NUL", "a text in the request contains a NUL character",
                             status=422)
        else:
            error = ApiError("request", "Giá trị số vượt quá giới hạn cho phép", "a number in the request is out of range",
                             status=422)
        if _wants_json(request):
            return JSONResponse(error.body(), status_code=422)
        return render_error(request, error)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        error = ApiError("request", "Dữ liệu gửi lên không hợp lệ", "the request is not valid")
        if _wants_json(request):
            return JSONResponse({**error.body(), "detail": jsonable(exc.errors())}, status_code=422)
        return render_error(request, error)


def jsonable(errors: Any) -> Any:
    from fastapi.encoders import jsonable_encoder

    return jsonable_encoder(errors, custom_encoder={Exception: str, bytes: lambda b: b.decode(errors="replace")})


class SecurityHeaders:
    """Pure ASGI middleware (no per-request task group): CSP, nosniff, no framing, no caching of pages."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = DOCS_CSP if path in DOCS_PATHS else CSP
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                headers["Referrer-Policy"] = "same-origin"
                if not path.startswith("/static/") and "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _headers(app: FastAPI, limits: Limits) -> None:
    # outermost last: SecurityHeaders → RequestId → BodyLimit → CleanInput → the routes; every refusal
    # these send (413, 422) and every unexpected error (500, 503) carries the security headers and the id
    app.add_middleware(CleanInput)
    app.add_middleware(BodyLimit, limits=limits)
    app.add_middleware(RequestMetrics)
    app.add_middleware(RequestId)
    app.add_middleware(SecurityHeaders)
