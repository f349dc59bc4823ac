"""`phancap audit …`: verify, export, checkpoint."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from phancap.engine.queries import verify_audit
from phancap.console import JsonOpt, ctx, emit, fail

audit_app = typer.Typer(no_args_is_help=True, help="The audit trail.")


@audit_app.command("export")
def audit_export(out: Annotated[Path | None, typer.Option("--out", "-o", help="File (default: stdout).")] = None) -> None:
    """Every audit event as JSON Lines, ordered by task and sequence."""
    from phancap.engine.audit_export import export_events

    lines = (json.dumps(e, ensure_ascii=False) + "\n" for e in export_events(ctx().db))
    if out is None:
        for line in lines:
            sys.stdout.write(line)
    else:
        with out.open("w", encoding="utf-8") as handle:
            handle.writelines(lines)


@audit_app.command("checkpoint")
def audit_checkpoint(out: Annotated[Path | None, typer.Option("--out", "-o")] = None) -> None:
    """Every task's state, version and newest hash, to keep elsewhere for offline verification."""
    from phancap.engine.audit_export import checkpoint

    data = json.dumps(checkpoint(ctx().db), ensure_ascii=False, indent=1)
    if out is None:
        typer.echo(data)
    else:
        out.write_text(data, encoding="utf-8")


@audit_app.command("verify")
def audit_verify(
    events: Annotated[Path | None, typer.Option("--events", help="Verify an export offline instead of the database.")] = None,
    point: Annotated[Path | None, typer.Option("--checkpoint", help="The checkpoint to verify the export against.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Recompute every task's hash chain and checkpoint; name every edited, deleted, inserted or reordered event."""
    if events is not None or point is not None:
        from phancap.engine.audit_export import read_jsonl, verify_offline

        if events is None or point is None:
            fail("error: offline verification needs both --events and --checkpoint", 2)
            return
        with events.open(encoding="utf-8") as handle:
            report = verify_offline(read_jsonl(handle), json.loads(point.read_text(encoding="utf-8")))
    else:
        report = verify_audit(ctx().db)
    emit(report.to_json(), as_json, "\n".join(report.problems) if report.problems else
         f"OK: {report.events} events of {report.tasks} tasks verify")
    if not report.ok:
        raise typer.Exit(1)
