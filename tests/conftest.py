"""Shared fixtures: a real database per test, on SQLite and on PostgreSQL.

PostgreSQL tests use PHANCAP_TEST_PG_URL (default: the local server). They skip when it cannot be
reached, unless PHANCAP_REQUIRE_PG=1 (CI sets it), in which case they fail."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import threading
from collections import defaultdict, deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from argon2 import PasswordHasher
from sqlalchemy.engine import make_url

from phancap.engine.clock import Clock
from phancap.engine.db import Database
from phancap.engine.instantiate import instantiate
from phancap.engine.loader import read_definitions, store_definitions
from phancap.engine.machine import WorkflowMachine
from phancap.engine.runtime import TaskEngine
from phancap.engine.users import add_user
from phancap.engine.workflows import load_workflows
from phancap.demo import DEMO_USERS
from phancap.engine import passwords

PG_URL = os.environ.get("PHANCAP_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REQUIRE_PG = os.environ.get("PHANCAP_REQUIRE_PG") == "1"
START = "2025-04-01T09:00:00+07:00"  # the plans' first weeks: nothing is overdue yet
_counter = itertools.count()


CUCUMBER_JSON = "reports/cucumber.json"

# In this process passwords are hashed with argon2id at low cost (t=1, 8 MiB): the same code and checks,
# ~100× cheaper than the shipped profile, which every sign-in of the suite would otherwise pay for.
# Processes the tests start (the CLI, servers) keep the shipped one; test_passwords.py checks it.
SHIPPED_HASHER = passwords.HASHER
passwords.HASHER = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """A full run, or one that selects the BDD scenarios, writes the Cucumber JSON report the /dac-ta
    page shows (unless --cucumberjson says where); a run of other tests leaves the last report alone."""
    if getattr(config.option, "cucumber_json_path", None) is None:
        args = [str(a) for a in config.args]
        full = not args or all(Path(a).resolve() == Path(config.rootpath, "tests").resolve() for a in args)
        bdd = any("bdd" in a or "features" in a for a in args) or "bdd" in (config.option.markexpr or "")
        if full or bdd:
            config.option.cucumber_json_path = str(Path(config.rootpath, CUCUMBER_JSON))
    path = getattr(config.option, "cucumber_json_path", None)
    if path:
        Path(path).resolve().parent.mkdir(parents=True, exist_ok=True)


_BDD_SCENARIO = "pytest_bdd_scenario"


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """On a pytest-xdist worker: carry pytest-bdd's record of the scenario (kept beside the report, which
    is not sent to the controller) in the report's user_properties, which are."""
    outcome = yield
    if hasattr(item.config, "workerinput"):
        from pytest_bdd.reporting import test_report_context_registry

        report = outcome.get_result()
        context = test_report_context_registry.get(report)
        if context is not None:
            report.user_properties.append((_BDD_SCENARIO, {"scenario": context.scenario, "name": context.name}))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """On the controller of a pytest-xdist run: give pytest-bdd back its record of the scenario, so the
    Cucumber JSON report holds the scenarios every worker ran."""
    from pytest_bdd.reporting import ReportContext, test_report_context_registry

    for key, value in report.user_properties:
        if key == _BDD_SCENARIO and report not in test_report_context_registry:
            test_report_context_registry[report] = ReportContext(scenario=value["scenario"], name=value["name"])


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """The Cucumber JSON report in one order whatever order the tests ran in (pytest-xdist workers finish
    in any order): features by file, scenarios by line, then by name (the backend in brackets)."""
    path = getattr(session.config.option, "cucumber_json_path", None)
    if not path or hasattr(session.config, "workerinput") or not Path(path).is_file():
        return
    features = json.loads(Path(path).read_text(encoding="utf-8"))
    for feature in features:
        feature["elements"].sort(key=lambda e: (e.get("line", 0), e.get("id", "")))
    features.sort(key=lambda f: f.get("uri", ""))
    Path(path).write_text(json.dumps(features), encoding="utf-8")


def _pg_admin() -> psycopg.Connection:
    return psycopg.connect(PG_URL, autocommit=True, connect_timeout=3)


def _pg_available() -> str | None:
    try:
        with _pg_admin():
            return None
    except psycopg.OperationalError as exc:
        return str(exc).strip().splitlines()[0]


@pytest.fixture(scope="session")
def workflows() -> dict[str, WorkflowMachine]:
    return load_workflows()


def _prepare(url: str, workflows: dict[str, WorkflowMachine], seeded: bool) -> None:
    """The schema and the shipped definitions; seeded: both plans instantiated and the demo users too."""
    db = Database(url, pooled=False)
    clock = Clock.parse(START)
    try:
        db.upgrade()
        store_definitions(db, read_definitions(None, set(workflows)), clock)
        if seeded:
            for plan in ("HN-2025", "KT-2025"):
                instantiate(db, plan, workflows, clock)
            for name, unit, roles in DEMO_USERS:
                add_user(db, name, unit, list(roles), clock)
    finally:
        db.dispose()


def _sqlite_template(factory: pytest.TempPathFactory, workflows: dict[str, WorkflowMachine], seeded: bool) -> Path:
    path = factory.mktemp("template") / "template.db"
    _prepare(f"sqlite:///{path}", workflows, seeded)
    return path


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory, workflows: dict[str, WorkflowMachine]) -> Path:
    return _sqlite_template(tmp_path_factory, workflows, seeded=False)


@pytest.fixture(scope="session")
def sqlite_seeded_template(tmp_path_factory: pytest.TempPathFactory, workflows: dict[str, WorkflowMachine]) -> Path:
    return _sqlite_template(tmp_path_factory, workflows, seeded=True)


class PgClones:
    """Fresh PostgreSQL databases cloned from the templates by background threads, a few ahead of the
    tests that take them, and dropped by them after: every test still gets its own database, a
    `CREATE DATABASE … TEMPLATE` copy no other test touched, but the copying and dropping (a second or
    more each, mostly the server waiting for its disk; several at once take hardly longer than one)
    overlap with the tests instead of adding to them. A template must have no other connection while it
    is copied: only these threads copy, and nothing connects to a template after it is prepared."""

    AHEAD = 3  # clones kept ready per template
    THREADS = 4

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=self.THREADS, thread_name_prefix="pg-clones")
        self._ready: dict[str, deque[Future[str]]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._errors: list[str] = []

    @staticmethod
    def _create(template: str) -> str:
        name = f"phancap_t_{os.getpid()}_{next(_counter)}"
        with _pg_admin() as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    def _drop(self, name: str) -> None:
        try:
            with _pg_admin() as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except Exception as exc:  # noqa: BLE001 - reported at the end of the session (close)
            with self._lock:
                self._errors.append(f"could not drop {name}: {exc}")

    def take(self, template: str) -> str:
        """A new database cloned from `template`, for one test; give it back with release()."""
        with self._lock:
            ready = self._ready[template]
            if not ready:
                ready.append(self._executor.submit(self._create, template))
            first = ready.popleft()
            while len(ready) < self.AHEAD:
                ready.append(self._executor.submit(self._create, template))
        return first.result()

    def release(self, name: str) -> None:
        """Drop a test's database (in the background: the next test need not wait for it)."""
        self._executor.submit(self._drop, name)

    def forget(self, template: str) -> None:
        """Before `template` is dropped: wait for its clones in flight and drop the ones no test took."""
        with self._lock:
            ready = self._ready.pop(template, deque())
        drops = []
        for future in ready:
            try:
                name = future.result()
            except Exception:  # noqa: BLE001 - a clone no test asked for; nothing to drop
                continue
            drops.append(self._executor.submit(self._drop, name))
        for drop in drops:
            drop.result()

    def close(self) -> None:
        for template in list(self._ready):
            self.forget(template)
        self._executor.shutdown(wait=True)
        if self._errors:
            raise RuntimeError("; ".join(self._errors))


@pytest.fixture(scope="session")
def pg_clones() -> Iterator[PgClones]:
    """Requested before any PostgreSQL template, so it is closed after the templates are dropped (each
    template's fixture forgets its own clones first)."""
    clones = PgClones()
    yield clones
    clones.close()


def _pg_template(clones: PgClones, workflows: dict[str, WorkflowMachine], seeded: bool) -> Iterator[str]:
    reason = _pg_available()
    if reason:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required (PHANCAP_REQUIRE_PG=1) but unreachable at {PG_URL}: {reason}")
        pytest.skip(f"PostgreSQL unreachable at {PG_URL}: {reason}")
    name = f"phancap_tpl_{os.getpid()}_{'seeded' if seeded else 'empty'}"
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    _prepare(make_url(PG_URL).set(database=name).render_as_string(hide_password=False), workflows, seeded)
    yield name
    clones.forget(name)
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture(scope="session")
def pg_template(pg_clones: PgClones, workflows: dict[str, WorkflowMachine]) -> Iterator[str]:
    yield from _pg_template(pg_clones, workflows, seeded=False)


@pytest.fixture(scope="session")
def pg_seeded_template(pg_clones: PgClones, workflows: dict[str, WorkflowMachine]) -> Iterator[str]:
    yield from _pg_template(pg_clones, workflows, seeded=True)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database with the schema and the shipped definitions loaded; when the test also asks
    for `seeded`, both plans are instantiated and the demo users exist (copied from a template)."""
    seeded = "seeded" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "phancap.db"
        shutil.copy(request.getfixturevalue("sqlite_seeded_template" if seeded else "sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    template = request.getfixturevalue("pg_seeded_template" if seeded else "pg_template")
    clones: PgClones = request.getfixturevalue("pg_clones")
    name = clones.take(template)
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    clones.release(name)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock.parse(START)


@pytest.fixture
def engine(db: Database, workflows: dict[str, WorkflowMachine], clock: Clock) -> TaskEngine:
    return TaskEngine(db, workflows, clock)


@pytest.fixture
def seeded(engine: TaskEngine) -> TaskEngine:
    """Both seed plans instantiated at START and the demo users (no passwords) created: the database
    comes from the seeded template (see database_url)."""
    return engine
