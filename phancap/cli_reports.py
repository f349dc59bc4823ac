"""`phancap progress`, `urge`, `reports …`, `difficulty …`: following a plan's execution."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from phancap.engine.errors import DefinitionError, TransitionNotAllowed
from phancap.console import JsonOpt, ctx, emit, fail

reports_app = typer.Typer(no_args_is_help=True, help="Periodic reports from a plan's reporting regime.")
difficulty_app = typer.Typer(no_args_is_help=True, help="Difficulties (vướng mắc, kiến nghị) raised on tasks.")


def register(app: typer.Typer) -> None:
    app.command("progress")(progress_cmd)
    app.command("rollup")(rollup_cmd)
    app.command()(urge)
    app.add_typer(reports_app, name="reports")
    app.add_typer(difficulty_app, name="difficulty")


def progress_cmd(plan: str, as_json: JsonOpt = False) -> None:
    """Counts per state and per official category (done on time/late, open on time/overdue, no deadline)."""
    from phancap.engine.queries import progress

    c = ctx()
    data = progress(c.db, plan, c.clock.today(), c.engine().status)
    cats = data["categories"]
    emit(data, as_json, "\n".join(f"{k}\t{v}" for k, v in cats.items()))


def urge(as_user: Annotated[str, typer.Option("--as")], plan: Annotated[str | None, typer.Option("--plan")] = None,
         unit: Annotated[str | None, typer.Option("--unit")] = None,
         comment: Annotated[str | None, typer.Option("--comment")] = None, as_json: JsonOpt = False) -> None:
    """Urge (đôn đốc) the overdue and due-soon tasks the user's unit tracks, one audited event each
    (the same rule as POST /api/v1/urge)."""
    from phancap.engine.notify import Notifier
    from phancap.engine.urging import urge as urge_tracked

    engine = ctx().engine()
    result = urge_tracked(engine, ctx().user(as_user), plan=plan, unit=unit, comment=comment,
                          notifier=Notifier(engine.db))
    emit(result.to_json(), as_json, f"urged {len(result.urged)} task(s); refused {len(result.refused)}")


@reports_app.command("create")
def reports_create(plan: str, period: Annotated[str, typer.Option("--period", help="semiannual or annual.")],
                   year: Annotated[int, typer.Option("--year")],
                   due: Annotated[str | None, typer.Option("--due", help="Due date for entries the plan gives no date.")] = None,
                   as_user: Annotated[str | None, typer.Option(
                       "--as", help="Act as this user: refused unless the user may open the plan's report period "
                                    "(the plan's monitor or an administrator), as in the API.")] = None,
                   as_json: JsonOpt = False) -> None:
    """Create the period's report instances in the plan's cascade (again: changes nothing). Without --as it
    runs as the operator of this installation."""
    from datetime import date as _date

    from phancap.engine.policy import require_open_report_period
    from phancap.engine.queries import plan_monitor
    from phancap.engine.reports import create_reports

    c = ctx()
    if as_user is not None:
        monitor = plan_monitor(c.db, plan)
        if monitor is None:
            fail(f"error: no plan '{plan}'", 2)
        require_open_report_period(c.user(as_user), str(monitor))
    try:
        result = create_reports(c.db, c.workflows, c.clock, plan, period, year, _date.fromisoformat(due) if due else None)
    except (ValueError, DefinitionError) as exc:
        fail(f"error: {exc}", 2)
        return
    emit(result.to_json(), as_json, f"{result.created} report(s) created, {result.existing} existed"
         + "".join(f"\nskipped: {s}" for s in result.skipped))


@reports_app.command("show")
def reports_show(report: int, as_json: JsonOpt = False) -> None:
    """A report's figures from the engine's data, and the reports it should have received."""
    from phancap.engine.reports import report_content

    try:
        data = report_content(ctx().db, report, ctx().clock.today(), ctx().engine().status)
    except KeyError:
        fail(f"no report {report}")
        return
    emit(data, as_json, json.dumps(data["categories"], ensure_ascii=False))


@reports_app.command("list")
def reports_list(plan: Annotated[str | None, typer.Option("--plan")] = None,
                 as_user: Annotated[str | None, typer.Option(
                     "--as", help="Only the reports this user may see (those its unit writes or receives).")] = None,
                 as_json: JsonOpt = False) -> None:
    """Every report: id, reporter, recipients (with when each received it), period, state, due. Without
    --as, as the operator of this installation (every report)."""
    from phancap.engine.dashboard import period_of
    from phancap.engine.queries import list_tasks
    from phancap.engine.report_recipients import with_recipients
    from phancap.engine.visibility import cases_visible_to

    c = ctx()
    if as_user is not None:
        items = cases_visible_to(c.db, c.user(as_user), "report", plan=plan)
    else:
        items = with_recipients(c.db, list_tasks(c.db, plan=plan, kind="report"))
    labels = {n: s.label for n, s in c.workflows["periodic_report"].workflow.states.items()}
    rows = [{"id": i["id"], "plan": i["plan"], "reporter": i["unit"], "recipients": i["recipients"],
             "period": period_of(i), "state": i["state"], "state_label": labels.get(i["state"], i["state"]),
             "due": str(i["deadline"]) if i["deadline"] else None, "title": i.get("title")} for i in items]
    emit(rows, as_json, "\n".join(f"{r['id']}\t{r['period']}\t{r['reporter']} → "
                                  f"{', '.join(x['unit'] for x in r['recipients'])}\t{r['state']}\t{r['due']}"
                                  for r in rows))


@reports_app.command("export")
def reports_export(report: int, fmt: Annotated[str, typer.Option("--format", help="docx or xlsx.")],
                   output: Annotated[Path, typer.Option("-o", "--output", help="The file to write.")],
                   as_user: Annotated[str | None, typer.Option(
                       "--as", help="Refused unless this user may see the report.")] = None) -> None:
    """Write a report as a Vietnamese administrative document (DOCX) or its tables as a workbook (XLSX)."""
    from phancap.engine.report_documents import report_documents
    from phancap.engine.visibility import visible_task

    c = ctx()
    if fmt not in ("docx", "xlsx"):
        fail(f"error: --format must be docx or xlsx, not '{fmt}'", 2)
    if as_user is not None:
        seen = visible_task(c.db, c.user(as_user), report)
        if seen is None or seen["kind"] != "report":
            fail(f"error: no report {report} (or not visible to {as_user})", 3)
    labels = {n: s.label for n, s in c.workflows["periodic_report"].workflow.states.items()}
    try:
        docx_bytes, xlsx_bytes, _content = report_documents(c.db, report, c.clock.today(), c.engine().status, labels)
    except KeyError:
        fail(f"error: no report {report}", 1)
        return
    try:
        output.write_bytes(docx_bytes if fmt == "docx" else xlsx_bytes)
    except OSError as exc:
        fail(f"error: cannot write {output}: {exc.strerror}", 1)
    typer.echo(str(output))


@difficulty_app.command("raise")
def difficulty_raise(task: int, as_user: Annotated[str, typer.Option("--as")],
                     text: Annotated[str, typer.Option("--text")]) -> None:
    """Raise a difficulty on TASK; prints the new difficulty's id."""
    from phancap.engine.difficulties import raise_difficulty

    try:
        typer.echo(raise_difficulty(ctx().engine(), task, as_user, text))
    except TransitionNotAllowed as exc:
        fail(f"refused [{exc.rule}]: {exc.message_vi} / {exc.message_en}", 3)


def rollup_cmd(plan: str, as_json: JsonOpt = False) -> None:
    """A parent plan's tasks with the progress of the child plans' tasks that carry each out."""
    from phancap.engine.queries import rollup

    data = rollup(ctx().db, plan, ctx().clock.today(), ctx().engine().status)
    emit(data, as_json, "\n".join(f"{t['number']}\t" + ", ".join(
        f"{c}: {v['done_on_time'] + v['done_late']} done, {v['open_overdue']} overdue" for c, v in t["children"].items())
        for t in data["tasks"]))
