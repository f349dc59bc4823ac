"""Periodic reports, difficulties (vướng mắc), urging (đôn đốc) and the monitoring dashboard.

Reports and difficulties are task instances: they move through `POST /tasks/{id}/transitions` like any
task (submit, accept, return; answer, escalate), under the same visibility and grants. A unit sees the
reports it writes or receives and the difficulties it raised or that go to it; monitors and auditors
see everything."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response

from phancap.api.deps import CurrentUser, ServicesDep
from phancap.api.errors import ApiError, task_not_found
from phancap.api.report_schemas import (
    AgencyProgress,
    CategoryCounts,
    CreateReportsRequest,
    CreateReportsResult,
    Dashboard,
    DifficultyList,
    DifficultyPublic,
    PeriodReports,
    PlanDashboard,
    RaiseDifficultyRequest,
    ReportContent,
    ReportDetail,
    ReportList,
    ReportPublic,
    TimelinePoint,
    UrgeRequest,
    UrgeResultPublic,
)
from phancap.api.routes.plans import plan_not_found
from phancap.api.schemas import ErrorBody, TaskPublic
from phancap.api.services import Services
from phancap.api.views import task_public, triggers_public
from phancap.engine.difficulties import raise_difficulty
from phancap.engine.errors import DefinitionError
from phancap.engine.queries import latest_comments, list_plans, plan_monitor
from phancap.engine.reports import create_reports, report_content, report_documents, timeline
from phancap.engine.status import DONE_STATES, Tally, local_day, status_of
from phancap.engine.urging import select_for_urging, tracked_for_urging, urge_many
from phancap.engine.policy import (
    may_raise_difficulty,
    require_open_report_period,
    require_urge,
    sees_all,
    urging_relations,
)
from phancap.engine.users import User
from phancap.engine.visibility import (
    cases_visible_to,
    plan_matrix,
    relations,
    visible_task,
)

router = APIRouter(tags=["reports"], responses={401: {"model": ErrorBody}})

REPORT, DIFFICULTY = "report", "difficulty"
REPORT_WORKFLOW = "periodic_report"
RECEIVED_STATES = frozenset({"submitted", "accepted"})
MISSING_STATES = frozenset({"assigned", "overdue"})
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CURRENT_PERIOD_LEAD = timedelta(days=30)  # a period becomes "current" a month before its first deadline


# --- reading cases (reports, difficulties) the caller may see ------------------------------------------

def visible_cases(services: Services, user: User, kind: str, **filters: Any) -> list[dict[str, Any]]:
    return cases_visible_to(services.db, user, kind, **filters)


def period_of(item: dict[str, Any]) -> str:
    return str(item["task"]).split("/")[0]


def report_public(services: Services, item: dict[str, Any]) -> ReportPublic:
    today = services.clock.today()
    missing = item["state"] in MISSING_STATES
    late = item["overdue_at"] is not None or (missing and item["deadline"] is not None and item["deadline"] < today)
    base = task_public(services, item).model_dump()
    return ReportPublic(**base, period=period_of(item), recipient=item["focal"], recipient_name=item["focal_name"],
                        received=item["state"] in RECEIVED_STATES, missing=missing, late=late)


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
    content = report_content(services.db, report_id, services.clock.today())
    said = latest_comments(services.db, [report_id], ("submit",)).get(report_id, {})
    allowed = services.engine.triggers(report_id, user.name)
    return ReportDetail(**report_public(services, item).model_dump(), relations=relations(user, item),
                        triggers=triggers_public(user, item, allowed), content=ReportContent(**content),
                        free_text=said.get("submit"))


def report_download(services: Services, user: User, report_id: int, fmt: str) -> Response:
    item = visible_report(services, user, report_id)
    docx_bytes, xlsx_bytes, _content = report_documents(services.db, report_id, services.clock.today())
    name = f"{str(item['task']).replace('/', '_')}_{item['unit']}.{fmt}"
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


def urge(services: Services, user: User, request: UrgeRequest) -> UrgeResultPublic:
    """Urge the overdue and due-soon tasks the caller's unit tracks (as focal agency or monitor); the engine
    still decides each one on its grants and records it in the audit trail."""
    workflows = [m.workflow for m in services.workflows.values()]
    require_urge(user, workflows)
    engine = services.engine
    chosen = select_for_urging(engine, request.plan or None, request.unit or None)
    tracked = tracked_for_urging(services.db, user.unit, urging_relations(user, workflows))
    wanted = set(request.tasks) if request.tasks is not None else None
    chosen = [i for i in chosen if i in tracked and (wanted is None or i in wanted)]
    result = urge_many(engine, user.name, chosen, (request.comment or "").strip() or None, services.notifier())
    return UrgeResultPublic(**result.to_json())


# --- the dashboard -------------------------------------------------------------------------------------

def _counts(tally: Tally) -> CategoryCounts:
    return CategoryCounts(**tally.to_json())


def state_labels(services: Services) -> dict[str, str]:
    labels: dict[str, str] = {}
    for name, machine in services.workflows.items():
        if name in (REPORT_WORKFLOW, DIFFICULTY):
            continue
        for state, definition in machine.workflow.states.items():
            labels.setdefault(state, definition.label)
    return labels


def _current_period(periods: dict[str, date | None], today: date, wanted: str | None) -> str | None:
    if wanted in periods:
        return wanted
    ordered = sorted(periods, key=lambda p: (periods[p] or date.max, p))
    begun = [p for p in ordered if periods[p] is not None and periods[p] <= today + CURRENT_PERIOD_LEAD]  # type: ignore[operator]
    return begun[-1] if begun else (ordered[0] if ordered else None)


def _plan_dashboard(services: Services, user: User, plan: dict[str, Any], monitor: str,
                    period: str | None) -> PlanDashboard | None:
    today = services.clock.today()
    everything = sees_all(user)
    items = plan_matrix(services.db, user, plan["code"])

    def tracked(item: dict[str, Any]) -> bool:
        return everything or user.unit in (item["focal"], item["authority"]) or user.unit == monitor

    tasks = [i for i in items if i["kind"] == "task" and tracked(i)]
    reports = [i for i in items if i["kind"] == REPORT and (everything or i["focal"] == user.unit)]
    if not tasks and not reports:
        return None
    total, by_unit, names = Tally(), dict[str, Tally](), dict[str, str]()
    states: dict[str, int] = {}
    unit_states: dict[str, dict[str, int]] = {}
    overdue: list[TaskPublic] = []
    due_soon: list[TaskPublic] = []
    for item in sorted(tasks, key=lambda i: (i["deadline"] or date.max, i["task"], i["unit"])):
        status = status_of(item["state"], item["deadline"], item["state_since"], today)
        total.add(status)
        by_unit.setdefault(item["unit"], Tally()).add(status)
        states[item["state"]] = states.get(item["state"], 0) + 1
        per_unit = unit_states.setdefault(item["unit"], {})
        per_unit[item["state"]] = per_unit.get(item["state"], 0) + 1
        names[item["unit"]] = item["unit_name"]
        if status.category == "open_overdue":
            overdue.append(task_public(services, item))
        elif status.due_soon:
            due_soon.append(task_public(services, item))
    agencies = [AgencyProgress(unit=u, unit_name=names[u], states=unit_states[u], categories=_counts(t))
                for u, t in sorted(by_unit.items(), key=lambda kv: (names[kv[0]] or kv[0]))]
    period_report = None
    if reports:
        firsts: dict[str, date | None] = {}
        for item in reports:
            p, due = period_of(item), item["deadline"]
            if p not in firsts or (due is not None and (firsts[p] is None or due < firsts[p])):  # type: ignore[operator,unused-ignore]
                firsts[p] = due
        current = _current_period(firsts, today, period)
        shown = [report_public(services, i) for i in reports if period_of(i) == current]
        shown.sort(key=lambda r: (r.deadline or date.max, r.unit_name or r.unit, r.recipient or ""))
        period_report = PeriodReports(
            period=str(current), periods=sorted(firsts, key=lambda p: (firsts[p] or date.max, p)),
            received=[r for r in shown if r.received], missing=[r for r in shown if r.missing],
            late=[r for r in shown if r.late])
    done_days = Counter(local_day(i["state_since"]) for i in tasks if i["state"] in DONE_STATES)
    return PlanDashboard(plan=plan["code"], title=plan["title"], tasks=len(tasks), categories=_counts(total),
                         states=states, agencies=agencies, overdue=overdue, due_soon=due_soon, reports=period_report,
                         timeline=[TimelinePoint(**p) for p in timeline(list(done_days.items()), today)])


def dashboard(services: Services, user: User, plan: str | None = None, period: str | None = None) -> Dashboard:
    plans = list_plans(services.db)
    if plan:
        plans = [p for p in plans if p["code"] == plan]
        if not plans:
            raise plan_not_found(plan)
    boards = [b for b in (_plan_dashboard(services, user, p, p["monitor"], period) for p in plans) if b]
    if not boards and not plan:
        raise ApiError("forbidden", "Bảng theo dõi dành cho Sở Nội vụ và các cơ quan đầu mối theo dõi",
                       "the dashboard is for the monitor and the focal agencies (nothing tracked by your unit)")
    return Dashboard(today=services.clock.today(), scope="all" if sees_all(user) else user.unit,
                     state_labels=state_labels(services), plans=boards)


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
    return urge(services, user, body)


@router.get("/dashboard", response_model=Dashboard, responses={403: {"model": ErrorBody}, 404: {"model": ErrorBody}})
def get_dashboard(services: ServicesDep, user: CurrentUser, plan: str | None = None,
                  period: Annotated[str | None, Query(max_length=32, description="e.g. BC-2025-6T")] = None) -> Dashboard:
    """Monitoring: progress by plan and lead agency (official categories), overdue and due-soon tasks,
    and the current period's reports received and missing. Monitors and auditors see everything; a
    focal agency what it tracks."""
    return dashboard(services, user, plan, period)
