"""Task instances: list, detail (with the triggers the caller may fire now), transitions, history."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Header, Query

from phancap.api.deps import CurrentUser, ServicesDep
from phancap.api.errors import task_not_found
from phancap.api.schemas import (
    AssignRequest,
    AssignResult,
    ErrorBody,
    EventPublic,
    TaskDetail,
    TaskList,
    TransitionRequest,
    TransitionResult,
)
from phancap.api.views import event_fields, task_detail, task_public
from phancap.engine.assignment import assign_officer
from phancap.engine.queries import history
from phancap.engine.visibility import TaskFilter, search_tasks, visible_task

router = APIRouter(prefix="/tasks", tags=["tasks"], responses={401: {"model": ErrorBody}})


Category = Literal["done_on_time", "done_late", "open_on_time", "open_overdue", "no_deadline", "withdrawn"]
Relation = Literal["lead", "focal", "authority", "coordinator", "monitor", "justice"]


def task_filter(plan: str | None = None, unit: str | None = None, state: str | None = None,
                overdue: bool | None = None, due_before: date | None = None,
                q: Annotated[str | None, Query(max_length=200, description="words of the title, content, unit or "
                                                                      "number; with or without diacritics")] = None,
                category: Category | None = None,
                relation: Annotated[Relation | None, Query(description="only where the caller's unit holds it")] = None,
                deadline_from: date | None = None, deadline_to: date | None = None,
                sort: Literal["id", "urgency"] = "id") -> TaskFilter:
    return TaskFilter(plan=plan, unit=unit, state=state, overdue=overdue, due_before=due_before, q=q, category=category,
                      relation=relation, deadline_from=deadline_from, deadline_to=deadline_to, sort=sort)


Filters = Annotated[TaskFilter, Depends(task_filter)]


@router.get("", response_model=TaskList)
def list_tasks(services: ServicesDep, user: CurrentUser, filters: Filters,
               limit: Annotated[int, Query(ge=1, le=500)] = 50,
               offset: Annotated[int, Query(ge=0)] = 0) -> TaskList:
    """The instances the caller may see, filtered and paged (sort=urgency: overdue, then nearest deadline)."""
    items, total = search_tasks(services.db, user, filters, services.clock.today(), services.engine.status,
                                limit, offset)
    return TaskList(items=[task_public(services, i) for i in items], total=total, limit=limit, offset=offset)


@router.get("/{task_id}", response_model=TaskDetail, responses={404: {"model": ErrorBody}})
def get_task(services: ServicesDep, user: CurrentUser, task_id: int) -> TaskDetail:
    item = visible_task(services.db, user, task_id)
    if item is None:
        raise task_not_found(task_id)
    return task_detail(services, user, item)


@router.post("/{task_id}/transitions", response_model=TransitionResult,
             responses={s: {"model": ErrorBody} for s in (403, 404, 409, 422)})
def fire(services: ServicesDep, user: CurrentUser, task_id: int, body: TransitionRequest,
         idempotency_key: Annotated[str | None, Header(max_length=128)] = None) -> TransitionResult:
    """Fire a trigger. Refusals: 403 role/duty, 404 task, 409 state/trigger/version, 422 guard/deadline;
    the body names the rule in Vietnamese and English, and nothing changes. With an `Idempotency-Key`
    header, a retried request gets the first answer and is never applied twice (also after a restart);
    the same key with a different request is refused (422, rule idempotency)."""
    evidence = body.evidence.model_dump(exclude_none=True) if body.evidence else None
    sections = body.sections.model_dump(exclude_none=True) if body.sections else None
    result = services.engine.fire(task_id, body.trigger, user.name, comment=body.comment, evidence=evidence,
                                  capacity=body.capacity, version=body.version,
                                  idempotency_key=idempotency_key, proposed_deadline=body.proposed_deadline,
                                  sections=sections or None)
    workflow = result.workflow  # read again only for an answer stored before FireResult kept it
    if not workflow and (item := visible_task(services.db, user, task_id)) is not None:
        workflow = item["workflow"]
    label = services.state_label(workflow, result.to_state) if workflow else result.to_state
    return TransitionResult(task=result.task_id, trigger=result.trigger, from_state=result.from_state,
                            state=result.to_state, state_label=label, version=result.version, actor=result.actor,
                            role=result.role, capacity=result.capacity, at=result.at, hash=result.hash)


@router.post("/{task_id}/assignee", response_model=AssignResult,
             responses={s: {"model": ErrorBody} for s in (403, 404, 409, 422)})
def assign(services: ServicesDep, user: CurrentUser, task_id: int, body: AssignRequest) -> AssignResult:
    """The head of the lead unit assigns the task to one of its active officers (`assignee`; null unassigns):
    one audited `assign_officer` event, the state unchanged. Refusals: 403 not the head (role), 404 task,
    409 ended task or stale version, 422 an officer of another unit, inactive, or not an officer (guard)."""
    return AssignResult(**assign_officer(services.engine, task_id, user.name, body.assignee, version=body.version,
                                         comment=body.comment))


@router.get("/{task_id}/history", response_model=list[EventPublic], responses={404: {"model": ErrorBody}})
def task_history(services: ServicesDep, user: CurrentUser, task_id: int) -> list[EventPublic]:
    """Every audit event of the instance, oldest first."""
    if visible_task(services.db, user, task_id) is None:
        raise task_not_found(task_id)
    return [EventPublic(**event_fields(r)) for r in history(services.db, task_id)]
