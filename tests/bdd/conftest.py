"""Step definitions shared by the Vietnamese scenarios in features/.

Every scenario starts from the `seeded` fixture of tests/conftest.py (both seed plans instantiated,
the demo users created), so it runs on SQLite and on PostgreSQL. State moves between steps in one
`ctx` object (created by the background step with target_fixture="ctx").

Users are named as in phancap.demo.DEMO_USERS; units by their names in definitions/organisations;
actions by the transition labels of the task's workflow; states by their labels."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pytest
from pytest_bdd import given, parsers, then, when
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from engine.audit import VerifyReport
from engine.clock import VIETNAM, Clock
from engine.errors import TransitionNotAllowed
from engine.instantiate import ASSIGN_TRIGGER
from engine.machine import WorkflowMachine
from engine.queries import history, list_tasks, verify_audit
from engine.roles import ROLE_LABELS_VI
from engine.runtime import SYSTEM, FireResult, TaskEngine
from engine.tick import TickResult, tick
from engine.users import add_user
from phancap.demo import DEMO_USERS


# --- how step text is read --------------------------------------------------------------------

def _quoted(value: str) -> str:
    return value


_quoted.pattern = r'[^"]*'  # type: ignore[attr-defined]


def _vn_date(value: str) -> date:
    day, month, year = (int(part) for part in value.split("/"))
    return date(year, month, day)


_vn_date.pattern = r"\d{1,2}/\d{1,2}/\d{4}"  # type: ignore[attr-defined]


def _number(value: str) -> str:
    return value


_number.pattern = r"\d+(?:\.[0-9a-z]+)*"  # type: ignore[attr-defined]

_TYPES = {"Q": _quoted, "D": _vn_date, "So": _number}


def step(pattern: str) -> parsers.parse:
    """A parse pattern where {x:Q} is the text between double quotes, {x:D} a date 15/4/2025,
    {x:So} a task number (1.1, 3, 4.a)."""
    return parsers.parse(pattern, extra_types=_TYPES)


ROLE_BY_LABEL = {label.casefold(): role for role, label in ROLE_LABELS_VI.items()}
ASSIGN_LABEL = "Giao nhiệm vụ"


# --- the scenario's state ---------------------------------------------------------------------

@dataclass
class Snapshot:
    state: str
    version: int
    task_events: int
    all_events: int


@dataclass
class Ctx:
    engine: TaskEngine
    clock: Clock
    task_id: int | None = None
    plan: str | None = None
    result: FireResult | None = None
    refusal: TransitionNotAllowed | None = None
    before: Snapshot | None = None
    db_error: DatabaseError | None = None
    ticks: list[TickResult] = field(default_factory=list)

    # database look-ups

    @property
    def db(self) -> Any:
        return self.engine.db

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.db.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar_one()

    def unit_code(self, name: str) -> str:
        """A unit by its name or one of its aliases, as the plans write them."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(text("SELECT code, name, aliases FROM unit")).all()
        key = " ".join(name.split()).casefold()
        found = [code for code, unit_name, aliases in rows
                 if key in {" ".join(n.split()).casefold() for n in [unit_name, *json.loads(aliases or "[]")]}]
        assert len(found) == 1, f"đơn vị '{name}': cần đúng một đơn vị, tìm thấy {found}"
        return found[0]

    def unit_name(self, code: str | None) -> str:
        if code is None:
            return ""
        return str(self.scalar("SELECT name FROM unit WHERE code = :c", c=code))

    def task(self) -> dict[str, Any]:
        assert self.task_id is not None, "chưa chọn nhiệm vụ"
        rows = [t for t in list_tasks(self.db, plan=self.plan) if t["id"] == self.task_id]
        assert len(rows) == 1
        return rows[0]

    def task_column(self, column: str) -> Any:
        return self.scalar(f"SELECT {column} FROM task_instance WHERE id = :t", t=self.task_id)

    def machine(self) -> WorkflowMachine:
        return self.engine.workflows[self.task()["workflow"]]

    def state_label(self, state: str | None) -> str:
        if state is None:
            return ""
        return self.machine().workflow.states[state].label

    def state_code(self, label: str) -> str:
        states = [s.name for s in self.machine().workflow.states.values() if s.label == label]
        assert len(states) == 1, f"trạng thái '{label}' không có trong quy trình {self.machine().workflow.name}"
        return states[0]

    def trigger_of(self, action: str) -> str:
        """An action by its label in the task's workflow ("Gửi đầu mối xem xét" -> submit_for_review)."""
        triggers = {t.trigger for t in self.machine().workflow.transitions if t.label == action}
        assert len(triggers) == 1, f"thao tác '{action}' không có (hoặc không rõ) trong quy trình {self.machine().workflow.name}"
        return triggers.pop()

    def action_label(self, trigger: str, from_state: str | None) -> str:
        if trigger == ASSIGN_TRIGGER:
            return ASSIGN_LABEL
        labels = {t.label for t in self.machine().workflow.from_state(str(from_state), trigger)}
        assert len(labels) == 1, (trigger, from_state, labels)
        return labels.pop()

    def events(self, task_id: int | None = None) -> int:
        if task_id is None:
            return int(self.scalar("SELECT COUNT(*) FROM audit_event"))
        return int(self.scalar("SELECT COUNT(*) FROM audit_event WHERE task_id = :t", t=task_id))

    def snapshot(self) -> Snapshot:
        row = self.task()
        return Snapshot(row["state"], int(row["version"]), self.events(self.task_id), self.events())

    # firing

    def attempt(self, actor: Any, action: str, *, comment: str | None = None, capacity: str | None = None,
                version: int | None = None) -> None:
        """Try an action and remember the outcome: a result or the refusal."""
        self.before = self.snapshot()
        self.result, self.refusal = None, None
        trigger = self.trigger_of(action)
        try:
            self.result = self.engine.fire(self.task_id, trigger, actor, comment=comment, capacity=capacity,
                                           version=version)
        except TransitionNotAllowed as refusal:
            self.refusal = refusal
            return
        # The engine picked the transition by trigger and state: it must be the one the user named.
        assert self.action_label(trigger, self.result.from_state) == action, (
            f"'{action}' đã chạy như '{self.action_label(trigger, self.result.from_state)}'")

    def done(self, actor: Any, action: str, **kwargs: Any) -> None:
        self.attempt(actor, action, **kwargs)
        if self.refusal is not None:
            raise AssertionError(f"bước chuẩn bị bị từ chối: {self.refusal}")

    def verify(self) -> VerifyReport:
        return verify_audit(self.db)

    def tamper(self, sql: str, **params: Any) -> None:
        self.db_error = None
        try:
            with self.db.engine.begin() as conn:
                conn.execute(text(sql), {"t": self.task_id, **params})
        except DatabaseError as exc:
            self.db_error = exc


def _cells(datatable: list[list[str]]) -> list[dict[str, str]]:
    header = [h.strip() for h in datatable[0]]
    return [dict(zip(header, (c.strip() for c in row), strict=True)) for row in datatable[1:]]


def _roles(text_roles: str) -> set[str]:
    roles = set()
    for label in (r.strip() for r in text_roles.split(";") if r.strip()):
        assert label.casefold() in ROLE_BY_LABEL, f"vai trò '{label}' không có; có: {sorted(ROLE_LABELS_VI.values())}"
        roles.add(ROLE_BY_LABEL[label.casefold()])
    return roles


@pytest.fixture(autouse=True)
def backend(seeded: TaskEngine) -> TaskEngine:
    """Requested at collection so every scenario is parametrised over SQLite and PostgreSQL
    (steps ask for fixtures only while running, too late for parametrisation)."""
    return seeded


# --- Cho (Given) ------------------------------------------------------------------------------

@given(step("các kế hoạch HN-2025 và KT-2025 đã giao nhiệm vụ cho các đơn vị ngày {day:D}"), target_fixture="ctx")
def plans_assigned(seeded: TaskEngine, clock: Clock, day: date) -> Ctx:
    assert clock.today() == day
    for plan in ("HN-2025", "KT-2025"):
        assert list_tasks(seeded.db, plan=plan), f"kế hoạch {plan} chưa có nhiệm vụ nào được giao"
    return Ctx(seeded, clock)


@given("những người dùng sau:")
def demo_users(ctx: Ctx, datatable: list[list[str]]) -> None:
    cast = {name: (unit, set(roles)) for name, unit, roles in DEMO_USERS}
    for row in _cells(datatable):
        name = row["người dùng"]
        assert name in cast, f"'{name}' không có trong DEMO_USERS"
        assert cast[name] == (ctx.unit_code(row["đơn vị"]), _roles(row["vai trò"])), (name, cast[name])
        stored = ctx.scalar("SELECT roles FROM app_user WHERE name = :n", n=name)
        assert set(stored.split(",")) == cast[name][1]


@given(step('"{unit:Q}" có thêm người dùng "{name:Q}" với vai trò "{roles:Q}"'))
def extra_user(ctx: Ctx, unit: str, name: str, roles: str) -> None:
    add_user(ctx.db, name, ctx.unit_code(unit), sorted(_roles(roles)), ctx.clock)


def _choose(ctx: Ctx, number: str, plan: str, unit: str) -> None:
    code = ctx.unit_code(unit)
    rows = [t for t in list_tasks(ctx.db, plan=plan, unit=code) if t["task"] == number]
    assert len(rows) == 1, f"nhiệm vụ {number} của {plan} do {unit} ({code}) chủ trì: {rows}"
    ctx.task_id, ctx.plan = int(rows[0]["id"]), plan


@given(step('nhiệm vụ {number:So} của kế hoạch "{plan:Q}" do "{unit:Q}" chủ trì'))
def choose_task(ctx: Ctx, number: str, plan: str, unit: str) -> None:
    _choose(ctx, number, plan, unit)


@given(step('nhiệm vụ {number:So} "{title:Q}" của kế hoạch "{plan:Q}" do "{unit:Q}" chủ trì'))
def choose_task_titled(ctx: Ctx, number: str, title: str, plan: str, unit: str) -> None:
    stored = ctx.scalar("SELECT title FROM plan_task WHERE plan = :p AND number = :n", p=plan, n=number)
    assert stored.startswith(title), f"nhiệm vụ {number}: '{stored}'"
    _choose(ctx, number, plan, unit)


@given(step('đầu mối theo dõi là "{focal:Q}", cấp phê duyệt là "{authority:Q}"'))
def focal_and_authority(ctx: Ctx, focal: str, authority: str) -> None:
    row = ctx.task()
    assert row["focal"] == ctx.unit_code(focal), row
    assert row["authority"] == ctx.unit_code(authority), row


@given(step('"{unit:Q}" là đơn vị phối hợp của nhiệm vụ'))
def is_coordinator(ctx: Ctx, unit: str) -> None:
    assert ctx.unit_code(unit) in json.loads(ctx.task_column("coordinators"))


@given(step('thời hạn ghi "{phrase:Q}", ngày cuối cùng là {last:D}'))
def deadline_phrase(ctx: Ctx, phrase: str, last: date) -> None:
    assert ctx.task_column("deadline_phrase") == phrase
    assert ctx.task()["deadline"] == last.isoformat()


@given(step('"{user:Q}" đã thực hiện "{action:Q}"'))
def done_action(ctx: Ctx, user: str, action: str) -> None:
    ctx.done(user, action)


@given(step('"{user:Q}" đã thực hiện "{action:Q}" với ý kiến "{comment:Q}"'))
def done_action_comment(ctx: Ctx, user: str, action: str, comment: str) -> None:
    ctx.done(user, action, comment=comment)


@given(step('"{user:Q}" đã thực hiện "{action:Q}" và ký "{capacity:Q}"'))
def done_action_signed(ctx: Ctx, user: str, action: str, capacity: str) -> None:
    ctx.done(user, action, capacity=capacity)


@given("quản trị viên cơ sở dữ liệu đã gỡ chốt chặn chỉ-ghi-thêm của bảng nhật ký")
def drop_append_only(ctx: Ctx) -> None:
    with ctx.db.engine.begin() as conn:
        if ctx.db.is_sqlite:
            conn.execute(text("DROP TRIGGER audit_event_no_update"))
            conn.execute(text("DROP TRIGGER audit_event_no_delete"))
        else:
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_change"))


# --- Khi (When) -------------------------------------------------------------------------------

@when(step('"{user:Q}" thực hiện "{action:Q}"'))
def act(ctx: Ctx, user: str, action: str) -> None:
    ctx.attempt(user, action)


@when(step('"{user:Q}" thực hiện "{action:Q}" với ý kiến "{comment:Q}"'))
def act_comment(ctx: Ctx, user: str, action: str, comment: str) -> None:
    ctx.attempt(user, action, comment=comment)


@when(step('"{user:Q}" thực hiện "{action:Q}" và ký "{capacity:Q}"'))
def act_signed(ctx: Ctx, user: str, action: str, capacity: str) -> None:
    ctx.attempt(user, action, capacity=capacity)


@when(step('"{user:Q}" thực hiện "{action:Q}" trên phiên bản {version:d} đã cũ'))
def act_stale(ctx: Ctx, user: str, action: str, version: int) -> None:
    assert ctx.task()["version"] != version
    ctx.attempt(user, action, version=version)


@when(step('hệ thống thực hiện "{action:Q}"'))
def system_acts(ctx: Ctx, action: str) -> None:
    ctx.attempt(SYSTEM, action)


@when(step("đồng hồ chuyển sang ngày {day:D}"))
def move_clock(ctx: Ctx, day: date) -> None:
    ctx.clock.fixed = Clock.parse(day.isoformat()).fixed
    assert ctx.engine.clock.today() == day


@when("hệ thống quét thời hạn")
def sweep(ctx: Ctx) -> None:
    ctx.before = ctx.snapshot()
    ctx.ticks.append(tick(ctx.db, ctx.engine.workflows, ctx.clock))


@when(step('có người sửa ý kiến của sự kiện thứ {seq:d} của nhiệm vụ thành "{comment:Q}"'))
def edit_comment(ctx: Ctx, seq: int, comment: str) -> None:
    ctx.tamper("UPDATE audit_event SET comment = :c WHERE task_id = :t AND seq = :s", c=comment, s=seq)


@when(step("có người xóa sự kiện thứ {seq:d} của nhiệm vụ"))
def delete_event(ctx: Ctx, seq: int) -> None:
    ctx.tamper("DELETE FROM audit_event WHERE task_id = :t AND seq = :s", s=seq)


# --- Thì (Then) -------------------------------------------------------------------------------

@then(step('nhiệm vụ ở trạng thái "{label:Q}" với phiên bản {version:d}'))
def state_and_version(ctx: Ctx, label: str, version: int) -> None:
    assert ctx.refusal is None, f"thao tác bị từ chối: {ctx.refusal}"
    row = ctx.task()
    assert (ctx.state_label(row["state"]), row["version"]) == (label, version), row
    assert ctx.events(ctx.task_id) == version  # one audit event per version


@then(step('thao tác bị từ chối theo quy tắc "{rule:Q}"'))
def refused(ctx: Ctx, rule: str) -> None:
    assert ctx.refusal is not None, f"thao tác không bị từ chối: {ctx.result}"
    assert ctx.refusal.rule == rule, ctx.refusal


@then(step('lý do từ chối có nêu "{fragment:Q}"'))
def refusal_reason(ctx: Ctx, fragment: str) -> None:
    assert ctx.refusal is not None
    assert fragment in ctx.refusal.message_vi, ctx.refusal.message_vi


@then("trạng thái, phiên bản và nhật ký của nhiệm vụ không thay đổi")
def unchanged(ctx: Ctx) -> None:
    assert ctx.refusal is not None
    assert ctx.before is not None
    assert ctx.snapshot() == ctx.before
    assert ctx.refusal.state == ctx.before.state


def _history_rows(ctx: Ctx) -> list[dict[str, str]]:
    rows = []
    for event in history(ctx.db, int(ctx.task_id or 0)):
        rows.append({
            "lần": str(event["seq"]),
            "thao tác": ctx.action_label(event["trigger"], event["from"]),
            "từ": ctx.state_label(event["from"]),
            "đến": ctx.state_label(event["to"]),
            "người thực hiện": event["actor"],
            "đơn vị": ctx.unit_name(event["unit"]),
            "vai trò": ROLE_LABELS_VI.get(event["role"], event["role"]),
            "thẩm quyền ký": event["capacity"] or "",
            "ý kiến": event["comment"] or "",
        })
    return rows


def _project(rows: list[dict[str, str]], columns: list[str]) -> list[dict[str, str]]:
    return [{c: row[c] for c in columns} for row in rows]


@then("lịch sử của nhiệm vụ gồm:")
def whole_history(ctx: Ctx, datatable: list[list[str]]) -> None:
    expected = _cells(datatable)
    assert _project(_history_rows(ctx), list(expected[0])) == expected


@then("dòng cuối của lịch sử là:")
def last_history_row(ctx: Ctx, datatable: list[list[str]]) -> None:
    expected = _cells(datatable)
    assert len(expected) == 1
    assert _project(_history_rows(ctx), list(expected[0]))[-1] == expected[0]


def _labels(ctx: Ctx, user: str) -> set[str]:
    return {t.label for t in ctx.engine.triggers(int(ctx.task_id or 0), user)}


@then(step('"{user:Q}" chỉ được thực hiện "{action:Q}"'))
def only_action(ctx: Ctx, user: str, action: str) -> None:
    assert _labels(ctx, user) == {action}


@then(step('"{user:Q}" được thực hiện {actions}'))
def allowed_actions(ctx: Ctx, user: str, actions: str) -> None:
    wanted = set(re.findall(r'"([^"]*)"', actions))
    assert wanted and wanted <= _labels(ctx, user), _labels(ctx, user)


@then(step('"{user:Q}" không được thực hiện "{action:Q}"'))
def not_allowed_action(ctx: Ctx, user: str, action: str) -> None:
    assert action not in _labels(ctx, user), _labels(ctx, user)


@then(step('"{user:Q}" không còn thao tác nào với nhiệm vụ'))
def no_action_left(ctx: Ctx, user: str) -> None:
    assert _labels(ctx, user) == set()


@then("lần quét không chuyển nhiệm vụ này")
def sweep_left_it(ctx: Ctx) -> None:
    assert ctx.before is not None
    now = ctx.snapshot()
    assert (now.state, now.version, now.task_events) == (ctx.before.state, ctx.before.version, ctx.before.task_events)


@then("lần quét chuyển nhiệm vụ này sang quá hạn")
def sweep_marked(ctx: Ctx) -> None:
    assert ctx.ticks[-1].marked >= 1
    assert ctx.before is not None and ctx.before.state != "overdue"
    assert ctx.task()["state"] == "overdue"


@then(step("nhiệm vụ được ghi nhận là hoàn thành quá hạn, quá hạn từ ngày {day:D}"))
def done_late(ctx: Ctx, day: date) -> None:
    row = ctx.task()
    assert row["state"] == "approved"
    assert row["overdue_at"] is not None, "nhiệm vụ không được ghi nhận là quá hạn"
    moment = datetime.fromisoformat(str(row["overdue_at"]).replace("Z", "+00:00"))
    assert moment.astimezone(VIETNAM).date() == day


@then("kiểm tra nhật ký không phát hiện sai lệch")
def audit_ok(ctx: Ctx) -> None:
    report = ctx.verify()
    assert report.ok, report.problems
    assert report.events == ctx.events() and report.tasks > 0


@then(step('kiểm tra nhật ký báo nhiệm vụ này, sự kiện thứ {seq:d}: "{fragment:Q}"'))
def audit_names_event(ctx: Ctx, seq: int, fragment: str) -> None:
    assert ctx.db_error is None, f"cơ sở dữ liệu đã từ chối: {ctx.db_error}"
    problems = ctx.verify().problems
    named = re.compile(rf"^task {ctx.task_id}\b.*\bseq {seq}\b")
    assert any(named.search(p) and fragment in p for p in problems), problems


@then(step('kiểm tra nhật ký báo nhiệm vụ này: "{fragment:Q}"'))
def audit_names_task(ctx: Ctx, fragment: str) -> None:
    assert ctx.db_error is None, f"cơ sở dữ liệu đã từ chối: {ctx.db_error}"
    problems = ctx.verify().problems
    assert any(re.match(rf"task {ctx.task_id}\b", p) and fragment in p for p in problems), problems


@then("kiểm tra nhật ký chỉ nêu nhiệm vụ này")
def audit_only_this_task(ctx: Ctx) -> None:
    problems = ctx.verify().problems
    assert problems and all(re.match(rf"task {ctx.task_id}\b", p) for p in problems), problems


@then(step('cơ sở dữ liệu từ chối với thông báo "{fragment:Q}"'))
def database_refused(ctx: Ctx, fragment: str) -> None:
    assert ctx.db_error is not None, "cơ sở dữ liệu đã cho sửa nhật ký"
    assert fragment in str(ctx.db_error), ctx.db_error


@then(step("nhiệm vụ còn đủ {count:d} sự kiện trong nhật ký"))
def events_kept(ctx: Ctx, count: int) -> None:
    assert ctx.events(ctx.task_id) == count == ctx.task()["version"]
