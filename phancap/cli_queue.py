"""`phancap inbox --as USER`: what awaits that user's decision now (engine/queue.py)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer

from phancap.console import JsonOpt, ctx, emit
from phancap.engine.queue import queue
from phancap.engine.visibility import TaskFilter


def _public(item: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "plan", "task", "title", "unit", "unit_name", "workflow", "state", "deadline", "category",
            "pending_deadline", "actions", "returned")
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
        f"{','.join(a['trigger'] for a in r['actions'])}" + ("\t(returned)" if r["returned"] else "") for r in rows)
        or "(nothing awaits you)")


def register(app: typer.Typer) -> None:
    app.command("inbox")(inbox)
