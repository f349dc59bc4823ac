"""`phancap audit …`: verify, export, checkpoint."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from collections.abc import Iterable
from typing import Annotated, Any

import typer

from phancap.console import JsonOpt, ctx, emit, fail

audit_app = typer.Typer(no_args_is_help=True, help="The audit trail.")


@audit_app.command("export")
def audit_export(
    out: Annotated[Path | None, typer.Option("--out", "-o", help="File (default: stdout).")] = None,
    after: Annotated[int | None, typer.Option("--after", min=0, help="One page by keyset: the events with an id "
                                              "above this, in id order; the next page's --after goes to stderr.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Events per page with --after.")] = 1000,
) -> None:
    """Every audit event as JSON Lines, ordered by task and sequence (or one page in id order with --after)."""
    from phancap.engine.audit_export import export_events, export_page

    if after is not None:
        page, cursor = export_page(ctx().db, after, limit)
        typer.echo(f"next: {cursor if cursor is not None else 'none'}", err=True)
        events: Iterable[dict[str, Any]] = page
    else:
        events = export_events(ctx().db)
    lines = (json.dumps(e, ensure_ascii=False) + "\n" for e in events)
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
    incremental: Annotated[bool, typer.Option("--incremental", help="Only the events after the newest good "
                                              "checkpoint (what that can and cannot catch: engine/audit_checkpoint.py).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Recompute every task's hash chain and checkpoint; name every edited, deleted, inserted or reordered event.
    Each run on the database is recorded as a checkpoint (full by default)."""
    if events is not None or point is not None:
        from phancap.engine.audit_export import read_jsonl, verify_offline

        if events is None or point is None:
            fail("error: offline verification needs both --events and --checkpoint", 2)
            return
        with events.open(encoding="utf-8") as handle:
            report = verify_offline(read_jsonl(handle), json.loads(point.read_text(encoding="utf-8")))
        emit(report.to_json(), as_json, "\n".join(report.problems) if report.problems else
             f"OK: {report.events} events of {report.tasks} tasks verify")
    else:
        from phancap.engine.audit_checkpoint import verify_full, verify_incremental
        from phancap.engine.clock import stamp

        run = verify_incremental if incremental else verify_full
        report, checkpoint = run(ctx().db, "cli", stamp(ctx().clock.now()))
        done = (f"OK: {report.events} events of {report.tasks} tasks verify" if not incremental else
                f"OK: {report.events} new events of {report.tasks} tasks verify (checked up to event {checkpoint.up_to_event})")
        emit({**report.to_json(), "checkpoint": checkpoint.to_json()}, as_json,
             "\n".join(report.problems) if report.problems else done)
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("partitions")
def audit_partitions(ahead: Annotated[int, typer.Option("--ahead", min=0, help="Months after this one.")] = 3,
                     as_json: JsonOpt = False) -> None:
    """PostgreSQL: create the monthly audit partitions from this month on that are missing (run it ahead, e.g. with
    the daily tick: events of a month not created yet go to the default partition and stay there)."""
    from phancap.engine.audit_partitions import ensure_ahead

    created = ensure_ahead(ctx().db, ctx().clock.today(), ahead)
    emit({"created": created}, as_json, "\n".join(created) if created else "nothing to create")
