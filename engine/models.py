"""The schema as SQLModel tables. Alembic migrations (engine/migrations) own the real schema;
a test checks the two agree. Hot paths use SQL directly; these serve reads and loading."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy import BigInteger, Index, UniqueConstraint, true
from sqlmodel import Field, SQLModel


class Unit(SQLModel, table=True):
    __tablename__ = "unit"
    code: str = Field(primary_key=True, max_length=64)
    region: str = Field(index=True, max_length=32)  # the registry it belongs to: HN, KT…
    name: str
    kind: str = Field(max_length=32)
    aliases: str = "[]"  # JSON list of names as plans write them
    official_code: str | None = Field(default=None, max_length=16, index=True)  # Decision 19/2025/QĐ-TTg
    official_name: str | None = None  # the administrative unit's official name ("Xã Cam Lộ")
    parent: str | None = Field(default=None, max_length=64)  # the unit it belongs to
    active: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})  # False: deactivated
    origin: str = Field(default="file", max_length=16, sa_column_kwargs={"server_default": "file"})  # file or admin


class UnitGroup(SQLModel, table=True):
    __tablename__ = "unit_group"
    region: str = Field(primary_key=True, max_length=32)
    name: str = Field(primary_key=True)
    aliases: str = "[]"
    members: str = "[]"  # JSON list of unit codes: listed ones and the active units of its kinds
    kinds: str = Field(default="[]", sa_column_kwargs={"server_default": "[]"})  # JSON list of unit kinds
    listed: str = Field(default="[]", sa_column_kwargs={"server_default": "[]"})  # JSON list of units named


class OrgRegistry(SQLModel, table=True):
    """An organisation registry: a province or city (two-level local government), the Kon Tum district
    (history) or the central Government."""

    __tablename__ = "registry"
    code: str = Field(primary_key=True, max_length=32)
    name: str
    kind: str = Field(max_length=16)  # province, city, district, central
    official_code: str | None = Field(default=None, max_length=16)
    source: str = ""


class AdminEvent(SQLModel, table=True):
    """An administrative change (units added, renamed, deactivated…): append-only, like audit_event."""

    __tablename__ = "admin_event"
    id: int | None = Field(default=None, primary_key=True)
    at: str = Field(max_length=32, index=True)
    actor: str = Field(max_length=64, index=True)
    action: str = Field(max_length=32, index=True)  # unit.add, unit.rename, unit.deactivate…
    region: str | None = Field(default=None, max_length=32, index=True)  # the registry of the subject
    subject: str = Field(max_length=64, index=True)  # the unit (or user) changed
    data: str = "{}"  # canonical JSON: what changed (old and new values)
    comment: str | None = None


class Plan(SQLModel, table=True):
    __tablename__ = "plan"
    code: str = Field(primary_key=True, max_length=64)
    title: str
    region: str = Field(max_length=32)
    issuer: str = Field(foreign_key="unit.code", max_length=64)
    authority: str = Field(foreign_key="unit.code", max_length=64)
    monitor: str = Field(foreign_key="unit.code", max_length=64)
    justice: str | None = Field(default=None, foreign_key="unit.code", max_length=64)
    definition: str  # the whole plan definition as JSON
    definition_sha256: str | None = Field(default=None, max_length=64)  # its version, committed to by audit events
    source: str
    loaded_at: str
    parent_code: str | None = Field(default=None, max_length=64, index=True)  # the plan this one carries out


class UnitChange(SQLModel, table=True):
    """A succession or rename of units decided ahead of its effective date (`units succeed` / `units rename`
    with a later --effective): kept here until the deadline sweep applies it on that day, then marked applied
    (or failed, with the reason) in the same transaction as the change itself. Never deleted."""

    __tablename__ = "unit_change"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # succeed | rename
    units: str  # JSON list of the unit codes changed (the old units; the one renamed)
    successor: str | None = Field(default=None, max_length=64)
    name: str | None = None  # the new name of a rename
    effective: date = Field(index=True)
    decision: str
    actor: str = Field(max_length=64)  # who scheduled it
    scheduled_at: str = Field(max_length=32)
    status: str = Field(default="scheduled", max_length=16, index=True)  # scheduled | applied | failed | cancelled
    closed_at: str | None = Field(default=None, max_length=32)
    result: str | None = None  # JSON: what applying did, or why it failed or was cancelled


class PlanVersion(SQLModel, table=True):
    """Every version of a plan's definition (engine/amendments.py): version 1 as first loaded, then one per
    amending document ("Kế hoạch sửa đổi, bổ sung"), with what it changed. Never edited."""

    __tablename__ = "plan_version"
    __table_args__ = (UniqueConstraint("plan", "version"),)
    id: int | None = Field(default=None, primary_key=True)
    plan: str = Field(foreign_key="plan.code", max_length=64)
    version: int
    number: str | None = Field(default=None, max_length=100)  # the amending document's number (1036/KH-UBND)
    issued: date | None = None  # its date
    at: str = Field(max_length=32)  # when it was applied
    definition: str  # the whole plan definition as JSON, as in plan.definition
    definition_sha256: str = Field(max_length=64)
    changes: str = "[]"  # canonical JSON: the diff from the version before, task by task
    source: str


class PlanTask(SQLModel, table=True):
    __tablename__ = "plan_task"
    __table_args__ = (UniqueConstraint("plan", "number"),)
    id: int | None = Field(default=None, primary_key=True)
    plan: str = Field(foreign_key="plan.code", max_length=64)
    number: str = Field(max_length=32)
    parent: str | None = Field(default=None, max_length=32)
    heading: bool = False
    title: str
    content: str | None = None
    focal: str | None = Field(default=None, max_length=64)
    lead: str = "[]"
    lead_text: str | None = None
    coordinators: str = "[]"
    coordinators_text: str | None = None
    product: str | None = None
    deadline_phrase: str | None = None
    deadline_kind: str | None = Field(default=None, max_length=16)
    deadline_due: date | None = None
    deadline_start: date | None = None
    workflow: str | None = Field(default=None, max_length=64)
    procedure_text: str | None = None
    complex: bool = False  # a complex or multi-sector draft (longer appraisal limit)
    parent_task: str | None = Field(default=None, max_length=32)  # the parent plan's task this one carries out


class AppUser(SQLModel, table=True):
    __tablename__ = "app_user"
    name: str = Field(primary_key=True, max_length=64)
    unit: str = Field(foreign_key="unit.code", max_length=64)
    roles: str  # comma-separated
    password_hash: str | None = None
    full_name: str | None = None
    email: str | None = Field(default=None, max_length=254)  # where notices (urging) go
    created_at: str
    active: bool = Field(default=True, sa_column_kwargs={"server_default": true()})  # deactivated: no sign-in, no sessions


class TaskInstance(SQLModel, table=True):
    __tablename__ = "task_instance"
    __table_args__ = (
        UniqueConstraint("plan", "task", "unit"),
        Index("ix_task_instance_open_due", "state", "deadline"),
        Index("ix_task_instance_workflow_state", "workflow", "state"),  # the queue's candidates (0020)
        Index("ix_task_instance_plan_monitor", "plan", "monitor"),  # the whole-plan dashboard (0022)
        Index("ix_task_instance_plan_deadline", "plan", "deadline"),
        Index("ix_task_instance_authority", "authority"),  # a tracking unit's dashboard (0022)
    )
    id: int | None = Field(default=None, primary_key=True)
    plan: str = Field(foreign_key="plan.code", max_length=64, index=True)
    task: str = Field(max_length=32)
    unit: str = Field(foreign_key="unit.code", max_length=64, index=True)
    focal: str | None = Field(default=None, max_length=64, index=True)
    authority: str | None = Field(default=None, max_length=64)
    monitor: str | None = Field(default=None, max_length=64)
    justice: str | None = Field(default=None, max_length=64)
    coordinators: str = "[]"
    workflow: str = Field(max_length=64)
    state: str = Field(max_length=32)
    stage: str = Field(max_length=32)  # the last state before overdue; equals state otherwise
    version: int
    deadline: date | None = None
    deadline_phrase: str | None = None
    state_due: date | None = None  # the current state's own time limit, if any
    complex: bool = False
    state_since: str
    overdue_at: str | None = None
    created_at: str
    last_hash: str  # checkpoint of the newest audit event's hash
    kind: str = Field(default="task", max_length=16, index=True, sa_column_kwargs={"server_default": "task"})
    parent_id: int | None = Field(default=None, foreign_key="task_instance.id")  # a report's or difficulty's task
    pending_deadline: date | None = None  # a requested extension awaiting the assigner
    title: str | None = None  # for reports and difficulties, which have no plan task
    done_on: date | None = None  # the Việt Nam day it entered a done-category state; NULL while not done
    # the officer of the lead unit its head assigned it to (engine/assignment.py); the unit still owns it
    assignee: str | None = Field(default=None, max_length=64, index=True)


class ReportRecipient(SQLModel, table=True):
    """One addressee of a periodic report ("Nơi nhận"): one report goes to all of them; each sees it
    received from the moment it is sent (received_at, written with the `submit` event)."""

    __tablename__ = "report_recipient"
    task_id: int = Field(foreign_key="task_instance.id", primary_key=True)
    unit: str = Field(foreign_key="unit.code", primary_key=True, max_length=64, index=True)
    received_at: str | None = Field(default=None, max_length=32)


class AuthSession(SQLModel, table=True):
    """A session cookie or bearer token (the SHA-256 of the id it carries), checked on every request;
    logout deletes one row, a password change or deactivation all of the user's."""

    __tablename__ = "auth_session"
    id: str = Field(primary_key=True, max_length=64)
    user_name: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=8)  # cookie | token
    created_at: str = Field(max_length=32)
    expires_at: str = Field(max_length=32)


class LoginThrottle(SQLModel, table=True):
    """Recent failed logins of one account (account:NAME) or one source address (source:ADDRESS), and the
    real time (epoch seconds) before which it may not try again (lives in the database: every worker sees it)."""

    __tablename__ = "login_throttle"
    key: str = Field(primary_key=True, max_length=100)
    failures: int
    last_failure: float = Field(index=True)
    next_allowed: float


class IdempotencyKey(SQLModel, table=True):
    """The first answer to a transition request sent with an Idempotency-Key, kept with the transition."""

    __tablename__ = "idempotency_key"
    actor: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=128)
    request: str = Field(max_length=64)  # sha256 of the request, so a reused key with another request is refused
    response: str
    created_at: str = Field(max_length=32)


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    # (trigger, at): the notifications (engine/notifications.py) read recent events of a few triggers
    # (trigger, at): the notifications (engine/notifications.py) read recent events of a few triggers; (…, id):
    # a search by actor, unit or trigger pages by keyset on id (issue 16)
    __table_args__ = (UniqueConstraint("task_id", "seq"), Index("ix_audit_event_trigger_at", "trigger", "at"),
                      Index("ix_audit_event_actor_id", "actor", "id"), Index("ix_audit_event_unit_id", "unit", "id"),
                      Index("ix_audit_event_trigger_id", "trigger", "id"))
    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task_instance.id")
    seq: int
    trigger: str = Field(max_length=64)
    from_state: str | None = Field(default=None, max_length=32)
    to_state: str = Field(max_length=32)
    actor: str = Field(max_length=64, index=True)
    unit: str | None = Field(default=None, max_length=64)
    role: str = Field(max_length=32)
    capacity: str | None = None
    at: str = Field(max_length=32, index=True)
    comment: str | None = None
    evidence: str | None = None  # canonical JSON: number, title, sha256
    data: str | None = None  # canonical JSON of what the transition changed (e.g. old and new deadline)
    prev_hash: str
    hash: str = Field(max_length=64)
    # canonical JSON of the instance fields after the event, hashed after the others (engine/audit.py); NULL before 0008
    snapshot: str | None = None


class AuditHead(SQLModel, table=True):
    """One row: the hash of the newest task's first audit event, so deleting that task shows (engine/audit.py)."""

    __tablename__ = "audit_head"
    id: int | None = Field(default=None, primary_key=True)
    hash: str = Field(max_length=64)


class AuditCheckpoint(SQLModel, table=True):
    """One verification of the audit trail (engine/audit_checkpoint.py): every event with an id up to
    `up_to_event` was verified at `verified_at`, by a full or an incremental run, with the outcome.
    Append-only like audit_event and hash-chained over the checkpoint before it."""

    __tablename__ = "audit_checkpoint"
    id: int | None = Field(default=None, primary_key=True)
    verified_at: str = Field(max_length=32)
    kind: str = Field(max_length=16)  # 'full' or 'incremental'
    from_event: int  # the incremental run read the events after this id (0: all)
    up_to_event: int
    events: int  # events read and verified
    tasks: int
    ok: bool
    problem_count: int
    problems: str  # JSON list of the first problems found
    verified_by: str = Field(max_length=64)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class EvidenceUpload(SQLModel, table=True):
    """One upload of an evidence file for a task (engine/evidence.py): the task may cite it, and whoever sees the
    task may download it. `source` is 'upload', or 'audit' for rows migration 0010 took from older events."""

    __tablename__ = "evidence_upload"
    __table_args__ = (Index("ix_evidence_upload_task_sha", "task_id", "sha256"),)
    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="task_instance.id")
    sha256: str = Field(max_length=64, index=True)
    uploader: str = Field(max_length=64)
    unit: str | None = Field(default=None, max_length=64)
    at: str = Field(max_length=32)
    name: str | None = Field(default=None, max_length=255)
    media_type: str | None = Field(default=None, max_length=128)
    size: int | None = Field(default=None, sa_type=BigInteger)
    source: str = Field(max_length=16)


class PlanDraft(SQLModel, table=True):
    """A plan imported from its text (engine/drafts.py): reviewed, its unknown units mapped, validated, then
    activated (stored as a plan and instantiated). States: draft, valid, active."""

    __tablename__ = "plan_draft"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, index=True)
    source_name: str = Field(max_length=255)
    source_text: str
    plan_json: str  # the parsed plan definition (definitions/plans format) as JSON
    mapping_json: str = "{}"  # unmatched unit name -> unit code ("" = not a unit of the registry)
    report_json: str = "{}"  # the importer's problems, unmatched units, the last validation
    state: str = Field(max_length=16)
    created_by: str = Field(max_length=64)
    created_at: str = Field(max_length=32)
    updated_at: str = Field(max_length=32)


class NotificationRead(SQLModel, table=True):
    """A notification one user marked read (engine/notifications.py): an audit event (kind 'event', ref its
    id) or a report due soon (kind 'report_due', ref the report's id). Read marks only: never audit data."""

    __tablename__ = "notification_read"
    user_name: str = Field(primary_key=True, max_length=64)
    kind: str = Field(primary_key=True, max_length=16)
    ref: int = Field(primary_key=True)
    at: str = Field(max_length=32)


class NotificationSeen(SQLModel, table=True):
    """"Mark all read": every notification event of the user up to this audit event id is read."""

    __tablename__ = "notification_seen"
    user_name: str = Field(primary_key=True, max_length=64)
    upto: int
    at: str = Field(max_length=32)


class OutboxDelivery(SQLModel, table=True):
    """One message to deliver (an e-mail to one address, a webhook call), written in the same transaction as
    the event that causes it and delivered by `phancap worker` (engine/outbox.py), at least once: the receiver
    gets `idempotency_key`, unique and derived from the causing event, the channel and the recipient."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # email | webhook
    idempotency_key: str = Field(max_length=64, unique=True)
    unit: str | None = Field(default=None, max_length=64, index=True)  # the unit it concerns (the admin pages' scope)
    payload: str  # JSON: what to send (e-mail: to, subject, body; webhook: body)
    status: str = Field(default="pending", max_length=16)  # pending | delivered | failed
    attempts: int = 0
    next_attempt_at: str = Field(max_length=32)
    last_error: str | None = None
    created_at: str = Field(max_length=32)
    delivered_at: str | None = Field(default=None, max_length=32)
    locked_by: str | None = Field(default=None, max_length=128)  # the worker holding the lease
    locked_until: str | None = Field(default=None, max_length=32)


class WorkerHeartbeat(SQLModel, table=True):
    """Each `phancap worker` (or in-process worker) beats here every pass: /healthz reports the newest beat."""

    __tablename__ = "worker_heartbeat"
    name: str = Field(primary_key=True, max_length=128)
    started_at: str = Field(max_length=32)
    beat_at: str = Field(max_length=32)
    last_sweep_at: str | None = Field(default=None, max_length=32)
    last_digest_on: str | None = Field(default=None, max_length=10)  # Việt Nam day of the last digest queued


class StatusCounter(SQLModel, table=True):
    """How many instances share the time-independent inputs of the official category, per unit (engine/counters.py);
    kept by triggers on task_instance (migration 0017). `deadline` 9999-12-31 stands for none."""

    __tablename__ = "status_counter"
    plan: str = Field(primary_key=True, max_length=64)
    kind: str = Field(primary_key=True, max_length=16)
    unit: str = Field(primary_key=True, max_length=64)
    workflow: str = Field(primary_key=True, max_length=64)
    state: str = Field(primary_key=True, max_length=32)
    deadline: date = Field(primary_key=True)
    done_late: bool = Field(primary_key=True)
    n: int


class TaskStatusCounter(SQLModel, table=True):
    """The same counts per plan task (number) instead of per unit: a report's and a roll-up's figures by task."""

    __tablename__ = "task_status_counter"
    plan: str = Field(primary_key=True, max_length=64)
    kind: str = Field(primary_key=True, max_length=16)
    task: str = Field(primary_key=True, max_length=32)
    workflow: str = Field(primary_key=True, max_length=64)
    state: str = Field(primary_key=True, max_length=32)
    deadline: date = Field(primary_key=True)
    done_late: bool = Field(primary_key=True)
    n: int


class DoneDayCounter(SQLModel, table=True):
    """How many instances of a plan finished on each day and are still done: progress over time."""

    __tablename__ = "done_day_counter"
    plan: str = Field(primary_key=True, max_length=64)
    kind: str = Field(primary_key=True, max_length=16)
    done_on: date = Field(primary_key=True)
    n: int
