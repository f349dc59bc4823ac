"""Step definitions shared by the Vietnamese scenarios in features/.

Every scenario starts from the `seeded` fixture of tests/conftest.py (both seed plans instantiated,
the demo users created), so it runs on SQLite and on PostgreSQL; modules whose scenarios only read
override `backend` with `shared_seeded`, the same data built once per module. State moves between
steps in one `ctx` object (created by the background step with target_fixture="ctx").

Users are named as in phancap.demo.DEMO_USERS; units by their names in definitions/organisations;
actions by the transition labels of the task's workflow; states by their labels."""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pytest_bdd import given, parsers, then, when
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError

from phancap.api.app import create_app
from phancap.api.settings import ApiSettings
from phancap.engine.audit import GENESIS, VerifyReport
from phancap.engine.audit_export import checkpoint, export_events, read_jsonl, verify_offline
from phancap.engine.clock import VIETNAM, Clock
from phancap.engine.db import Database
from phancap.engine.difficulties import raise_difficulty
from phancap.engine.errors import TransitionNotAllowed
from phancap.engine.instantiate import ASSIGN_TRIGGER
from phancap.engine.machine import WorkflowMachine
from phancap.engine.queries import get_task, history, list_tasks, progress, verify_audit
from phancap.engine.report_documents import report_documents
from phancap.engine.report_recipients import with_recipients
from phancap.engine.reports import create_reports, report_content
from phancap.engine.roles import ROLE_LABELS_VI
from phancap.engine.runtime import SYSTEM, FireResult, TaskEngine
from phancap.engine.status import LABELS_VI as CATEGORY_LABELS
from phancap.engine.tick import TickResult, tick
from phancap.engine.urging import select_for_urging, urge_many
from phancap.engine.users import User, add_user
from phancap.engine.visibility import cases_visible_to
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
RAISE_TRIGGER, RAISE_LABEL = "raise", "Nêu vướng mắc, kiến nghị"


# --- the scenario's state ---------------------------------------------------------------------

@dataclass
class Snapshot:
    state: str
    version: int
    task_events: int
    all_events: int


BDD_SECRET = "bdd-scenarios-secret-key-0123456789abcdef"


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
    seen: dict[str, Any] = field(default_factory=dict)  # what a "Khi xem …" step looked at
    _http: Any = None  # the web API over the same database and clock, built on first use

    # database look-ups

    @property
    def db(self) -> Any:
        return self.engine.db

    def scalar(self, sql: str, **params: Any) -> Any:
        with self.db.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar_one()

    def unit_code(self, name: str) -> str:
        """A unit by its name or one of its aliases, as the plans write them (in the registries of the loaded
        plans: every province has a "Sở Công Thương")."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(text("SELECT code, name, aliases FROM unit WHERE region IN (SELECT region FROM plan)")).all()
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
        """The chosen instance: a plan task, a periodic report or a difficulty."""
        assert self.task_id is not None, "chưa chọn nhiệm vụ"
        row = get_task(self.db, self.task_id)
        assert row is not None, f"không có nhiệm vụ {self.task_id}"
        return row

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
        if trigger == RAISE_TRIGGER:
            return RAISE_LABEL
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
                version: int | None = None, evidence: dict[str, Any] | None = None,
                proposed_deadline: date | None = None, sections: dict[str, str] | None = None) -> None:
        """Try an action and remember the outcome: a result or the refusal."""
        self.before = self.snapshot()
        self.result, self.refusal = None, None
        trigger = self.trigger_of(action)
        if isinstance(actor, str):  # a person acts through the HTTP API, as users do
            self._post(actor, trigger, comment=comment, capacity=capacity, version=version, evidence=evidence,
                       proposed_deadline=proposed_deadline.isoformat() if proposed_deadline else None,
                       sections=sections)
        else:
            try:
                self.result = self.engine.fire(self.task_id, trigger, actor, comment=comment, capacity=capacity,
                                               version=version, evidence=evidence, proposed_deadline=proposed_deadline)
            except TransitionNotAllowed as refusal:
                self.refusal = refusal
        if self.refusal is not None:
            return
        # The engine picked the transition by trigger and state: it must be the one the user named.
        assert self.action_label(trigger, self.result.from_state) == action, (
            f"'{action}' đã chạy như '{self.action_label(trigger, self.result.from_state)}'")

    def _post(self, user: str, trigger: str, **body: Any) -> None:
        if self._http is None:
            app = create_app(database=self.db, clock=self.clock, settings=ApiSettings(secret_key=BDD_SECRET),
                             workflows=self.engine.workflows)
            self._http = (TestClient(app), app.state.services.signer)
        client, signer = self._http
        response = client.post(f"/api/v1/tasks/{self.task_id}/transitions",
                               json={"trigger": trigger, **{k: v for k, v in body.items() if v is not None}},
                               headers={"Authorization": f"Bearer {signer.token(user)}"})
        answer = response.json()
        if response.status_code == 200:
            self.result = FireResult(answer["task"], answer["trigger"], answer["from_state"], answer["state"],
                                     answer["version"], answer["actor"], answer["role"], answer["capacity"],
                                     answer["at"], answer["hash"])
        else:
            self.refusal = TransitionNotAllowed(answer["rule"], answer["message_vi"], answer["message_en"],
                                                task_id=self.task_id, state=answer.get("state"),
                                                trigger=answer.get("trigger"))

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


REST = re.compile(r"^(\d+) xã, phường còn lại$")


def _with_rest(actual: list[tuple[str, ...]], expected: list[tuple[str, ...]]) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """A row "| 118 xã, phường còn lại | Quá hạn |" stands for exactly that many more units, not named in the
    other rows, each with the row's values (Hà Nội has 126 communes: the table names the ones the scenario is about)."""
    named = {row[0] for row in expected if not REST.match(row[0])}
    out_actual, out_expected = [a for a in actual if a[0] in named], [e for e in expected if not REST.match(e[0])]
    rest = [a for a in actual if a[0] not in named]
    for row in expected:
        m = REST.match(row[0])
        if m:
            out_expected += [(f"#{i}", *row[1:]) for i in range(int(m.group(1)))]
            out_actual += [(f"#{i}", *a[1:]) for i, a in enumerate(rest)]
            rest = []
    return sorted(out_actual + rest), sorted(out_expected)


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


SHARED_START = "2025-04-01T09:00:00+07:00"  # as tests/conftest.py START


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared_seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                  workflows: dict[str, WorkflowMachine]) -> Iterator[TaskEngine]:
    """One seeded database per module and backend, for modules whose scenarios only read
    (they override `backend` with it): the same data as `seeded` (a copy of the seeded template), built once."""
    pg_url = os.environ.get("PHANCAP_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = None
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("shared") / "phancap.db"
        shutil.copy(request.getfixturevalue("sqlite_seeded_template"), path)
        url = f"sqlite:///{path}"
    else:
        template = request.getfixturevalue("pg_seeded_template")
        clones = request.getfixturevalue("pg_clones")
        name = clones.take(template)
        url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    database = Database(url)
    yield TaskEngine(database, workflows, Clock.parse(SHARED_START))
    database.dispose()
    if name is not None:
        clones.release(name)


# --- Cho (Given) ------------------------------------------------------------------------------

@given(step("các kế hoạch HN-2025 và KT-2025 đã giao nhiệm vụ cho các đơn vị ngày {day:D}"), target_fixture="ctx")
def plans_assigned(backend: TaskEngine, day: date) -> Ctx:
    assert backend.clock.today() == day
    for plan in ("HN-2025", "KT-2025"):
        assert list_tasks(backend.db, plan=plan), f"kế hoạch {plan} chưa có nhiệm vụ nào được giao"
    return Ctx(backend, backend.clock)


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


@given(step("hôm nay là ngày {day:D}"))
@when(step("đồng hồ chuyển sang ngày {day:D}"))
def move_clock(ctx: Ctx, day: date) -> None:
    ctx.clock.fixed = Clock.parse(day.isoformat()).fixed
    assert ctx.engine.clock.today() == day


@when("hệ thống quét thời hạn")
def sweep(ctx: Ctx) -> None:
    ctx.before = ctx.snapshot() if ctx.task_id is not None else None
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
    # a refusal names the state it judged; one refused at the door (no valid sign-in) never read the task,
    # and one for a task the caller may not see never tells its state
    assert ctx.refusal.state == (None if ctx.refusal.rule in ("auth", "task") else ctx.before.state)


def _evidence_text(evidence: dict[str, Any] | None) -> str:
    """A document as the history shows it: its number and title, or either."""
    if not evidence:
        return ""
    return " ".join(str(evidence[k]) for k in ("number", "title") if evidence.get(k))


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
            "văn bản": _evidence_text(event["evidence"]),
        })
    return rows


def _project(rows: list[dict[str, str]], columns: list[str]) -> list[dict[str, str]]:
    return [{c: row[c] for c in columns} for row in rows]


@then("lịch sử của nhiệm vụ gồm:")
@then("lịch sử của vướng mắc gồm:")
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
    try:
        labels = _labels(ctx, user)
    except TransitionNotAllowed as exc:  # a unit with no relation to the task is told it does not exist;
        assert exc.rule in ("task", "user"), exc  # a user of an inactive unit is no user at all
        labels = set()
    assert labels == set()


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


@then(step("nhiệm vụ được ghi nhận là hoàn thành, từng quá hạn từ ngày {day:D}"))
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


# --- the plans in their own words -------------------------------------------------------------
# How the plans name groups of units, read independently of the engine's group registry: by the
# kinds of units the words cover (or, for "the focal departments", the agencies the plan names).

_KINDS_BY_WORDS: dict[str, tuple[str, frozenset[str]]] = {
    "các sở, ngành": ("HN", frozenset({"department"})),
    "các sở, ban, ngành": ("HN", frozenset({"department"})),
    "chính quyền địa phương cấp cơ sở": ("HN", frozenset({"commune", "ward"})),
    "các sở, ban, ngành, chính quyền địa phương cấp cơ sở": ("HN", frozenset({"department", "commune", "ward"})),
    "các cơ quan chuyên môn thuộc ubnd huyện": ("KT", frozenset({"office"})),
    "ubnd các xã, thị trấn": ("KT", frozenset({"commune", "township"})),
}
_FOCAL_WORDS = "các sở, ban, ngành đầu mối chịu trách nhiệm theo dõi nhiệm vụ"
NOT_NAMED = "không nêu"


def _key(words: str) -> str:
    return " ".join(words.split()).casefold()


def units_named(ctx: Ctx, words: str, plan: str | None = None) -> set[str]:
    """The unit codes a plan's words name: parts separated by ';', each a group or one unit."""
    found: set[str] = set()
    for part in (p.strip() for p in words.split(";") if p.strip()):
        key = _key(part)
        if key in _KINDS_BY_WORDS:
            region, kinds = _KINDS_BY_WORDS[key]
            with ctx.db.engine.connect() as conn:
                rows = conn.execute(text("SELECT code, kind FROM unit WHERE region = :r"), {"r": region}).all()
            found |= {code for code, kind in rows if kind in kinds}
        elif key == _FOCAL_WORDS:
            assert plan, "cần biết kế hoạch để hiểu 'các Sở đầu mối'"
            with ctx.db.engine.connect() as conn:
                rows = conn.execute(text("SELECT DISTINCT focal FROM plan_task WHERE plan = :p AND focal IS NOT NULL"),
                                    {"p": plan}).all()
            found |= {r[0] for r in rows}
        else:
            found.add(ctx.unit_code(part))
    return found


def _parse_vn_day(value: str) -> date | None:
    value = value.strip()
    return None if value.casefold() in {NOT_NAMED, "không có", "không có thời hạn"} else _vn_date(value)


def plan_task_row(ctx: Ctx, plan: str, number: str) -> dict[str, Any]:
    with ctx.db.engine.connect() as conn:
        row = conn.execute(text(
            "SELECT number, heading, title, focal, lead_text, deadline_phrase, deadline_due, workflow, procedure_text "
            "FROM plan_task WHERE plan = :p AND number = :n"), {"p": plan, "n": number}).mappings().first()
    assert row is not None, f"kế hoạch {plan} không có nhiệm vụ {number}"
    return dict(row)


def instances_of(ctx: Ctx, plan: str, number: str) -> list[dict[str, Any]]:
    return [t for t in list_tasks(ctx.db, plan=plan) if t["task"] == number]


@when(step('xem nhiệm vụ {number:So} của kế hoạch "{plan:Q}"'))
def look_at_task(ctx: Ctx, number: str, plan: str) -> None:
    ctx.plan = plan
    ctx.seen = {"plan": plan, "number": number, "task": plan_task_row(ctx, plan, number),
                "instances": instances_of(ctx, plan, number)}


@then(step('kế hoạch ghi đầu mối "{focal:Q}", chủ trì "{lead:Q}", thời hạn "{phrase:Q}", quy trình "{procedure:Q}"'))
def plan_says(ctx: Ctx, focal: str, lead: str, phrase: str, procedure: str) -> None:
    task = ctx.seen["task"]
    assert not task["heading"], f"{task['number']} là đề mục"
    expected_focal = None if focal == NOT_NAMED else ctx.unit_code(focal)
    assert task["focal"] == expected_focal, (task["focal"], focal)
    assert task["lead_text"] == lead, task["lead_text"]
    assert task["deadline_phrase"] == phrase, task["deadline_phrase"]
    assert (task["procedure_text"] or NOT_NAMED) == procedure, task["procedure_text"]


@then(step('nhiệm vụ được giao thành {count:d} bản, mỗi đơn vị thuộc "{lead:Q}" một bản'))
def one_instance_per_unit(ctx: Ctx, count: int, lead: str) -> None:
    units = [t["unit"] for t in ctx.seen["instances"]]
    assert len(units) == count == len(set(units)), sorted(units)
    assert set(units) == units_named(ctx, lead, ctx.seen["plan"]), sorted(units)


@then(step('mọi bản do "{focal:Q}" theo dõi, ngày cuối cùng là "{last:Q}", theo quy trình "{title:Q}"'))
def every_instance(ctx: Ctx, focal: str, last: str, title: str) -> None:
    due = _parse_vn_day(last)
    code = ctx.unit_code(focal)
    for row in ctx.seen["instances"]:
        assert row["focal"] == code, row
        assert row["deadline"] == (due.isoformat() if due else None), row
        assert row["state"] == ctx.engine.workflows[row["workflow"]].workflow.initial, row
        assert ctx.engine.workflows[row["workflow"]].workflow.title == title, row
    assert ctx.seen["task"]["deadline_due"] in (due, due.isoformat() if due else None)


@then(step('đề mục {number:So} "{title:Q}" không được giao cho đơn vị nào'))
def heading_has_no_instances(ctx: Ctx, number: str, title: str) -> None:
    task = plan_task_row(ctx, ctx.plan or "", number)
    assert task["heading"] and task["title"].startswith(title), task
    assert instances_of(ctx, ctx.plan or "", number) == []


@then(step('các nhiệm vụ con của đề mục {number:So} là {children}'))
def heading_children(ctx: Ctx, number: str, children: str) -> None:
    with ctx.db.engine.connect() as conn:
        rows = conn.execute(text("SELECT number FROM plan_task WHERE plan = :p AND parent = :n ORDER BY id"),
                            {"p": ctx.plan, "n": number}).all()
    assert [r[0] for r in rows] == _numbers(children), rows


def _numbers(text_numbers: str) -> list[str]:
    return [n.strip() for n in re.split(r",|\bvà\b", text_numbers) if n.strip()]


@when(step('xem kế hoạch "{plan:Q}"'))
def look_at_plan(ctx: Ctx, plan: str) -> None:
    ctx.plan = plan


@then(step("kế hoạch có các nhiệm vụ {numbers} và giao tổng cộng {total:d} bản nhiệm vụ"))
def plan_numbers(ctx: Ctx, numbers: str, total: int) -> None:
    with ctx.db.engine.connect() as conn:
        rows = conn.execute(text("SELECT number FROM plan_task WHERE plan = :p AND heading = :f ORDER BY id"),
                            {"p": ctx.plan, "f": False}).all()
    assert [r[0] for r in rows] == _numbers(numbers), rows
    assert len(list_tasks(ctx.db, plan=ctx.plan)) == total


# --- documents: dossiers, appraisal reports, issued decisions ---------------------------------

@given(step('nhiệm vụ theo quy trình "{title:Q}"'))
def follows_workflow(ctx: Ctx, title: str) -> None:
    assert ctx.machine().workflow.title == title, ctx.machine().workflow.title


@given(step('nhiệm vụ đang ở trạng thái "{label:Q}"'))
def is_in_state(ctx: Ctx, label: str) -> None:
    assert ctx.state_label(ctx.task()["state"]) == label


@given(step('"{user:Q}" đã thực hiện "{action:Q}" kèm hồ sơ "{title:Q}"'))
def done_with_dossier(ctx: Ctx, user: str, action: str, title: str) -> None:
    ctx.done(user, action, evidence={"title": title})


@when(step('"{user:Q}" thực hiện "{action:Q}" kèm hồ sơ "{title:Q}"'))
def act_with_dossier(ctx: Ctx, user: str, action: str, title: str) -> None:
    ctx.attempt(user, action, evidence={"title": title})


@given(step('"{user:Q}" đã thực hiện "{action:Q}" kèm văn bản số "{number:Q}"'))
def done_with_document(ctx: Ctx, user: str, action: str, number: str) -> None:
    ctx.done(user, action, evidence={"number": number})


@when(step('"{user:Q}" thực hiện "{action:Q}" kèm văn bản số "{number:Q}"'))
def act_with_document(ctx: Ctx, user: str, action: str, number: str) -> None:
    ctx.attempt(user, action, evidence={"number": number})


@when(step('"{user:Q}" thực hiện "{action:Q}" kèm văn bản số "{number:Q}" và ký "{capacity:Q}"'))
def act_with_document_signed(ctx: Ctx, user: str, action: str, number: str, capacity: str) -> None:
    ctx.attempt(user, action, evidence={"number": number}, capacity=capacity)


@when(step('"{user:Q}" thực hiện "{action:Q}" kèm văn bản "{title:Q}" không ghi số hiệu'))
def act_with_unnumbered_document(ctx: Ctx, user: str, action: str, title: str) -> None:
    ctx.attempt(user, action, evidence={"title": title})


@then(step("hạn thẩm định là ngày {day:D}"))
def appraisal_limit(ctx: Ctx, day: date) -> None:
    assert ctx.refusal is None, ctx.refusal
    assert str(ctx.task_column("state_due")) == day.isoformat()


@then(step('nhiệm vụ được xếp loại "{label:Q}"'))
def task_category(ctx: Ctx, label: str) -> None:
    row = ctx.task()
    status = ctx.engine.status.status(row, ctx.clock.today())
    assert CATEGORY_LABELS[status.category] == label, (status, row)


# --- deadlines: extensions --------------------------------------------------------------------

@given(step('"{user:Q}" đã đề nghị gia hạn đến ngày {day:D} với lý do "{reason:Q}"'))
def extension_asked(ctx: Ctx, user: str, day: date, reason: str) -> None:
    ctx.done(user, "Đề nghị gia hạn", comment=reason, proposed_deadline=day)


@when(step('"{user:Q}" đề nghị gia hạn đến ngày {day:D} với lý do "{reason:Q}"'))
def ask_extension(ctx: Ctx, user: str, day: date, reason: str) -> None:
    ctx.attempt(user, "Đề nghị gia hạn", comment=reason, proposed_deadline=day)


@then(step("thời hạn của nhiệm vụ là {day:D}"))
def deadline_is(ctx: Ctx, day: date) -> None:
    assert ctx.refusal is None, ctx.refusal
    assert ctx.task()["deadline"] == day.isoformat()
    assert ctx.task_column("pending_deadline") is None


@then(step("thời hạn của nhiệm vụ vẫn là {day:D}, đang chờ gia hạn đến {asked:D}"))
def deadline_pending(ctx: Ctx, day: date, asked: date) -> None:
    assert ctx.refusal is None, ctx.refusal
    assert ctx.task()["deadline"] == day.isoformat()
    assert str(ctx.task_column("pending_deadline")) == asked.isoformat()


@then(step("dòng cuối của lịch sử ghi thời hạn cũ {old:D} và thời hạn mới {new:D}"))
def history_keeps_old_deadline(ctx: Ctx, old: date, new: date) -> None:
    last = history(ctx.db, int(ctx.task_id or 0))[-1]
    assert last["data"] == {"deadline_from": old.isoformat(), "deadline_to": new.isoformat()}, last


@then(step("dòng cuối của lịch sử ghi thời hạn đề nghị {asked:D} không được chấp nhận, thời hạn giữ nguyên {kept:D}"))
def history_keeps_refusal(ctx: Ctx, asked: date, kept: date) -> None:
    last = history(ctx.db, int(ctx.task_id or 0))[-1]
    assert last["data"] == {"refused_deadline": asked.isoformat(), "deadline": kept.isoformat()}, last


# --- progress by the official categories ------------------------------------------------------

def _approver_of(ctx: Ctx, relation_unit: str, role: str) -> str:
    """A user holding `role` in `relation_unit`: one of the cast, or one made for the purpose."""
    with ctx.db.engine.connect() as conn:
        rows = conn.execute(text("SELECT name, roles FROM app_user WHERE unit = :u ORDER BY name"),
                            {"u": relation_unit}).all()
    for name, roles in rows:
        if role in roles.split(","):
            return str(name)
    name = f"{role}.{relation_unit.lower()}"
    add_user(ctx.db, name, relation_unit, [role], ctx.clock)
    return name


@given(step('nhiệm vụ {number:So} của kế hoạch "{plan:Q}" do "{unit:Q}" chủ trì đã được phê duyệt ngày {day:D}'))
def approved_on(ctx: Ctx, number: str, plan: str, unit: str, day: date) -> None:
    _choose(ctx, number, plan, unit)
    move_clock(ctx, day)
    row = ctx.task()
    assert row["workflow"] == "plan_task", row
    ctx.done(_approver_of(ctx, row["unit"], "officer"), "Gửi đầu mối xem xét")
    ctx.done(_approver_of(ctx, row["focal"], "reviewer"), "Trình cấp có thẩm quyền")
    ctx.done(_approver_of(ctx, row["authority"], "approver"), "Phê duyệt")


@then(step('tiến độ kế hoạch "{plan:Q}" của "{unit:Q}" ngày {day:D} là:'))
def progress_of_unit(ctx: Ctx, plan: str, unit: str, day: date, datatable: list[list[str]]) -> None:
    code = ctx.unit_code(unit)
    counts = progress(ctx.db, plan, day, ctx.engine.status)["units"][code]["categories"]
    by_label: dict[str, list[str]] = {label: [] for label in CATEGORY_LABELS.values()}
    for row in list_tasks(ctx.db, plan=plan, unit=code):
        status = ctx.engine.status.status(row, day)
        by_label[CATEGORY_LABELS[status.category]].append(row["task"])
    code_of = {label: category for category, label in CATEGORY_LABELS.items()}
    for row in _cells(datatable):
        label = row["phân loại"]
        assert label in code_of, f"phân loại '{label}' không có; có: {list(code_of)}"
        assert counts[code_of[label]] == int(row["số nhiệm vụ"]), (label, counts)
        if "nhiệm vụ" in row:
            assert by_label[label] == _numbers(row["nhiệm vụ"]), (label, by_label[label])


@then(step('tỷ lệ hoàn thành của "{unit:Q}" ngày {day:D} là {done:d}/{due:d} nhiệm vụ đã đến hạn'))
def completion_rate(ctx: Ctx, unit: str, day: date, done: int, due: int) -> None:
    counts = progress(ctx.db, ctx.plan or "", day, ctx.engine.status)["units"][ctx.unit_code(unit)]["categories"]
    assert (counts["done_on_time"] + counts["done_late"], counts["due"]) == (done, due), counts
    assert counts["completion_rate"] == round(done / due, 4)


# --- periodic reports -------------------------------------------------------------------------

PERIOD_BY_WORDS = {"6 tháng": "semiannual", "hằng năm": "annual"}


def _reports(ctx: Ctx, plan: str, **filters: Any) -> list[dict[str, Any]]:
    """The plan's reports, each with `to`: the codes of the units it is sent to."""
    return [{**r, "to": {x["unit"] for x in r["recipients"]}}
            for r in with_recipients(ctx.db, list_tasks(ctx.db, plan=plan, kind="report", **filters))]


def _report_ids(ctx: Ctx, plan: str) -> set[int]:
    return {int(r["id"]) for r in list_tasks(ctx.db, plan=plan, kind="report")}


def _request_reports(ctx: Ctx, period: str, year: int, plan: str, undated: date | None = None) -> None:
    assert period in PERIOD_BY_WORDS, f"kỳ báo cáo '{period}' không có; có: {list(PERIOD_BY_WORDS)}"
    before = _report_ids(ctx, plan)
    result = create_reports(ctx.db, ctx.engine.workflows, ctx.clock, plan, PERIOD_BY_WORDS[period], year,
                            undated_due=undated)
    ctx.plan = plan
    ctx.seen.update(request=(period, year, plan), result=result,
                    new_reports=[r for r in _reports(ctx, plan) if int(r["id"]) not in before])


@given(step('đã có yêu cầu báo cáo định kỳ "{period:Q}" năm {year:d} theo kế hoạch "{plan:Q}"'))
@when(step('có yêu cầu báo cáo định kỳ "{period:Q}" năm {year:d} theo kế hoạch "{plan:Q}"'))
def request_reports(ctx: Ctx, period: str, year: int, plan: str) -> None:
    _request_reports(ctx, period, year, plan)


@when(step("yêu cầu lại, với ngày {day:D} được cấu hình cho báo cáo mà kế hoạch không nêu ngày"))
def request_reports_with_date(ctx: Ctx, day: date) -> None:
    period, year, plan = ctx.seen["request"]
    _request_reports(ctx, period, year, plan, undated=day)


@then("các báo cáo được tạo là:")
def reports_created(ctx: Ctx, datatable: list[list[str]]) -> None:
    new = ctx.seen["new_reports"]
    expected = _cells(datatable)
    assert sum(int(r["số báo cáo"]) for r in expected) == len(new), [(r["unit"], r["to"]) for r in new]
    for row in expected:
        reporters = units_named(ctx, row["đơn vị báo cáo"], ctx.plan)
        to = {ctx.unit_code(name.strip()) for name in row["gửi"].split(";")}  # one report, every recipient
        found = [r for r in new if r["unit"] in reporters and r["to"] == to]
        assert len(found) == int(row["số báo cáo"]), (row, [(r["unit"], r["to"]) for r in new if r["unit"] in reporters])
        assert {r["deadline"] for r in found} == {_vn_date(row["ngày cuối cùng"]).isoformat()}, row
        assert all(r["state"] == "assigned" for r in found)


@then(step('không có báo cáo nào được tạo; báo cáo "{name:Q}" chờ ngày được cấu hình vì kế hoạch không nêu ngày'))
def nothing_created(ctx: Ctx, name: str) -> None:
    assert ctx.seen["new_reports"] == []
    report_waits_for_date(ctx, name)


@then(step('báo cáo "{name:Q}" chờ ngày được cấu hình vì kế hoạch không nêu ngày'))
def report_waits_for_date(ctx: Ctx, name: str) -> None:
    skipped = ctx.seen["result"].skipped
    assert any(s.startswith(f"{name}:") for s in skipped), skipped


def _report(ctx: Ctx, unit: str, to: str) -> dict[str, Any]:
    """The unit's report that goes (among others) to `to`."""
    found = [r for r in _reports(ctx, ctx.plan, unit=unit) if to in r["to"]]
    assert len(found) == 1, (unit, to, found)
    return found[0]


def _user_unit(ctx: Ctx, user: str) -> str:
    return str(ctx.scalar("SELECT unit FROM app_user WHERE name = :n", n=user))


def _report_label(ctx: Ctx, state: str) -> str:
    return ctx.engine.workflows["periodic_report"].workflow.states[state].label


@given(step('"{user:Q}" đã gửi báo cáo cho "{to:Q}" ngày {day:D} với nội dung "{body:Q}"'))
def report_sent(ctx: Ctx, user: str, to: str, day: date, body: str) -> None:
    move_clock(ctx, day)
    ctx.task_id = int(_report(ctx, _user_unit(ctx, user), ctx.unit_code(to))["id"])
    ctx.done(user, "Gửi báo cáo", comment=body)


@given(step('"{user:Q}" đã tiếp nhận báo cáo của "{unit:Q}"'))
def report_accepted(ctx: Ctx, user: str, unit: str) -> None:
    ctx.task_id = int(_report(ctx, ctx.unit_code(unit), _user_unit(ctx, user))["id"])
    ctx.done(user, "Tiếp nhận")


@then(step('báo cáo gửi "{to:Q}" của "{words:Q}" ở trạng thái:'))
def reports_states(ctx: Ctx, to: str, words: str, datatable: list[list[str]]) -> None:
    code = ctx.unit_code(to)
    units = units_named(ctx, words, ctx.plan)
    actual = {ctx.unit_name(r["unit"]): _report_label(ctx, r["state"])
              for r in _reports(ctx, ctx.plan) if code in r["to"] and r["unit"] in units}
    got, expected = _with_rest(sorted(actual.items()), [(row["đơn vị"], row["trạng thái"]) for row in _cells(datatable)])
    assert got == expected, actual


@then(step('báo cáo của "{unit:Q}" gửi "{to:Q}" ở trạng thái "{label:Q}"'))
def report_state(ctx: Ctx, unit: str, to: str, label: str) -> None:
    assert _report_label(ctx, _report(ctx, ctx.unit_code(unit), ctx.unit_code(to))["state"]) == label


@when(step('"{unit:Q}" lập báo cáo gửi "{to:Q}"'))
def compose_report(ctx: Ctx, unit: str, to: str) -> None:
    report = _report(ctx, ctx.unit_code(unit), ctx.unit_code(to))
    ctx.seen["content"] = report_content(ctx.db, int(report["id"]), ctx.clock.today(), ctx.engine.status)


@then("báo cáo liệt kê các báo cáo chưa nhận hoặc nộp muộn:")
def content_missing(ctx: Ctx, datatable: list[list[str]]) -> None:
    actual = sorted((ctx.unit_name(m["unit"]), _report_label(ctx, m["state"]), "có" if m["late"] else "không")
                    for m in ctx.seen["content"]["missing_or_late"])
    got, expected = _with_rest(actual, [(r["đơn vị"], r["trạng thái"], r["nộp muộn"]) for r in _cells(datatable)])
    assert got == expected, actual


@then(step('báo cáo ghi đã tiếp nhận báo cáo của "{unit:Q}"'))
def content_received(ctx: Ctx, unit: str) -> None:
    received = {r["unit"]: r["state"] for r in ctx.seen["content"]["received"]}
    assert received.get(ctx.unit_code(unit)) == "accepted", received


@then(step('báo cáo có số liệu của toàn kế hoạch ngày {day:D}:'))
def content_figures(ctx: Ctx, day: date, datatable: list[list[str]]) -> None:
    content = ctx.seen["content"]
    assert content["scope"] == "plan" and content["today"] == day.isoformat(), content["scope"]
    code_of = {label: category for category, label in CATEGORY_LABELS.items()}
    actual = {label: content["categories"][code_of[label]] for label in code_of}
    expected = {row["phân loại"]: int(row["số nhiệm vụ"]) for row in _cells(datatable)}
    assert {k: actual[k] for k in expected} == expected, actual
    assert sum(actual.values()) == len(list_tasks(ctx.db, plan=ctx.plan)), actual


@when(step('"{user:Q}" thực hiện gửi báo cáo cho "{to:Q}" với nội dung "{body:Q}"'))
def send_report(ctx: Ctx, user: str, to: str, body: str) -> None:
    ctx.task_id = int(_report(ctx, _user_unit(ctx, user), ctx.unit_code(to))["id"])
    ctx.attempt(user, "Gửi báo cáo", comment=body)


SECTION_BY_WORDS = {"Kết quả thực hiện": "results", "Tồn tại, hạn chế, nguyên nhân": "shortcomings",
                    "Kiến nghị, đề xuất": "proposals"}


@when(step('"{user:Q}" gửi báo cáo của đơn vị với nội dung "{body:Q}" và các mục:'))
def send_report_with_sections(ctx: Ctx, user: str, body: str, datatable: list[list[str]]) -> None:
    (report,) = _reports(ctx, ctx.plan, unit=_user_unit(ctx, user))
    ctx.task_id = int(report["id"])
    sections = {SECTION_BY_WORDS[row["mục"]]: row["nội dung"] for row in _cells(datatable)}
    ctx.seen["sections"] = sections
    ctx.done(user, "Gửi báo cáo", comment=body, sections=sections)


@then(step('"{unit:Q}" có một báo cáo cho kỳ này, gửi đến:'))
def one_report_to_all(ctx: Ctx, unit: str, datatable: list[list[str]]) -> None:
    (report,) = _reports(ctx, ctx.plan, unit=ctx.unit_code(unit))
    actual = sorted((ctx.unit_name(x["unit"]), "có" if x["received_at"] else "chưa") for x in report["recipients"])
    assert actual == sorted((row["nơi nhận"], row["đã nhận"]) for row in _cells(datatable)), actual
    for code in report["to"]:  # and each recipient finds it among the reports it receives
        reader = User(name=f"doc.{code}", unit=code, roles=("reviewer",))
        seen = cases_visible_to(ctx.db, reader, "report", recipient=code)
        assert int(report["id"]) in {int(i["id"]) for i in seen}, code


@then(step('văn bản báo cáo ghi "{number:Q}", gửi {count:d} nơi nhận, với các mục đơn vị đã viết'))
def report_document(ctx: Ctx, number: str, count: int) -> None:
    import io

    from docx import Document

    docx_bytes, _xlsx, _content = report_documents(ctx.db, int(ctx.task_id or 0), ctx.clock.today(), ctx.engine.status)
    doc = Document(io.BytesIO(docx_bytes))
    assert doc.tables[0].cell(1, 0).text == number
    receivers = doc.tables[-1].cell(0, 0).text.split("\n")
    assert receivers[0] == "Nơi nhận:" and len(receivers) == count + 2, receivers  # and "Lưu: VT."
    lines = [p.text for p in doc.paragraphs]
    assert all(text in lines for text in ctx.seen["sections"].values()), lines


# --- difficulties (vướng mắc, kiến nghị) and urging (đôn đốc) ---------------------------------

@when(step('"{user:Q}" nêu vướng mắc "{body:Q}"'))
def raise_a_difficulty(ctx: Ctx, user: str, body: str) -> None:
    ctx.before = ctx.snapshot()
    ctx.result, ctx.refusal = None, None
    try:
        difficulty = raise_difficulty(ctx.engine, int(ctx.task_id or 0), user, body)
    except TransitionNotAllowed as refusal:
        ctx.refusal = refusal
        return
    ctx.seen["task_of_difficulty"] = ctx.task_id
    ctx.task_id = difficulty  # the steps that follow are about the difficulty


@then(step('vướng mắc về nhiệm vụ {number:So} của "{unit:Q}" được gửi "{to:Q}", ở trạng thái "{label:Q}"'))
def difficulty_sent(ctx: Ctx, number: str, unit: str, to: str, label: str) -> None:
    assert ctx.refusal is None, ctx.refusal
    row = ctx.task()
    parent = get_task(ctx.db, int(row["parent_id"]))
    assert parent is not None and (parent["task"], parent["unit"]) == (number, ctx.unit_code(unit)), parent
    assert row["kind"] == "difficulty" and row["focal"] == ctx.unit_code(to), row
    assert ctx.state_label(row["state"]) == label


@then(step('vướng mắc ở trạng thái "{label:Q}"'))
def difficulty_state(ctx: Ctx, label: str) -> None:
    assert ctx.refusal is None, ctx.refusal
    assert ctx.state_label(ctx.task()["state"]) == label


@when(step('"{user:Q}" đôn đốc các nhiệm vụ quá hạn của kế hoạch "{plan:Q}" với ý kiến "{comment:Q}"'))
def urge_overdue(ctx: Ctx, user: str, plan: str, comment: str) -> None:
    ctx.plan = plan
    chosen = select_for_urging(ctx.engine, plan=plan, overdue=True, due_soon=False)
    ctx.seen["urging"] = urge_many(ctx.engine, user, chosen, comment=comment)


@then(step('các nhiệm vụ được đôn đốc là {numbers} của "{words:Q}"'))
def urged_tasks(ctx: Ctx, numbers: str, words: str) -> None:
    urged = {(row["task"], row["unit"]) for row in (get_task(ctx.db, i) for i in ctx.seen["urging"].urged) if row}
    expected = {(n, u) for n in _numbers(numbers) for u in units_named(ctx, words, ctx.plan)}
    assert urged == expected, sorted(urged ^ expected)


@then(step('{count:d} nhiệm vụ không được đôn đốc vì quy tắc "{rule:Q}"'))
def urging_refused(ctx: Ctx, count: int, rule: str) -> None:
    refused = ctx.seen["urging"].refused
    assert len(refused) == count and all(r.startswith(f"[{rule}]") for r in refused.values()), refused


@then(step('dòng cuối của lịch sử nhiệm vụ {number:So} của "{unit:Q}" là:'))
def last_history_row_of(ctx: Ctx, number: str, unit: str, datatable: list[list[str]]) -> None:
    _choose(ctx, number, ctx.plan or "", unit)
    last_history_row(ctx, datatable)


# --- delegation (KT. Chủ tịch) ----------------------------------------------------------------

@then(step('kế hoạch "{plan:Q}" do "{name:Q}" ký, với "{block:Q}"'))
def plan_signed(ctx: Ctx, plan: str, name: str, block: str) -> None:
    definition = json.loads(ctx.scalar("SELECT definition FROM plan WHERE code = :p", p=plan))
    assert (definition["signer"]["name"], definition["signer"]["block"]) == (name, block), definition["signer"]


# --- the audit trail exported (JSON Lines) and verified away from the database ----------------

def _exported(ctx: Ctx) -> list[dict[str, Any]]:
    return list(read_jsonl(ctx.seen["jsonl"].splitlines()))


@when(step('kiểm toán viên "{user:Q}" xuất toàn bộ nhật ký ra tệp JSON Lines cùng điểm kiểm tra'))
def export_trail(ctx: Ctx, user: str) -> None:
    roles = str(ctx.scalar("SELECT roles FROM app_user WHERE name = :n", n=user)).split(",")
    assert "auditor" in roles, f"'{user}' không phải kiểm toán viên: {roles}"
    ctx.seen["jsonl"] = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in export_events(ctx.db))
    ctx.seen["checkpoint"] = checkpoint(ctx.db)


@then(step("tệp có {count:d} dòng của nhiệm vụ này, dòng đầu nối với mã gốc, mỗi dòng sau nối mã băm của dòng trước"))
def exported_chain(ctx: Ctx, count: int) -> None:
    lines = [e for e in _exported(ctx) if e["task_id"] == ctx.task_id]
    assert [e["seq"] for e in lines] == list(range(1, count + 1)), lines
    assert lines[0]["prev_hash"] == GENESIS
    assert all(b["prev_hash"] == a["hash"] for a, b in itertools.pairwise(lines))
    assert lines[-1]["hash"] == ctx.seen["checkpoint"]["tasks"][str(ctx.task_id)]["hash"]


@when("có người bỏ dòng cuối của nhiệm vụ này khỏi tệp")
def drop_last_exported(ctx: Ctx) -> None:
    events = _exported(ctx)
    last = max(i for i, e in enumerate(events) if e["task_id"] == ctx.task_id)
    del events[last]
    ctx.seen["jsonl"] = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events)


@when(step('có người sửa ý kiến ở dòng có lần {seq:d} của nhiệm vụ này trong tệp thành "{comment:Q}"'))
def edit_exported(ctx: Ctx, seq: int, comment: str) -> None:
    events = _exported(ctx)
    for event in events:
        if event["task_id"] == ctx.task_id and event["seq"] == seq:
            event["comment"] = comment
    ctx.seen["jsonl"] = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in events)


@then("kiểm tra tệp với điểm kiểm tra không phát hiện sai lệch")
def exported_ok(ctx: Ctx) -> None:
    report = verify_offline(_exported(ctx), ctx.seen["checkpoint"])
    assert report.ok, report.problems


@then(step('kiểm tra tệp báo nhiệm vụ này: "{fragment:Q}"'))
def exported_problem(ctx: Ctx, fragment: str) -> None:
    problems = verify_offline(_exported(ctx), ctx.seen["checkpoint"]).problems
    assert problems and all(re.match(rf"task {ctx.task_id}\b", p) for p in problems), problems
    assert any(fragment in p for p in problems), problems
