"""Rendering pages: the shared context (user, CSRF token, simulated clock), filters, error pages."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment

from phancap.api.errors import http_status
from phancap.engine.clock import VIETNAM, stamp
from phancap.engine.roles import ROLE_LABELS_VI
from phancap.engine.errors import Refusal
from phancap.engine.dashboard import may_open_dashboard
from phancap.engine.notifications import UNREAD_CAP, unread_count
from phancap.engine.policy import READ_ADMIN_EVENTS, may_administer, may_audit, may_import

RELATIONS_VI = {"lead": "chủ trì", "focal": "đầu mối theo dõi", "authority": "cấp có thẩm quyền phê duyệt",
                "coordinator": "phối hợp", "monitor": "theo dõi, đôn đốc", "justice": "thẩm định"}
BADGES = {"overdue": "quá hạn", "stage_overdue": "quá thời hạn của bước", "due_soon": "sắp đến hạn", "no_deadline": "không thời hạn"}


def vn_time(value: str | None) -> str:
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):  # a malformed audit row: show it as stored
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")


def vn_date(value: date | str | None) -> str:
    if not value:
        return ""
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return day.strftime("%d/%m/%Y")


def install_filters(env: Environment) -> None:
    env.filters["vntime"] = vn_time
    env.filters["vndate"] = vn_date
    env.filters["role_vi"] = lambda role: ROLE_LABELS_VI.get(role, role)
    env.filters["relation_vi"] = lambda rel: RELATIONS_VI.get(rel, rel)
    env.globals["BADGES"] = BADGES


def _count(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() and len(value) < 9 else None


def render(request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200) -> HTMLResponse:
    services = request.app.state.services
    user = getattr(request.state, "user", None)
    ctx: dict[str, Any] = {
        "user": user,
        "may_audit": may_audit(user),
        "may_import": may_import(user),
        "may_admin": may_administer(user),
        "may_dashboard": user is not None and may_open_dashboard(services.db, user),
        "may_admin_events": READ_ADMIN_EVENTS.allows(user),
        "csrf": getattr(request.state, "csrf", ""),
        "demo": services.settings.demo,
        "clock_now": vn_time(stamp(services.clock.now())),
        "here": request.url.path,
        "clock_marked": _count(request.query_params.get("clock_marked")),
        "notices": unread_count(services.engine, user) if user is not None else 0,
        "notices_cap": UNREAD_CAP,
    }
    ctx.update(context or {})
    response = services.templates.TemplateResponse(request, template, ctx, status_code=status)
    assert isinstance(response, HTMLResponse)
    return response


def render_error(request: Request, error: Refusal) -> HTMLResponse:
    status = http_status(error)
    return render(request, "error.html", {"error": error, "status": status}, status=status)
