"""`phancap user add/update/passwd/reset-password/deactivate/activate` and `phancap users list/import`:
user administration, each change an admin event. With `--as ADMIN` the change is made as that
administrator (their registry only); without, as the console operator (`console`, every registry)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from phancap.console import JsonOpt, ctx, emit, fail
from phancap.engine.user_admin import (Admin, Operator, UserChange, create_user, list_users, reset_password,
                                       set_user_active, stored_user, update_user)
from phancap.engine.user_import import ImportRejected, import_users, preview_import

user_app = typer.Typer(no_args_is_help=True, help="A user: a name, a unit, roles (changes are audited).")
users_app = typer.Typer(no_args_is_help=True, help="Users: list, import from CSV.")

AsAdmin = Annotated[str | None, typer.Option("--as", help="The administrator making the change (default: the console).")]
CommentOpt = Annotated[str | None, typer.Option("--comment", help="Why (kept with the admin event).")]
RoleOpt = Annotated[list[str] | None, typer.Option("--role", help="Role (repeat, or comma-separated).")]
UnitOpt = Annotated[str | None, typer.Option("--unit", help="Unit code, e.g. HN-STP.")]
EmailOpt = Annotated[str | None, typer.Option("--email", help="Where notices (urging) are sent.")]
StdinOpt = Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")]


def _admin(name: str | None) -> Admin:
    return Operator() if name is None else ctx().user(name)


def _roles(role: list[str] | None) -> list[str] | None:
    return None if role is None else [r.strip() for item in role for r in item.split(",") if r.strip()]


def _stdin_password(given: bool) -> str | None:
    if not given:
        return None
    password = sys.stdin.readline().rstrip("\n")
    if not password:
        fail("error: empty password on stdin")
    return password


def _summary(change: UserChange) -> str:
    user = change.user
    line = f"user {user['name']}: unit {user['unit']}, roles {', '.join(user['roles'])}"
    if change.password:
        line += f"\ntemporary password (shown once): {change.password}"
    return line


@user_app.command("add")
def user_add(name: str, unit: Annotated[str, typer.Option("--unit", help="Unit code, e.g. HN-STP.")],
             role: Annotated[list[str], typer.Option("--role", help="Role (repeat, or comma-separated).")],
             password_stdin: StdinOpt = False, email: EmailOpt = None, actor: AsAdmin = None,
             comment: CommentOpt = None, as_json: JsonOpt = False) -> None:
    """Create a user of a unit with roles (an existing one is updated). Without --password-stdin a
    temporary password is generated and printed once."""
    c, password, roles = ctx(), _stdin_password(password_stdin), _roles(role) or []
    admin = _admin(actor)
    with c.db.engine.connect() as conn:
        exists = stored_user(conn, name.strip()) is not None
    if exists:
        change = update_user(c.db, admin, c.clock, name, unit=unit, roles=roles, email=email, comment=comment)
        if password:
            reset_password(c.db, admin, c.clock, name, password, comment)
    else:
        change = create_user(c.db, admin, c.clock, name, unit, roles, email=email, password=password, comment=comment)
    emit(change.to_json(), as_json, _summary(change))


@user_app.command("update")
def user_update(name: str, unit: UnitOpt = None, role: RoleOpt = None, email: EmailOpt = None, actor: AsAdmin = None,
                comment: CommentOpt = None, as_json: JsonOpt = False) -> None:
    """Change a user's unit, roles (the whole set) or e-mail; the user's sessions end when unit or roles change."""
    c = ctx()
    change = update_user(c.db, _admin(actor), c.clock, name, unit=unit, roles=_roles(role), email=email, comment=comment)
    emit(change.to_json(), as_json, _summary(change) + ("" if change.action else " (unchanged)"))


@user_app.command("reset-password")
def user_reset_password(name: str, password_stdin: StdinOpt = False, actor: AsAdmin = None, comment: CommentOpt = None,
                        as_json: JsonOpt = False) -> None:
    """A new password: read from stdin, or generated and printed once; every session and token ends."""
    c = ctx()
    change = reset_password(c.db, _admin(actor), c.clock, name, _stdin_password(password_stdin), comment)
    text = f"user {name}: password reset; {change.sessions_ended} session(s) ended"
    emit(change.to_json(), as_json, text + (f"\ntemporary password (shown once): {change.password}" if change.password else ""))


@user_app.command("passwd")
def user_passwd(name: str, password_stdin: StdinOpt = False, actor: AsAdmin = None) -> None:
    """Set a user's password (at least 10 characters, not the user name, not a common password); every
    session and token of the user ends at once."""
    if password_stdin:
        password = _stdin_password(True)
    else:
        import getpass

        password = getpass.getpass("new password: ")
    if not password:
        fail("error: empty password")
    c = ctx()
    change = reset_password(c.db, _admin(actor), c.clock, name, password)
    typer.echo(f"user {name}: password changed; {change.sessions_ended} session(s) ended")


@user_app.command("deactivate")
def user_deactivate(name: str, actor: AsAdmin = None, comment: CommentOpt = None) -> None:
    """Deactivate a user: no sign-in; every session and token of the user ends at once; history stays."""
    c = ctx()
    change = set_user_active(c.db, _admin(actor), c.clock, name, False, comment)
    typer.echo(f"user {name}: deactivated; {change.sessions_ended} session(s) ended")


@user_app.command("activate")
def user_activate(name: str, actor: AsAdmin = None, comment: CommentOpt = None) -> None:
    """Allow a deactivated user to sign in again."""
    c = ctx()
    set_user_active(c.db, _admin(actor), c.clock, name, True, comment)
    typer.echo(f"user {name}: active")


@users_app.command("list")
def users_list(search: Annotated[str | None, typer.Option("--search", help="Words of the name or unit.")] = None,
               role: Annotated[str | None, typer.Option("--role", help="Only users holding this role.")] = None,
               include_inactive: Annotated[bool, typer.Option("--all/--active", help="Include deactivated users.")] = True,
               actor: AsAdmin = None, as_json: JsonOpt = False) -> None:
    """Users (name, unit, unit_name, registry, roles, email, active, created_at) the administrator manages."""
    rows = list_users(ctx().db, _admin(actor), search=search, role=role, include_inactive=include_inactive)
    emit(rows, as_json, "\n".join(f"{r['name']}\t{r['unit']}\t{','.join(r['roles'])}" + ("" if r["active"] else "\t(inactive)")
                                  for r in rows) or "(no users)")


@users_app.command("import")
def users_import(file: Annotated[Path, typer.Argument(help="CSV: name, unit, roles[, email, password, active].")],
                 dry_run: Annotated[bool, typer.Option("--dry-run", help="Show what would change; write nothing.")] = False,
                 skip_rejected: Annotated[bool, typer.Option("--skip-rejected", help="Apply the valid rows even if some are rejected.")] = False,
                 actor: AsAdmin = None, as_json: JsonOpt = False) -> None:
    """Create or update users from a CSV file in one transaction. Every rejected row is listed with its
    line and reason; then nothing is written (exit 1) unless --skip-rejected."""
    c, data = ctx(), file.read_bytes()
    if dry_run:
        plan = preview_import(c.db, _admin(actor), data)
        emit(plan.to_json(), as_json, _plan_text(plan.to_json()))
        raise typer.Exit(1 if plan.rejected else 0)
    try:
        result = import_users(c.db, _admin(actor), c.clock, data, source=file.name, skip_rejected=skip_rejected)
    except ImportRejected as exc:
        emit(exc.plan.to_json() | {"applied": 0}, as_json, _plan_text(exc.plan.to_json()) + "\nnothing was changed")
        raise typer.Exit(1) from None
    out = result.to_json()
    passwords = "".join(f"\n{n}\ttemporary password: {p}" for n, p in out["passwords"].items())
    emit(out, as_json, _plan_text(out) + f"\napplied {out['applied']} change(s)" + passwords)


def _plan_text(plan: dict[str, object]) -> str:
    counts = plan["counts"]
    assert isinstance(counts, dict) and isinstance(plan["rejected"], list)
    lines = [f"create {counts['create']}, update {counts['update']}, unchanged {counts['unchanged']}, "
             f"rejected {counts['rejected']}"]
    lines += [f"line {r['line']}: {r['name'] or '?'}: {r['field']}: {r['reason_vi']} / {r['reason_en']}"
              for r in plan["rejected"]]
    return "\n".join(lines)
