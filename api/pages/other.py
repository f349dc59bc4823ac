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
from phancap.engine.audit_checkpoint import FULL, latest, verify_full, verify_incremental
from phancap.engine.clock import stamp
from phancap.engine.queries import TASK_KIND, list_plans, rollup, rollup_scope
from phancap.engine.users import User
from phancap.engine.policy import READ_AUDIT, may_see_plan_rollup, may_see_rollup
from phancap.engine.collation import number_key, vi_key
from phancap.engine.units import list_units, search_units
from phancap.engine.visibility import AuditFilter, iter_audit, plan_matrix, search_audit

router = APIRouter()
AUDIT_PAGE_LIMIT = 200  # events a page shows; older ones by keyset (before=id)


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
    units = sorted({(t.unit, t.unit_name or t.unit) for t in items}, key=lambda u: vi_key(u[1]))
    shown = [t for t in items if (not state or t.state == state) and (not unit or t.unit == unit)]
    rows: dict[str, dict[str, object]] = {}
    for t in sorted(shown, key=lambda t: number_key(t.task)):
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


SYSTEM_LABELS = {"assign": "Giao nhiệm vụ", "mark_overdue": "Quá hạn", "amend_plan": "Kế hoạch được nạp lại",
                 "amend": "Sửa đổi, bổ sung kế hoạch", "transfer": "Chuyển đơn vị chủ trì", "raise": "Nêu vướng mắc"}


def _trigger_choices(services: Services) -> dict[str, str]:
    """trigger → its Vietnamese label(s), for the audit search: one entry per trigger."""
    labels: dict[str, list[str]] = {t: [label] for t, label in SYSTEM_LABELS.items()}
    for machine in services.workflows.values():
        for t in machine.workflow.transitions:
            if t.label not in labels.setdefault(t.trigger, []):
                labels[t.trigger].append(t.label)
    return dict(sorted(((t, " / ".join(ls)) for t, ls in labels.items()), key=lambda x: x[1]))


def _unit_code(services: Services, typed: str, plan: str | None) -> tuple[str | None, list[dict[str, Any]]]:
    """A unit code from a code or words of a name (with or without diacritics), inside the chosen plan's
    registry when there is one: (code, candidates when several match)."""
    typed = typed.strip()
    if not typed:
        return None, []
    if any(u["code"] == typed.upper() for u in list_units(services.db)):
        return typed.upper(), []
    issuer = next((p["issuer_code"] for p in list_plans(services.db) if p["code"] == plan), None)
    region = issuer.split("-", 1)[0] if issuer else None
    found = search_units(services.db, region=region, search=typed, include_inactive=True)
    return (found[0]["code"], []) if len(found) == 1 else (typed, found[:8])


@router.get("/audit")
def audit(request: Request, services: ServicesDep, user: PageUser, plan: str | None = None,
          unit: str | None = None, actor: str | None = None, trigger: str | None = None,
          since: str | None = None, until: str | None = None, before: int | None = None) -> Response:
    """For auditors and monitors: search the trail (newest first, paged), export it, verify the chain.
    Actions, states and units are shown by their Vietnamese names; a unit may be searched by its name."""
    READ_AUDIT.require(user)
    code, candidates = _unit_code(services, unit or "", plan)
    filters = _audit_filter(plan, code, actor, trigger, since, until)
    try:
        events = search_audit(services.db, filters, AUDIT_PAGE_LIMIT + 1, newest_first=True, before_id=before,
                              with_workflow=True)
    except ValueError:
        raise ApiError("request", "Ngày không hợp lệ (YYYY-MM-DD)", "invalid date (YYYY-MM-DD)") from None
    names = {u["code"]: u["name"] for u in list_units(services.db)}
    for e in events:
        machine = services.workflows.get(str(e.get("workflow")))
        label = machine.workflow.event_label(e["trigger"], e["from"], e["to"]) if machine else None
        e["label"] = label or SYSTEM_LABELS.get(e["trigger"], e["trigger"])
        e["from_label"] = services.state_label(str(e.get("workflow")), e["from"]) if e["from"] else ""
        e["to_label"] = services.state_label(str(e.get("workflow")), e["to"])
        e["task_unit_name"] = names.get(e["task_unit"], e["task_unit"])
        e["unit_name"] = names.get(e["unit"] or "", e["unit"])
    shown = events[:AUDIT_PAGE_LIMIT]
    query = str(request.url.query)
    export_query = "&".join(p for p in query.split("&") if p and not p.startswith("before="))
    return render(request, "audit.html", {
        "events": shown, "more": len(events) > AUDIT_PAGE_LIMIT,
        "next_before": shown[-1]["id"] if len(events) > AUDIT_PAGE_LIMIT else None,
        **_verification(services, user), "f": filters, "query": export_query,
        "typed_unit": unit or "", "candidates": candidates, "triggers": _trigger_choices(services),
        "plans": [p["code"] for p in list_plans(services.db)],
    })


def _verification(services: Services, user: User) -> dict[str, Any]:
    """Incremental on every visit (issue 16): only the events since the newest good checkpoint are read."""
    report, point = verify_incremental(services.db, user.name, stamp(services.clock.now()))
    with services.db.read() as cur:
        full = latest(cur, kind=FULL)
    return {"verify": report.to_json(), "checkpoint": point.to_json(),
            "last_full": None if full is None else full.to_json()}


@router.post("/audit/verify")
def audit_verify_full(services: ServicesDep, user: FormUser) -> Response:
    """A full verification on demand: every event read again; its outcome becomes the newest checkpoint."""
    READ_AUDIT.require(user)
    _, point = verify_full(services.db, user.name, stamp(services.clock.now()))
    return RedirectResponse(f"/audit?verified={point.id}", status_code=303)


@router.get("/audit/export.{fmt}")
def audit_export(services: ServicesDep, user: PageUser, fmt: Literal["csv", "jsonl"], plan: str | None = None,
                 unit: str | None = None, actor: str | None = None, trigger: str | None = None,
                 since: str | None = None, until: str | None = None) -> Response:
    READ_AUDIT.require(user)
    rows = iter_audit(services.db, _audit_filter(plan, unit, actor, trigger, since, until))
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
    changed = f"&clock_units={result.unit_changes_applied}" if result.unit_changes_applied else ""
    return RedirectResponse(f"{target}{sep}clock_marked={result.marked_overdue or 0}{changed}", status_code=303)
