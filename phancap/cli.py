"""`phancap`: a scriptable command line over the engine. Every command that lists takes --json."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from phancap.engine.clock import stamp
from phancap.engine.settings import DEFAULT_DATABASE_URL
from phancap.engine.errors import DefinitionError, Refusal, TransitionNotAllowed
from phancap.engine.evidence import EvidenceStore, require_upload_allowed, store_upload
from phancap.engine.instantiate import instantiate
from phancap.engine.loader import read_definitions, store_definitions, stored_registry
from phancap.engine.queries import history, list_plans, list_tasks
from phancap.engine.tick import tick
from phancap.engine.workflows import load_workflows
from phancap.cli_audit import audit_app
from phancap.cli_counters import register as register_counters
from phancap.cli_plans import register as register_plans
from phancap.cli_reports import register as register_reports
from phancap.cli_serve import register as register_serve
from phancap.cli_notifications import register as register_notifications
from phancap.cli_queue import register as register_queue
from phancap.cli_units import register as register_units
from phancap.cli_worker import register as register_worker
from phancap.cli_users import user_app, users_app
from phancap.console import STATE, Context, JsonOpt, ctx, emit, fail

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__, pretty_exceptions_enable=False)
db_app = typer.Typer(no_args_is_help=True, help="Database schema (Alembic owns it).")
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")


@app.callback()
def root(
    database_url: Annotated[str | None, typer.Option("--db", help="Database URL (default: $DATABASE_URL or sqlite:///phancap.db).")] = None,
    now: Annotated[str | None, typer.Option("--now", help="Fixed or shifted time: 2025-04-20, +30d (default: $PHANCAP_NOW or real time).")] = None,
) -> None:
    """phancap: implementation plans as explicit, audited state machines."""
    try:
        STATE["ctx"] = Context(database_url, now)
    except ValueError as exc:
        fail(f"error: {exc}", 2)


@app.command()
def validate(path: Annotated[Path | None, typer.Argument(help="A definitions folder or file; default: the shipped ones.")] = None) -> None:
    """Check workflow, organisation and plan definitions; print every problem as file:line: message."""
    try:
        if path is not None and path.is_dir() and any(path.glob("*.yaml")) and not (path / "plans").exists():
            machines = load_workflows(path)
            typer.echo(f"OK: {len(machines)} workflow(s): {', '.join(machines)}")
            return
        if path is not None and path.is_file() and "\nstates:" in path.read_text(encoding="utf-8", errors="replace"):
            from phancap.engine.workflow import parse_workflow

            workflow = parse_workflow(path)
            typer.echo(f"OK: workflow {workflow.name}: {len(workflow.states)} states, {len(workflow.transitions)} transitions")
            return
        machines = load_workflows()
        defs = read_definitions(path, set(machines))
    except DefinitionError as exc:
        fail("\n".join(exc.problems))
        return
    typer.echo(f"OK: {len(machines)} workflows, {len(defs.registry.units)} units, {len(defs.plans)} plans, "
               f"{sum(len(p.tasks) for p in defs.plans)} tasks")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the schema to the newest migration."""
    ctx().db.upgrade()
    typer.echo(f"schema up to date ({ctx().db.engine.url.render_as_string(hide_password=True)})")


@app.command()
def load(path: Annotated[Path | None, typer.Argument(help="Definitions folder or file; default: the shipped ones.")] = None,
         as_json: JsonOpt = False) -> None:
    """Validate definitions and store them (all or nothing). Loading twice changes nothing."""
    c = ctx()
    c.db.upgrade()
    try:
        defs = read_definitions(path, set(c.workflows), stored_registry(c.db) if path else None)
    except DefinitionError as exc:
        fail("\n".join(exc.problems))
        return
    counts = store_definitions(c.db, defs, c.clock, c.workflows)
    emit(counts, as_json, f"loaded {counts['units']} units, {counts['groups']} groups, {counts['plans']} plans, {counts['tasks']} tasks")


@app.command("instantiate")
def instantiate_cmd(plan: str, as_json: JsonOpt = False) -> None:
    """Create one task instance per lead unit of every task of PLAN (again: changes nothing)."""
    c = ctx()
    try:
        result = instantiate(c.db, plan, c.workflows, c.clock)
    except DefinitionError as exc:
        fail("\n".join(exc.problems))
        return
    emit(result.to_json(), as_json, f"{plan}: {result.created} task instances created, {result.existing} already existed")


@app.command()
def plans(as_json: JsonOpt = False) -> None:
    """List plans (code, title, issuer, number of tasks)."""
    rows = list_plans(ctx().db)
    emit(rows, as_json, "\n".join(f"{r['code']}\t{r['tasks']} tasks\t{r['issuer']}\t{r['title']}" for r in rows))


@app.command()
def tasks(plan: Annotated[str | None, typer.Option("--plan")] = None,
          unit: Annotated[str | None, typer.Option("--unit")] = None,
          state: Annotated[str | None, typer.Option("--state")] = None,
          kind: Annotated[str, typer.Option("--kind", help="task, report or difficulty.")] = "task",
          as_json: JsonOpt = False) -> None:
    """List task instances (id, plan, task, unit, focal, state, deadline, version)."""
    rows = list_tasks(ctx().db, plan, unit, state, kind=kind)
    emit(rows, as_json, "\n".join(
        f"{r['id']}\t{r['plan']}\t{r['task']}\t{r['unit']}\t{r['state']}\t{r['deadline'] or '-'}\tv{r['version']}" for r in rows))


@app.command()
def triggers(task: int, as_user: Annotated[str, typer.Option("--as", help="User name.")], as_json: JsonOpt = False) -> None:
    """What USER may fire on TASK now."""
    try:
        allowed = ctx().engine().triggers(task, as_user)
    except TransitionNotAllowed as exc:
        fail(f"refused [{exc.rule}]: {exc.message_vi} / {exc.message_en}", 3)
        return
    rows = [{"trigger": t.trigger, "label": t.label, "to": t.dest, "requires": list(t.requires), "guards": list(t.guards)}
            for t in allowed]
    emit(rows, as_json, "\n".join(f"{r['trigger']}\t{r['label']}" for r in rows) or "(nothing)")


def _evidence(task: int, as_user: str, number: str | None, title: str | None,
              file: Path | None) -> dict[str, str] | None:
    """The evidence to cite; a file is first uploaded for the task (into PHANCAP_EVIDENCE_DIR, with the API's checks),
    since a transition may cite only a file uploaded for that same task."""
    evidence = {"number": number, "title": title}
    if file is not None:
        c = ctx()
        user = c.user(as_user)
        require_upload_allowed(c.db, user, task, lambda: c.engine().triggers(task, as_user))
        with file.open("rb") as stream:
            stored = store_upload(c.db, EvidenceStore.from_settings(c.settings), task, stream, file.name, user,
                                  stamp(c.clock.now()))
        evidence["sha256"] = stored.sha256
    kept = {k: v for k, v in evidence.items() if v}
    return kept or None


@app.command()
def fire(
    task: int,
    trigger: str,
    as_user: Annotated[str, typer.Option("--as", help="User name.")],
    comment: Annotated[str | None, typer.Option("--comment")] = None,
    evidence: Annotated[str | None, typer.Option("--evidence", help="Document number, e.g. 12/2025/QĐ-UBND.")] = None,
    evidence_title: Annotated[str | None, typer.Option("--evidence-title")] = None,
    evidence_file: Annotated[Path | None, typer.Option("--evidence-file", exists=True, dir_okay=False)] = None,
    capacity: Annotated[str | None, typer.Option("--capacity", help="KT., TL. or TUQ. (signing on behalf).")] = None,
    version: Annotated[int | None, typer.Option("--version", help="Refuse unless the task is at this version.")] = None,
    proposed_deadline: Annotated[str | None, typer.Option("--proposed-deadline",
                                                          help="The new deadline an extension request asks for (YYYY-MM-DD or dd/mm/yyyy).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Fire TRIGGER on TASK as USER; prints the new state, or exits non-zero with the reason."""
    proposed = _day(proposed_deadline) if proposed_deadline else None
    try:
        result = ctx().engine().fire(task, trigger, as_user, comment=comment,
                                     evidence=_evidence(task, as_user, evidence, evidence_title, evidence_file),
                                     capacity=capacity, version=version, proposed_deadline=proposed)
    except Refusal as exc:
        if as_json:
            body = exc.to_json() if isinstance(exc, TransitionNotAllowed) else exc.body()
            typer.echo(json.dumps(body, ensure_ascii=False), err=True)
        fail(f"refused [{exc.rule}]: {exc.message_vi} / {exc.message_en}", 3)
        return
    emit(result.to_json(), as_json, result.to_state)


def _day(text: str) -> date:
    """A date as a user types it: 2025-05-31 or 31/05/2025."""
    try:
        if "/" in text:
            day, month, year = (int(p) for p in text.split("/"))
            return date(year, month, day)
        return date.fromisoformat(text)
    except ValueError:
        fail(f"error: --proposed-deadline {text!r}: not a date (YYYY-MM-DD or dd/mm/yyyy)", 2)
        raise


@app.command("history")
def history_cmd(task: int, as_json: JsonOpt = False) -> None:
    """The audit trail of TASK, oldest first."""
    rows = history(ctx().db, task)
    if not rows:
        fail(f"no history for task {task}")
    emit(rows, as_json, "\n".join(
        f"{r['seq']}\t{r['at']}\t{r['trigger']}\t{r['from'] or '-'} -> {r['to']}\t{r['actor']}"
        f"{' (' + r['capacity'] + ')' if r['capacity'] else ''}\t{r['comment'] or ''}" for r in rows))


@app.command("tick")
def tick_cmd(as_json: JsonOpt = False) -> None:
    """Apply the unit changes scheduled up to today, then mark every open task past its deadline overdue (as the
    system, audited)."""
    c = ctx()
    result = tick(c.db, c.workflows, c.clock)
    changes = "".join(f"; change {u['change']} {u['status']}" for u in result.unit_changes)
    emit(result.to_json(), as_json,
         f"{result.marked} task(s) marked overdue (today {result.today}, clock {c.clock.describe()}){changes}")


@app.command()
def deadline(phrase: str, issued: Annotated[str | None, typer.Option("--issued", help="Issue date YYYY-MM-DD.")] = None,
             as_json: JsonOpt = False) -> None:
    """Read a deadline phrase: kind (date, window, recurring, open), due date, window start."""
    from datetime import date as _date

    from phancap.engine.deadlines import DeadlineError, read_deadline

    try:
        on = _date.fromisoformat(issued) if issued else None
        reading = read_deadline(phrase, on)
    except (DeadlineError, ValueError) as exc:
        fail(f"error: {exc}", 2)
        return
    data = reading.to_json()
    if reading.kind == "recurring" and on is not None:  # a recurring day: its first due day after the issue
        first = reading.first_due_after(on)
        data["due"] = first.isoformat() if first else None
    emit(data, as_json, f"{data['kind']}: due {data['due'] or '-'}" + (f" (from {data['start']})" if data["start"] else ""))


@app.command("import-plan")
def import_plan(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The plan file: .txt/.md (UTF-8), .docx or .pdf with a text layer.")],
    out: Annotated[Path | None, typer.Option("--out", "-o", help="Where to write the plan YAML (default: stdout).")] = None,
    code: Annotated[str | None, typer.Option("--code", help="The plan's code (default: from the issuer, number and year).")] = None,
    registry: Annotated[str | None, typer.Option("--registry", help="Organisation registry, e.g. QT or CP (default: the issuer's).")] = None,
    accept_new_units: Annotated[bool, typer.Option("--accept-new-units", help="Add the proposed new units to the plan file.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Read a plan file and write its definition; everything not placed is reported with its line.
    The issuer in the header decides the registry; names of no unit there are proposed as new units under
    the issuer, written into the file only with --accept-new-units. The file is always written; the exit
    status is non-zero when anything needs a person's decision. A file over PHANCAP_IMPORT_MAX_BYTES or
    with more tasks than PHANCAP_IMPORT_MAX_TASKS, or a PDF without text, is refused (exit 3)."""
    from phancap.engine.importer import check_size, format_problems, import_accepting, validate_plan, write_plan_yaml
    from phancap.engine.importer.files import plan_file_text

    limits = ctx().settings.import_limits()
    check_size(file.stat().st_size, limits)
    workflows = load_workflows()
    defs = read_definitions(None, set(workflows))
    known = defs.registry
    numbers = {str(p.document["number"]): p.region for p in defs.plans if p.document.get("number")}
    codes = {p.code for p in defs.plans}
    if ctx().db_given or ctx().settings.database_url != DEFAULT_DATABASE_URL:
        # a database named (--db, DATABASE_URL): its plans' numbers and codes too (parent plans, codes taken)
        from phancap.engine.queries import plan_numbers

        try:
            stored_numbers, stored_codes = plan_numbers(ctx().db)
        except SQLAlchemyError:
            stored_numbers, stored_codes = {}, set()  # no schema yet: the definitions' plans only
        numbers.update(stored_numbers)
        codes |= stored_codes
    text = plan_file_text(file.read_bytes(), file.name)
    result = import_accepting(text, source=str(file), registry=known, code=code, region=registry, known_plans=numbers,
                              existing_codes=codes, accept_new_units=accept_new_units, limits=limits)
    written = write_plan_yaml(result.plan)
    if out is not None:
        out.write_text(written, encoding="utf-8")
    elif not as_json:
        sys.stdout.write(written)
    checked = validate_plan(result.plan, known, set(workflows))
    problems = format_problems(result, str(file)) + checked
    if not result.accepted and result.new_units:
        problems.append(f"{file}: đơn vị mới đề xuất (chưa thêm; dùng --accept-new-units) / proposed new units (not "
                        "added; use --accept-new-units): " + "; ".join(f"{u['code']} {u['name']}" for u in result.new_units))
    if as_json:
        plan = result.plan
        report = {
            "code": plan.get("code"), "registry": plan.get("registry"), "issuer": plan.get("issuer"),
            "title": plan.get("title"), "number": plan.get("number"),
            "issued": plan["issued"].isoformat() if plan.get("issued") else None,
            "out": str(out) if out else None,
            "tasks": [{"number": t.get("number"), "title": t.get("title"), "heading": bool(t.get("heading")),
                       "lead": t.get("lead"), "coordinators": t.get("coordinators"),
                       "deadline": _deadline_json(t.get("deadline")), "workflow": t.get("workflow")}
                      for t in plan.get("tasks") or []],
            "new_units": result.new_units, "new_units_accepted": result.accepted,
            "unmatched_units": result.unmatched_units,
            "problems": [{"line": p["line"], "message": p["message"], "text": p["text"]} for p in result.problems]
            + [{"line": None, "message": m, "text": ""} for m in checked],
            "valid": not checked,
        }
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    else:
        for line in problems:
            typer.echo(line, err=True)
    if problems:
        raise typer.Exit(1)


def _deadline_json(deadline: object) -> object:
    if not isinstance(deadline, dict):
        return deadline
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in deadline.items()}


register_queue(app)
register_notifications(app)
register_serve(app)
register_worker(app)
register_reports(app)  # after the core commands, so --help lists those first
register_units(app)
register_plans(app)
register_counters(app)


def main() -> None:
    """The `phancap` entry point: a user's mistake ends with one line on stderr and a non-zero exit,
    never a traceback. Commands raise; the translation to a message lives here, once."""
    try:
        app(prog_name="phancap")
    except Refusal as exc:
        _exit(exc.line(), 3)
    except DefinitionError as exc:
        _exit("\n".join(exc.problems), 1)
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        _exit(f"error: database: {_first_line(cause)}", 1)
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        _exit(f"error: {exc.strerror or exc}{where}", 1)
    except ValueError as exc:  # settings, unknown units or roles, unreadable text…
        _exit(f"error: {_first_line(exc) if isinstance(exc, UnicodeError) else exc}", 2)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _exit(message: str, code: int) -> None:
    typer.echo(message, err=True)
    raise SystemExit(code)
