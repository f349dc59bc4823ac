"""`phancap units …`: the organisation units the loaded definitions hold (a group: later commands
such as succeed and rename join `list` here)."""

from __future__ import annotations

from typing import Annotated

import typer

from phancap.console import JsonOpt, ctx, emit
from phancap.engine.units import list_units

units_app = typer.Typer(no_args_is_help=True, help="Organisation units: codes, names, kinds, regions.")


@units_app.command("list")
def units_list(region: Annotated[str | None, typer.Option("--region", help="Registry, e.g. HN or KT.")] = None,
               as_json: JsonOpt = False) -> None:
    """List units (code, name, kind, region); the codes are what `user add --unit` takes."""
    rows = list_units(ctx().db, region)
    emit(rows, as_json, "\n".join(f"{r['code']}\t{r['kind']}\t{r['region']}\t{r['name']}" for r in rows)
         or "(no units: run `phancap load` first)")
