"""Administering users: create, update (unit, roles, e-mail), deactivate and reactivate, reset a
password, list. Each change is one admin_event written in the same transaction (who gave which role
to whom, when); passwords and their hashes never reach the log.

A province's administrator manages the users of its own registry only: the registry of the user's
unit, before and after the change. The console operator (`phancap user …` without `--as`) manages
every registry; the log names them `console`. An administrator cannot deactivate themself, nor
take their own admin role away (a registry must not lock itself out by a slip)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from phancap.engine import admin_log
from phancap.engine.clock import Clock, stamp
from phancap.engine.db import Database
from phancap.engine.errors import BadRequest, NotFound, Refusal
from phancap.engine.passwords import check_password, generate_password
from phancap.engine.policy import MANAGE_USERS, admin_events_scope, require_manage_registry
from phancap.engine.roles import ROLES
from phancap.engine.users import User, end_user_sessions, hash_password
from phancap.engine.units import matches

CONSOLE = "console"


@dataclass(frozen=True)
class Operator:
    """Whoever runs the command line on the server: holds the database, so manages every registry."""

    name: str = CONSOLE
    roles: tuple[str, ...] = ("admin",)


Admin = User | Operator


@dataclass
class UserChange:
    """What one administrative write did: the user as now stored, the fields changed ([old, new]),
    a password generated for handing over (shown once, never stored in clear) and sessions ended."""

    user: dict[str, Any]
    action: str  # user.add, user.update, user.deactivate, user.activate, user.reset_password, or "" (nothing)
    changes: dict[str, list[Any]] = field(default_factory=dict)
    password: str | None = None
    sessions_ended: int = 0

    def to_json(self) -> dict[str, Any]:
        out = {"user": self.user, "action": self.action, "changes": self.changes, "sessions_ended": self.sessions_ended}
        return out | ({"password": self.password} if self.password else {})


def _refused(message_vi: str, message_en: str, fieldname: str) -> BadRequest:
    return BadRequest(message_vi, message_en, extra={"field": fieldname})


def valid_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 64 or not name.replace(".", "").replace("-", "").replace("_", "").isalnum() \
            or not name.isascii():
        raise _refused(f"Tên đăng nhập {name!r} không hợp lệ: dùng chữ không dấu, số, '.', '-', '_' (tối đa 64)",
                       f"user name {name!r}: use ASCII letters, digits, '.', '-', '_' (at most 64)", "name")
    return name


def valid_roles(roles: list[str]) -> str:
    """The roles as stored (sorted, comma-separated); unknown or none refused."""
    wanted = sorted({r.strip() for r in roles if r.strip()})
    unknown = [r for r in wanted if r not in ROLES]
    if unknown or not wanted:
        shown = ", ".join(unknown) or "(không có)"
        raise _refused(f"Vai trò không hợp lệ: {shown}; các vai trò: {', '.join(sorted(ROLES))}",
                       f"unknown role(s) {', '.join(unknown) or '(none given)'}; roles: {', '.join(sorted(ROLES))}",
                       "roles")
    return ",".join(wanted)


def valid_email(email: str | None) -> str | None:
    if email is None or not email.strip():
        return None
    email = email.strip()
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or any(c in email for c in " ,;<>\"'\r\n\t") or len(email) > 254:
        raise _refused(f"Địa chỉ thư điện tử {email!r} không hợp lệ", f"e-mail address {email!r} is not valid", "email")
    return email


def _region_of_unit(conn: Connection, unit: str) -> str:
    region = conn.execute(text("SELECT region FROM unit WHERE code = :u AND active = :yes"),
                          {"u": unit, "yes": True}).scalar_one_or_none()
    if region is None:
        raise _refused(f"Không có đơn vị {unit!r} (hoặc đơn vị đã ngừng hoạt động)",
                       f"no active unit {unit!r} (`phancap units list` or `phancap units --search NAME` finds codes)", "unit")
    return str(region)


def admin_region(conn: Connection, admin: Admin) -> str | None:
    """The registry an administrator manages; None for the console operator (every registry)."""
    if isinstance(admin, Operator):
        return None
    MANAGE_USERS.require(admin)
    return conn.execute(text("SELECT region FROM unit WHERE code = :u"), {"u": admin.unit}).scalar_one_or_none()


def require_region(conn: Connection, admin: Admin, region: str) -> None:
    if not isinstance(admin, Operator):
        require_manage_registry(admin, admin_region(conn, admin), region)


_SELECT = ("SELECT u.name, u.unit, u.roles, u.email, u.active, u.created_at, n.name AS unit_name, n.region "
           "FROM app_user u LEFT JOIN unit n ON n.code = u.unit")


def _public(row: Any) -> dict[str, Any]:
    return {"name": row["name"], "unit": row["unit"], "unit_name": row["unit_name"], "registry": row["region"],
            "roles": [r for r in str(row["roles"]).split(",") if r], "email": row["email"],
            "active": bool(row["active"]), "created_at": row["created_at"]}


def stored_user(conn: Connection, name: str) -> dict[str, Any] | None:
    row = conn.execute(text(_SELECT + " WHERE u.name = :n"), {"n": name}).mappings().first()
    return _public(row) if row is not None else None


def _existing(conn: Connection, admin: Admin, name: str) -> dict[str, Any]:
    """The user, when it exists and the administrator manages its registry; NotFound otherwise (a user
    of another registry is answered like one that does not exist)."""
    found = stored_user(conn, name)
    region = admin_region(conn, admin)
    if found is None or (region is not None and found["registry"] != region):
        raise NotFound(f"Không có người dùng {name!r}", f"no user {name!r}", extra={"user": name})
    return found


def list_users(db: Database, admin: Admin, *, search: str | None = None, include_inactive: bool = True,
               role: str | None = None) -> list[dict[str, Any]]:
    """The users an administrator manages, by name: name, unit, unit_name, registry, roles, email,
    active, created_at. `search` matches words of the name, unit code and unit name (no diacritics needed)."""
    with db.engine.connect() as conn:
        region = admin_region(conn, admin)
        query, params = _SELECT, {}  # type: tuple[str, dict[str, Any]]
        if region is not None:
            query += " WHERE n.region = :region"
            params["region"] = region
        rows = [_public(r) for r in conn.execute(text(query + " ORDER BY u.name"), params).mappings()]
    if not include_inactive:
        rows = [r for r in rows if r["active"]]
    if role:
        rows = [r for r in rows if role in r["roles"]]
    if search:
        from phancap.engine.organisations import fold

        rows = [r for r in rows if matches(search, fold(" ".join(
            [r["name"].replace(".", " "), r["unit"].replace("-", " "), r["unit_name"] or "", r["email"] or ""])).split())]
    return rows


def get_managed_user(db: Database, admin: Admin, name: str) -> dict[str, Any]:
    with db.engine.connect() as conn:
        return _existing(conn, admin, name)


def _log(conn: Connection, admin: Admin, clock: Clock, action: str, user: dict[str, Any], data: dict[str, Any],
         comment: str | None) -> None:
    admin_log.record(conn, at=stamp(clock.now()), actor=admin.name, action=action, region=user["registry"],
                     subject=user["name"], data=data, comment=comment)


def write_create(conn: Connection, admin: Admin, clock: Clock, name: str, unit: str, roles: str, email: str | None,
                 password: str | None, *, active: bool = True, comment: str | None = None,
                 source: dict[str, Any] | None = None) -> UserChange:
    """Inside the caller's transaction: a new user (all fields already valid). Without a password one
    is generated and returned for handing over."""
    require_region(conn, admin, _region_of_unit(conn, unit))
    if stored_user(conn, name) is not None:
        raise Refusal("state", f"Người dùng {name} đã có", f"user {name} already exists", extra={"field": "name"})
    generated = None if password else generate_password(name)
    conn.execute(text("INSERT INTO app_user (name, unit, roles, password_hash, created_at, email, active) "
                      "VALUES (:n, :u, :r, :h, :at, :e, :a)"),
                 {"n": name, "u": unit, "r": roles, "h": hash_password(password or generated or ""),
                  "at": stamp(clock.now()), "e": email, "a": active})
    user = stored_user(conn, name)
    assert user is not None
    data = {"unit": unit, "roles": user["roles"], "email": email, "active": active,
            "password": "generated" if generated else "given"} | (source or {})
    _log(conn, admin, clock, "user.add", user, data, comment)
    return UserChange(user, "user.add", {k: [None, v] for k, v in data.items() if k in ("unit", "roles", "email")},
                      password=generated)


def write_update(conn: Connection, admin: Admin, clock: Clock, name: str, *, unit: str | None = None,
                 roles: str | None = None, email: str | None = None, active: bool | None = None,
                 password: str | None = None, comment: str | None = None,
                 source: dict[str, Any] | None = None) -> UserChange:
    """Inside the caller's transaction: change what is given (None keeps a field). Moving a user to a
    unit of another registry is refused; a change of unit or roles, like a new password or
    deactivation, ends the user's sessions (what they were allowed to do has changed)."""
    before = _existing(conn, admin, name)
    changes: dict[str, list[Any]] = {}
    if unit is not None and unit != before["unit"]:
        require_region(conn, admin, _region_of_unit(conn, unit))
        changes["unit"] = [before["unit"], unit]
    if roles is not None and roles.split(",") != before["roles"]:
        changes["roles"] = [before["roles"], roles.split(",")]
    if email is not None and email != before["email"]:
        changes["email"] = [before["email"], email]
    if active is not None and active != before["active"]:
        changes["active"] = [before["active"], active]
    if isinstance(admin, User) and admin.name == name and (
            changes.get("active") == [True, False] or ("roles" in changes and "admin" not in changes["roles"][1])):
        raise Refusal("state", "Quản trị viên không thể tự ngừng tài khoản hoặc bỏ vai trò quản trị của mình",
                      "an administrator cannot deactivate themself or drop their own admin role")
    if not changes and password is None:
        return UserChange(before, "")
    columns = {"unit": unit, "roles": roles, "email": email, "active": active}
    sets = {k: v for k, v in columns.items() if k in changes}
    if password is not None:
        sets["password_hash"] = hash_password(password)
    conn.execute(text("UPDATE app_user SET " + ", ".join(f"{k} = :{k}" for k in sets) + " WHERE name = :name"),
                 {**sets, "name": name})
    ended = end_user_sessions(conn, name) if password is not None or set(changes) & {"unit", "roles", "active"} else 0
    after = stored_user(conn, name)
    assert after is not None
    action = "user.update"
    if set(changes) == {"active"}:
        action = "user.activate" if active else "user.deactivate"
    elif not changes:
        action = "user.reset_password"
    data: dict[str, Any] = dict(changes) | {"sessions_ended": ended} | (source or {})
    if password is not None:
        data["password"] = "changed"
    _log(conn, admin, clock, action, after, data, comment)
    return UserChange(after, action, changes, sessions_ended=ended)


def create_user(db: Database, admin: Admin, clock: Clock, name: str, unit: str, roles: list[str], *,
                email: str | None = None, password: str | None = None, comment: str | None = None) -> UserChange:
    """A new user of a unit the administrator manages; without a password, one is generated and returned."""
    name, stored_roles, email = valid_name(name), valid_roles(roles), valid_email(email)
    if password:
        check_password(name, password)
    with db.begin() as conn:
        return write_create(conn, admin, clock, name, unit.strip(), stored_roles, email, password or None,
                            comment=comment)


def update_user(db: Database, admin: Admin, clock: Clock, name: str, *, unit: str | None = None,
                roles: list[str] | None = None, email: str | None = None, comment: str | None = None) -> UserChange:
    """Change a user's unit, roles or e-mail (an empty e-mail is kept; see write_update for the rest)."""
    stored_roles = valid_roles(roles) if roles is not None else None
    with db.begin() as conn:
        return write_update(conn, admin, clock, name, unit=unit.strip() if unit else None, roles=stored_roles,
                            email=valid_email(email), comment=comment)


def set_user_active(db: Database, admin: Admin, clock: Clock, name: str, active: bool,
                    comment: str | None = None) -> UserChange:
    """Deactivate (no sign-in; every session and token ends) or reactivate; the history stays."""
    with db.begin() as conn:
        change = write_update(conn, admin, clock, name, active=active, comment=comment)
    if not change.action:
        state_vi, state_en = ("đang hoạt động", "active") if active else ("đã ngừng hoạt động", "inactive")
        raise Refusal("state", f"Người dùng {name} {state_vi}", f"user {name} is already {state_en}")
    return change


def reset_password(db: Database, admin: Admin, clock: Clock, name: str, password: str | None = None,
                   comment: str | None = None) -> UserChange:
    """A new password (given, policy checked; or generated and returned once); every session ends."""
    new = password or generate_password(name)
    check_password(name, new)
    with db.begin() as conn:
        change = write_update(conn, admin, clock, name, password=new, comment=comment)
    change.password = None if password else new
    return change


def managed_region(db: Database, admin: Admin) -> str | None:
    """The registry an administrator manages (Forbidden unless admin); None for the console operator."""
    with db.engine.connect() as conn:
        return admin_region(conn, admin)


def search_admin_events(db: Database, reader: User, **filters: Any) -> tuple[str | None, list[dict[str, Any]]]:
    """The administrative events a reader may see: an auditor every registry's, an administrator their
    own registry's (whatever registry the filters name). Returns (the registry shown or None, rows)."""
    with db.engine.connect() as conn:
        own = conn.execute(text("SELECT region FROM unit WHERE code = :u"), {"u": reader.unit}).scalar_one_or_none()
    region = admin_events_scope(reader, own)
    wanted = filters.get("contains")
    if wanted:  # a role named as the pages name it ("Quản trị", "quan tri") is searched by its code
        from phancap.engine.organisations import fold
        from phancap.engine.roles import ROLE_LABELS_VI

        by_label = {fold(label): role for role, label in ROLE_LABELS_VI.items()}
        if fold(wanted) in by_label:
            filters["contains"] = f'"{by_label[fold(wanted)]}"'
    if region is not None:
        filters["region"] = region
    return region, admin_log.search(db, **filters)
