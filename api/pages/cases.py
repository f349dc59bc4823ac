"""Pages of their own for reports and difficulties (cases): a report with its reporter, recipients
and who received it, period, due date, the sections the unit wrote and its history; a difficulty with
the task it is about, its text, answer, actions and history. The plain task page sends them here."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from phancap.api.deps import FormUser, PageUser, ServicesDep
from phancap.api.errors import ApiError, http_status
from phancap.api.pages.render import render
from phancap.api.report_views import DIFFICULTY, difficulties_public
from phancap.api.services import Services
from phancap.api.views import event_fields
from phancap.engine.errors import Refusal
from phancap.engine.queries import history
from phancap.engine.users import User
from phancap.engine.visibility import visible_task

router = APIRouter()
SECTION_LABELS = (("results", "I. Kết quả thực hiện"), ("shortcomings", "II. Tồn tại, hạn chế, nguyên nhân"),
                  ("proposals", "III. Kiến nghị, đề xuất"))
CREATED = {"assign": "Yêu cầu báo cáo", "raise": "Nêu vướng mắc", "mark_overdue": "Chuyển quá hạn (hệ thống)",
           "urge": "Đôn đốc"}


def timeline(services: Services, workflow_name: str, case_id: int) -> list[dict[str, Any]]:
    """The case's audit events, newest first, each with its transition's own label and its states' labels."""
    workflow = services.workflows[workflow_name].workflow
    states = {name: state.label for name, state in workflow.states.items()}
    events = []
    for row in history(services.db, case_id):
        event = event_fields(row)
        event["label"] = (workflow.event_label(event["trigger"], event["from_state"], event["to_state"])
                          or CREATED.get(event["trigger"], event["trigger"]))
        event["from_label"] = states.get(event["from_state"] or "", event["from_state"])
        event["to_label"] = states.get(event["to_state"], event["to_state"])
        events.append(event)
    return list(reversed(events))


def difficulty_page(request: Request, services: Services, user: User, difficulty_id: int, *,
                    error: Refusal | None = None, done: str | None = None) -> Response:
    item = visible_task(services.db, user, difficulty_id)
    if item is None or item["kind"] != DIFFICULTY:
        raise ApiError("not_found", f"Không có vướng mắc số {difficulty_id} (hoặc bạn không được xem)",
                       f"no difficulty {difficulty_id} (or not visible to you)", extra={"task": difficulty_id})
    (shown,) = difficulties_public(services, [item])
    workflow = services.workflows[DIFFICULTY].workflow
    return render(request, "difficulty.html", {
        "d": shown, "actions": services.engine.triggers(difficulty_id, user.name), "error": error,
        "done": next((t.label for t in workflow.transitions if t.trigger == done), None),
        "events": timeline(services, DIFFICULTY, difficulty_id),
    }, status=http_status(error) if error else 200)


@router.get("/difficulties/{difficulty_id}")
def difficulty(request: Request, services: ServicesDep, user: PageUser, difficulty_id: int,
               done: str | None = None) -> Response:
    """Một vướng mắc: the task it is about, who raised it and to whom, its text and answer, what I may do."""
    return difficulty_page(request, services, user, difficulty_id, done=done)


@router.post("/difficulties/{difficulty_id}/answer")
def difficulty_fire(request: Request, services: ServicesDep, user: FormUser, difficulty_id: int,
                    trigger: Annotated[str, Form(max_length=64)],
                    comment: Annotated[str, Form(max_length=10_000)] = "",
                    version: Annotated[int | None, Form()] = None) -> Response:
    """Answer or escalate from the difficulty's own page; a refusal shows the page again and changes nothing."""
    item = visible_task(services.db, user, difficulty_id)
    if item is None or item["kind"] != DIFFICULTY:
        raise ApiError("not_found", f"Không có vướng mắc số {difficulty_id}", f"no difficulty {difficulty_id}")
    try:
        services.engine.fire(difficulty_id, trigger, user.name, comment=comment.strip() or None, version=version)
    except Refusal as exc:
        return difficulty_page(request, services, user, difficulty_id, error=exc)
    return RedirectResponse(f"/difficulties/{difficulty_id}?done={trigger}", status_code=303)
