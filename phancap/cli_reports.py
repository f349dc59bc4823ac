"""`phancap progress`, `urge`, `reports …`, `difficulty …`: following a plan's execution."""

from __future__ import annotations

import json
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
