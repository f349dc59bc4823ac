"""`phancap inbox --as USER`: what awaits that user's decision now (engine/queue.py); `phancap assign`:
the head of the lead unit assigns a task to one of its officers (engine/assignment.py)."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

import typer

from phancap.console import JsonOpt, ctx, emit, fail
from phancap.engine.assignment import assign_officer
from phancap.engine.errors import Refusal, TransitionNotAllowed
from phancap.engine.queue import queue
from phancap.engine.visibility import TaskFilter


def _public(item: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "plan", "task", "title", "unit", "unit_name", "workflow", "state", "deadline", "category",
            "pending_deadline", "assignee", "assignee_name", "actions", "returned")
    return {k: (item[k].isoformat() if isinstance(item.get(k), date) else item.get(k)) for k in keys}


def inbox(as_user: Annotated[str, typer.Option("--as", help="User name.")],
          plan: Annotated[str | None, typer.Option("--plan")] = None,
          state: Annotated[str | None, typer.Option("--state")] = None,
          category: Annotated[str | None, typer.Option("--category", help="open_overdue, open_on_time …")] = None,
          unit: Annotated[str | None, typer.Option("--unit", help="The lead unit.")] = None,
          search: Annotated[str | None, typer.Option("--search", help="Words, with or without diacritics.")] = None,
          limit: Annotated[int, typer.Option("--limit")] = 100, offset: Annotated[int, typer.Option("--offset")] = 0,
          as_json: JsonOpt = False) -> None:
    """What awaits USER's decision now (id, plan, task, unit, state, deadline, category, actions), overdue
    first, then the nearest deadline; a returned task says who returned it and why."""
    c = ctx()
    found = queue(c.engine(), c.user(as_user), TaskFilter(plan=plan, state=state, category=category, unit=unit, q=search),
                  limit=limit, offset=offset)
    rows = [_public(i) for i in found.items]
    emit(rows, as_json, "\n".join(
        f"{r['id']}\t{r['plan']}\t{r['task']}\t{r['unit']}\t{r['state']}\t{r['deadline'] or '-'}\t"
        f"{','.join(a['trigger'] for a in r['actions'])}" + ("\t(returned)" if r["returned"] else "")
        + (f"\t(assigned to {r['assignee']})" if r["assignee"] else "") for r in rows)
        or "(nothing awaits you)")


def assign(task: int, as_user: Annotated[str, typer.Option("--as", help="The head of the lead unit.")],
           to: Annotated[str | None, typer.Option("--to", help="The officer of the unit who handles the task.")] = None,
           unassign: Annotated[bool, typer.Option("--unassign", help="Assign it to nobody in particular.")] = False,
           comment: Annotated[str | None, typer.Option("--comment")] = None,
           version: Annotated[int | None, typer.Option("--version", help="Refuse unless the task is at this version.")] = None,
           as_json: JsonOpt = False) -> None:
    """Assign TASK to officer USER of its lead unit (or --unassign), as the unit's head: one audited event;
    exits 3 with the rule and reason when refused (not the head, another unit's or an inactive user, an ended task)."""
    if (to is None) == (not unassign):
        fail("error: give --to USER or --unassign", 2)
    try:
        done = assign_officer(ctx().engine(), task, as_user, None if unassign else to, version=version, comment=comment)
    except Refusal as exc:
        if as_json:
            body = exc.to_json() if isinstance(exc, TransitionNotAllowed) else exc.body()
            typer.echo(json.dumps(body, ensure_ascii=False), err=True)
        fail(exc.line(), 3)
        return
    emit(done, as_json, f"{task}\t{done['assignee'] or '(unassigned)'}\tversion {done['version']}")


def register(app: typer.Typer) -> None:
    app.command("inbox")(inbox)
    app.command("assign")(assign)
