"""Pages: my tasks, one task (its actions, timeline, diagram), firing a trigger from a form."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from phancap.api.deps import FormUser, PageUser, ServicesDep
from phancap.api.diagram import render_svg
from phancap.api.errors import ApiError, http_status, task_not_found
from phancap.api.pages.render import render
from phancap.api.routes.evidence import evidence_store
from phancap.api.report_views import task_difficulties
from phancap.api.services import Services
from phancap.api.views import event_fields, task_detail, task_public
from phancap.engine.clock import stamp
from phancap.engine.errors import Refusal
from phancap.engine.evidence import require_upload_allowed, store_upload
from phancap.engine.queries import history
from phancap.engine.users import User
from phancap.engine.visibility import TaskFilter, search_tasks, visible_task

router = APIRouter()


@router.get("/")
def my_tasks(request: Request, services: ServicesDep, user: PageUser) -> Response:
    """Việc của tôi: the instances the caller's unit leads, tracks, approves or appraises, by state."""
    items, total = search_tasks(services.db, user, TaskFilter(mine=True), services.clock.today(),
                                services.engine.status, limit=2000)
    tasks = [task_public(services, i) for i in items]
    order: list[str] = []
    for machine in services.workflows.values():
        order += [s for s in machine.workflow.states if s not in order]
    groups: dict[str, list[Any]] = {}
    for task in sorted(tasks, key=lambda t: (order.index(t.state) if t.state in order else 99, t.deadline is None,
                                             t.deadline or "", t.id)):
        groups.setdefault(task.state, []).append(task)
    counts = {b: sum(1 for t in tasks if t.badge == b) for b in ("overdue", "stage_overdue", "due_soon", "no_deadline")}
    return render(request, "my_tasks.html", {"groups": groups, "total": total, "counts": counts})


def task_page(request: Request, services: Services, user: User, task_id: int, *, error: Refusal | None = None,
              done: str | None = None, form: dict[str, str] | None = None, raised: int | None = None) -> Response:
    item = visible_task(services.db, user, task_id)
    if item is None:
        raise task_not_found(task_id)
    detail = task_detail(services, user, item)
    events = [event_fields(e) for e in history(services.db, task_id)]
    workflow = services.workflows[detail.workflow].workflow
    context = {
        "task": detail, "events": list(reversed(events)), "workflow": workflow, "error": error,
        "done": workflow_label(services, detail.workflow, done), "form": form or {},
        "diagram": render_svg(workflow, detail.state),
        "labels": {"assign": "Giao nhiệm vụ", "amend_plan": "Kế hoạch được nạp lại",
                   "amend": "Sửa đổi, bổ sung kế hoạch", "transfer": "Chuyển đơn vị chủ trì"} | {t.trigger: t.label for t in workflow.transitions},
        "states": {name: state.label for name, state in workflow.states.items()},
    }
    context["difficulties"], context["may_raise"] = task_difficulties(services, user, item)
    context["raised"] = raised
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
