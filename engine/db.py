"""Database access: SQLite (embedded default) or PostgreSQL, one SQLAlchemy engine per Database.

Writes that read then write go through `write()`, a raw DB-API transaction: SQLite takes the
write lock up front (BEGIN IMMEDIATE), PostgreSQL locks rows with FOR UPDATE."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from phancap.engine.settings import Settings, normalise_url

if TYPE_CHECKING:  # alembic loads in 0.23 s, and a server process only needs it to upgrade
    from alembic.config import Config


CONNECT_TIMEOUT = 10  # seconds, PostgreSQL
_WRITES = "phancap_writes"  # execution option: this connection's transaction will write (BEGIN IMMEDIATE on SQLite)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Database:
    def __init__(self, url: str, *, sqlite_synchronous: str = "FULL", pooled: bool = True) -> None:
        self.url = normalise_url(url)
        self.is_sqlite = self.url.startswith("sqlite")
        kwargs: dict[str, Any] = {}
        if not pooled:
            kwargs["poolclass"] = NullPool
        elif not self.is_sqlite:
            # no pre-ping: it costs a round trip per checkout (~100 µs measured); recycle instead
            kwargs.update(pool_size=10, max_overflow=20, pool_recycle=1800)
        if not self.is_sqlite:
            # a server that does not answer (down, firewalled) fails a request in seconds, not in the
            # operating system's minutes: the web layer answers 503 and /healthz says why
            kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT}
        self.engine: Engine = create_engine(self.url, **kwargs)
        self._sql_cache: dict[str, str] = {}
        # SQLite writes go through one long-lived connection per thread: checking a pooled one out and
        # back in (with its reset) cost about a tenth of a durable transition (bench/engine_bench.py).
        self._writers = threading.local()
        self._all_writers: list[Any] = []
        self._writers_lock = threading.Lock()
        if self.is_sqlite:
            self._configure_sqlite(sqlite_synchronous)

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **kwargs: Any) -> Database:
        settings = settings or Settings.from_env()
        return cls(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous, **kwargs)

    def _configure_sqlite(self, synchronous: str) -> None:
        @event.listens_for(self.engine, "connect")
        def on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Take transactions into our own hands (SQLAlchemy's documented pysqlite recipe).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA synchronous={synchronous}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()
            dbapi_conn.create_function("sha256_hex", 1, sha256_hex, deterministic=True)

        @event.listens_for(self.engine, "begin")
        def on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITES) else "BEGIN")

    def sql(self, statement: str) -> str:
        """Statements are written with `?` placeholders; PostgreSQL's driver wants `%s`."""
        if self.is_sqlite:
            return statement
        cached = self._sql_cache.get(statement)
        if cached is None:
            cached = self._sql_cache[statement] = re.sub(r"\?", "%s", statement)
        return cached

    def _sqlite_writer(self) -> Any:
        conn = getattr(self._writers, "conn", None)
        if conn is None:
            pooled = self.engine.raw_connection()
            conn = self._writers.conn = pooled.dbapi_connection
            pooled.detach()  # ours for this thread's life; closed by dispose()
            with self._writers_lock:
                self._all_writers.append(conn)
        return conn

    @contextmanager
    def write(self) -> Iterator[Any]:
        """One database transaction on a raw DB-API cursor; commits on success, rolls back on error."""
        if self.is_sqlite:
            conn = self._sqlite_writer()
            cur = conn.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                conn.rollback()
                raise
            conn.commit()
            cur.close()
            return
        pooled = self.engine.raw_connection()
        try:
            cur = pooled.cursor()
            try:
                yield cur
            except BaseException:
                pooled.rollback()
                raise
            pooled.commit()
            cur.close()
        finally:
            pooled.close()

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One write transaction on an SQLAlchemy connection; commits on success, rolls back on error. On SQLite it
        takes the write lock at BEGIN: a deferred transaction that reads and then writes fails at once with
        "database is locked" when another connection committed in between (WAL's snapshot rule: the busy timeout
        does not wait for that), as a worker's heartbeat can beside an officer's request."""
        with self.engine.connect().execution_options(**{_WRITES: True}) as conn, conn.begin():
            yield conn

    @contextmanager
    def read(self) -> Iterator[Any]:
        conn = self.engine.raw_connection()
        try:
            cur = conn.cursor()
            yield cur
            cur.close()
            conn.rollback()
        finally:
            conn.close()

    def session(self) -> Session:
        return Session(self.engine)

    def alembic_config(self) -> Config:
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(resources.files("phancap.engine") / "migrations"))
        return config

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (Alembic owns the schema)."""
        from alembic import command

        config = self.alembic_config()
        with self.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    def dispose(self) -> None:
        with self._writers_lock:
            for conn in self._all_writers:
                conn.close()
            self._all_writers.clear()
        self._writers = threading.local()
        self.engine.dispose()
