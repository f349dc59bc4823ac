"""Periodic reports, difficulties (vướng mắc), urging (đôn đốc) and the monitoring dashboard.

Reports and difficulties are task instances: they move through `POST /tasks/{id}/transitions` like any
task (submit, accept, return; answer, escalate), under the same visibility and grants. A unit sees the
reports it writes or receives and the difficulties it raised or that go to it; monitors and auditors
see everything."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from phancap.api.deps import CurrentUser, ServicesDep
from phancap.api.errors import ApiError
from phancap.api.report_schemas import (
    CreateReportsRequest,
    CreateReportsResult,
    Dashboard,
    DifficultyList,
    DifficultyPublic,
    RaiseDifficultyRequest,
    ReportDetail,
    ReportList,
    UrgeRequest,
    UrgeResultPublic,
)
from phancap.api.report_views import (
    DIFFICULTY,
    DOCX,
    REPORT,
    XLSX,
    dashboard_public,
    difficulties_public,
    raise_on_task,
    report_detail,
    report_download,
    report_public,
    urge_tracked,
    visible_cases,
)
from phancap.api.routes.plans import plan_not_found
from phancap.api.schemas import ErrorBody
from phancap.engine.errors import DefinitionError
from phancap.engine.policy import require_open_report_period
from phancap.engine.queries import plan_monitor
from phancap.engine.reports import create_reports

router = APIRouter(tags=["reports"], responses={401: {"model": ErrorBody}})


# --- routes ----------------------------------------------------------------------------------------------

@router.get("/reports", response_model=ReportList)
def list_reports(services: ServicesDep, user: CurrentUser, plan: str | None = None,
                 unit: Annotated[str | None, Query(description="the reporting unit")] = None,
                 recipient: Annotated[str | None, Query(description="the receiving unit")] = None,
                 period: Annotated[str | None, Query(max_length=32, description="e.g. BC-2025-6T")] = None,
                 state: str | None = None) -> ReportList:
    """The reports the caller writes or receives (everything for monitors and auditors)."""
    items = [report_public(services, i) for i in visible_cases(services, user, REPORT, plan=plan, unit=unit,
                                                               state=state, period=period, recipient=recipient)]
    return ReportList(items=items, total=len(items))


@router.get("/reports/{report_id}.docx", response_class=Response,
            responses={200: {"content": {DOCX: {}}}, 404: {"model": ErrorBody}})
def report_docx(services: ServicesDep, user: CurrentUser, report_id: int) -> Response:
    """The report as a Vietnamese administrative document (DOCX); every figure from the engine's data."""
    return report_download(services, user, report_id, "docx")


@router.get("/reports/{report_id}.xlsx", response_class=Response,
            responses={200: {"content": {XLSX: {}}}, 404: {"model": ErrorBody}})
def report_xlsx(services: ServicesDep, user: CurrentUser, report_id: int) -> Response:
    """The report's tables as a workbook (XLSX), one sheet per table."""
    return report_download(services, user, report_id, "xlsx")


@router.get("/reports/{report_id}", response_model=ReportDetail, responses={404: {"model": ErrorBody}})
def get_report(services: ServicesDep, user: CurrentUser, report_id: int) -> ReportDetail:
    """The report's fields, what the caller may fire now, and its figures (`content`)."""
    return report_detail(services, user, report_id)


@router.post("/plans/{code}/reports", response_model=CreateReportsResult, status_code=201,
             responses={s: {"model": ErrorBody} for s in (403, 404, 422)})
def post_reports(services: ServicesDep, user: CurrentUser, code: str, body: CreateReportsRequest) -> CreateReportsResult:
    """Create a period's reports in the plan's cascade (again: creates nothing). The plan's monitor
    (Sở Nội vụ / Phòng Nội vụ) or an administrator; `due` dates the entries the plan gives no date for."""
    monitor = plan_monitor(services.db, code)
    if monitor is None:
        raise plan_not_found(code)
    require_open_report_period(user, monitor)
    try:
        result = create_reports(services.db, services.workflows, services.clock, code, body.period, body.year, body.due)
    except (ValueError, DefinitionError) as exc:
        raise ApiError("request", f"Không tạo được kỳ báo cáo: {exc}", f"cannot create the reports: {exc}") from None
    return CreateReportsResult(**result.to_json())


@router.get("/difficulties", response_model=DifficultyList)
def list_difficulties(services: ServicesDep, user: CurrentUser, plan: str | None = None, state: str | None = None,
                      task: Annotated[int | None, Query(description="the task they were raised on")] = None,
                      unit: Annotated[str | None, Query(description="the unit that raised them")] = None) -> DifficultyList:
    """The difficulties the caller's unit raised or that go to it (everything for monitors and auditors)."""
    items = difficulties_public(services, visible_cases(services, user, DIFFICULTY, plan=plan, state=state,
                                                        parent_id=task, unit=unit))
    return DifficultyList(items=items, total=len(items))


@router.post("/tasks/{task_id}/difficulties", response_model=DifficultyPublic, status_code=201,
             responses={s: {"model": ErrorBody} for s in (403, 404, 422)})
def post_difficulty(services: ServicesDep, user: CurrentUser, task_id: int,
                    body: RaiseDifficultyRequest) -> DifficultyPublic:
    """Raise a difficulty on a task (the lead unit's or a coordinator's officer or head); it goes to
    Sở Nội vụ / Phòng Nội vụ. Answer or escalate it with POST /tasks/{id}/transitions."""
    new = raise_on_task(services, user, task_id, body.text)
    found = {d.id: d for d in difficulties_public(services, visible_cases(services, user, DIFFICULTY, parent_id=task_id))}
    return found[new]


@router.post("/urge", response_model=UrgeResultPublic, responses={403: {"model": ErrorBody}})
def post_urge(services: ServicesDep, user: CurrentUser, body: UrgeRequest) -> UrgeResultPublic:
    """Urge (đôn đốc) the overdue and due-soon tasks the caller's unit tracks, one audited event each;
    e-mail and webhook notices when configured."""
    return urge_tracked(services, user, body)


@router.get("/dashboard", response_model=Dashboard, responses={403: {"model": ErrorBody}, 404: {"model": ErrorBody}})
def get_dashboard(services: ServicesDep, user: CurrentUser, plan: str | None = None,
                  period: Annotated[str | None, Query(max_length=32, description="e.g. BC-2025-6T")] = None) -> Dashboard:
    """Monitoring: progress by plan and lead agency (official categories), overdue and due-soon tasks,
    and the current period's reports received and missing. Monitors and auditors see everything; a
    focal agency what it tracks."""
    return dashboard_public(services, user, plan, period)
