"""Shared fixtures: a real database per test, on SQLite and on PostgreSQL.

PostgreSQL tests use PHANCAP_TEST_PG_URL (default: the local server). They skip when it cannot be
reached, unless PHANCAP_REQUIRE_PG=1 (CI sets it), in which case they fail."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
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

PG_URL = os.environ.get("PHANCAP_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REQUIRE_PG = os.environ.get("PHANCAP_REQUIRE_PG") == "1"
START = "2025-04-01T09:00:00+07:00"  # the plans' first weeks: nothing is overdue yet
_counter = itertools.count()


CUCUMBER_JSON = "reports/cucumber.json"


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


def _pg_template(workflows: dict[str, WorkflowMachine], seeded: bool) -> Iterator[str]:
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
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture(scope="session")
def pg_template(workflows: dict[str, WorkflowMachine]) -> Iterator[str]:
    yield from _pg_template(workflows, seeded=False)


@pytest.fixture(scope="session")
def pg_seeded_template(workflows: dict[str, WorkflowMachine]) -> Iterator[str]:
    yield from _pg_template(workflows, seeded=True)


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
    name = f"phancap_t_{os.getpid()}_{next(_counter)}"
    with _pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with _pg_admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
