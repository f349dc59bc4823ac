"""Pages: plans (tasks × units matrix, progress), the audit trail, workflows, the demo clock."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from phancap.api.deps import FormUser, PageUser, ServicesDep
from phancap.api.diagram import render_svg
from phancap.api.errors import ApiError
from phancap.api.pages.auth import safe_next
from phancap.api.limits import moment
from phancap.api.pages.render import render
from phancap.api.exports import audit_csv, audit_jsonl
from phancap.api.routes.clock import shift_clock
from phancap.api.routes.plans import plan_not_found, plan_progress
from phancap.api.routes.workflows import get_workflow
from phancap.api.services import Services
from phancap.api.views import task_public
from phancap.engine.amendments import plan_versions
from phancap.engine.queries import TASK_KIND, list_plans, rollup, rollup_scope, verify_audit
from phancap.engine.users import User
from phancap.engine.policy import READ_AUDIT, may_see_plan_rollup, may_see_rollup
from phancap.engine.visibility import AuditFilter, plan_matrix, search_audit

router = APIRouter()
AUDIT_PAGE_LIMIT = 500


@router.get("/plans")
def plans(request: Request, services: ServicesDep, user: PageUser) -> Response:
    return render(request, "plans.html", {"plans": list_plans(services.db)})


@router.get("/plans/{code}")
def plan(request: Request, services: ServicesDep, user: PageUser, code: str,
         state: str | None = None, unit: str | None = None) -> Response:
    """Tasks × units, each cell coloured by its state; filters by state and unit."""
    found = [p for p in list_plans(services.db) if p["code"] == code]
    if not found:
        raise plan_not_found(code)
    today, rules = services.clock.today(), services.engine.status
    items = [task_public(services, i) for i in plan_matrix(services.db, user, code, today, rules)
             if i["kind"] == TASK_KIND]
    units = sorted({(t.unit, t.unit_name or t.unit) for t in items}, key=lambda u: u[1])
    shown = [t for t in items if (not state or t.state == state) and (not unit or t.unit == unit)]
    rows: dict[str, dict[str, object]] = {}
    for t in shown:
        row = rows.setdefault(t.task, {"title": t.title, "cells": {}})
        row["cells"][t.unit] = t  # type: ignore[index]
    columns = [u for u in units if not unit or u[0] == unit]
    states = sorted({t.state for t in items})
    labels: dict[str, str] = {}
    for t in items:  # one chip per state; workflows that name it differently are both named
        if t.state_label not in labels.get(t.state, "").split(" / "):
            labels[t.state] = f"{labels[t.state]} / {t.state_label}" if t.state in labels else t.state_label
    return render(request, "plan.html", {
        "plan": found[0], "rows": rows, "columns": columns, "units": units, "states": states, "labels": labels,
        "progress": plan_progress(services, user, code), "filter_state": state or "", "filter_unit": unit or "",
        "rollup": _rollup_for(services, user, code), "versions": plan_versions(services.db, code),
    })


def _rollup_for(services: Services, user: User, code: str) -> dict[str, Any] | None:
    """Plans across levels: the child plans' progress under each task, for those who may see the roll-up."""
    if not may_see_rollup(user):
        return None
    plan, region = rollup_scope(services.db, code, user.unit)
    if plan is None or not may_see_plan_rollup(user, region, plan):
        return None
    data = rollup(services.db, code, services.clock.today(), services.engine.status)
    return data if data["children"] else None


def _audit_filter(plan: str | None, unit: str | None, actor: str | None, trigger: str | None,
                  since: str | None, until: str | None) -> AuditFilter:
    return AuditFilter(plan or None, unit or None, actor or None, trigger or None,
                       moment("query.since", since), moment("query.until", until))


@router.get("/audit")
def audit(request: Request, services: ServicesDep, user: PageUser, plan: str | None = None,
          unit: str | None = None, actor: str | None = None, trigger: str | None = None,
          since: str | None = None, until: str | None = None) -> Response:
    """For auditors and monitors: search the trail, export it, and see whether the chain verifies."""
    READ_AUDIT.require(user)
    filters = _audit_filter(plan, unit, actor, trigger, since, until)
    try:
        events = search_audit(services.db, filters, AUDIT_PAGE_LIMIT + 1)
    except ValueError:
        raise ApiError("request", "Ngày không hợp lệ (YYYY-MM-DD)", "invalid date (YYYY-MM-DD)") from None
    query = str(request.url.query)
    return render(request, "audit.html", {
        "events": events[:AUDIT_PAGE_LIMIT], "more": len(events) > AUDIT_PAGE_LIMIT,
        "verify": verify_audit(services.db).to_json(), "f": filters, "query": query,
        "plans": [p["code"] for p in list_plans(services.db)],
    })


@router.get("/audit/export.{fmt}")
def audit_export(services: ServicesDep, user: PageUser, fmt: Literal["csv", "jsonl"], plan: str | None = None,
                 unit: str | None = None, actor: str | None = None, trigger: str | None = None,
                 since: str | None = None, until: str | None = None) -> Response:
    READ_AUDIT.require(user)
    rows = search_audit(services.db, _audit_filter(plan, unit, actor, trigger, since, until))
    body, media = ((audit_csv(rows), "text/csv; charset=utf-8") if fmt == "csv"
                   else (audit_jsonl(rows), "application/x-ndjson"))
    return StreamingResponse(body, media_type=media,
                             headers={"Content-Disposition": f'attachment; filename="phancap-audit.{fmt}"'})


@router.get("/workflows")
def workflows(request: Request, services: ServicesDep, user: PageUser) -> Response:
    return render(request, "workflows.html", {"workflows": [m.workflow for m in services.workflows.values()]})


@router.get("/workflows/{name}")
def workflow(request: Request, services: ServicesDep, user: PageUser, name: str,
             current: str | None = None) -> Response:
    w = get_workflow(services, name)
    return render(request, "workflow.html", {"workflow": w, "diagram": render_svg(w, current)})


@router.post("/demo/clock")
def demo_clock(services: ServicesDep, user: FormUser, days: Annotated[int, Form(ge=1, le=366)],
               next: Annotated[str, Form()] = "/") -> Response:
    """Demo mode only: move the simulated clock forward and run the deadline sweep."""
    result = shift_clock(services, days)
    target = safe_next(next)
    sep = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{sep}clock_marked={result.marked_overdue or 0}", status_code=303)
