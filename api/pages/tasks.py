"""Pages: my tasks, one task (its actions, timeline, diagram), firing a trigger from a form."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response

from phancap.api.deps import FormUser, PageUser, ServicesDep
from phancap.api.diagram import render_svg
from phancap.api.errors import ApiError, http_status, task_not_found
from phancap.api.pages.render import CASE_PAGES, case_url, render
from phancap.api.routes.evidence import evidence_file, evidence_store
from phancap.api.report_views import task_difficulties
from phancap.api.services import Services
from phancap.api.views import event_fields, task_detail, task_public
from phancap.engine.assignment import ASSIGN_TRIGGER, assign_officer, unit_officers
from phancap.engine.clock import stamp
from phancap.engine.errors import Refusal
from phancap.engine.evidence import require_upload_allowed, store_upload, task_files
from phancap.engine.queries import history, list_plans
from phancap.engine.unit_names import name_events
from phancap.engine.users import User
from phancap.engine.collation import vi_key
from phancap.engine.queue import queue, returned_marks
from phancap.engine.status import LABELS_VI as CATEGORY_LABELS
from phancap.engine.visibility import TaskFilter, search_tasks, visible_task

router = APIRouter()


TABS = {"queue": "Chờ tôi xử lý", "lead": "Đơn vị chủ trì", "focal": "Đầu mối theo dõi", "coordinator": "Phối hợp",
        "mine": "Tất cả của đơn vị"}
MY_PAGE = 50


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@router.get("/")
def my_tasks(request: Request, services: ServicesDep, user: PageUser, tab: str = "queue", plan: str = "",
             state: str = "", category: str = "", unit: str = "", q: str = "", deadline_from: str = "",
             deadline_to: str = "", page: int = 1) -> Response:
    """Việc của tôi: opens on what awaits me ("Chờ tôi xử lý"); tabs for what my unit leads, tracks as
    focal agency, coordinates; filters, search with or without diacritics, most urgent first, paged."""
    tab = tab if tab in TABS else "queue"
    filters = TaskFilter(plan=plan or None, state=state or None, category=category or None, unit=unit or None,
                         q=q.strip()[:200] or None, deadline_from=_day(deadline_from), deadline_to=_day(deadline_to),
                         sort="urgency")
    page = max(1, page)
    today, rules, engine = services.clock.today(), services.engine.status, services.engine
    offset = (page - 1) * MY_PAGE
    found = queue(engine, user, filters, limit=MY_PAGE, offset=offset) if tab == "queue" else None
    unfiltered = found is not None and filters == TaskFilter(sort="urgency")
    counts = {"queue": found.total if found is not None and unfiltered else queue(engine, user, limit=0).total}
    for name in ("lead", "focal", "coordinator"):
        counts[name] = search_tasks(services.db, user, TaskFilter(relation=name), today, rules, limit=0)[1]
    counts["mine"] = search_tasks(services.db, user, TaskFilter(mine=True), today, rules, limit=0)[1]
    if found is not None:
        items, total = found.items, found.total
    else:
        narrowed = replace(filters, mine=True) if tab == "mine" else replace(filters, relation=tab)
        items, total = search_tasks(services.db, user, narrowed, today, rules, limit=MY_PAGE, offset=offset)
        marks = returned_marks(engine, [int(i["id"]) for i in items])
        for item in items:
            item["returned"] = marks.get(int(item["id"]))
    tasks = [(task_public(services, i), i) for i in items]
    badges = {b: sum(1 for t, _ in tasks if t.badge == b) for b in ("overdue", "stage_overdue", "due_soon", "no_deadline")}
    states = sorted({(s, st.label) for m in services.workflows.values() for s, st in m.workflow.states.items()},
                    key=lambda x: vi_key(x[1]))
    return render(request, "my_tasks.html", {
        "tabs": TABS, "tab": tab, "counts": counts, "tasks": tasks, "total": total, "page": page,
        "pages": max(1, -(-total // MY_PAGE)), "badges": badges, "categories": CATEGORY_LABELS,
        "states": states, "plans": list_plans(services.db),
        "filters": {"plan": plan, "state": state, "category": category, "unit": unit, "q": q,
                    "deadline_from": deadline_from, "deadline_to": deadline_to}})


def task_page(request: Request, services: Services, user: User, task_id: int, *, error: Refusal | None = None,
              done: str | None = None, form: dict[str, str] | None = None, raised: int | None = None) -> Response:
    item = visible_task(services.db, user, task_id)
    if item is None:
        raise task_not_found(task_id)
    detail = task_detail(services, user, item)
    workflow = services.workflows[detail.workflow].workflow
    events = [event_fields(e) for e in name_events(services.db, history(services.db, task_id))]
    for e in events:  # each transition's own label ("Trả lại đầu mối" is not "Trả lại đơn vị chủ trì")
        e["label"] = workflow.event_label(e["trigger"], e["from_state"], e["to_state"])
    context = {
        "task": detail, "events": list(reversed(events)), "workflow": workflow, "error": error,
        "done": workflow_label(services, detail.workflow, done), "form": form or {},
        "diagram": render_svg(workflow, detail.state),
        "labels": {"assign": "Giao nhiệm vụ", "amend_plan": "Kế hoạch được nạp lại",
                   "amend": "Sửa đổi, bổ sung kế hoạch", "transfer": "Chuyển đơn vị chủ trì"} | {t.trigger: t.label for t in workflow.transitions},
        "states": {name: state.label for name, state in workflow.states.items()},
    }
    files = task_files(services.db, task_id)
    context["files"], context["file_names"] = files, {f["sha256"]: f["name"] for f in files}
    context["difficulties"], context["may_raise"] = task_difficulties(services, user, item)
    context["raised"] = raised
    # assigning has its own form (an officer to choose), not the generic action form
    actions = [t for t in detail.triggers if t.trigger != ASSIGN_TRIGGER]
    may_assign = len(actions) < len(detail.triggers)
    context["actions"] = actions
    context["officers"] = unit_officers(services.db, detail.unit) if may_assign else None
    context["urgings"] = [e for e in reversed(events) if e["trigger"] == "urge"]  # newest first
    return render(request, "task.html", context, status=http_status(error) if error else 200)


def workflow_label(services: Services, workflow: str, trigger: str | None) -> str | None:
    if not trigger:
        return None
    for t in services.workflows[workflow].workflow.transitions:
        if t.trigger == trigger:
            return t.label
    return None


@router.get("/tasks/{task_id}")
def task(request: Request, services: ServicesDep, user: PageUser, task_id: int, done: str | None = None,
         raised: int | None = None) -> Response:
    item = visible_task(services.db, user, task_id)
    if item is not None and item["kind"] in CASE_PAGES:  # a report or a difficulty has a page of its own
        return RedirectResponse(case_url(item), status_code=303)
    return task_page(request, services, user, task_id, done=done, raised=raised)


def _stored(request: Request, services: Services, upload: UploadFile | None, task_id: int, user: User,
            trigger: str) -> str | None:
    """Keep an uploaded evidence file under its hash, recorded for this task (same limits and type checks as the
    API), only once the caller is known to see the task and to hold a grant on the trigger being fired."""
    if upload is None or not upload.filename:
        return None
    require_upload_allowed(services.db, user, task_id,
                           lambda: [t for t in services.engine.triggers(task_id, user.name) if t.trigger == trigger])
    return store_upload(services.db, evidence_store(request), task_id, upload.file, upload.filename, user,
                        stamp(services.engine.clock.now())).sha256


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ApiError("guard", "Ngày đề nghị không hợp lệ (YYYY-MM-DD)", "invalid proposed date (YYYY-MM-DD)") from None


@router.get("/tasks/{task_id}/files/{sha256}")
def task_file(request: Request, services: ServicesDep, user: PageUser, task_id: int,
              sha256: Annotated[str, PathParam(pattern=r"^[0-9a-f]{64}$")]) -> Response:
    """Download an evidence file of the task (signed-in page users; the same rule as the API's)."""
    if visible_task(services.db, user, task_id) is None:
        raise task_not_found(task_id)
    return evidence_file(services, user, evidence_store(request), sha256)


@router.post("/tasks/{task_id}/fire")
def fire(request: Request, services: ServicesDep, user: FormUser, task_id: int,
         trigger: Annotated[str, Form(max_length=64)],
         comment: Annotated[str, Form(max_length=10_000)] = "",
         evidence_number: Annotated[str, Form(max_length=200)] = "",
         evidence_title: Annotated[str, Form(max_length=1000)] = "",
         capacity: Annotated[str, Form(max_length=200)] = "",
         version: Annotated[int | None, Form()] = None,
         proposed_deadline: Annotated[str, Form(max_length=10)] = "",
         evidence_file: Annotated[UploadFile | None, File()] = None) -> Response:
    """One action from the task page; a refusal shows the page again with the reason and changes nothing."""
    form = {"trigger": trigger, "comment": comment, "evidence_number": evidence_number,
            "evidence_title": evidence_title, "capacity": capacity,
            "proposed_deadline": proposed_deadline}
    try:
        given = {"number": evidence_number.strip(), "title": evidence_title.strip(),
                 "sha256": _stored(request, services, evidence_file, task_id, user, trigger)}
        evidence: dict[str, Any] | None = {k: v for k, v in given.items() if v} or None
        proposed = _date(proposed_deadline) if proposed_deadline.strip() else None
        services.engine.fire(task_id, trigger, user.name, comment=comment.strip() or None, evidence=evidence,
                             capacity=capacity.strip() or None, version=version, proposed_deadline=proposed)
    except Refusal as exc:
        if exc.rule == "task":
            raise task_not_found(task_id) from None
        return task_page(request, services, user, task_id, error=exc, form=form)
    return RedirectResponse(f"/tasks/{task_id}?done={trigger}", status_code=303)


@router.post("/tasks/{task_id}/assignee")
def assign(request: Request, services: ServicesDep, user: FormUser, task_id: int,
           assignee: Annotated[str, Form(max_length=64)] = "",
           comment: Annotated[str, Form(max_length=10_000)] = "",
           version: Annotated[int | None, Form()] = None) -> Response:
    """Phân công chuyên viên from the task page (the head of the lead unit); an empty choice unassigns."""
    try:
        assign_officer(services.engine, task_id, user.name, assignee.strip() or None, version=version, comment=comment)
    except Refusal as exc:
        if exc.rule == "task":
            raise task_not_found(task_id) from None
        return task_page(request, services, user, task_id, error=exc, form={"assignee": assignee, "comment": comment})
    return RedirectResponse(f"/tasks/{task_id}?done={ASSIGN_TRIGGER}", status_code=303)
