"""Pages: periodic reports (mine to write and to receive, one report with its figures and forms),
the monitoring dashboard with urging, difficulties (the list with answer/escalate forms; raising one
from the task page)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from phancap.api.deps import FormUser, PageUser, ServicesDep
from phancap.api.errors import ApiError, http_status
from phancap.api.pages.cases import SECTION_LABELS, timeline
from phancap.api.pages.render import render
from phancap.api.progress_chart import progress_svg
from phancap.api.pages.tasks import task_page, workflow_label
from phancap.api.report_schemas import UrgeRequest
from phancap.api.report_views import (
    DIFFICULTY,
    REPORT,
    dashboard_public,
    difficulties_public,
    raise_on_task,
    report_detail,
    report_download,
    report_public,
    urge_tracked,
    visible_cases,
    visible_report,
)
from phancap.api.services import Services
from phancap.engine.errors import Refusal
from phancap.engine.queries import list_plans
from phancap.engine.status import CATEGORIES, LABELS_VI
from phancap.engine.policy import may_urge
from phancap.engine.users import User
from phancap.engine.visibility import visible_task

router = APIRouter()

# Bar colours of the dashboard chart, by state (SVG fill attributes: the CSP allows no inline styles).
STATE_COLOURS = {"assigned": "#818cf8", "in_review": "#facc15", "submitted": "#22d3ee", "approved": "#22c55e",
                 "overdue": "#ef4444", "withdrawn": "#9ca3af"}
OTHER_COLOURS = ("#a78bfa", "#fb923c", "#2dd4bf", "#f472b6", "#94a3b8")


def _fire(services: Services, user: User, task_id: int, trigger: str, comment: str,
          version: int | None, sections: dict[str, str] | None = None) -> Refusal | None:
    try:
        services.engine.fire(task_id, trigger, user.name, comment=comment.strip() or None, version=version,
                             sections=sections or None)
    except Refusal as exc:
        return exc
    return None


@router.get("/reports")
def reports(request: Request, services: ServicesDep, user: PageUser, plan: str | None = None,
            period: str | None = None) -> Response:
    """Báo cáo định kỳ: what the caller's unit must send, and what it receives."""
    items = [report_public(services, i) for i in visible_cases(services, user, REPORT, plan=plan or None,
                                                               period=period or None)]
    to_write = [r for r in items if r.unit == user.unit]
    to_receive = [r for r in items if any(x.unit == user.unit for x in r.recipients)]
    periods = sorted({r.period for r in items})
    return render(request, "reports.html", {
        "to_write": to_write, "to_receive": to_receive, "plans": [p["code"] for p in list_plans(services.db)],
        "periods": periods, "filter_plan": plan or "", "filter_period": period or "",
        "late_count": sum(1 for r in to_receive if r.late),
    })


def report_page(request: Request, services: Services, user: User, report_id: int, *, error: Refusal | None = None,
                done: str | None = None, form: dict[str, str] | None = None) -> Response:
    detail = report_detail(services, user, report_id)
    content = detail.content
    cats = content.categories.model_dump()
    return render(request, "reports_detail.html", {
        "r": detail, "c": content, "error": error, "form": form or {},
        "done": workflow_label(services, detail.workflow, done),
        "categories": [(LABELS_VI[k], cats[k]) for k in CATEGORIES],
        "rate": cats["completion_rate"], "columns": [(k, LABELS_VI[k]) for k in CATEGORIES[:5]],
        "by_task": {k: v.model_dump() for k, v in content.by_task.items()},
        "report_states": {n: s.label for n, s in services.workflows[detail.workflow].workflow.states.items()},
        "events": timeline(services, detail.workflow, report_id), "section_labels": SECTION_LABELS,
    }, status=http_status(error) if error else 200)


@router.get("/reports/{report_id}.docx")
def report_docx(services: ServicesDep, user: PageUser, report_id: int) -> Response:
    return report_download(services, user, report_id, "docx")


@router.get("/reports/{report_id}.xlsx")
def report_xlsx(services: ServicesDep, user: PageUser, report_id: int) -> Response:
    return report_download(services, user, report_id, "xlsx")


@router.get("/reports/{report_id}")
def report(request: Request, services: ServicesDep, user: PageUser, report_id: int,
           done: str | None = None) -> Response:
    return report_page(request, services, user, report_id, done=done)


@router.post("/reports/{report_id}/fire")
def report_fire(request: Request, services: ServicesDep, user: FormUser, report_id: int,
                trigger: Annotated[str, Form(max_length=64)],
                comment: Annotated[str, Form(max_length=20_000)] = "",
                version: Annotated[int | None, Form()] = None,
                results: Annotated[str, Form(max_length=20_000)] = "",
                shortcomings: Annotated[str, Form(max_length=20_000)] = "",
                proposals: Annotated[str, Form(max_length=20_000)] = "") -> Response:
    """Send, accept or return a report from its page (sending carries the sections I-III the unit wrote);
    a refusal shows the page again and changes nothing."""
    visible_report(services, user, report_id)
    sections = {k: v.strip() for k, v in (("results", results), ("shortcomings", shortcomings),
                                          ("proposals", proposals)) if v.strip()}
    error = _fire(services, user, report_id, trigger, comment, version, sections)
    if error is not None:
        return report_page(request, services, user, report_id, error=error,
                           form={"trigger": trigger, "comment": comment, **sections})
    return RedirectResponse(f"/reports/{report_id}?done={trigger}", status_code=303)


def _bars(board: Any, colours: dict[str, str]) -> list[dict[str, Any]]:
    """One stacked bar per agency: segments (state, count, x and width in percent of the axis, _scale)."""
    widest = _scale(board)["max"] or 1
    bars = []
    for agency in board.agencies:
        x, segments = 0.0, []
        for state, count in sorted(agency.states.items(), key=lambda kv: list(colours).index(kv[0])):
            width = 100.0 * count / widest
            segments.append({"state": state, "count": count, "x": round(x, 3), "width": round(width, 3),
                             "colour": colours[state]})
            x += width
        bars.append({"unit": agency.unit, "name": agency.unit_name or agency.unit,
                     "total": sum(agency.states.values()), "segments": segments, "categories": agency.categories})
    return bars


def _scale(board: Any) -> dict[str, Any]:
    """The bars' axis: evenly spaced ticks (value, x in percent) from 0 past the largest agency's task count."""
    from phancap.api.progress_chart import even_ticks

    widest = max((sum(a.states.values()) for a in board.agencies), default=0)
    values = even_ticks(widest) if widest else []
    top = values[-1] if values else 0
    return {"widest": widest, "max": top, "ticks": [(v, round(100.0 * v / top, 3)) for v in values]}


@router.get("/dashboard")
def dashboard_page(request: Request, services: ServicesDep, user: PageUser, plan: str | None = None,
                   period: str | None = None, urged: int | None = None, refused: int | None = None) -> Response:
    """Theo dõi, đôn đốc: progress by plan and agency, overdue and due-soon tasks, reports received and missing."""
    board = dashboard_public(services, user, plan or None, period or None)
    colours = dict(STATE_COLOURS)
    for i, state in enumerate(sorted({s for b in board.plans for s in b.states} - set(colours))):
        colours[state] = OTHER_COLOURS[i % len(OTHER_COLOURS)]
    used = {s for b in board.plans for s in b.states}
    return render(request, "dashboard.html", {
        "board": board, "bars": {b.plan: _bars(b, colours) for b in board.plans},
        "scales": {b.plan: _scale(b) for b in board.plans},
        "progress": {b.plan: progress_svg([p.model_dump() for p in b.timeline], b.tasks, f"Tiến độ thực hiện kế hoạch {b.plan}")
                     for b in board.plans if b.timeline},
        "legend": [(s, board.state_labels.get(s, s), c) for s, c in colours.items() if s in used],
        "plans": [p["code"] for p in list_plans(services.db)], "filter_plan": plan or "",
        "columns": [(k, LABELS_VI[k]) for k in CATEGORIES], "may_urge": may_urge(user, [m.workflow for m in services.workflows.values()]),
        "urged": urged, "refused": refused,
    })


@router.post("/dashboard/urge")
def dashboard_urge(services: ServicesDep, user: FormUser,
                   task: Annotated[list[int] | None, Form()] = None,
                   scope: Annotated[str, Form(max_length=16)] = "selected",
                   plan: Annotated[str, Form(max_length=64)] = "",
                   comment: Annotated[str, Form(max_length=10_000)] = "") -> Response:
    """Đôn đốc: the ticked tasks, or every overdue and due-soon task the caller's unit tracks."""
    chosen = None if scope == "all" else (task or [])
    result = urge_tracked(services, user, UrgeRequest(plan=plan or None, comment=comment or None, tasks=chosen))
    query = urlencode({k: v for k, v in (("plan", plan), ("urged", len(result.urged)),
                                         ("refused", len(result.refused))) if v != ""})
    return RedirectResponse(f"/dashboard?{query}#urging", status_code=303)


def difficulties_page(request: Request, services: Services, user: User, *, state: str | None = None,
                      error: Refusal | None = None, done: str | None = None, failed: int | None = None) -> Response:
    items = difficulties_public(services, visible_cases(services, user, DIFFICULTY, state=state or None))
    actions = {d.id: services.engine.triggers(d.id, user.name) for d in items}
    workflow = services.workflows[DIFFICULTY].workflow
    return render(request, "reports_difficulties.html", {
        "items": items, "actions": actions, "error": error, "failed": failed,
        "done": workflow_label(services, DIFFICULTY, done), "filter_state": state or "",
        "states": {name: s.label for name, s in workflow.states.items()},
    }, status=http_status(error) if error else 200)


@router.get("/difficulties")
def difficulties(request: Request, services: ServicesDep, user: PageUser, state: str | None = None,
                 done: str | None = None) -> Response:
    """Khó khăn, vướng mắc: those the caller's unit raised or that go to it; answer or escalate them."""
    return difficulties_page(request, services, user, state=state, done=done)


@router.post("/difficulties/{difficulty_id}/fire")
def difficulty_fire(request: Request, services: ServicesDep, user: FormUser, difficulty_id: int,
                    trigger: Annotated[str, Form(max_length=64)],
                    comment: Annotated[str, Form(max_length=10_000)] = "",
                    version: Annotated[int | None, Form()] = None) -> Response:
    item = visible_task(services.db, user, difficulty_id)
    if item is None or item["kind"] != DIFFICULTY:
        raise ApiError("not_found", f"Không có vướng mắc số {difficulty_id}", f"no difficulty {difficulty_id}")
    error = _fire(services, user, difficulty_id, trigger, comment, version)
    if error is not None:
        return difficulties_page(request, services, user, error=error, failed=difficulty_id)
    return RedirectResponse(f"/difficulties?done={trigger}#d-{difficulty_id}", status_code=303)


@router.post("/tasks/{task_id}/difficulties")
def task_difficulty(request: Request, services: ServicesDep, user: FormUser, task_id: int,
                    text: Annotated[str, Form(max_length=10_000)] = "") -> Response:
    """Nêu khó khăn, vướng mắc from the task page; a refusal shows the task page again with the reason."""
    try:
        new = raise_on_task(services, user, task_id, text)
    except Refusal as exc:
        if http_status(exc) == 404:
            raise
        return task_page(request, services, user, task_id, error=exc, form={"difficulty_text": text})
    return RedirectResponse(f"/tasks/{task_id}?raised={new}#difficulties", status_code=303)
