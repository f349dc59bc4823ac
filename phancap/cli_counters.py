"""`phancap counters verify|rebuild`: the status counters (engine/counters.py) checked against the instances,
and rewritten from them (audited) should they differ."""

from __future__ import annotations

from typing import Annotated

import typer

from phancap.console import JsonOpt, ctx, emit
from phancap.engine.clock import stamp
from phancap.engine.counters import rebuild, verify

counters_app = typer.Typer(no_args_is_help=True, help="Status counters: verify against the instances, rebuild.")


@counters_app.command("verify")
def counters_verify(as_json: JsonOpt = False) -> None:
    """Recount every counter from the task instances; name each difference; exit 1 when there is one."""
    found = verify(ctx().db)
    emit({"ok": not found, "differences": [d.to_json() for d in found]}, as_json,
         "\n".join(d.line() for d in found) or "counters agree with the instances")
    if found:
        raise typer.Exit(1)


@counters_app.command("rebuild")
def counters_rebuild(actor: Annotated[str, typer.Option("--as", help="The administrator (audited).")],
                     comment: Annotated[str | None, typer.Option("--comment", help="Why (kept with the admin event).")] = None,
                     as_json: JsonOpt = False) -> None:
    """Rewrite every counter from the task instances (e.g. after a raw bulk load); an admin event."""
    c = ctx()
    result = rebuild(c.db, c.user(actor), stamp(c.clock.now()), comment)
    emit(result, as_json, f"rebuilt: {len(result['repaired'])} differences repaired; rows {result['rows']}")


def register(app: typer.Typer) -> None:
    app.add_typer(counters_app, name="counters")
