"""What every request needs, built once per application: database, engine, clock, settings, signer."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fastapi.templating import Jinja2Templates

from phancap.api.security import Signer
from phancap.api.settings import ApiSettings
from phancap.engine.accounts import LoginPolicy
from phancap.engine.clock import Clock
from phancap.engine.db import Database
from phancap.engine.importer import ImportLimits
from phancap.engine.machine import WorkflowMachine
from phancap.engine.notify import Notifier, NotifySettings
from phancap.engine.runtime import TaskEngine
from phancap.engine.worker import Worker

HERE = Path(__file__).parent


@dataclass
class Services:
    db: Database
    workflows: dict[str, WorkflowMachine]
    clock: Clock
    settings: ApiSettings
    notify: NotifySettings = field(default_factory=NotifySettings)
    due_soon_days: int = 3
    import_limits: ImportLimits = field(default_factory=ImportLimits)  # PHANCAP_IMPORT_MAX_*
    engine: TaskEngine = field(init=False)
    signer: Signer = field(init=False)
    templates: Jinja2Templates = field(init=False)
    worker: Worker | None = None  # the in-process worker (`phancap serve` on SQLite), woken by a queued notice

    def __post_init__(self) -> None:
        self.engine = TaskEngine(self.db, self.workflows, self.clock, due_soon_days=self.due_soon_days)
        # Expiry follows the engine's clock (a test moves it instead of sleeping), except in demo mode,
        # whose clock control jumps days ahead on purpose and must not sign everybody out.
        # Each signed cookie and token carries a session id that must also be a row of auth_session.
        self.signer = Signer(self.settings.secret_key, Clock() if self.settings.demo else self.clock, db=self.db,
                             token_ttl=self.settings.token_ttl, session_ttl=self.settings.session_ttl)
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        from phancap.api.pages.render import install_filters

        install_filters(self.templates.env)

    def close(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker.join(self.notify.timeout + 5)

    def wake_worker(self) -> None:
        """A notice was queued in the outbox: the in-process worker (if any) delivers it now, not at its next poll."""
        if self.worker is not None:
            self.worker.wake()

    def notifier(self) -> Notifier:
        """Urging notices (e-mail, webhook) as configured by PHANCAP_SMTP_* / PHANCAP_WEBHOOK_*, written to the outbox."""
        return Notifier(self.db, self.notify)

    @property
    def login_policy(self) -> LoginPolicy:
        s = self.settings
        return LoginPolicy(max_failures=s.login_max_failures, source_max_failures=s.login_source_max_failures,
                           window=s.login_window, backoff=s.login_backoff, max_delay=s.login_window)

    def state_label(self, workflow: str, state: str | None) -> str:
        if state is None:
            return ""
        machine = self.workflows.get(workflow)
        if machine and state in machine.workflow.states:
            return machine.workflow.states[state].label
        return state
