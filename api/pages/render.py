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
                "coordinator": "phối hợp", "monitor": "theo dõi, đôn đốc", "justice": "thẩm định",
                "recipient": "nơi nhận báo cáo"}
# What a transition asks for (`requires`) and checks (`guards`), as the pages name them.
CONDITIONS_VI = {"comment": "ý kiến", "evidence": "minh chứng", "proposed_deadline": "thời hạn đề nghị",
                 "extension_pending": "đang có đề nghị gia hạn", "has_document_number": "văn bản đã có số"}
BADGES = {"overdue": "quá hạn", "stage_overdue": "quá thời hạn của bước", "due_soon": "sắp đến hạn", "no_deadline": "không thời hạn"}


def grant_vi(grant: object) -> str:
    """officer@lead -> 'Chuyên viên (chủ trì)'."""
    role, _, relation = str(grant).partition("@")
    who = ROLE_LABELS_VI.get(role, role)
    return f"{who} ({RELATIONS_VI.get(relation, relation)})" if relation else who


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
    env.filters["grant_vi"] = grant_vi
    env.filters["condition_vi"] = lambda name: CONDITIONS_VI.get(name, name)
    env.globals["BADGES"] = BADGES
    env.filters["case_url"] = case_url


CASE_PAGES = {"report": "/reports", "difficulty": "/difficulties"}


def case_url(item: Any) -> str:
    """The page an item opens: a report's or a difficulty's own page, a plan task's page otherwise."""
    kind = item.get("kind") if isinstance(item, dict) else getattr(item, "kind", "task")
    number = item.get("id") if isinstance(item, dict) else getattr(item, "id")
    return f"{CASE_PAGES.get(str(kind), '/tasks')}/{number}"


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
        "clock_units": _count(request.query_params.get("clock_units")),
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
