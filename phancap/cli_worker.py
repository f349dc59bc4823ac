"""`phancap worker`: deliver the outbox with retries and run the deadline sweep on its schedule (engine/worker.py);
`phancap outbox`: the deliveries and their status; `phancap outbox retry ID`: try a failed one again."""

from __future__ import annotations

import signal
from typing import Annotated, Any

import typer

from phancap.console import JsonOpt, ctx, emit, fail

outbox_app = typer.Typer(help="The outbox: e-mails and webhooks waiting, delivered or failed.", no_args_is_help=False,
                         invoke_without_command=True)


def make_worker(name: str | None = None) -> Any:
    from phancap.engine.notify import Sender
    from phancap.engine.worker import Worker

    c = ctx()
    return Worker(c.db, c.workflows, c.clock, Sender(c.settings.notify()), c.settings.worker(), name=name)


def worker(once: Annotated[bool, typer.Option("--once", help="One pass (due sweep, due deliveries, heartbeat), "
                                              "then exit.")] = False,
           name: Annotated[str | None, typer.Option("--name", help="This worker's name in the heartbeats "
                                                    "(default host:pid:n).")] = None,
           as_json: JsonOpt = False) -> None:
    """Deliver the outbox (retries with backoff) and run the deadline sweep every PHANCAP_SWEEP_MINUTES and just
    after midnight Việt Nam time; several may run against one PostgreSQL database. Stops cleanly on SIGTERM."""
    running = make_worker(name)
    if once:
        done = running.run_once()
        swept = f"; sweep marked {done.sweep.marked}" if done.sweep else ""
        emit(done.to_json(), as_json, f"delivered {done.delivered}, retrying {done.retrying}, failed {done.failed}{swept}")
        return
    from phancap.engine import logs

    logs.configure(ctx().settings.log_level)  # a long-running process: JSON lines on stderr, as `serve` writes
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: running.stop())
    running.run()


@outbox_app.callback()
def outbox_list(context: typer.Context,
                status: Annotated[str | None, typer.Option("--status", help="pending, delivered or failed.")] = None,
                limit: int = 50, as_json: JsonOpt = False) -> None:
    """The newest deliveries (every registry's: the console operator sees all)."""
    if context.invoked_subcommand is not None:
        return
    from phancap.engine.outbox import STATUSES, list_deliveries

    if status is not None and status not in STATUSES:
        fail(f"error: --status must be one of {', '.join(STATUSES)}", 2)
    rows = list_deliveries(ctx().db, region=None, status=status, limit=limit)
    emit(rows, as_json, "\n".join(
        f"{r['id']}\t{r['kind']}\t{r['status']}\t{r['attempts']}\t{r['to'] or ''}\t{r['last_error'] or ''}"
        for r in rows) or "no deliveries")


@outbox_app.command("retry")
def outbox_retry(delivery: int, as_json: JsonOpt = False) -> None:
    """A failed delivery pending again, due now, its attempts counted afresh."""
    from phancap.engine.outbox import retry

    c = ctx()
    if not retry(c.db, delivery, c.clock.now()):
        fail(f"error: no failed delivery {delivery}", 1)
    emit({"retried": delivery}, as_json, f"delivery {delivery} pending again")


def register(app: typer.Typer) -> None:
    app.command()(worker)
    app.add_typer(outbox_app, name="outbox")
