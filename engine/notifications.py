"""Notifications ("Thông báo", issue 15): what happened to my tasks, read from the audit events themselves
(written in the same transaction as what they tell), plus the reports of my unit due soon.

Mine: events of a few triggers (NOTICES) on the instances my unit leads or tracks as focal agency, an
extension requested on one it approves, an assignment to me; never my own actions, never older than
WINDOW_DAYS. Each relation is one that makes the instance visible to my unit, so nobody learns of a task
they could not open. Only read marks are stored (notification_read, notification_seen); reading is keyset
paged on the event id, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, or_, select, text
from sqlalchemy.sql.elements import ColumnElement

from phancap.engine.assignment import ASSIGN_TRIGGER
from phancap.engine.clock import stamp
from phancap.engine.models import AuditEvent, NotificationRead, NotificationSeen, PlanTask
from phancap.engine.reports import KIND as REPORT
from phancap.engine.runtime import TaskEngine
from phancap.engine.status import TASK_INSTANCES
from phancap.engine.users import User

NOTICES = {
    "return": "Bị trả lại",
    "urge": "Được đôn đốc",
    "request_extension": "Đề nghị gia hạn",
    "grant_extension": "Được đồng ý gia hạn",
    "refuse_extension": "Không được đồng ý gia hạn",
    "answer": "Vướng mắc đã được trả lời",
    "amend": "Kế hoạch được sửa đổi, bổ sung",
    "transfer": "Chuyển đơn vị chủ trì",
    ASSIGN_TRIGGER: "Được phân công xử lý",
}
REPORT_DUE, REPORT_DUE_LABEL = "report_due", "Báo cáo sắp đến hạn"
EVENT = "event"
WINDOW_DAYS = 60
UNREAD_CAP = 99  # the header shows "99+" beyond

_A = AuditEvent.__table__.alias("a")  # type: ignore[attr-defined]
_T = TASK_INSTANCES.alias("t")
_PT = PlanTask.__table__.alias("pt")  # type: ignore[attr-defined]
_EVENTS = _A.join(_T, _T.c.id == _A.c.task_id)
# the engine writes these comments itself, Vietnamese then English after " / ": pages show the Vietnamese
BILINGUAL = frozenset({"amend", "transfer"})
_READ = NotificationRead.__table__  # type: ignore[attr-defined]
_SEEN = NotificationSeen.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Notifications:
    items: list[dict[str, Any]]  # newest first: key, kind, label, task, plan, number, title, actor, at, comment, read
    unread: int  # at most UNREAD_CAP + 1
    next_before: int | None  # the event id to page on from, when there may be more


def _mine(user: User) -> ColumnElement[bool]:
    unit = _T.c.unit == user.unit
    return and_(_A.c.actor != user.name, _A.c.trigger.in_(list(NOTICES)), or_(
        and_(_A.c.trigger != ASSIGN_TRIGGER, or_(unit, _T.c.focal == user.unit)),
        and_(_A.c.trigger == "request_extension", _T.c.authority == user.unit),
        # still of the lead unit: a user moved to another unit is told nothing of its tasks
        and_(_A.c.trigger == ASSIGN_TRIGGER, _T.c.assignee == user.name, unit)))


def _since(engine: TaskEngine) -> str:
    return stamp(engine.clock.now() - timedelta(days=WINDOW_DAYS))


def _unread_event(user: User) -> ColumnElement[bool]:
    seen = select(_SEEN.c.upto).where(_SEEN.c.user_name == user.name).scalar_subquery()
    marked = select(_READ.c.ref).where(_READ.c.user_name == user.name, _READ.c.kind == EVENT, _READ.c.ref == _A.c.id)
    return and_(_A.c.id > func.coalesce(seen, 0), ~marked.exists())


def _due_reports(engine: TaskEngine, user: User) -> list[dict[str, Any]]:
    """My unit's open reports due within the due-soon days, with their read mark."""
    _, due_soon = engine.status.columns(_T)
    marked = select(_READ.c.ref).where(_READ.c.user_name == user.name, _READ.c.kind == REPORT_DUE,
                                       _READ.c.ref == _T.c.id).exists()
    stmt = (select(_T.c.id, _T.c.plan, _T.c.task, _T.c.title, _T.c.deadline, marked.label("read"))
            .where(_T.c.kind == REPORT, due_soon == 1, _T.c.unit == user.unit)
            .order_by(_T.c.deadline, _T.c.id).limit(50))
    with engine.db.engine.connect() as conn:
        rows = conn.execute(stmt, engine.status.params(engine.clock.today())).all()
    return [{"key": f"{REPORT_DUE}:{r.id}", "kind": REPORT_DUE, "label": REPORT_DUE_LABEL, "task": int(r.id),
             "plan": r.plan, "number": r.task, "title": r.title, "actor": None, "at": None, "comment": None,
             "deadline": r.deadline, "read": bool(r.read)} for r in rows]


def _vietnamese(trigger: str, comment: str | None) -> str | None:
    return comment.split(" / ")[0] if comment and trigger in BILINGUAL else comment


def notifications(engine: TaskEngine, user: User, *, limit: int = 30, before: int | None = None,
                  unread_only: bool = False, since: str | None = None) -> Notifications:
    """The user's notifications, newest first (reports due soon on the first page), and the unread count;
    `since`: only events at or after that instant (the daily digest)."""
    where = [_mine(user), _A.c.at >= max(_since(engine), since or "")]
    if before is not None:
        where.append(_A.c.id < before)
    if unread_only:
        where.append(_unread_event(user))
    read = ~_unread_event(user)
    title = func.coalesce(_T.c.title, _PT.c.title).label("title")
    stmt = (select(_A.c.id, _A.c.trigger, _A.c.actor, _A.c.unit, _A.c.at, _A.c.comment, _T.c.id.label("task"),
                   _T.c.plan, _T.c.task.label("number"), title, read.label("read"))
            .select_from(_EVENTS.outerjoin(_PT, and_(_PT.c.plan == _T.c.plan, _PT.c.number == _T.c.task)))
            .where(*where).order_by(_A.c.id.desc()).limit(limit + 1))
    with engine.db.engine.connect() as conn:
        rows = conn.execute(stmt).all()
    items = [{"key": f"{EVENT}:{r.id}", "kind": r.trigger, "label": NOTICES[r.trigger], "task": int(r.task),
              "plan": r.plan, "number": r.number, "title": r.title, "actor": r.actor, "at": r.at,
              "comment": _vietnamese(r.trigger, r.comment), "deadline": None, "read": bool(r.read)} for r in rows[:limit]]
    reports = _due_reports(engine, user)
    due = [] if before is not None else [d for d in reports if not (unread_only and d["read"])]
    more = int(rows[limit - 1].id) if len(rows) > limit else None
    return Notifications(due + items, unread_count(engine, user, reports), more)


def unread_count(engine: TaskEngine, user: User, reports: list[dict[str, Any]] | None = None) -> int:
    """How many notifications the user has not read (counted up to UNREAD_CAP + 1: the header's number);
    `reports`: the due reports when the caller has them already."""
    inner = (select(_A.c.id).select_from(_EVENTS)
             .where(_mine(user), _A.c.at >= _since(engine), _unread_event(user)).limit(UNREAD_CAP + 1).subquery())
    with engine.db.engine.connect() as conn:
        events = int(conn.execute(select(func.count()).select_from(inner)).scalar_one())
    if events > UNREAD_CAP:
        return UNREAD_CAP + 1
    due = sum(1 for d in (_due_reports(engine, user) if reports is None else reports) if not d["read"])
    return min(events + due, UNREAD_CAP + 1)


def _parse(key: str) -> tuple[str, int] | None:
    kind, _, ref = key.partition(":")
    return (kind, int(ref)) if kind in (EVENT, REPORT_DUE) and ref.isdigit() and len(ref) < 19 else None


def mark_read(engine: TaskEngine, user: User, keys: list[str] | None = None) -> int:
    """Mark the notifications named by key read, or (keys None) every one the user has now: notifications
    up to the newest event become read and the reports due soon are marked. Returns the unread count after."""
    at = stamp(engine.clock.now())
    if keys is None:
        wanted = [(REPORT_DUE, int(d["task"])) for d in _due_reports(engine, user)]
    else:
        wanted = [p for p in (_parse(k) for k in keys) if p is not None]
    with engine.db.begin() as conn:
        if keys is None:
            newest = conn.execute(select(func.max(_A.c.id)).select_from(_EVENTS)
                                  .where(_mine(user))).scalar()
            if newest is not None:
                conn.execute(delete(_SEEN).where(_SEEN.c.user_name == user.name))
                conn.execute(insert(_SEEN).values(user_name=user.name, upto=int(newest), at=at))
                conn.execute(delete(_READ).where(_READ.c.user_name == user.name, _READ.c.kind == EVENT,
                                                 _READ.c.ref <= int(newest)))  # covered by the mark
        for kind, ref in dict.fromkeys(wanted):
            exists = conn.execute(text("SELECT 1 FROM notification_read WHERE user_name = :u AND kind = :k AND ref = :r"),
                                  {"u": user.name, "k": kind, "r": ref}).first()
            if exists is None:
                conn.execute(insert(_READ).values(user_name=user.name, kind=kind, ref=ref, at=at))
    return unread_count(engine, user)


