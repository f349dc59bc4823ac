"""Public models of periodic reports, difficulties, urging and the monitoring dashboard."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, StrictInt

from phancap.api.schemas import CategoryCounts, TaskPublic, TriggerPublic


class ReportRecipientPublic(BaseModel):
    unit: str
    name: str | None
    received_at: str | None = Field(description="when it reached this recipient (it was sent); null before")


class ReportPublic(TaskPublic):
    """A periodic report instance: `unit` writes it once for the period and sends it to every recipient."""
    period: str = Field(description="the period's code, e.g. BC-2025-6T (semi-annual) or BC-2025-NAM (annual)")
    recipients: list[ReportRecipientPublic] = Field(description="every unit it is sent to (Nơi nhận)")
    recipient: str | None = Field(description="the first recipient (older clients); see `recipients`")
    recipient_name: str | None = Field(description="every recipient's name, separated by '; '")
    received: bool = Field(description="sent (submitted) or accepted")
    missing: bool = Field(description="not sent yet")
    late: bool = Field(description="went overdue, or is still not sent after its deadline")


class ReportList(BaseModel):
    items: list[ReportPublic]
    total: int


class ReportMeta(BaseModel):
    id: int
    plan: str
    code: str
    title: str | None
    unit: str
    unit_name: str | None = None
    to: str | None = Field(description="the first recipient; see `recipients`")
    recipients: list[ReportRecipientPublic] = Field(default_factory=list)
    state: str
    deadline: str | None


class OverdueTask(BaseModel):
    id: int
    task: str
    unit: str
    unit_name: str | None = None
    deadline: str


class ExtensionGranted(BaseModel):
    task_id: int
    deadline_from: str | None = None
    deadline_to: str | None = None


class DifficultyBrief(BaseModel):
    id: int
    unit: str
    unit_name: str | None = None
    state: str
    title: str | None


class DifficultiesByState(BaseModel):
    open: list[DifficultyBrief]
    answered: list[DifficultyBrief]


class ReceivedReport(BaseModel):
    id: int
    unit: str
    unit_name: str | None = None
    state: str
    deadline: str
    missing: bool
    late: bool


class TimelinePoint(BaseModel):
    date: str
    done: int = Field(description="tasks done by that day (cumulative)")


class OverduePage(BaseModel):
    offset: int
    limit: int
    total: int = Field(description="overdue tasks in all; `overdue` lists at most `limit` of them from `offset`")


class ReportContent(BaseModel):
    """A report's figures, all from the engine's data (the same figures as the DOCX and XLSX)."""
    report: ReportMeta
    today: str
    scope: Literal["plan", "unit"] = Field(description="plan: the monitor's report covers the whole plan")
    categories: CategoryCounts
    by_task: dict[str, CategoryCounts]
    overdue: list[OverdueTask]
    overdue_page: OverduePage
    extensions: list[ExtensionGranted]
    difficulties: DifficultiesByState
    received: list[ReceivedReport] = Field(description="the reports this one should have received for the period")
    missing_or_late: list[ReceivedReport]
    timeline: list[TimelinePoint] = Field(default_factory=list, description="tasks done, month by month (cumulative)")


class ReportDetail(ReportPublic):
    relations: list[str]
    triggers: list[TriggerPublic]
    content: ReportContent
    free_text: str | None = Field(description="the unit's covering note, from its latest submission")
    sections: dict[str, str] = Field(default_factory=dict, description="results, shortcomings, proposals: the "
                                     "sections I-III the unit wrote with its latest submission")


class CreateReportsRequest(BaseModel):
    period: Literal["semiannual", "annual"]
    year: int = Field(ge=2000, le=2100, strict=True)
    due: date | None = Field(default=None, description="due date for the regime entries the plan gives no date for")


class CreateReportsResult(BaseModel):
    plan: str
    period: str
    year: int
    created: int
    existing: int
    skipped: list[str]


class DifficultyPublic(TaskPublic):
    """A difficulty (vướng mắc, kiến nghị): `unit` raised it on task `parent_id`; `focal` answers or escalates it."""
    text: str | None = Field(description="the difficulty as raised")
    parent_task: str | None = Field(description="the number of the task it is about")
    answer: str | None = Field(description="the latest answer, once answered")


class DifficultyList(BaseModel):
    items: list[DifficultyPublic]
    total: int


class RaiseDifficultyRequest(BaseModel):
    text: str = Field(min_length=1, max_length=10_000)


class UrgeRequest(BaseModel):
    plan: str | None = Field(default=None, max_length=64)
    unit: str | None = Field(default=None, max_length=64)
    comment: str | None = Field(default=None, max_length=10_000)
    tasks: list[StrictInt] | None = Field(default=None, max_length=5000,
                                    description="only these tasks (still only those overdue or due soon)")


class UrgeResultPublic(BaseModel):
    """The urgings are recorded with their notices in the outbox, in one transaction each; the worker delivers
    them after the answer (`queued`), with retries, so that no SMTP server or webhook keeps the request waiting:
    each delivery's status is on the admin page /admin/deliveries, not listed here."""
    urged: list[int]
    refused: dict[str, str] = Field(description="task id → the rule that refused it")
    emails: list[str] = Field(description="addresses an e-mail was queued for (delivered by the worker)")
    webhooks: int = Field(description="webhook calls queued (delivered by the worker)")
    errors: list[str] = Field(description="notices that could not be queued (or, when not queued, failed "
                                          "deliveries); the urging itself stays recorded")
    queued: bool = Field(default=True, description="true: emails and webhooks count notices queued, not yet sent")


class AgencyProgress(BaseModel):
    unit: str
    unit_name: str | None
    states: dict[str, int]
    categories: CategoryCounts


class PeriodReports(BaseModel):
    period: str
    periods: list[str] = Field(description="every period with reports, for choosing another")
    received: list[ReportPublic]
    missing: list[ReportPublic]
    late: list[ReportPublic]


class PlanDashboard(BaseModel):
    plan: str
    title: str
    tasks: int
    categories: CategoryCounts
    states: dict[str, int]
    agencies: list[AgencyProgress]
    overdue: list[TaskPublic] = Field(description="the first 500 by deadline; overdue_total counts them all")
    due_soon: list[TaskPublic] = Field(description="the first 500 by deadline; due_soon_total counts them all")
    reports: PeriodReports | None
    timeline: list[TimelinePoint] = Field(default_factory=list, description="progress over time, month by month")
    overdue_total: int = 0
    due_soon_total: int = 0


class Dashboard(BaseModel):
    today: date
    scope: str = Field(description="'all' for monitors and auditors, else the unit whose tracked tasks are shown")
    state_labels: dict[str, str]
    plans: list[PlanDashboard]
