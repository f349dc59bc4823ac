"""Public response and request models: what the API promises. Table rows never leave engine/."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    rule: str = Field(description="which rule refused: task, user, role, duty, evidence, state, version, trigger, "
                                  "guard, deadline, auth, forbidden, throttled, csrf, request, too_large (413), "
                                  "unavailable (503), internal (500)")
    message_vi: str
    message_en: str
    task: int | None = None
    state: str | None = None
    trigger: str | None = None
    field: str | None = Field(default=None, description="request: the first field refused, e.g. body.comment, query.until")
    detail: list[dict[str, Any]] | None = Field(default=None, description="request: every field refused (loc, msg, type)")


class WorkerHealth(BaseModel):
    state: Literal["ok", "stale", "absent"] = Field(
        description="ok: a worker beat within the last minute; stale: the newest beat is older; absent: none ever ran")
    heartbeat_age_seconds: float | None = None


class OutboxHealth(BaseModel):
    state: Literal["ok", "lagging"] = Field(description="lagging: a delivery has waited more than 10 minutes")
    pending: int
    failed: int = Field(description="deliveries given up after their attempts (see /admin/deliveries)")
    oldest_pending_age_seconds: float | None = Field(None, description="the outbox lag; null when nothing waits")


class Health(BaseModel):
    """`status` is the database's (503 when it does not answer); the worker and the outbox are told apart so a
    monitor can alert on each."""
    status: Literal["ok"]
    database: Literal["ok"]
    worker: WorkerHealth
    outbox: OutboxHealth


class HealthDown(BaseModel):
    status: Literal["unavailable"]
    database: Literal["unreachable"]
    reason: str = Field(description="why, without the connection's details (those are in the server's log)")


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="seconds until the token expires")


class UserPublic(BaseModel):
    name: str
    unit: str
    unit_name: str | None = None
    roles: list[str]
    sees_all: bool
    may_audit: bool


class TriggerPublic(BaseModel):
    trigger: str
    label: str
    dest: str | None
    requires: list[str]
    guards: list[str]
    capacity: bool = Field(description="the caller acts as approver: a signing capacity (KT., TL., TUQ.) applies")


class TaskPublic(BaseModel):
    id: int
    plan: str
    task: str
    title: str
    unit: str
    unit_name: str | None
    focal: str | None
    focal_name: str | None
    authority: str | None
    monitor: str | None
    justice: str | None
    coordinators: list[str]
    workflow: str
    state: str
    state_label: str
    stage: str
    version: int
    deadline: date | None
    deadline_phrase: str | None
    state_due: date | None
    overdue_at: str | None
    state_since: str
    badge: Literal["overdue", "stage_overdue", "due_soon", "no_deadline"] | None
    kind: str = Field(default="task", description="task, or a case such as a periodic report or a difficulty")
    parent_id: int | None = None
    pending_deadline: date | None = Field(default=None, description="an extension asked for, awaiting a decision")
    assignee: str | None = Field(default=None, description="the officer of the lead unit its head assigned it to")
    assignee_name: str | None = Field(default=None, description="the assignee's full name, when known")


class TaskDetail(TaskPublic):
    plan_title: str | None
    content: str | None
    product: str | None
    lead_text: str | None
    coordinators_text: str | None
    procedure_text: str | None
    deadline_kind: str | None
    relations: list[str] = Field(description="how the caller's unit relates to this instance")
    triggers: list[TriggerPublic] = Field(description="what the caller may fire now")


class TaskList(BaseModel):
    items: list[TaskPublic]
    total: int
    limit: int
    offset: int


class QueueAction(BaseModel):
    trigger: str
    label: str


class ReturnedMark(BaseModel):
    actor: str
    at: str
    comment: str | None


class QueueItem(TaskPublic):
    category: str = Field(description="the official category: done_on_time, open_overdue …")
    actions: list[QueueAction] = Field(description="what the caller may do now that moves the task on")
    returned: ReturnedMark | None = Field(default=None, description="the last move was a return: who, when, why")


class Inbox(BaseModel):
    items: list[QueueItem]
    total: int
    limit: int
    offset: int
    cut: bool = Field(description="more candidates than are checked; the most urgent are shown")


class Evidence(BaseModel):
    number: str | None = Field(default=None, max_length=200, description="document number, e.g. 12/2025/QĐ-UBND")
    title: str | None = Field(default=None, max_length=1000)
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")


class ReportSections(BaseModel):
    """A report's narrative, sent with `submit` (Decree 30/2020/NĐ-CP: I, II, III); kept in the event's data."""
    results: str | None = Field(default=None, max_length=20_000, description="I. Kết quả thực hiện")
    shortcomings: str | None = Field(default=None, max_length=20_000, description="II. Tồn tại, hạn chế, nguyên nhân")
    proposals: str | None = Field(default=None, max_length=20_000, description="III. Kiến nghị, đề xuất")


class TransitionRequest(BaseModel):
    trigger: str = Field(max_length=64)
    comment: str | None = Field(default=None, max_length=10_000)
    evidence: Evidence | None = None
    capacity: str | None = Field(default=None, max_length=200, description="KT., TL. or TUQ. and the office")
    version: int | None = Field(default=None, strict=True,
                                description="the version the caller saw (a JSON integer); a stale one is refused")
    proposed_deadline: date | None = Field(default=None, description="request_extension: the new deadline asked for")
    sections: ReportSections | None = Field(default=None, description="a report's submit: its sections I-III")


class AssignRequest(BaseModel):
    assignee: str | None = Field(max_length=64, description="an active officer of the lead unit; null: unassign")
    comment: str | None = Field(default=None, max_length=10_000)
    version: int | None = Field(default=None, strict=True,
                                description="the version the caller saw (a JSON integer); a stale one is refused")


class AssignResult(BaseModel):
    task: int
    assignee: str | None
    assignee_from: str | None
    state: str
    version: int
    actor: str
    at: str
    hash: str


class TransitionResult(BaseModel):
    task: int
    trigger: str
    from_state: str
    state: str
    state_label: str
    version: int
    actor: str
    role: str
    capacity: str | None
    at: str
    hash: str


class EventPublic(BaseModel):
    seq: int | None = Field(description="null only in a malformed row")
    trigger: str
    from_state: str | None
    to_state: str
    actor: str
    unit: str | None
    role: str
    capacity: str | None
    at: str
    comment: str | None
    evidence: dict[str, Any] | None
    prev_hash: str
    hash: str
    malformed: bool = Field(False, description="the stored row is damaged (tampering): unreadable parts are null; "
                                               "`GET /audit/verify` names it")


class AuditEventPublic(EventPublic):
    id: int
    task_id: int
    plan: str
    task: str
    task_unit: str


class AuditEventPage(BaseModel):
    events: list[AuditEventPublic]
    next: int | None = Field(description="pass as `after` for the following page; null: no more events yet")


class AuditCheckpointPublic(BaseModel):
    """A recorded verification: every event with an id up to `up_to_event` verified at `verified_at`."""
    id: int
    verified_at: str
    kind: str = Field(description="'full' or 'incremental' (the events after `from_event` only)")
    from_event: int
    up_to_event: int
    events: int = Field(description="events read and verified by that run")
    tasks: int
    ok: bool
    problem_count: int
    verified_by: str


class AuditVerify(BaseModel):
    ok: bool
    tasks: int
    events: int = Field(description="events read: all of them, or those after the checkpoint when incremental")
    problems: list[str]
    checkpoint: AuditCheckpointPublic | None = Field(default=None, description="the checkpoint this verification "
                                                     "recorded (or, incremental with nothing new, the newest one)")


class PlanPublic(BaseModel):
    code: str
    title: str
    issuer: str
    issuer_code: str
    tasks: int
    monitor: str | None = Field(None, description="the unit that monitors and urges (Sở Nội vụ / Phòng Nội vụ)")


class PlanTaskPublic(BaseModel):
    number: str
    parent: str | None
    heading: bool
    title: str
    content: str | None
    focal: str | None
    lead: list[str]
    lead_text: str | None
    coordinators: list[str]
    coordinators_text: str | None
    product: str | None
    deadline_phrase: str | None
    deadline_kind: str | None
    deadline_due: date | None
    workflow: str | None


class PlanDetail(BaseModel):
    code: str
    title: str
    region: str
    issuer: str
    authority: str
    monitor: str
    justice: str | None
    tasks: list[PlanTaskPublic]


class CategoryCounts(BaseModel):
    """Counts by the official categories; the completion rate is over the tasks whose deadline has come."""
    done_on_time: int
    done_late: int
    open_on_time: int
    open_overdue: int
    no_deadline: int
    withdrawn: int
    due_soon: int
    due: int = Field(description="tasks whose deadline has come: the base of the completion rate")
    completion_rate: float | None


class Progress(BaseModel):
    plan: str
    total: int
    by_state: dict[str, int]
    by_unit: dict[str, dict[str, int]]
    overdue: int = Field(description="open past the deadline (categories.open_overdue)")
    approved: int = Field(description="in a done state (approved, adopted), with or without a deadline")
    categories: CategoryCounts


class StatePublic(BaseModel):
    name: str
    label: str
    description: str
    final: bool


class TransitionDefPublic(BaseModel):
    trigger: str
    label: str
    source: str
    dest: str | None
    grants: list[str]
    requires: list[str]
    guards: list[str]


class WorkflowSummary(BaseModel):
    name: str
    title: str
    initial: str
    states: int
    transitions: int


class WorkflowDetail(BaseModel):
    name: str
    title: str
    initial: str
    overdue_state: str | None
    states: list[StatePublic]
    transitions: list[TransitionDefPublic]


class ClockPublic(BaseModel):
    now: str
    today: date
    simulated: bool
    marked_overdue: int | None = None
    unit_changes_applied: int | None = None  # scheduled successions and renames the sweep applied


class NotificationItem(BaseModel):
    key: str = Field(description="event:ID (an audit event) or report_due:TASK (a report due soon): what to mark read")
    kind: str = Field(description="the trigger (return, urge, request_extension, grant_extension, refuse_extension, "
                                  "answer, amend, transfer, assign_officer) or report_due")
    label: str = Field(description="what happened, in Vietnamese")
    task: int
    plan: str
    number: str
    title: str | None
    actor: str | None
    at: str | None
    comment: str | None
    deadline: date | None = Field(description="report_due: the report's deadline")
    read: bool


class NotificationList(BaseModel):
    items: list[NotificationItem]
    unread: int = Field(description="notifications not read yet (counted up to 100)")
    next_before: int | None = Field(description="pass as `before` for the next page; null: no more")


class MarkRead(BaseModel):
    keys: list[Annotated[str, Field(max_length=40)]] | None = Field(
        default=None, max_length=200, description="the notifications to mark read; null or absent: every one")


class UnreadCount(BaseModel):
    unread: int
