"""Shaping reports, difficulties, urging and the dashboard for the API and the pages: the engine
computes every figure and decides every rule; these functions only read the caller's request and build
the public models."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response

from phancap.api.errors import ApiError, task_not_found
from phancap.api.report_schemas import (
    AgencyProgress,
    Dashboard,
    DifficultyPublic,
    PeriodReports,
    PlanDashboard,
    ReportContent,
    ReportDetail,
    ReportPublic,
    ReportRecipientPublic,
    TimelinePoint,
    UrgeRequest,
    UrgeResultPublic,
)
from phancap.api.schemas import CategoryCounts
from phancap.api.services import Services
from phancap.api.views import task_public, triggers_public
from phancap.engine.dashboard import PlanFigures, dashboard, period_of
from phancap.engine.difficulties import raise_difficulty
from phancap.engine.policy import may_raise_difficulty
from phancap.engine.queries import latest_comments
from phancap.engine.reports import KIND as REPORT_KIND
from phancap.engine.report_documents import document_name, report_documents, report_sections
from phancap.engine.reports import ReportStanding, report_content, report_standing
from phancap.engine.status import Tally
from phancap.engine.urging import urge
from phancap.engine.users import User
from phancap.engine.visibility import cases_visible_to, relations, visible_task

REPORT, DIFFICULTY = REPORT_KIND, "difficulty"
REPORT_WORKFLOW = "periodic_report"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- reading cases (reports, difficulties) the caller may see ------------------------------------------

def visible_cases(services: Services, user: User, kind: str, **filters: Any) -> list[dict[str, Any]]:
    return cases_visible_to(services.db, user, kind, **filters)


def report_public(services: Services, item: dict[str, Any], standing: ReportStanding | None = None) -> ReportPublic:
    """A report as its writer and recipient see it; received, missing and late from the engine's status."""
    standing = standing or report_standing(services.engine.status, item, services.clock.today())
    base = task_public(services, item).model_dump()
    recipients = [ReportRecipientPublic(**r) for r in item.get("recipients") or []]
    return ReportPublic(**base, period=period_of(item), recipients=recipients,
                        recipient=recipients[0].unit if recipients else None,
                        recipient_name="; ".join(r.name or r.unit for r in recipients) or None,
                        received=standing.received, missing=standing.missing, late=standing.late)


def difficulties_public(services: Services, items: list[dict[str, Any]]) -> list[DifficultyPublic]:
    texts = latest_comments(services.db, [int(i["id"]) for i in items], ("raise", "answer"))
    result = []
    for item in items:
        said = texts.get(int(item["id"]), {})
        result.append(DifficultyPublic(**task_public(services, item).model_dump(), text=said.get("raise"),
                                       parent_task=str(item["task"]).split("/")[0],
                                       answer=said.get("answer") if item["state"] == "answered" else None))
    return result


def visible_report(services: Services, user: User, report_id: int) -> dict[str, Any]:
    item = visible_task(services.db, user, report_id)
    if item is None or item["kind"] != REPORT:
        raise ApiError("not_found", f"Không có báo cáo số {report_id} (hoặc bạn không được xem)",
                       f"no report {report_id} (or not visible to you)", extra={"task": report_id})
    return item


def report_detail(services: Services, user: User, report_id: int) -> ReportDetail:
    item = visible_report(services, user, report_id)
    content = report_content(services.db, report_id, services.clock.today(), services.engine.status)
    said = latest_comments(services.db, [report_id], ("submit",)).get(report_id, {})
    allowed = services.engine.triggers(report_id, user.name)
    return ReportDetail(**report_public(services, item).model_dump(), relations=relations(user, item),
                        triggers=triggers_public(user, item, allowed), content=ReportContent(**content),
                        free_text=said.get("submit"), sections=report_sections(services.db, report_id))


def report_state_labels(services: Services) -> dict[str, str]:
    return {n: s.label for n, s in services.workflows[REPORT_WORKFLOW].workflow.states.items()}


def report_download(services: Services, user: User, report_id: int, fmt: str) -> Response:
    item = visible_report(services, user, report_id)
    docx_bytes, xlsx_bytes, _content = report_documents(services.db, report_id, services.clock.today(),
                                                          services.engine.status, report_state_labels(services))
    name = document_name(item, fmt)
    body, media = (docx_bytes, DOCX) if fmt == "docx" else (xlsx_bytes, XLSX)
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def task_difficulties(services: Services, user: User, item: dict[str, Any]) -> tuple[list[DifficultyPublic], bool]:
    """The difficulties raised on a task that the caller may see, and whether the caller may raise one
    (the difficulty workflow's `opened_by` grants, relative to the task)."""
    if item.get("kind", "task") != "task":
        return [], False
    found = difficulties_public(services, visible_cases(services, user, DIFFICULTY, parent_id=int(item["id"])))
    return found, may_raise_difficulty(user, services.workflows[DIFFICULTY].workflow, relations(user, item))


def raise_on_task(services: Services, user: User, task_id: int, body: str) -> int:
    item = visible_task(services.db, user, task_id)
    if item is None:
        raise task_not_found(task_id)
    if item["kind"] != "task":
        raise ApiError("request", "Chỉ nêu vướng mắc đối với nhiệm vụ của kế hoạch",
                       "difficulties are raised on plan tasks only", extra={"task": task_id})
    return raise_difficulty(services.engine, task_id, user.name, body)


def urge_tracked(services: Services, user: User, request: UrgeRequest) -> UrgeResultPublic:
    result = urge(services.engine, user, plan=request.plan or None, unit=request.unit or None, tasks=request.tasks,
                  comment=request.comment, notifier=services.notifier(),
                  notices=services.wake_worker)
    return UrgeResultPublic(**result.to_json())


# --- the dashboard -------------------------------------------------------------------------------------

def counts_public(tally: Tally) -> CategoryCounts:
    return CategoryCounts(**tally.to_json())


def state_labels(services: Services) -> dict[str, str]:
    """Labels of the plan tasks' states (reports and difficulties have their own pages)."""
    labels: dict[str, str] = {}
    for name, machine in services.workflows.items():
        if name in (REPORT_WORKFLOW, DIFFICULTY):
            continue
        for state, definition in machine.workflow.states.items():
            if state in labels and definition.label not in labels[state].split(" / "):
                labels[state] += f" / {definition.label}"
            labels.setdefault(state, definition.label)
    return labels


def plan_dashboard_public(services: Services, figures: PlanFigures) -> PlanDashboard:
    period = None
    if figures.reports is not None:
        shown = [report_public(services, item, standing) for item, standing in figures.reports.reports]
        period = PeriodReports(period=figures.reports.period, periods=figures.reports.periods,
                               received=[r for r in shown if r.received], missing=[r for r in shown if r.missing],
                               late=[r for r in shown if r.late])
    return PlanDashboard(
        plan=figures.plan, title=figures.title, tasks=figures.tasks, categories=counts_public(figures.categories),
        states=figures.states,
        agencies=[AgencyProgress(unit=a.unit, unit_name=a.unit_name, states=a.states, categories=counts_public(a.categories))
                  for a in figures.agencies],
        overdue=[task_public(services, i) for i in figures.overdue],
        due_soon=[task_public(services, i) for i in figures.due_soon],
        reports=period, timeline=[TimelinePoint(**p) for p in figures.timeline], overdue_total=figures.overdue_total,
        due_soon_total=figures.due_soon_total)


def dashboard_public(services: Services, user: User, plan: str | None = None, period: str | None = None) -> Dashboard:
    figures = dashboard(services.engine, user, plan, period)
    return Dashboard(today=figures.today, scope=figures.scope, state_labels=state_labels(services),
                     plans=[plan_dashboard_public(services, p) for p in figures.plans])
