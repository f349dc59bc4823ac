"""`phancap plan …`: amending a plan by a later document, and the versions it kept."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from phancap.console import JsonOpt, ctx, emit, fail
from phancap.engine.amendments import amend_plan, plan_versions, read_amending_plan

plan_app = typer.Typer(no_args_is_help=True, help="A plan's amendments and versions.")


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        fail(f"error: --date {text!r} is not a date (YYYY-MM-DD)", 2)
    return None


def _change_lines(changes: dict[str, Any]) -> list[str]:
    lines = [f"  plan {c['field']}: {c['old']} → {c['new']}" for c in changes.get("plan", [])]
    for t in changes.get("tasks", []):
        if t["change"] == "changed":
            lines.append(f"  task {t['task']} changed: " + "; ".join(
                f"{c['field']} {_value(c['old'])} → {_value(c['new'])}" for c in t["fields"]))
        else:
            lines.append(f"  task {t['task']} {t['change']}: {t['title']}")
    return lines


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("due") or value.get("phrase") or value.get("workflow") or "—")
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "—"
    return "—" if value is None else str(value)


@plan_app.command("amend")
def plan_amend(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The plan file as amended.")],
    number: Annotated[str, typer.Option("--number", help="The amending document's number, e.g. 1234/KH-UBND.")],
    on: Annotated[str | None, typer.Option("--date", help="Its date, YYYY-MM-DD (default: today).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the diff and what it would do; change nothing.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """The diff between the stored plan and FILE, task by task and field by field; without --dry-run, apply it
    in one transaction (a new plan version, one audited `amend` event per affected open instance, withdrawals
    and new instances), citing the document."""
    c = ctx()
    plan = read_amending_plan(file, c.db, set(c.workflows))
    result = amend_plan(c.db, plan, c.workflows, c.clock, number=number, on=_day(on), dry_run=dry_run)
    data = result.to_json()
    counts = data["counts"]
    head = (f"{'would amend' if dry_run else 'amended'} {data['plan']} to version {data['version']} by "
            f"{data['number']} of {data['date']}: {counts['amended']} instance(s) amended, "
            f"{counts['withdrawn']} withdrawn, {counts['opened']} opened")
    emit(data, as_json, "\n".join([head, *_change_lines(data["changes"])]))


@plan_app.command("versions")
def plan_versions_cmd(code: str, as_json: JsonOpt = False) -> None:
    """Every version of plan CODE: version, number, date, at, changes."""
    rows = plan_versions(ctx().db, code)
    text = []
    for r in rows:
        text.append(f"v{r['version']}\t{r['number'] or '-'}\t{r['date'] or '-'}\t{r['at']}")
        text += _change_lines(r["changes"])
    emit(rows, as_json, "\n".join(text))


def register(app: typer.Typer) -> None:
    app.add_typer(plan_app, name="plan")
