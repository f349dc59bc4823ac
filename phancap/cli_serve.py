"""`phancap serve` and `phancap demo`: the settings object and the application are built here, in
this process, and handed to uvicorn; nothing is passed through os.environ."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from phancap.console import ctx, fail


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
              worker: Annotated[bool | None, typer.Option(
                  "--worker/--no-worker", help="Run the outbox worker and the scheduled deadline sweep in this process "
                  "(default: PHANCAP_SERVE_WORKER, else yes on SQLite, no on PostgreSQL).")] = None) -> None:
        """Run the web server over the configured database; logs go to stderr as JSON lines."""
        import uvicorn

        from phancap.api.app import create_app
        from phancap.api.settings import ApiSettings
        from phancap.engine import logs

        c = ctx()
        log_config = logs.dict_config(c.settings.log_level)
        # proxy_headers=False: uvicorn would otherwise take X-Forwarded-For from any loopback peer as the
        # client address; the application reads it itself, only from PHANCAP_TRUSTED_PROXIES.
        in_process = c.settings.runs_worker_in_serve() if worker is None else worker
        if workers > 1:
            if worker:
                fail("error: --worker runs in one process; with --workers > 1 run `phancap worker` beside the server", 2)
            # uvicorn starts each worker from an import string; a worker reads the environment itself,
            # so options given only to this process would be lost.
            if c.db_given or c.now_given:
                fail("error: --workers > 1 starts fresh processes that read the environment: "
                     "set DATABASE_URL / PHANCAP_NOW instead of --db / --now", 2)
            ApiSettings.from_settings(c.settings)  # a missing secret key stops here, not in every worker
            uvicorn.run("phancap.api.app:create_app", factory=True, host=host, port=port, workers=workers,
                        log_config=log_config, proxy_headers=False)
            return
        application = create_app(clock=c.clock, settings=c.settings, worker=in_process)
        uvicorn.run(application, host=host, port=port, log_config=log_config, proxy_headers=False)


    @app.command()
    def demo(path: Annotated[Path, typer.Option("--db-file", help="SQLite file to (re)create.")] = Path("phancap-demo.db"),
             host: str = "127.0.0.1", port: int = 8000, no_serve: Annotated[bool, typer.Option("--no-serve")] = False) -> None:
        """A fresh SQLite database with both seed plans loaded and instantiated, a demo user per role, the server.
        Its simulated clock starts on 1/4/2025, when the plans were new (unless --now or PHANCAP_NOW says
        otherwise); the pages' clock control moves it forward."""
        from phancap.demo import DEMO_PASSWORD, DEMO_START, build_demo

        c = ctx()
        settings = c.settings.model_copy(update={"database_url": f"sqlite:///{path.resolve()}", "demo": True,
                                                 "now": c.settings.now or DEMO_START})
        clock = settings.clock()
        users = build_demo(path, clock)
        typer.echo(f"demo database: {path.resolve()}  (simulated time: {clock.now().isoformat()})")
        typer.echo(f"demo users (password for all: {DEMO_PASSWORD}):")
        for user in users:
            typer.echo(f"  {user.name:<14} {user.unit:<10} {', '.join(user.roles)}")
        if no_serve:
            return
        import uvicorn

        from phancap.api.app import create_app
        from phancap.engine import logs

        # the same clock the pages move forward; its worker sweeps by that clock (at start, and when it is moved)
        application = create_app(clock=clock, settings=settings, worker=settings.runs_worker_in_serve())
        typer.echo(f"serving on http://{host}:{port}/")
        uvicorn.run(application, host=host, port=port, log_config=logs.dict_config(settings.log_level),
                    proxy_headers=False)
