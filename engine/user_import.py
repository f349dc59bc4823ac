"""Importing users from a CSV file: a preview of what will change (created, updated, unchanged) and
every rejected row with its line and reason; then all of it in one transaction.

Columns (header row, any order, English or Vietnamese, with or without diacritics):
  name / tên đăng nhập (required), unit / đơn vị (a code, or the unit's name inside the
  administrator's registry), roles / vai trò (separated by ';', '|' or spaces; codes or the
  Vietnamese labels), email / thư điện tử, password / mật khẩu, active / hoạt động (1/0, có/không).
A blank cell keeps what a stored user has; a new user needs a unit and roles, and gets a generated
password when none is given (returned once, for handing over). Excel's BOM and ';' separators are
understood. By default a file with any rejected row changes nothing; `skip_rejected` applies the rest.
The preview's digest lets a page apply exactly what it showed: anything changed since is refused."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from phancap.engine.clock import Clock
from phancap.engine.db import Database
from phancap.engine.errors import BadRequest, Refusal
from phancap.engine.organisations import fold, name_key
from phancap.engine.passwords import check_password
from phancap.engine.roles import ROLE_LABELS_VI
from phancap.engine.user_admin import (Admin, UserChange, admin_region, stored_user, valid_email, valid_name,
                                       valid_roles, write_create, write_update)

MAX_BYTES = 1024 * 1024
MAX_ROWS = 5000
COLUMNS = {  # folded header -> field
    "name": "name", "user": "name", "username": "name", "ten dang nhap": "name", "tai khoan": "name",
    "unit": "unit", "don vi": "unit", "ma don vi": "unit",
    "roles": "roles", "role": "roles", "vai tro": "roles",
    "email": "email", "e-mail": "email", "thu dien tu": "email",
    "password": "password", "mat khau": "password",
    "active": "active", "hoat dong": "active", "trang thai": "active",
}
ROLE_WORDS = {fold(label): role for role, label in ROLE_LABELS_VI.items() if role != "system"}
YES, NO = {"1", "true", "yes", "x", "co", "hoat dong"}, {"0", "false", "no", "khong", "ngung", "ngung hoat dong"}


@dataclass(frozen=True)
class Rejected:
    line: int
    name: str
    field: str
    reason_vi: str
    reason_en: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "name": self.name, "field": self.field, "reason_vi": self.reason_vi,
                "reason_en": self.reason_en}


@dataclass(frozen=True)
class Planned:
    """One valid row: what it will do to the stored user."""

    line: int
    name: str
    action: str  # create, update, unchanged
    changes: dict[str, list[Any]]
    fields: dict[str, Any]  # unit, roles (stored form), email, active, password (never shown)

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "name": self.name, "action": self.action, "changes": self.changes,
                "password": "given" if self.fields.get("password") else
                ("generated" if self.action == "create" else None)}


@dataclass
class ImportPlan:
    rows: list[Planned] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def digest(self) -> str:
        """What the preview showed, as a hash (whether a password is given, never the password)."""
        payload = [(r.line, r.name, r.action, r.changes, {k: v for k, v in r.fields.items() if k != "password"},
                    "password" in r.fields) for r in self.rows]
        payload_text = json.dumps([payload, [x.to_json() for x in self.rejected]], sort_keys=True, default=str)
        return hashlib.sha256(payload_text.encode()).hexdigest()

    def counts(self) -> dict[str, int]:
        out = {"create": 0, "update": 0, "unchanged": 0}
        for r in self.rows:
            out[r.action] += 1
        return out | {"rejected": len(self.rejected)}

    def to_json(self) -> dict[str, Any]:
        return {"counts": self.counts(), "rows": [r.to_json() for r in self.rows],
                "rejected": [r.to_json() for r in self.rejected], "ignored_columns": self.ignored_columns,
                "digest": self.digest}


class ImportRejected(Refusal):
    """The file has rejected rows and nothing was written."""

    def __init__(self, plan: ImportPlan) -> None:
        n = len(plan.rejected)
        super().__init__("request", f"Tệp có {n} dòng bị từ chối; chưa thay đổi gì",
                         f"{n} row(s) rejected; nothing was changed",
                         extra={"rejected": [r.to_json() for r in plan.rejected]})
        self.plan = plan


def read_rows(data: str | bytes) -> tuple[list[tuple[int, dict[str, str]]], list[str]]:
    """(line, {field: value}) of each data row, and the header cells not used. A file that cannot be
    read as such a table is refused naming the line."""
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            raise BadRequest(f"Tệp quá lớn (tối đa {MAX_BYTES // 1024} KiB)", f"file too large (at most {MAX_BYTES} bytes)")
        raw = data
        try:
            data = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[:exc.start].count(b"\n") + 1
            raise BadRequest(f"Dòng {line}: tệp không phải UTF-8 (hãy lưu dạng CSV UTF-8)",
                             f"line {line}: the file is not UTF-8 (save it as CSV UTF-8)", extra={"line": line}) from exc
    data = data.lstrip("\ufeff")
    if "\x00" in data:
        line = data[:data.index("\x00")].count("\n") + 1
        raise BadRequest(f"Dòng {line}: tệp chứa ký tự NUL", f"line {line}: the file contains a NUL character",
                         extra={"line": line})
    first = data.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(data, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise BadRequest("Tệp trống", "the file is empty", extra={"line": 1}) from None
    fields = [COLUMNS.get(fold(h).replace("_", " ").strip()) for h in header]
    ignored = [h for h, f in zip(header, fields, strict=True) if f is None and h.strip()]
    missing = [c for c in ("name",) if c not in fields]
    if missing:
        raise BadRequest("Dòng 1: thiếu cột tên đăng nhập (name)", "line 1: no column 'name'",
                         extra={"line": 1, "field": "name"})
    rows: list[tuple[int, dict[str, str]]] = []
    start = reader.line_num + 1
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                if len(rows) >= MAX_ROWS:
                    raise BadRequest(f"Tệp có quá {MAX_ROWS} dòng", f"more than {MAX_ROWS} rows",
                                     extra={"line": start})
                values = {f: c.strip() for f, c in zip(fields, cells, strict=False) if f is not None}
                if len(cells) > len(fields) and any(c.strip() for c in cells[len(fields):]):
                    values["__extra__"] = "1"
                rows.append((start, values))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise BadRequest(f"Dòng {start}: không đọc được ({exc})", f"line {start}: {exc}", extra={"line": start}) from exc
    return rows, ignored


def _unit_code(conn: Connection, value: str, region: str | None) -> str:
    """A unit code from a code or a name (inside the administrator's registry when there is one)."""
    query, params = "SELECT code, name, aliases, official_name FROM unit WHERE active = :yes", {"yes": True}  # type: tuple[str, dict[str, Any]]
    if region is not None:
        query += " AND region = :region"
        params["region"] = region
    rows = conn.execute(text(query), params).all()
    by_code = {r[0]: r[0] for r in rows}
    if value.upper() in by_code:
        return value.upper()
    wanted = name_key(value)
    found = sorted({r[0] for r in rows if wanted in {name_key(n) for n in [r[1], r[3] or "", *json.loads(r[2])] if n}})
    if len(found) == 1:
        return str(found[0])
    if found:
        raise ValueError(f"tên đơn vị {value!r} trùng nhiều đơn vị: {', '.join(found[:5])}|"
                         f"unit name {value!r} matches several units: {', '.join(found[:5])}")
    raise ValueError(f"không có đơn vị {value!r} trong danh mục {region or ''}|no unit {value!r} in registry {region or '(any)'}")


def _roles(value: str) -> str:
    parts = [p for p in value.replace("|", ";").replace(",", ";").split(";") for p in [p.strip()] if p]
    if len(parts) == 1 and " " in parts[0] and fold(parts[0]) not in ROLE_WORDS:
        parts = parts[0].split()
    return valid_roles([ROLE_WORDS.get(fold(p), p) for p in parts])


def _active(value: str) -> bool:
    word = fold(value)
    if word in YES:
        return True
    if word in NO:
        return False
    raise ValueError(f"giá trị hoạt động {value!r} không hiểu được (1/0, có/không)|active {value!r}: use 1/0, yes/no")


def _plan_row(conn: Connection, region: str | None, line: int, values: dict[str, str]) -> Planned:
    """Raises (field, ValueError or Refusal) through _Bad for a rejected row."""
    name = valid_name(values.get("name", ""))
    stored = stored_user(conn, name)
    if stored is not None and region is not None and stored["registry"] != region:
        raise _Bad("name", f"người dùng {name} thuộc danh mục khác|user {name} belongs to another registry")
    wanted: dict[str, Any] = {}
    for fieldname, parse in (("unit", lambda v: _unit_code(conn, v, region)), ("roles", _roles),
                             ("email", valid_email), ("active", _active)):
        if values.get(fieldname):
            try:
                wanted[fieldname] = parse(values[fieldname])
            except (ValueError, Refusal) as exc:
                raise _Bad(fieldname, exc) from exc
    if values.get("password"):
        try:
            check_password(name, values["password"])
        except Refusal as exc:
            raise _Bad("password", exc) from exc
        wanted["password"] = values["password"]
    if stored is None:
        for needed in ("unit", "roles"):
            if needed not in wanted:
                raise _Bad(needed, f"người dùng mới cần cột {needed} có giá trị|a new user needs a value in {needed}")
        shown = {"unit": [None, wanted["unit"]], "roles": [None, wanted["roles"].split(",")]}
        if wanted.get("email"):
            shown["email"] = [None, wanted["email"]]
        return Planned(line, name, "create", shown, wanted)
    changes: dict[str, list[Any]] = {}
    for key, old in (("unit", stored["unit"]), ("roles", ",".join(stored["roles"])), ("email", stored["email"]),
                     ("active", stored["active"])):
        if key in wanted and wanted[key] != old:
            changes[key] = [old, wanted[key]] if key != "roles" else [stored["roles"], wanted[key].split(",")]
    if "password" in wanted:
        changes["password"] = ["…", "…"]
    return Planned(line, name, "update" if changes else "unchanged", changes, wanted)


class _Bad(Exception):
    def __init__(self, fieldname: str, reason: str | Exception) -> None:
        if isinstance(reason, Refusal):
            self.vi, self.en = reason.message_vi, reason.message_en
        else:
            vi, _, en = str(reason).partition("|")
            self.vi, self.en = vi, en or vi
        self.field = fieldname
        super().__init__(self.en)


def plan_rows(conn: Connection, admin: Admin, data: str | bytes) -> ImportPlan:
    rows, ignored = read_rows(data)
    region = admin_region(conn, admin)
    plan = ImportPlan(ignored_columns=ignored)
    seen: dict[str, int] = {}
    for line, values in rows:
        label = values.get("name", "")
        try:
            if "__extra__" in values:
                raise _Bad("", "dòng có nhiều ô hơn tiêu đề|the row has more cells than the header")
            planned = _plan_row(conn, region, line, values)
        except _Bad as bad:
            plan.rejected.append(Rejected(line, label, bad.field, bad.vi, bad.en))
            continue
        except Refusal as exc:  # the name itself
            plan.rejected.append(Rejected(line, label, str(exc.extra.get("field", "name")), exc.message_vi, exc.message_en))
            continue
        if planned.name in seen:
            plan.rejected.append(Rejected(line, label, "name", f"trùng tên đăng nhập với dòng {seen[planned.name]}",
                                          f"the same user name as line {seen[planned.name]}"))
            continue
        seen[planned.name] = line
        plan.rows.append(planned)
    return plan


def preview_import(db: Database, admin: Admin, data: str | bytes) -> ImportPlan:
    """What importing `data` would do; nothing is written."""
    with db.engine.connect() as conn:
        return plan_rows(conn, admin, data)


@dataclass
class ImportResult:
    plan: ImportPlan
    applied: list[UserChange]
    skipped_rejected: bool

    def to_json(self) -> dict[str, Any]:
        return self.plan.to_json() | {
            "applied": len(self.applied), "skipped_rejected": self.skipped_rejected,
            "passwords": {c.user["name"]: c.password for c in self.applied if c.password}}


def import_users(db: Database, admin: Admin, clock: Clock, data: str | bytes, *, source: str = "",
                 skip_rejected: bool = False, expect_digest: str | None = None) -> ImportResult:
    """Create or update every valid row in one transaction (ImportRejected, nothing written, when a row is
    rejected and not `skip_rejected`). Each created or updated user is one admin event naming the file and line."""
    with db.begin() as conn:
        plan = plan_rows(conn, admin, data)
        if expect_digest is not None and expect_digest != plan.digest:
            raise Refusal("version", "Dữ liệu đã thay đổi kể từ khi xem trước; hãy xem trước lại",
                          "the data changed since the preview; preview again")
        if plan.rejected and not skip_rejected:
            raise ImportRejected(plan)
        applied = []
        for row in plan.rows:
            origin = {"import": source or "csv", "line": row.line}
            f = row.fields
            if row.action == "create":
                applied.append(write_create(conn, admin, clock, row.name, f["unit"], f["roles"], f.get("email"),
                                            f.get("password"), active=f.get("active", True), source=origin))
            elif row.action == "update":
                applied.append(write_update(conn, admin, clock, row.name, unit=f.get("unit"), roles=f.get("roles"),
                                            email=f.get("email"), active=f.get("active"), password=f.get("password"),
                                            source=origin))
    return ImportResult(plan, applied, bool(plan.rejected))
