"""Pages for importing a plan from its text: paste or upload, review the parsed plan beside the source
(problems and unknown units highlighted), map unknown units, validate, activate (admins).

Every page is bounded whatever the draft holds: each problem is shown once in the list (paged), at most
a few beside its line and its task (first row of a task number), "và N vấn đề khác" for the rest; the
tasks and the source lines are paged; the mapping form offers a bounded number of names at a time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from phancap.api.deps import FormUser, PageUser, ServicesDep
from phancap.api.errors import ApiError, http_status
from phancap.api.pages.render import render
from phancap.api.routes.imports import require_activate, require_import
from phancap.api.services import Services
from phancap.engine.draft_activation import activate_draft, amend_from_draft, validate_draft
from phancap.engine.draft_registry import db_registry, region_units
from phancap.engine.drafts import (
    STATE_LABELS_VI,
    Draft,
    DraftError,
    DraftScope,
    apply_mapping,
    draft_registry,
    get_draft,
    list_drafts,
    save_draft,
    scope_of,
)
from phancap.api.pages.import_context import correction_context
from phancap.engine.draft_edits import PLAN_WORKFLOWS
from phancap.engine.importer import ImportLimits, check_size
from phancap.engine.importer.files import plan_file_text
from phancap.engine.importer.proposals import propose_units
from phancap.engine.errors import Refusal
from phancap.engine.policy import AMEND_PLANS, may_activate
from phancap.engine.queries import plan_monitor
from phancap.engine.users import User

router = APIRouter()
PROBLEMS_PAGE = 200  # problems listed per page
TASKS_PAGE = 500  # parsed tasks per page
LINES_PAGE = 500  # source lines per page
PER_LINE = 3  # problems beside one source line (or one task row); "và N vấn đề khác" for the rest
TO_MAP = 25  # unmatched names offered in the mapping form at a time
IGNORE = "-"  # the select's value for "not a unit of the registry"
DONE_VI = {"created": "Đã đọc văn bản và lưu bản nháp.", "mapping": "Đã ánh xạ đơn vị và đọc lại văn bản.",
           "validate": "Đã kiểm tra.", "activate": "Đã kích hoạt kế hoạch: các nhiệm vụ đã được giao.",
           "amend": "Đã áp dụng văn bản sửa đổi, bổ sung: kế hoạch có phiên bản mới.",
           "tasks": "Đã lưu các sửa đổi nhiệm vụ; hãy kiểm tra hợp lệ lại.",
           "units": "Đã lưu quyết định về các đơn vị đề xuất; hãy kiểm tra hợp lệ lại."}


def _regions(services: Services, scope: DraftScope) -> list[str]:
    regions = sorted({u.region for u in db_registry(services.db).units.values()})
    return [r for r in regions if scope.only_region is None or r == scope.only_region]


def _form_page(request: Request, services: Services, user: User, *, error: Refusal | None = None,
               form: dict[str, str] | None = None) -> Response:
    context = {"error": error, "form": form or {}, "regions": _regions(services, scope_of(services.db, user)),
               "limits": services.import_limits}
    return render(request, "import_form.html", context, status=http_status(error) if error else 200)


@router.get("/plans/import")
def import_form(request: Request, services: ServicesDep, user: PageUser) -> Response:
    require_import(user)
    return _form_page(request, services, user)


def _read_upload(upload: UploadFile | None, limits: ImportLimits) -> str | None:
    if upload is None or not upload.filename:
        return None
    data = upload.file.read(limits.max_bytes + 1)
    check_size(len(data), limits)
    return plan_file_text(data, upload.filename)  # .txt, .docx, .pdf: read in the engine, as the CLI does


@router.post("/plans/import")
def import_submit(request: Request, services: ServicesDep, user: FormUser,
                  text: Annotated[str, Form()] = "",
                  code: Annotated[str, Form(max_length=64)] = "",
                  registry: Annotated[str, Form(max_length=32)] = "",
                  source_name: Annotated[str, Form(max_length=255)] = "",
                  file: Annotated[UploadFile | None, File()] = None) -> Response:
    require_import(user)
    limits = services.import_limits
    form = {"text": text if len(text) <= limits.max_bytes else "", "code": code, "registry": registry,
            "source_name": source_name}
    try:
        uploaded = _read_upload(file, limits)
        source = uploaded if uploaded is not None else text
        name = (file.filename if uploaded is not None and file else None) or source_name.strip() or "ke-hoach-dan.txt"
        draft = save_draft(services.db, source, source_name=name, created_by=user.name, clock=services.clock,
                           code=code.strip() or None, region=registry.strip() or None, limits=limits,
                           scope=scope_of(services.db, user))
    except Refusal as exc:
        return _form_page(request, services, user, error=exc, form=form)
    return RedirectResponse(f"/plans/imports/{draft.id}?done=created", status_code=303)


@router.get("/plans/imports")
def drafts_page(request: Request, services: ServicesDep, user: PageUser) -> Response:
    require_import(user)
    drafts = list_drafts(services.db, scope_of(services.db, user))
    return render(request, "import_list.html", {"drafts": drafts, "state_vi": STATE_LABELS_VI})


def _segments(line: str, names: dict[str, str]) -> list[tuple[str, str | None]]:
    """A source line cut into (text, css class or None) around the unit names to highlight."""
    if not names or not line:
        return [(line, None)]
    pattern = re.compile("|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)))
    out: list[tuple[str, str | None]] = []
    pos = 0
    for m in pattern.finditer(line):
        if m.start() > pos:
            out.append((line[pos:m.start()], None))
        out.append((m.group(0), names[m.group(0)]))
        pos = m.end()
    if pos < len(line):
        out.append((line[pos:], None))
    return out


@dataclass(frozen=True)
class Pager:
    """One page of a long list: which page (1-based), how many pages, where it starts."""

    param: str
    page: int
    pages: int
    total: int
    start: int
    size: int

    @property
    def end(self) -> int:
        return min(self.total, self.start + self.size)

    def page_of(self, index: int) -> int:
        return index // self.size + 1


def _pager(param: str, total: int, size: int, requested: int | None) -> Pager:
    pages = max(1, -(-total // size))
    page = min(max(1, requested or 1), pages)
    return Pager(param, page, pages, total, (page - 1) * size, size)


def _capped(messages: list[str], cap: int = PER_LINE) -> list[str]:
    if len(messages) <= cap:
        return messages
    return [*messages[:cap], f"và {len(messages) - cap} vấn đề khác"]


TASK_MESSAGE = re.compile(r"nhiệm vụ ([0-9][0-9a-zđ.]*) /")


def _task_flags(draft: Draft, rows: range) -> dict[int, list[str]]:
    """Row index (of the rows shown) -> the importer's messages about its task number, on the first row
    of that number only and capped: a problem is never repeated per task, so duplicate numbers cost
    nothing (they made this page quadratic)."""
    tasks = draft.plan.get("tasks") or []
    first_row: dict[str, int] = {}
    for i, t in enumerate(tasks):
        first_row.setdefault(str(t.get("number")), i)
    about: dict[int, list[str]] = {}
    for p in draft.problems:
        m = TASK_MESSAGE.match(str(p.get("message", "")))
        if m:
            row = first_row.get(m.group(1).rstrip("."))
            if row is not None and row in rows:
                about.setdefault(row, []).append(f"dòng {p['line']}: {p['message']}")
    flags = {row: _capped(messages) for row, messages in about.items()}
    for i in rows:
        t = tasks[i]
        if not t.get("heading") and not t.get("lead"):
            flags.setdefault(i, []).append("chưa xác định được đơn vị chủ trì")
    return flags


def _line_names(draft: Draft, raw_lines: list[str], shown: range) -> dict[int, dict[str, str]]:
    """Line number -> the unit names to highlight on it (unknown, mapped, ignored): only the names the
    importer found in that task's unit texts, looked up on the lines those texts start on (and the
    few after, for wrapped text), so the work follows the text, not lines × names."""
    kind: dict[str, str] = {n: "unknown" for n in draft.undecided}
    kind |= {n: "ignored" for n, c in draft.mapping.items() if not c}
    kind |= {n: "mapped" for n, c in draft.mapping.items() if c}
    out: dict[int, dict[str, str]] = {}
    for place in draft.places:
        names = [n for n in place.get("names") or [] if n in kind]
        starts = {int(place.get(k) or 0) for k in ("lead_line", "coord_line", "focal_line")}
        for name in names:
            for start in starts:
                for number in range(start, min(start + 6, len(raw_lines) + 1)):
                    if number in shown and name in raw_lines[number - 1]:
                        out.setdefault(number, {})[name] = kind[name]
    return out


def draft_page(request: Request, services: Services, user: User, draft_id: int, *, error: Refusal | None = None,
               done: str | None = None, pages: dict[str, int | None] | None = None,
               posted: dict[int, dict[str, str]] | None = None,
               posted_units: dict[str, dict[str, str]] | None = None) -> Response:
    pages = pages or {}
    draft = get_draft(services.db, draft_id, scope_of(services.db, user))
    registry = draft_registry(services.db, draft)  # with the units the person confirmed
    units = region_units(registry, draft.region)
    raw_lines = draft.source_text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    line_pager = _pager("lines", len(raw_lines), LINES_PAGE, pages.get("lines"))
    shown_lines = range(line_pager.start + 1, line_pager.end + 1)
    by_line: dict[int, list[str]] = {}
    for p in draft.problems:
        number = int(p.get("line") or 1)
        if number in shown_lines:
            by_line.setdefault(number, []).append(str(p.get("message", "")))
    names = _line_names(draft, raw_lines, shown_lines)
    lines = [{"number": i, "segments": _segments(raw_lines[i - 1], names.get(i, {})),
              "problems": _capped(by_line.get(i, []))} for i in shown_lines]
    tasks = draft.plan.get("tasks") or []
    task_pager = _pager("tasks", len(tasks), TASKS_PAGE, pages.get("tasks"))
    task_rows = range(task_pager.start, task_pager.end)
    problem_pager = _pager("problems", len(draft.problems), PROBLEMS_PAGE, pages.get("problems"))
    unit_names = {code: name for code, name in units}
    unit_names |= {c: u.name for c, u in registry.units.items()}
    to_map = list(dict.fromkeys([*draft.undecided, *draft.unmatched_units, *draft.mapping]))
    validation = draft.validation
    context: dict[str, Any] = {
        "draft": draft, "lines": lines, "units": units, "unit_names": unit_names,
        "to_map": to_map[:TO_MAP], "to_map_more": max(0, len(to_map) - TO_MAP),
        "tasks": [(i, tasks[i]) for i in task_rows], "task_pager": task_pager,
        "line_pager": line_pager, "line_page_of": line_pager.page_of,
        "problems": draft.problems[problem_pager.start:problem_pager.end], "problem_pager": problem_pager,
        "validation": None if validation is None else validation[:PROBLEMS_PAGE],
        "validation_more": max(0, len(validation or []) - PROBLEMS_PAGE),
        "pages": {k: v for k, v in pages.items() if v},
        "flags": _task_flags(draft, task_rows), "state_vi": STATE_LABELS_VI, "error": error,
        "done": DONE_VI.get(done or ""), "may_activate": may_activate(user), "IGNORE": IGNORE,
        "amendment": _amendment_preview(services, user, draft), "may_amend": AMEND_PLANS.allows(user),
        "proposals": {u["name"]: u for u in propose_units(to_map[:TO_MAP], registry, str(draft.plan.get("registry") or ""),
                                                          draft.plan.get("issuer"))},
        "field_problems": _field_problems(error),
    }
    workflows = [(name, services.workflows[name].workflow.title) for name in PLAN_WORKFLOWS if name in services.workflows]
    context |= correction_context(services.db, draft, raw_lines, pages.get("edit"), workflows, posted, posted_units)
    return render(request, "import_draft.html", context, status=http_status(error) if error else 200)


def _field_problems(error: Refusal | None) -> dict[str, list[str]]:
    """The engine's messages of a refused correction, by "task/field" or "unit/field" (shown beside it)."""
    out: dict[str, list[str]] = {}
    for p in (error.extra.get("problems") or []) if error is not None else []:
        key = f"{p.get('task', p.get('unit'))}/{p.get('field')}"
        out.setdefault(key, []).append(str(p.get("message_vi")))
    return out


def _amendment_preview(services: Services, user: User, draft: Draft) -> dict[str, Any] | None:
    """For a draft of a plan already loaded: the diff it would apply as an amendment (or why it cannot)."""
    if draft.state == "active" or not draft.code or plan_monitor(services.db, draft.code) is None:
        return None
    try:
        _, amendment = amend_from_draft(services.db, draft.id, services.workflows, services.clock, number=None,
                                        dry_run=True, scope=scope_of(services.db, user))
    except Refusal as exc:
        return {"error": exc}
    return amendment.to_json()


@router.get("/plans/imports/{draft_id}")
def draft_view(request: Request, services: ServicesDep, user: PageUser, draft_id: int,
               done: str | None = None, problems: Annotated[int | None, Query(ge=1)] = None,
               tasks: Annotated[int | None, Query(ge=1)] = None,
               lines: Annotated[int | None, Query(ge=1)] = None,
               edit: Annotated[int | None, Query(ge=1)] = None) -> Response:
    require_import(user)
    return draft_page(request, services, user, draft_id, done=done,
                      pages={"problems": problems, "tasks": tasks, "lines": lines, "edit": edit})


def _after(request: Request, services: Services, user: User, draft_id: int, action: str, run: Any) -> Response:
    try:
        run()
    except DraftError as exc:
        if exc.rule == "not_found":
            raise
        return draft_page(request, services, user, draft_id, error=exc)
    return RedirectResponse(f"/plans/imports/{draft_id}?done={action}", status_code=303)


@router.post("/plans/imports/{draft_id}/mapping")
def draft_mapping(request: Request, services: ServicesDep, user: FormUser, draft_id: int,
                  name: Annotated[list[str] | None, Form(max_length=500)] = None,
                  unit: Annotated[list[str] | None, Form(max_length=500)] = None,
                  code: Annotated[str, Form(max_length=64)] = "") -> Response:
    require_import(user)
    names, units = name or [], unit or []
    if len(names) != len(units):
        raise ApiError("request", "Biểu mẫu ánh xạ không khớp", "the mapping form does not match")
    mapping: dict[str, str | None] = {n: ("" if u == IGNORE else u) for n, u in zip(names, units, strict=True) if u}
    return _after(request, services, user, draft_id, "mapping",
                  lambda: apply_mapping(services.db, draft_id, mapping, services.clock, code=code.strip() or None,
                                        scope=scope_of(services.db, user)))


@router.post("/plans/imports/{draft_id}/validate")
def draft_validate(request: Request, services: ServicesDep, user: FormUser, draft_id: int) -> Response:
    require_import(user)
    return _after(request, services, user, draft_id, "validate",
                  lambda: validate_draft(services.db, draft_id, set(services.workflows), services.clock,
                                         scope_of(services.db, user)))


@router.post("/plans/imports/{draft_id}/activate")
def draft_activate(request: Request, services: ServicesDep, user: FormUser, draft_id: int,
                   confirm: Annotated[str, Form(max_length=8)] = "",
                   instances: Annotated[int | None, Form(ge=0)] = None) -> Response:
    """Activation is confirmed on the form, with the count of task instances the person was shown."""
    require_activate(user)
    if confirm != "yes" or instances is None:
        return draft_page(request, services, user, draft_id, error=ApiError(
            "request", "Hãy xác nhận số nhiệm vụ sẽ được giao trước khi kích hoạt",
            "confirm the task instances to be opened before activating"))
    return _after(request, services, user, draft_id, "activate",
                  lambda: activate_draft(services.db, draft_id, services.workflows, services.clock,
                                         scope_of(services.db, user), expect_instances=instances))


@router.post("/plans/imports/{draft_id}/amend")
def draft_amend(request: Request, services: ServicesDep, user: FormUser, draft_id: int,
                number: Annotated[str, Form(max_length=100)] = "",
                on: Annotated[str, Form(alias="date", max_length=10)] = "") -> Response:
    """Apply the draft as the amending document of the plan of its code (admins)."""
    AMEND_PLANS.require(user)
    try:
        day = date.fromisoformat(on.strip()) if on.strip() else None
    except ValueError:
        return draft_page(request, services, user, draft_id, error=ApiError(
            "request", "Ngày văn bản không hợp lệ (YYYY-MM-DD)", "invalid document date (YYYY-MM-DD)"))
    try:
        amend_from_draft(services.db, draft_id, services.workflows, services.clock, number=number, on=day,
                         scope=scope_of(services.db, user))
    except Refusal as exc:
        if exc.rule == "not_found":
            raise
        return draft_page(request, services, user, draft_id, error=exc)
    return RedirectResponse(f"/plans/imports/{draft_id}?done=amend", status_code=303)
