"""Administration pages (role admin, own registry only): units and groups, users, importing users
from CSV with a preview, and the administrative log (administrators: their registry; auditors: all).
Every rule is the engine's (engine/user_admin.py, engine/units.py, engine/user_import.py); these
handlers parse forms and shape pages. A refused change re-renders its form with the reason."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from phancap.api.deps import FormUser, PageUser, ServicesDep
from phancap.api.errors import http_status
from phancap.api.pages.render import render
from phancap.api.services import Services
from phancap.engine import admin_log
from phancap.engine.collation import vi_key
from phancap.engine.errors import Refusal
from phancap.engine.organisations import KINDS
from phancap.engine.roles import ROLE_LABELS_VI, ROLES
from phancap.engine.unit_changes import list_changes
from phancap.engine.units import add_unit, deactivate_unit, list_groups, list_registries, rename_unit, search_units
from phancap.engine.user_admin import (create_user, get_managed_user, list_users, managed_region, reset_password,
                                       search_admin_events, set_user_active, update_user)
from phancap.engine.user_import import MAX_BYTES, ImportRejected, import_users, preview_import
from phancap.engine.users import User

router = APIRouter()
UNITS_PAGE = 200
EVENTS_PAGE = 200
KIND_VI = {"people_committee": "Ủy ban nhân dân", "people_council": "Hội đồng nhân dân", "department": "Sở, ngành",
           "office": "Cơ quan, phòng", "commune": "Xã", "ward": "Phường", "township": "Thị trấn",
           "special_zone": "Đặc khu", "ministry": "Bộ, cơ quan ngang bộ", "ministry_unit": "Đơn vị thuộc bộ"}
ACTION_VI = {"unit.add": "Thêm đơn vị", "unit.rename": "Đổi tên đơn vị", "unit.deactivate": "Ngừng hoạt động đơn vị",
             "user.add": "Tạo người dùng", "user.update": "Sửa người dùng", "user.deactivate": "Ngừng tài khoản",
             "user.activate": "Mở lại tài khoản", "user.reset_password": "Đặt lại mật khẩu",
             "unit.succeed": "Đơn vị được kế thừa", "unit.schedule": "Lên lịch sắp xếp đơn vị",
             "unit.cancel_change": "Hủy lịch sắp xếp đơn vị", "unit.change_failed": "Không áp dụng được lịch sắp xếp"}
DONE_VI = {"renamed": "Đã đổi tên đơn vị.", "deactivated": "Đã ngừng hoạt động đơn vị.", "added": "Đã thêm đơn vị.",
           "updated": "Đã lưu thay đổi.", "user_deactivated": "Đã ngừng tài khoản; mọi phiên đăng nhập đã kết thúc.",
           "user_activated": "Đã mở lại tài khoản.", "unchanged": "Không có gì thay đổi."}
FIELD_VI = {"unit": "đơn vị", "roles": "vai trò", "email": "thư điện tử", "active": "trạng thái",
            "sessions_ended": "số phiên đăng nhập đã kết thúc", "import": "nhập từ tệp", "line": "dòng",
            "password": "mật khẩu", "old": "tên cũ", "new": "tên mới", "name": "tên", "kind": "loại", "code": "mã",
            "region": "danh mục", "parent": "thuộc", "official_code": "mã hành chính", "aliases": "tên gọi khác",
            "successor": "đơn vị kế thừa", "effective": "ngày hiệu lực", "decision": "quyết định", "change": "lịch số",
            "scheduled_change": "theo lịch số", "reason": "lý do"}
VALUE_VI = {"generated": "tạo tự động", "given": "do quản trị viên đặt", "changed": "đã đổi"}
ROLE_CHOICES = [(r, label) for r, label in ROLE_LABELS_VI.items() if r in ROLES]  # the order of the work


def _shown(key: str, value: Any) -> str:
    if value is None or value == []:
        return "—"
    if key == "roles":
        return ", ".join(ROLE_LABELS_VI.get(r, r) for r in value)
    if key == "active" and isinstance(value, bool):
        return "đang hoạt động" if value else "đã ngừng"
    if key == "kind":
        return KIND_VI.get(str(value), str(value))
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return VALUE_VI.get(str(value), str(value))


def _is_change(action: str, key: str, value: Any) -> bool:
    """[old, new] in the event data (an added unit's or user's fields are new values, roles a list)."""
    if action.endswith(".add") or not isinstance(value, list) or len(value) != 2:
        return False
    return key != "roles" or all(v is None or isinstance(v, list) for v in value)


def described(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each event with `lines`: (field in Vietnamese, old value or None, new value), for the tables."""
    out = []
    for row in rows:
        lines: list[tuple[str, str | None, str]] = []
        for key, value in sorted(row["data"].items()):
            if key == "new" and "old" in row["data"]:
                continue
            if key == "old":
                lines.append(("tên", _shown("name", value), _shown("name", row["data"].get("new"))))
            elif _is_change(row["action"], key, value):
                lines.append((FIELD_VI.get(key, key), _shown(key, value[0]), _shown(key, value[1])))
            else:
                lines.append((FIELD_VI.get(key, key), None, _shown(key, value)))
        out.append(row | {"lines": lines})
    return out


def _history(services: Services, region: str, subject: str) -> list[dict[str, Any]]:
    """The newest administrative events about one unit or user, described for the page."""
    return described(admin_log.search(services.db, region=region, subject=subject, newest_first=True, limit=50))


def _region(services: Services, user: User) -> str:
    """The registry the signed-in administrator manages (Forbidden for anyone else)."""
    region = managed_region(services.db, user)
    assert region is not None
    return region


def _registry(services: Services, region: str) -> dict[str, Any]:
    return next((r for r in list_registries(services.db) if r["code"] == region), {"code": region, "name": region})


def _page(request: Request, services: Services, user: User, template: str, context: dict[str, Any],
          error: Refusal | None = None) -> Response:
    region = _region(services, user)
    base = {"registry": _registry(services, region), "kinds": KIND_VI, "actions": ACTION_VI, "roles_vi": ROLE_LABELS_VI,
            "role_choices": ROLE_CHOICES, "error": error, "done": DONE_VI.get(request.query_params.get("done", ""))}
    return render(request, template, base | context, status=http_status(error) if error else 200)


@router.get("/admin")
def admin_home(request: Request, services: ServicesDep, user: PageUser) -> Response:
    region = _region(services, user)
    users = list_users(services.db, user)
    return _page(request, services, user, "admin_home.html", {
        "units": len(search_units(services.db, region=region)), "groups": len(list_groups(services.db, region)),
        "users": len(users), "inactive_users": sum(not u["active"] for u in users),
        "recent": described(admin_log.search(services.db, region=region, newest_first=True, limit=10)),
        "changes": list_changes(services.db, region=region)})


# --- units and groups ----------------------------------------------------------------------------

@router.get("/admin/units")
def units_page(request: Request, services: ServicesDep, user: PageUser, q: str = "", kind: str = "",
               all: bool = False, page: int = 1) -> Response:
    region = _region(services, user)
    rows = sorted(search_units(services.db, region=region, kind=kind or None, search=q or None, include_inactive=all),
                  key=lambda u: (u["kind"] not in ("people_committee", "people_council"), vi_key(u["name"])))
    pages = max(1, -(-len(rows) // UNITS_PAGE))
    page = min(max(1, page), pages)
    return _page(request, services, user, "admin_units.html", {
        "rows": rows[(page - 1) * UNITS_PAGE: page * UNITS_PAGE], "total": len(rows), "page": page, "pages": pages,
        "q": q, "kind": kind, "all": all, "kind_names": KINDS})


def _unit_page(request: Request, services: Services, user: User, code: str, error: Refusal | None = None) -> Response:
    region = _region(services, user)
    found = [u for u in search_units(services.db, region=region, include_inactive=True) if u["code"] == code]
    if not found:
        from phancap.engine.errors import NotFound

        raise NotFound(f"Không có đơn vị {code} trong danh mục {region}", f"no unit {code} in registry {region}")
    members_of = [g["name"] for g in list_groups(services.db, region) if code in g["members"]]
    return _page(request, services, user, "admin_unit.html", {
        "unit": found[0], "groups_of": members_of,
        "events": _history(services, region, code)}, error)


@router.get("/admin/units/{code}")
def unit_page(request: Request, services: ServicesDep, user: PageUser, code: str) -> Response:
    return _unit_page(request, services, user, code)


@router.post("/admin/units")
def unit_add(request: Request, services: ServicesDep, user: FormUser, code: Annotated[str, Form(max_length=64)] = "",
             name: Annotated[str, Form(max_length=300)] = "", kind: Annotated[str, Form(max_length=32)] = "",
             parent: Annotated[str, Form(max_length=64)] = "", aliases: Annotated[str, Form(max_length=2000)] = "",
             comment: Annotated[str, Form(max_length=2000)] = "") -> Response:
    region = _region(services, user)
    try:
        row = add_unit(services.db, user, services.clock, code.strip().upper(), name=name.strip() or None,
                       kind=kind or None, region=region, parent=parent.strip() or None,
                       aliases=[a.strip() for a in aliases.split(";") if a.strip()], comment=comment.strip() or None)
    except Refusal as exc:
        return units_page_with_error(request, services, user, exc, {"code": code, "name": name, "kind": kind,
                                                                   "parent": parent, "aliases": aliases})
    return RedirectResponse(f"/admin/units/{row['code']}?done=added", status_code=303)


def units_page_with_error(request: Request, services: Services, user: User, error: Refusal,
                          form: dict[str, str]) -> Response:
    region = _region(services, user)
    rows = search_units(services.db, region=region)
    return _page(request, services, user, "admin_units.html", {
        "rows": rows[:UNITS_PAGE], "total": len(rows), "page": 1, "pages": max(1, -(-len(rows) // UNITS_PAGE)),
        "q": "", "kind": "", "all": False, "kind_names": KINDS, "form": form}, error)


@router.post("/admin/units/{code}/rename")
def unit_rename(request: Request, services: ServicesDep, user: FormUser, code: str,
                name: Annotated[str, Form(max_length=300)] = "", comment: Annotated[str, Form(max_length=2000)] = "") -> Response:
    try:
        rename_unit(services.db, user, services.clock, code, name, comment.strip() or None)
    except Refusal as exc:
        return _unit_page(request, services, user, code, exc)
    return RedirectResponse(f"/admin/units/{code}?done=renamed", status_code=303)


@router.post("/admin/units/{code}/deactivate")
def unit_deactivate(request: Request, services: ServicesDep, user: FormUser, code: str,
                    comment: Annotated[str, Form(max_length=2000)] = "") -> Response:
    try:
        deactivate_unit(services.db, user, services.clock, code, comment.strip() or None)
    except Refusal as exc:
        return _unit_page(request, services, user, code, exc)
    return RedirectResponse(f"/admin/units/{code}?done=deactivated", status_code=303)


@router.get("/admin/groups")
def groups_page(request: Request, services: ServicesDep, user: PageUser) -> Response:
    region = _region(services, user)
    names = {u["code"]: u["name"] for u in search_units(services.db, region=region, include_inactive=True)}
    groups = [g | {"members": sorted(g["members"], key=lambda m: vi_key(names.get(m, m)))}
              for g in list_groups(services.db, region)]
    return _page(request, services, user, "admin_groups.html", {"groups": groups, "names": names})


# --- users ---------------------------------------------------------------------------------------

def _unit_choices(services: Services, region: str) -> list[dict[str, Any]]:
    return sorted(search_units(services.db, region=region), key=lambda u: vi_key(u["name"]))


@router.get("/admin/users")
def users_page(request: Request, services: ServicesDep, user: PageUser, q: str = "", role: str = "",
               inactive: bool = True) -> Response:
    rows = list_users(services.db, user, search=q or None, role=role or None, include_inactive=inactive)
    return _page(request, services, user, "admin_users.html", {"rows": rows, "q": q, "role": role})


def _new_user_page(request: Request, services: Services, user: User, error: Refusal | None = None,
                   form: dict[str, Any] | None = None) -> Response:
    return _page(request, services, user, "admin_user_new.html", {
        "units": _unit_choices(services, _region(services, user)), "form": form or {"roles": []}}, error)


@router.get("/admin/users/new")
def user_new(request: Request, services: ServicesDep, user: PageUser) -> Response:
    return _new_user_page(request, services, user)


@router.post("/admin/users")
def user_create(request: Request, services: ServicesDep, user: FormUser, name: Annotated[str, Form(max_length=64)] = "",
                unit: Annotated[str, Form(max_length=64)] = "", roles: Annotated[list[str] | None, Form()] = None,
                email: Annotated[str, Form(max_length=254)] = "", password: Annotated[str, Form(max_length=1024)] = "",
                comment: Annotated[str, Form(max_length=2000)] = "") -> Response:
    try:
        change = create_user(services.db, user, services.clock, name, unit, list(roles or []), email=email or None,
                             password=password or None, comment=comment.strip() or None)
    except Refusal as exc:
        return _new_user_page(request, services, user, exc, {"name": name, "unit": unit, "roles": roles or [],
                                                            "email": email})
    return _user_page(request, services, user, change.user["name"], created=True, password=change.password)


def _user_page(request: Request, services: Services, user: User, name: str, *, error: Refusal | None = None,
               created: bool = False, password: str | None = None, sessions_ended: int | None = None) -> Response:
    target = get_managed_user(services.db, user, name)
    region = _region(services, user)
    return _page(request, services, user, "admin_user.html", {
        "target": target, "units": _unit_choices(services, region), "created": created, "password": password,
        "sessions_ended": sessions_ended,
        "events": _history(services, region, name)}, error)


@router.get("/admin/users/{name}")
def user_page(request: Request, services: ServicesDep, user: PageUser, name: str) -> Response:
    return _user_page(request, services, user, name)


@router.post("/admin/users/{name}")
def user_update(request: Request, services: ServicesDep, user: FormUser, name: str,
                unit: Annotated[str, Form(max_length=64)] = "", roles: Annotated[list[str] | None, Form()] = None,
                email: Annotated[str, Form(max_length=254)] = "", comment: Annotated[str, Form(max_length=2000)] = "") -> Response:
    try:
        change = update_user(services.db, user, services.clock, name, unit=unit or None, roles=list(roles or []),
                             email=email or None, comment=comment.strip() or None)
    except Refusal as exc:
        return _user_page(request, services, user, name, error=exc)
    return RedirectResponse(f"/admin/users/{name}?done={'updated' if change.action else 'unchanged'}", status_code=303)


@router.post("/admin/users/{name}/deactivate")
def user_deactivate(request: Request, services: ServicesDep, user: FormUser, name: str,
                    comment: Annotated[str, Form(max_length=2000)] = "") -> Response:
    return _set_active(request, services, user, name, False, comment)


@router.post("/admin/users/{name}/activate")
def user_activate(request: Request, services: ServicesDep, user: FormUser, name: str,
                  comment: Annotated[str, Form(max_length=2000)] = "") -> Response:
    return _set_active(request, services, user, name, True, comment)


def _set_active(request: Request, services: Services, user: User, name: str, active: bool, comment: str) -> Response:
    try:
        set_user_active(services.db, user, services.clock, name, active, comment.strip() or None)
    except Refusal as exc:
        return _user_page(request, services, user, name, error=exc)
    return RedirectResponse(f"/admin/users/{name}?done=user_{'activated' if active else 'deactivated'}", status_code=303)


@router.post("/admin/users/{name}/reset-password")
def user_reset_password(request: Request, services: ServicesDep, user: FormUser, name: str,
                        password: Annotated[str, Form(max_length=1024)] = "",
                        comment: Annotated[str, Form(max_length=2000)] = "") -> Response:
    """The new password is shown once, on this answer (never in a redirect's address)."""
    try:
        change = reset_password(services.db, user, services.clock, name, password or None, comment.strip() or None)
    except Refusal as exc:
        return _user_page(request, services, user, name, error=exc)
    return _user_page(request, services, user, name, password=change.password or None,
                      sessions_ended=change.sessions_ended)


# --- importing users -----------------------------------------------------------------------------

@router.get("/admin/users-import")
def import_page(request: Request, services: ServicesDep, user: PageUser) -> Response:
    return _page(request, services, user, "admin_import.html", {"plan": None, "data": "", "max_kib": MAX_BYTES // 1024})


@router.post("/admin/users-import")
def import_preview(request: Request, services: ServicesDep, user: FormUser,
                   data: Annotated[str, Form(max_length=MAX_BYTES)] = "",
                   file: Annotated[UploadFile | None, File()] = None) -> Response:
    """Preview: what the file would create, update or leave, and every rejected row; nothing is written."""
    raw: str | bytes = data
    source = "dán vào trang"
    if file is not None and file.filename:
        raw, source = file.file.read(MAX_BYTES + 1), file.filename
    context: dict[str, Any] = {"plan": None, "data": "", "source": source, "max_kib": MAX_BYTES // 1024}
    try:
        plan = preview_import(services.db, user, raw)
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except Refusal as exc:
        return _page(request, services, user, "admin_import.html", context, exc)
    return _page(request, services, user, "admin_import.html", context | {"plan": plan, "data": text})


@router.post("/admin/users-import/apply")
def import_apply(request: Request, services: ServicesDep, user: FormUser,
                 data: Annotated[str, Form(max_length=MAX_BYTES)] = "", digest: Annotated[str, Form(max_length=64)] = "",
                 source: Annotated[str, Form(max_length=255)] = "", skip_rejected: Annotated[bool, Form()] = False) -> Response:
    """Apply exactly what the preview showed (its digest), in one transaction."""
    context: dict[str, Any] = {"plan": None, "data": data, "source": source, "max_kib": MAX_BYTES // 1024}
    try:
        result = import_users(services.db, user, services.clock, data, source=source, skip_rejected=skip_rejected,
                              expect_digest=digest)
    except ImportRejected as exc:
        return _page(request, services, user, "admin_import.html", context | {"plan": exc.plan}, exc)
    except Refusal as exc:
        try:
            plan = preview_import(services.db, user, data)
        except Refusal:
            plan = None
        return _page(request, services, user, "admin_import.html", context | {"plan": plan}, exc)
    return _page(request, services, user, "admin_import.html", context | {"result": result, "data": ""})


# --- the administrative log ----------------------------------------------------------------------

@router.get("/admin/events")
def events_page(request: Request, services: ServicesDep, user: PageUser, actor: str = "", action: str = "",
                subject: str = "", q: str = "", since: str = "", until: str = "", before: int | None = None) -> Response:
    region, rows = search_admin_events(services.db, user, actor=actor or None, action=action or None,
                                       subject=subject or None, contains=q or None, since=since or None,
                                       until=until or None, newest_first=True, before_id=before, limit=EVENTS_PAGE + 1)
    more = len(rows) > EVENTS_PAGE
    rows = rows[:EVENTS_PAGE]
    filters = {"actor": actor, "action": action, "subject": subject, "q": q, "since": since, "until": until}
    return render(request, "admin_events.html", {
        "rows": described(rows), "filters": filters, "actions": ACTION_VI, "roles_vi": ROLE_LABELS_VI, "region": region,
        "next_before": rows[-1]["id"] if more and rows else None})
