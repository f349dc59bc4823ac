"""`phancap units …`, `phancap registries`, `phancap groups`, `phancap admin-events`: the organisation
registry as stored, and the audited changes an administrator makes to it."""

from __future__ import annotations

from typing import Annotated

import typer

from phancap.console import JsonOpt, ctx, emit, fail
from phancap.engine import admin_log
from phancap.engine.units import (add_unit, deactivate_unit, list_groups, list_registries, list_units, rename_unit,
                                  search_units)

units_app = typer.Typer(invoke_without_command=True, no_args_is_help=False,
                        help="Organisation units: list (the default), add, rename, deactivate.")

RegistryOpt = Annotated[str | None, typer.Option("--registry", help="Registry code, e.g. HN, QT, CP.")]
AsOpt = Annotated[str, typer.Option("--as", help="The administrator making the change (audited).")]
CommentOpt = Annotated[str | None, typer.Option("--comment", help="Why (kept with the admin event).")]


def _lines(rows: list[dict[str, object]]) -> str:
    return "\n".join(f"{r['code']}\t{r['kind']}\t{r['registry']}\t{r['name']}" + ("" if r["active"] else "\t(inactive)")
                     for r in rows) or "(no units)"


@units_app.callback()
def units(context: typer.Context, registry: RegistryOpt = None,
          kind: Annotated[str | None, typer.Option("--kind", help="people_committee, department, commune, ward…")] = None,
          search: Annotated[str | None, typer.Option("--search", help="Words of the name, with or without diacritics.")] = None,
          include_inactive: Annotated[bool, typer.Option("--all", help="Include deactivated units.")] = False,
          as_json: JsonOpt = False) -> None:
    """List units: code, name, kind, registry, parent, aliases, active (deactivated ones only with --all)."""
    if context.invoked_subcommand is not None:
        return
    rows = search_units(ctx().db, region=registry, kind=kind, search=search, include_inactive=include_inactive)
    emit(rows, as_json, _lines(rows))


@units_app.command("list")
def units_list(region: Annotated[str | None, typer.Option("--region", help="Registry, e.g. HN or KT.")] = None,
               as_json: JsonOpt = False) -> None:
    """List units (code, name, kind, region); the codes are what `user add --unit` takes."""
    rows = list_units(ctx().db, region)
    emit(rows, as_json, "\n".join(f"{r['code']}\t{r['kind']}\t{r['region']}\t{r['name']}" for r in rows)
         or "(no units: run `phancap load` first)")


@units_app.command("add")
def units_add(code: str, actor: AsOpt,
              name: Annotated[str | None, typer.Option("--name", help="Official name (none for a standard commune body).")] = None,
              kind: Annotated[str | None, typer.Option("--kind", help="Unit kind (default office).")] = None,
              registry: RegistryOpt = None,
              parent: Annotated[str | None, typer.Option("--parent", help="The unit it belongs to.")] = None,
              official_code: Annotated[str | None, typer.Option("--official-code", help="Official code, if any.")] = None,
              alias: Annotated[list[str] | None, typer.Option("--alias", help="Another name (repeat).")] = None,
              comment: CommentOpt = None, as_json: JsonOpt = False) -> None:
    """Add a unit (audited). QT-X-CAMLO-PVHXH and the like, a commune's standard bodies, need no --name."""
    c = ctx()
    row = add_unit(c.db, c.user(actor), c.clock, code, name=name, kind=kind, region=registry, parent=parent,
                   official_code=official_code, aliases=list(alias or []), comment=comment)
    emit(row, as_json, f"added {row['code']}\t{row['name']}")


@units_app.command("rename")
def units_rename(code: str, actor: AsOpt,
                 new_name: Annotated[str | None, typer.Argument(help="The new name (or --name).")] = None,
                 name: Annotated[str | None, typer.Option("--name", help="The new name.")] = None,
                 effective: Annotated[str | None, typer.Option("--effective", help="From this date, YYYY-MM-DD (a later date is scheduled).")] = None,
                 decision: Annotated[str | None, typer.Option("--decision", help="The decision that renames it.")] = None,
                 comment: CommentOpt = None, as_json: JsonOpt = False) -> None:
    """Rename a unit (audited); the old name stays an alias. `rename CODE NEW_NAME` or
    `rename CODE --name NAME --effective DATE --decision TEXT`."""
    from datetime import date

    if (new_name is None) == (name is None):
        fail("error: give the new name once: as NEW_NAME or as --name", 2)
    day = None
    if effective is not None:
        try:
            day = date.fromisoformat(effective.strip())
        except ValueError:
            fail(f"error: --effective {effective!r} is not a date (YYYY-MM-DD)", 2)
    c = ctx()
    row = rename_unit(c.db, c.user(actor), c.clock, code, str(new_name or name), comment, effective=day, decision=decision)
    if "scheduled" in row:
        emit(row, as_json, f"scheduled change {row['scheduled']}: {row['code']} renamed {row['new_name']} from {row['effective']}")
    else:
        emit(row, as_json, f"renamed {row['code']}\t{row['name']}")


@units_app.command("succeed")
def units_succeed(olds: Annotated[list[str], typer.Argument(help="The units succeeded.", metavar="OLD...")],
                  by: Annotated[str, typer.Option("--by", help="The successor unit.")],
                  effective: Annotated[str, typer.Option("--effective", help="From this date, YYYY-MM-DD; a later date is scheduled and applied by the sweep on that day.")],
                  decision: Annotated[str, typer.Option("--decision", help="The decision (number, date, issuer).")],
                  actor: AsOpt, as_json: JsonOpt = False) -> None:
    """OLD… are succeeded by NEW: their open tasks move to it and their focal and coordinator references follow
    (one audited transfer event each), then they become inactive; ended tasks keep the old unit."""
    from datetime import date

    from phancap.engine.succession import succeed_units

    try:
        day = date.fromisoformat(effective.strip())
    except ValueError:
        fail(f"error: --effective {effective!r} is not a date (YYYY-MM-DD)", 2)
        return
    c = ctx()
    row = succeed_units(c.db, c.workflows, c.clock, c.user(actor), olds, by, day, decision)
    if "scheduled" in row:
        emit(row, as_json, f"scheduled change {row['scheduled']}: {', '.join(row['olds'])} -> {row['successor']} from "
                           f"{row['effective']} (applied by the deadline sweep on that day)")
        return
    emit(row, as_json, f"{', '.join(row['olds'])} -> {row['successor']} from {row['effective']}: {row['moved']} task(s) "
                       f"moved, {row['merged']} merged (withdrawn), {row['references']} focal/coordinator reference(s) followed")


@units_app.command("changes")
def units_changes(status: Annotated[str | None, typer.Option("--status", help="scheduled, applied, failed or cancelled.")] = None,
                  as_json: JsonOpt = False) -> None:
    """Successions and renames decided ahead: id, kind, units, successor, name, effective, decision, status, result."""
    from phancap.engine.unit_changes import list_changes

    rows = list_changes(ctx().db, status)
    emit(rows, as_json, "\n".join(
        f"{r['id']}\t{r['effective']}\t{r['status']}\t{r['kind']}\t{', '.join(r['units'])} -> "
        f"{r['successor'] or r['name']}\t{r['decision']}" for r in rows) or "(no unit changes)")


@units_app.command("cancel-change")
def units_cancel_change(change: int, actor: AsOpt,
                        reason: Annotated[str, typer.Option("--reason", help="Why it is cancelled.")] = "",
                        as_json: JsonOpt = False) -> None:
    """Cancel a scheduled succession or rename before its day (audited)."""
    from phancap.engine.unit_changes import cancel_change

    c = ctx()
    row = cancel_change(c.db, c.clock, c.user(actor), change, reason)
    emit(row, as_json, f"change {row['id']} cancelled")


@units_app.command("deactivate")
def units_deactivate(code: str, actor: AsOpt, comment: CommentOpt = None, as_json: JsonOpt = False) -> None:
    """Deactivate a unit (audited): groups stop listing it; its tasks and history stay."""
    c = ctx()
    row = deactivate_unit(c.db, c.user(actor), c.clock, code, comment)
    emit(row, as_json, f"deactivated {row['code']}")


def registries(as_json: JsonOpt = False) -> None:
    """List registries: code, name, official_code, kind, units (active)."""
    rows = list_registries(ctx().db)
    emit(rows, as_json, "\n".join(f"{r['code']}\t{r['kind']}\t{r['official_code'] or ''}\t{r['units']}\t{r['name']}"
                                  for r in rows) or "(no registries: run `phancap load` first)")


def groups(registry: RegistryOpt = None, as_json: JsonOpt = False) -> None:
    """List groups: name, registry, aliases, members."""
    rows = list_groups(ctx().db, registry)
    emit(rows, as_json, "\n".join(f"{r['registry']}\t{len(r['members'])}\t{r['name']}" for r in rows) or "(no groups)")


def admin_events(actor: Annotated[str | None, typer.Option("--actor", help="Who made the change.")] = None,
                 action: Annotated[str | None, typer.Option("--action", help="unit.add, unit.rename… or a prefix: unit.")] = None,
                 subject: Annotated[str | None, typer.Option("--subject", help="The unit changed.")] = None,
                 registry: RegistryOpt = None,
                 since: Annotated[str | None, typer.Option("--since", help="From this time (UTC text, e.g. 2025-04-01).")] = None,
                 as_json: JsonOpt = False) -> None:
    """Search the administrative events: id, at, actor, action, registry, subject, data, comment."""
    rows = admin_log.search(ctx().db, actor=actor, action=action, subject=subject, region=registry, since=since)
    emit(rows, as_json, "\n".join(f"{r['at']}\t{r['actor']}\t{r['action']}\t{r['subject']}\t{r['data']}" for r in rows)
         or "(no admin events)")


def transfer(task: int, to: Annotated[str, typer.Option("--to", help="The unit that leads the task from now on.")],
             decision: Annotated[str, typer.Option("--decision", help="The decision that moves it (number, date, issuer).")],
             actor: AsOpt, as_json: JsonOpt = False) -> None:
    """Move one open task to another lead unit by a decision (audited `transfer` event; the old unit stays in
    its history)."""
    from phancap.engine.reorganisation import transfer_task

    c = ctx()
    row = transfer_task(c.db, c.workflows, c.clock, c.user(actor), task, to, decision)
    emit(row, as_json, f"task {row['task']}: {row['unit_from']} -> {row['unit_to']} ({row['decision']})")


def register(app: typer.Typer) -> None:
    app.add_typer(units_app, name="units")
    app.command("registries")(registries)
    app.command("groups")(groups)
    app.command("admin-events")(admin_events)
    app.command("transfer")(transfer)
