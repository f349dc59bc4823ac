"""Pages for importing a plan from its text: paste or upload, review the parsed plan beside the source
(problems and unknown units highlighted), map unknown units, validate, activate (admins)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from phancap.api.deps import FormUser, PageUser, ServicesDep
from phancap.api.errors import ApiError, http_status
from phancap.api.pages.render import render
from phancap.api.routes.imports import require_activate, require_import
from phancap.api.services import Services
from phancap.engine.drafts import (
    MAX_SOURCE,
    STATE_LABELS_VI,
    Draft,
    DraftError,
    activate_draft,
    apply_mapping,
    db_registry,
    get_draft,
    list_drafts,
    region_units,
    save_draft,
    validate_draft,
)
from phancap.engine.errors import Refusal
from phancap.engine.policy import may_activate
from phancap.engine.users import User

router = APIRouter()
MAX_UPLOAD = 4 * 1024 * 1024
IGNORE = "-"  # the select's value for "not a unit of the registry"
DONE_VI = {"created": "Đã đọc văn bản và lưu bản nháp.", "mapping": "Đã ánh xạ đơn vị và đọc lại văn bản.",
           "validate": "Đã kiểm tra.", "activate": "Đã kích hoạt kế hoạch: các nhiệm vụ đã được giao."}


def _regions(services: Services) -> list[str]:
    return sorted({u.region for u in db_registry(services.db).units.values()})


def _form_page(request: Request, services: Services, *, error: Refusal | None = None,
               form: dict[str, str] | None = None) -> Response:
    return render(request, "import_form.html", {"error": error, "form": form or {}, "regions": _regions(services)},
                  status=http_status(error) if error else 200)


@router.get("/plans/import")
def import_form(request: Request, services: ServicesDep, user: PageUser) -> Response:
    require_import(user)
    return _form_page(request, services)


def _read_upload(upload: UploadFile | None) -> str | None:
    if upload is None or not upload.filename:
        return None
    data = upload.file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise ApiError("request", "Tệp quá lớn (tối đa 4 MB)", "file too large (4 MB)")
    if upload.filename.lower().endswith(".docx"):
        return docx_text(data)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError("request", "Tệp phải là văn bản UTF-8 (.txt, .md) hoặc Word (.docx)",
                       "the file must be UTF-8 text or a Word document (.docx)") from None


def docx_text(data: bytes) -> str:
    """A Word document's paragraphs, one a line, and its tables as pipe rows, in document order."""
    import io
    import zipfile

    from docx import Document
    from docx.opc.exceptions import OpcError
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = Document(io.BytesIO(data))
    except (ValueError, KeyError, zipfile.BadZipFile, OpcError):
        raise ApiError("request", "Không đọc được tệp Word (.docx)", "cannot read the Word document") from None
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            lines.append(block.text)
        elif isinstance(block, Table):
            lines += ["| " + " | ".join(" ".join(c.text.split()) for c in row.cells) + " |" for row in block.rows]
    return "\n".join(lines)


@router.post("/plans/import")
def import_submit(request: Request, services: ServicesDep, user: FormUser,
                  text: Annotated[str, Form(max_length=MAX_SOURCE)] = "",
                  code: Annotated[str, Form(max_length=64)] = "",
                  registry: Annotated[str, Form(max_length=32)] = "",
                  source_name: Annotated[str, Form(max_length=255)] = "",
                  file: Annotated[UploadFile | None, File()] = None) -> Response:
    require_import(user)
    form = {"text": text, "code": code, "registry": registry, "source_name": source_name}
    try:
        uploaded = _read_upload(file)
        source = uploaded if uploaded is not None else text
        name = (file.filename if uploaded is not None and file else None) or source_name.strip() or "ke-hoach-dan.txt"
        draft = save_draft(services.db, source, source_name=name, created_by=user.name, clock=services.clock,
                           code=code.strip() or None, region=registry.strip() or None)
    except Refusal as exc:
        return _form_page(request, services, error=exc, form=form)
    return RedirectResponse(f"/plans/imports/{draft.id}?done=created", status_code=303)


@router.get("/plans/imports")
def drafts_page(request: Request, services: ServicesDep, user: PageUser) -> Response:
    require_import(user)
    return render(request, "import_list.html", {"drafts": list_drafts(services.db), "state_vi": STATE_LABELS_VI})


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


def _task_flags(draft: Draft) -> dict[str, list[str]]:
    """Task number -> the importer's messages about it (the messages name "nhiệm vụ N / task N")."""
    flags: dict[str, list[str]] = {}
    for p in draft.problems:
        m = re.match(r"nhiệm vụ ([0-9][0-9a-zđ.]*) /", str(p.get("message", "")))
        if m:
            flags.setdefault(m.group(1).rstrip("."), []).append(f"dòng {p['line']}: {p['message']}")
    for t in draft.plan.get("tasks") or []:
        if not t.get("heading") and not t.get("lead"):
            flags.setdefault(str(t.get("number")), []).append("chưa xác định được đơn vị chủ trì")
    return flags


def draft_page(request: Request, services: Services, user: User, draft_id: int, *, error: Refusal | None = None,
               done: str | None = None) -> Response:
    draft = get_draft(services.db, draft_id)
    registry = db_registry(services.db)
    units = region_units(registry, draft.region)
    names = {n: "unknown" for n in draft.undecided}
    names |= {n: "ignored" for n, c in draft.mapping.items() if not c and n in draft.unmatched_units}
    names |= {n: "mapped" for n, c in draft.mapping.items() if c}
    by_line: dict[int, list[str]] = {}
    for p in draft.problems:
        by_line.setdefault(int(p.get("line") or 1), []).append(str(p.get("message", "")))
    raw_lines = draft.source_text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = [{"number": i, "segments": _segments(raw, names), "problems": by_line.get(i, [])}
             for i, raw in enumerate(raw_lines, start=1)]
    unit_names = {code: name for code, name in units}
    unit_names |= {c: u.name for c, u in registry.units.items()}
    to_map = list(dict.fromkeys([*draft.unmatched_units, *draft.mapping]))
    context: dict[str, Any] = {
        "draft": draft, "lines": lines, "units": units, "unit_names": unit_names, "to_map": to_map,
        "flags": _task_flags(draft), "state_vi": STATE_LABELS_VI, "error": error, "done": DONE_VI.get(done or ""),
        "may_activate": may_activate(user), "IGNORE": IGNORE,
        "general": [p for p in draft.problems if int(p.get("line") or 1) == 1 and not p.get("text")],
    }
    return render(request, "import_draft.html", context, status=http_status(error) if error else 200)


@router.get("/plans/imports/{draft_id}")
def draft_view(request: Request, services: ServicesDep, user: PageUser, draft_id: int,
               done: str | None = None) -> Response:
    require_import(user)
    return draft_page(request, services, user, draft_id, done=done)


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
                  lambda: apply_mapping(services.db, draft_id, mapping, services.clock, code=code.strip() or None))


@router.post("/plans/imports/{draft_id}/validate")
def draft_validate(request: Request, services: ServicesDep, user: FormUser, draft_id: int) -> Response:
    require_import(user)
    return _after(request, services, user, draft_id, "validate",
                  lambda: validate_draft(services.db, draft_id, set(services.workflows), services.clock))


@router.post("/plans/imports/{draft_id}/activate")
def draft_activate(request: Request, services: ServicesDep, user: FormUser, draft_id: int) -> Response:
    require_activate(user)
    return _after(request, services, user, draft_id, "activate",
                  lambda: activate_draft(services.db, draft_id, services.workflows, services.clock))
