"""Shared pieces of the command line: the context (settings, clock, database), output, failure."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from phancap.engine.clock import Clock
from phancap.engine.db import Database
from phancap.engine.runtime import TaskEngine
from phancap.engine.settings import Settings
from phancap.engine.users import User, get_user
from phancap.engine.workflows import load_workflows

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON.")]


class Context:
    """The one Settings object (environment, with --db / --now on top), read once per command."""

    def __init__(self, database_url: str | None, now: str | None) -> None:
        self.settings = Settings.from_env(database_url, now=now)
        self.clock = self.settings.clock()
        self.db_given = bool(database_url)
        self.now_given = bool(now)
        self._db: Database | None = None
        self._workflows: Any = None
        self._engine: TaskEngine | None = None

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = Database.from_settings(self.settings)
        return self._db

    @property
    def workflows(self) -> Any:
        if self._workflows is None:
            self._workflows = load_workflows()
        return self._workflows

    def engine(self) -> TaskEngine:
        if self._engine is None:
            self._engine = TaskEngine(self.db, self.workflows, self.clock, due_soon_days=self.settings.due_soon_days)
        return self._engine

    def user(self, name: str) -> User:
        """The user named by --as, or a clean failure (exit 2)."""
        found = get_user(self.db, name)
        if found is None:
            fail(f"error: no user '{name}' (phancap user add creates one)", 2)
        assert found is not None
        return found


STATE: dict[str, Context] = {}


def ctx() -> Context:
    return STATE["ctx"]


def emit(data: Any, as_json: bool, text: str) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str) if as_json else text)


def fail(message: str, code: int = 1) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)
