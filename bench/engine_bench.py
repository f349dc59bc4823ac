#!/usr/bin/env python3
"""Persisted, role-checked, audited transitions per second: the engine against the raw driver limit.

Not a test. One run measures, on the same disk and with the same durability:

* engine: TaskEngine.fire() — one transaction per transition: lock + read the task and the user,
  the shared workflow machine decides (state, role relative to the task, requirements), then
  UPDATE task_instance + INSERT audit_event with the sha256 hash chain;
* raw: the driver alone doing the same UPDATE + INSERT (the engine's own statements, values
  precomputed outside the timed loop) in one transaction per transition.

SQLite: WAL, synchronous=FULL, foreign_keys=ON on both sides, files in the same directory.
PostgreSQL: two scratch databases (created here, dropped at the end), psycopg 3 on both sides.

The workload cycles over every plan_task instance of both shipped plans: the lead unit's officer
`submit_for_review` (assigned -> in_review), the focal unit's reviewer `return` with a comment
(in_review -> assigned). Every fire is checked to succeed; both databases' audit chains are
verified at the end. Engine and raw runs alternate (engine first in odd rounds, raw first in even
ones); the reported figures are the best of the rounds, the per-round figures are included.

    python bench/engine_bench.py [--n 5000] [--rounds 3] [--only sqlite|postgresql] [--dir DIR]
                                 [--pg-url URL] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import platform
import pstats
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from phancap.engine import runtime  # noqa: E402
from phancap.engine.audit import HASHED_FIELDS, event_hash, snapshot_json  # noqa: E402
from phancap.engine.clock import Clock, stamp  # noqa: E402
from phancap.engine.db import Database  # noqa: E402
from phancap.engine.instantiate import instantiate  # noqa: E402
from phancap.engine.loader import read_definitions, store_definitions  # noqa: E402
from phancap.engine.queries import verify_audit  # noqa: E402
from phancap.engine.runtime import TaskEngine  # noqa: E402
from phancap.engine.users import add_user  # noqa: E402
from phancap.engine.workflows import load_workflows  # noqa: E402

START = "2025-04-01T09:00:00+07:00"  # fixed clock: the plans' first weeks, nothing overdue
PLANS = ("HN-2025", "KT-2025")
COMMENT = "Bổ sung số liệu, gửi lại"
PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_ENGINE_DB, PG_RAW_DB = "phancap_bench", "phancap_bench_raw"


def _update_columns() -> list[str]:
    """The task_instance columns the engine's UPDATE sets (read from its statement, so the raw side
    writes the same columns as the schema evolves)."""
    statement = getattr(runtime, "_UPDATE_TASK", "")
    set_part = statement.split(" SET ", 1)[-1].split(" WHERE ", 1)[0]
    return re.findall(r"(\w+)\s*=", set_part) or ["state", "stage", "version", "state_since", "last_hash"]


UPDATE_COLUMNS = _update_columns()
EVENT_COLUMNS = (*HASHED_FIELDS, "prev_hash", "hash", "snapshot")
# what the snapshot needs beside the updated columns (engine/audit.py), read with each task
SNAPSHOT_EXTRA = ("authority", "monitor", "justice", "coordinators", "complex",
                  "(SELECT p.definition_sha256 FROM plan p WHERE p.code = task_instance.plan)")
RAW_UPDATE = (f"UPDATE task_instance SET {', '.join(c + ' = ?' for c in UPDATE_COLUMNS)} "
              "WHERE id = ? AND version = ?")
RAW_INSERT = f"INSERT INTO audit_event ({', '.join(EVENT_COLUMNS)}) VALUES ({', '.join('?' for _ in EVENT_COLUMNS)})"


@dataclass(frozen=True)
class Step:
    task_id: int
    trigger: str
    actor: str
    comment: str | None
    version: int  # the version the task is at before this step
    update: tuple[Any, ...]  # raw side: RAW_UPDATE parameters (what the engine writes)
    insert: tuple[Any, ...]  # raw side: RAW_INSERT parameters (what the engine writes)


def bench_user(unit: str, role: str = "officer") -> str:
    """One officer and one reviewer per unit: separation of duties refuses one person doing both steps."""
    return f"bench.{unit}" if role == "officer" else f"bench.{role}.{unit}"


# ---------------------------------------------------------------------------------------------
# Preparing a database and the workload


def prepare(url: str, workflows: dict[str, Any], clock: Clock) -> int:
    """Schema, shipped definitions, both plans instantiated, one officer and one reviewer per unit."""
    db = Database(url, pooled=False)
    try:
        db.upgrade()
        store_definitions(db, read_definitions(None, set(workflows)), clock)
        for plan in PLANS:
            instantiate(db, plan, workflows, clock)
        with db.read() as cur:
            cur.execute("SELECT code FROM unit ORDER BY code")
            units = [r[0] for r in cur.fetchall()]
        for unit in units:
            add_user(db, bench_user(unit), unit, ["officer"], clock)
            add_user(db, bench_user(unit, "reviewer"), unit, ["reviewer"], clock)
        with db.read() as cur:
            cur.execute("SELECT COUNT(*) FROM task_instance WHERE workflow = 'plan_task'")
            return int(cur.fetchone()[0])
    finally:
        db.dispose()


def plan_steps(db: Database, n: int, clock: Clock) -> list[Step]:
    """n transitions round-robin over the plan_task instances, from their current state."""
    with db.read() as cur:
        cur.execute(db.sql(
            f"SELECT id, state, version, unit, focal, last_hash, {', '.join(UPDATE_COLUMNS)}, {', '.join(SNAPSHOT_EXTRA)} "
            "FROM task_instance WHERE workflow = ? AND state IN (?, ?) ORDER BY id"), ("plan_task", "assigned", "in_review"))
        width = 6 + len(UPDATE_COLUMNS)
        tasks = [(list(r[:6]), dict(zip(UPDATE_COLUMNS, r[6:width])), r[width:]) for r in cur.fetchall()]
    if not tasks:
        raise SystemExit("no plan_task instance to cycle over")
    at = stamp(clock.now())
    steps: list[Step] = []
    for i in range(n):
        task, columns, extra = tasks[i % len(tasks)]
        task_id, state, version, unit, focal, last_hash = task
        authority, monitor, justice, coordinators, complex_, plan_version = extra
        if state == "assigned":
            trigger, to_state, actor, actor_unit, role, comment = (
                "submit_for_review", "in_review", bench_user(unit), unit, "officer", None)
        else:
            trigger, to_state, actor, actor_unit, role, comment = (
                "return", "assigned", bench_user(focal, "reviewer"), focal, "reviewer", COMMENT)
        seq = version + 1
        event = dict.fromkeys(HASHED_FIELDS)
        event.update(task_id=task_id, seq=seq, trigger=trigger, from_state=state, to_state=to_state, actor=actor,
                     unit=actor_unit, role=role, at=at, comment=comment)
        values = tuple(event[f] for f in HASHED_FIELDS)
        # plan_task states have no time limit: state_due stays empty; other columns keep their value
        snapshot = snapshot_json(state=to_state, stage=to_state, version=seq, unit=unit, focal=focal,
                                 authority=authority, monitor=monitor, justice=justice, coordinators=coordinators,
                                 deadline=columns.get("deadline"), pending_deadline=columns.get("pending_deadline"),
                                 state_due=None, overdue_at=columns.get("overdue_at"), complex=bool(complex_),
                                 plan=plan_version)
        new_hash = event_hash(last_hash, values, snapshot)
        columns.update(state=to_state, stage=to_state, version=seq, state_since=at, state_due=None, last_hash=new_hash)
        steps.append(Step(task_id, trigger, actor, comment, version,
                          (*(columns[c] for c in UPDATE_COLUMNS), task_id, version),
                          (*values, last_hash, new_hash, snapshot)))
        task[1], task[2], task[5] = to_state, seq, new_hash
    return steps


def event_count(db: Database) -> int:
    with db.read() as cur:
        cur.execute("SELECT COUNT(*) FROM audit_event")
        return int(cur.fetchone()[0])


# ---------------------------------------------------------------------------------------------
# The two sides


def run_engine(url: str, workflows: dict[str, Any], clock: Clock, n: int, *, sqlite_synchronous: str = "FULL",
               profiler: cProfile.Profile | None = None, database: type[Database] = Database) -> float:
    """Seconds for n TaskEngine.fire() calls (the production Database: pooled, as the server uses it)."""
    db = database(url, sqlite_synchronous=sqlite_synchronous)
    try:
        engine = TaskEngine(db, workflows, clock)
        steps = plan_steps(db, n, clock)
        before = event_count(db)  # also opens the pooled connection outside the timed loop
        fire = engine.fire
        if profiler:
            profiler.enable()
        t0 = time.perf_counter()
        for s in steps:
            result = fire(s.task_id, s.trigger, s.actor, comment=s.comment, version=s.version)
            if result.version != s.version + 1:
                raise AssertionError(f"task {s.task_id}: {s.trigger} did not move it: {result}")
        elapsed = time.perf_counter() - t0
        if profiler:
            profiler.disable()
        if event_count(db) - before != n:
            raise AssertionError("engine: audit event count did not grow by n")
        return elapsed
    finally:
        db.dispose()


def _raw_sqlite(path: Path, steps: list[Step], synchronous: str = "FULL") -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={synchronous}")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=60000")
        cur = conn.cursor()
        update, insert = RAW_UPDATE, RAW_INSERT
        t0 = time.perf_counter()
        for s in steps:
            cur.execute("BEGIN IMMEDIATE")
            cur.execute(update, s.update)
            if cur.rowcount != 1:
                raise AssertionError(f"raw: task {s.task_id} not at version {s.version}")
            cur.execute(insert, s.insert)
            cur.execute("COMMIT")
        return time.perf_counter() - t0
    finally:
        conn.close()


def _raw_pg(url: str, steps: list[Step]) -> float:
    import psycopg

    update, insert = RAW_UPDATE.replace("?", "%s"), RAW_INSERT.replace("?", "%s")
    with psycopg.connect(url) as conn:
        cur = conn.cursor()
        t0 = time.perf_counter()
        for s in steps:
            cur.execute(update, s.update)  # psycopg opens the transaction implicitly
            if cur.rowcount != 1:
                raise AssertionError(f"raw: task {s.task_id} not at version {s.version}")
            cur.execute(insert, s.insert)
            conn.commit()
        return time.perf_counter() - t0


def run_raw(url: str, clock: Clock, n: int, *, sqlite_synchronous: str = "FULL") -> float:
    db = Database(url, pooled=False)  # only to plan the steps and count events
    try:
        steps = plan_steps(db, n, clock)
        before = event_count(db)
    finally:
        db.dispose()
    if db.is_sqlite:
        elapsed = _raw_sqlite(Path(url.removeprefix("sqlite:///")), steps, sqlite_synchronous)
    else:
        elapsed = _raw_pg(url.replace("postgresql+psycopg://", "postgresql://"), steps)
    db = Database(url, pooled=False)
    try:
        if event_count(db) - before != n:
            raise AssertionError("raw: audit event count did not grow by n")
    finally:
        db.dispose()
    return elapsed


# ---------------------------------------------------------------------------------------------
# Rounds


def measure(engine_url: str, raw_url: str, workflows: dict[str, Any], clock: Clock, n: int,
            rounds: int) -> dict[str, Any]:
    engine_s: list[float] = []
    raw_s: list[float] = []
    for r in range(rounds):
        order = ("engine", "raw") if r % 2 == 0 else ("raw", "engine")
        for side in order:
            if side == "engine":
                engine_s.append(run_engine(engine_url, workflows, clock, n))
            else:
                raw_s.append(run_raw(raw_url, clock, n))
        print(f"  round {r + 1}: engine {n / engine_s[-1]:,.0f}/s, raw {n / raw_s[-1]:,.0f}/s", file=sys.stderr)
    for name, url in (("engine", engine_url), ("raw", raw_url)):
        db = Database(url, pooled=False)
        try:
            report = verify_audit(db)
        finally:
            db.dispose()
        if not report.ok:
            raise AssertionError(f"{name} database: audit chain does not verify: {report.problems[:3]}")
    engine_tps = [n / s for s in engine_s]
    raw_tps = [n / s for s in raw_s]
    best_engine, best_raw = max(engine_tps), max(raw_tps)
    return {
        "engine_tps": round(best_engine, 1),
        "raw_tps": round(best_raw, 1),
        "ratio": round(best_engine / best_raw, 3),
        "engine_us_per_transition": round(1e6 / best_engine, 1),
        "raw_us_per_transition": round(1e6 / best_raw, 1),
        "engine_overhead_us": round(1e6 / best_engine - 1e6 / best_raw, 1),
        "median_round_ratio": round(statistics.median(e / w for e, w in zip(engine_tps, raw_tps)), 3),
        "rounds": {"engine_tps": [round(x, 1) for x in engine_tps], "raw_tps": [round(x, 1) for x in raw_tps]},
        "audit_chains_verified": True,
    }


def bench_sqlite(directory: Path, workflows: dict[str, Any], clock: Clock, n: int, rounds: int) -> dict[str, Any]:
    template = directory / "template.db"
    instances = prepare(f"sqlite:///{template}", workflows, clock)
    engine_db, raw_db = directory / "engine.db", directory / "raw.db"
    for target in (engine_db, raw_db):
        shutil.copy(template, target)
    print(f"sqlite: {instances} task instances in {directory}", file=sys.stderr)
    result = measure(f"sqlite:///{engine_db}", f"sqlite:///{raw_db}", workflows, clock, n, rounds)
    result["durability"] = "journal_mode=WAL, synchronous=FULL, foreign_keys=ON (both sides)"
    result["task_instances"] = instances
    return result


def _pg_admin(pg_url: str) -> Any:
    import psycopg

    return psycopg.connect(pg_url, autocommit=True, connect_timeout=5)


def _pg_db_url(pg_url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(pg_url).set(database=name).render_as_string(hide_password=False)


def bench_postgresql(pg_url: str, workflows: dict[str, Any], clock: Clock, n: int, rounds: int) -> dict[str, Any]:
    with _pg_admin(pg_url) as admin:
        for name in (PG_RAW_DB, PG_ENGINE_DB):
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{PG_ENGINE_DB}"')
        settings = {k: admin.execute(f"SHOW {k}").fetchone()[0]
                    for k in ("server_version", "fsync", "synchronous_commit", "wal_sync_method", "data_directory")}
    try:
        instances = prepare(_pg_db_url(pg_url, PG_ENGINE_DB), workflows, clock)
        with _pg_admin(pg_url) as admin:
            admin.execute(f'CREATE DATABASE "{PG_RAW_DB}" TEMPLATE "{PG_ENGINE_DB}"')
        print(f"postgresql: {instances} task instances in {PG_ENGINE_DB} / {PG_RAW_DB}", file=sys.stderr)
        result = measure(_pg_db_url(pg_url, PG_ENGINE_DB), _pg_db_url(pg_url, PG_RAW_DB), workflows, clock, n, rounds)
    finally:
        with _pg_admin(pg_url) as admin:
            for name in (PG_RAW_DB, PG_ENGINE_DB):
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    result["server"] = settings
    result["task_instances"] = instances
    return result


# ---------------------------------------------------------------------------------------------
# Profile (SQLite)


class _OneConnection(Database):
    """What-if (not shipped): write() on one kept DB-API connection instead of a pool checkout/checkin
    per transaction. Same BEGIN IMMEDIATE / COMMIT / ROLLBACK."""

    _kept: Any = None

    @contextmanager
    def write(self) -> Iterator[Any]:
        conn = self._kept
        if conn is None:
            conn = self._kept = self.engine.raw_connection().dbapi_connection
        cur = conn.cursor()
        if self.is_sqlite:
            cur.execute("BEGIN IMMEDIATE")
        try:
            yield cur
        except BaseException:
            conn.rollback()
            raise
        conn.commit()


def _hot(fn: Any, n: int = 20000) -> float:
    fn()
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return round(1e6 * (time.perf_counter() - t0) / n, 2)


def _components(path: Path, workflows: dict[str, Any], clock: Clock) -> dict[str, float]:
    """Each piece of a fire() timed alone in a hot loop (synchronous=OFF), µs."""
    db = Database(f"sqlite:///{path}", sqlite_synchronous="OFF")
    raw = sqlite3.connect(path, isolation_level=None)
    out: dict[str, float] = {}
    try:
        engine = TaskEngine(db, workflows, clock)
        step = plan_steps(db, 1, clock)[0]

        def checkout() -> None:
            db.engine.raw_connection().close()

        def empty_write() -> None:
            with db.write():
                pass

        rc = raw.cursor()
        out["pool_checkout_checkin"] = _hot(checkout)
        out["db_write_empty_txn"] = _hot(empty_write)
        out["raw_begin_commit_empty_txn"] = _hot(lambda: (rc.execute("BEGIN IMMEDIATE"), rc.execute("COMMIT")))
        select = getattr(engine, "_select", None)
        if select:
            out["select_task_join_user"] = _hot(lambda: rc.execute(select, (step.actor, step.task_id)).fetchone())
            row = rc.execute(select, (step.actor, step.task_id)).fetchone()
            try:
                out["context_from_row"] = _hot(lambda: engine._context(row, step.task_id, step.actor, step.trigger))

                def decide() -> None:
                    machine, ctx, _, _ = engine._context(row, step.task_id, step.actor, step.trigger)
                    ctx.comment = step.comment
                    machine.fire(ctx, step.trigger)

                out["context_plus_machine_fire"] = _hot(decide)
                out["machine_fire_alone"] = round(out["context_plus_machine_fire"] - out["context_from_row"], 2)
            except Exception as exc:  # the engine's private API moved: skip, say so
                out["context_error"] = str(exc)  # type: ignore[assignment]
        values, snap = step.insert[:-3], step.insert[-1]
        out["event_hash"] = _hot(lambda: event_hash(step.insert[-3], values, snap))
        out["stamp_clock_now"] = _hot(lambda: stamp(clock.now()))
    finally:
        raw.close()
        db.dispose()
    return out


def profile_sqlite(directory: Path, workflows: dict[str, Any], clock: Clock, n: int) -> dict[str, Any]:
    """Where the engine's non-fsync time goes: both sides at synchronous=OFF (CPU + syscalls, no fsync),
    the engine on one kept connection (what-if), each piece alone, and cProfile at synchronous=FULL."""
    template = directory / "template.db"
    if not template.exists():
        prepare(f"sqlite:///{template}", workflows, clock)
    kinds = ("engine", "engine_one_connection", "raw")
    for kind in kinds:
        shutil.copy(template, directory / f"off_{kind}.db")
    timings: dict[str, list[float]] = {k: [] for k in kinds}
    for r in range(3):
        for kind in (kinds if r % 2 == 0 else kinds[::-1]):
            url = f"sqlite:///{directory / f'off_{kind}.db'}"
            if kind == "raw":
                seconds = run_raw(url, clock, n, sqlite_synchronous="OFF")
            else:
                seconds = run_engine(url, workflows, clock, n, sqlite_synchronous="OFF",
                                     database=_OneConnection if kind == "engine_one_connection" else Database)
            timings[kind].append(1e6 * seconds / n)
    best = {k: round(min(v), 1) for k, v in timings.items()}
    out: dict[str, Any] = {
        "synchronous_OFF_us_per_transition": {**best, "engine_overhead": round(best["engine"] - best["raw"], 1),
                                              "method": "best of 3 alternating runs of n"},
    }
    shutil.copy(template, directory / "components.db")
    out["components_us_hot_loop"] = _components(directory / "components.db", workflows, clock)

    prof_db = directory / "engine_profile.db"
    shutil.copy(template, prof_db)
    profiler = cProfile.Profile()
    elapsed = run_engine(f"sqlite:///{prof_db}", workflows, clock, n, profiler=profiler)
    stats = pstats.Stats(profiler)
    per = 1e6 / n
    buckets = {
        "sqlite3 commit (fsync)": ("commit", "sqlite3.Connection"),
        "sqlite3 execute (BEGIN IMMEDIATE, SELECT, UPDATE, INSERT)": ("execute", "sqlite3.Cursor"),
        "pool checkout (Engine.raw_connection)": ("raw_connection", "sqlalchemy"),
        "pool checkin (_ConnectionFairy.close)": ("_checkin", "sqlalchemy"),
        "WorkflowMachine.fire (transitions)": ("fire", "machine.py"),
        "TaskEngine._context": ("_context", "runtime.py"),
        "event_hash": ("event_hash", "audit.py"),
        "stamp (clock)": ("stamp", "clock.py"),
    }
    cum: dict[str, float] = {}
    rows = []
    for (file, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        for label, (name, where) in buckets.items():
            if name in func and (where in file or where in func):
                cum[label] = round(cum.get(label, 0.0) + ct * per, 1)
        rows.append((func if file == "~" else f"{Path(file).name}:{line}({func})", nc, tt, ct))
    out["cprofile_synchronous_FULL"] = {
        "note": "µs per fire under cProfile (which inflates Python-heavy parts ~2x); cumulative per bucket",
        "total": round(elapsed * per, 1),
        "buckets_cumtime": cum,
        "top_tottime": [{"fn": w, "calls_per_fire": round(nc / n, 2), "tottime": round(tt * per, 1)}
                        for w, nc, tt, _ct in sorted(rows, key=lambda r: -r[2])[:12]],
    }
    return out


# ---------------------------------------------------------------------------------------------


def machine_info(directory: Path | None) -> dict[str, Any]:
    info: dict[str, Any] = {
        "platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
        "sqlite": sqlite3.sqlite_version,
    }
    try:
        info["cpu"] = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo", encoding="utf-8")
                           if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    if directory is not None:
        info["dir"] = str(directory)
        info["same_device_as_repo"] = os.stat(directory).st_dev == os.stat(ROOT).st_dev
        try:
            mounts = [line.split() for line in open("/proc/mounts", encoding="utf-8")]
            best = max((m for m in mounts if str(directory.resolve()).startswith(m[1])), key=lambda m: len(m[1]))
            info["filesystem"] = f"{best[0]} on {best[1]} ({best[2]})"
        except (OSError, ValueError):
            pass
    return info


def default_dir() -> Path:
    """A temp dir on the same device as the repository (the system temp dir if it is)."""
    tmp = Path(tempfile.gettempdir())
    base = tmp if os.stat(tmp).st_dev == os.stat(ROOT).st_dev else ROOT / "bench"
    return Path(tempfile.mkdtemp(prefix="phancap-bench-", dir=base))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=5000, help="transitions per run (default 5000)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating engine/raw rounds; best counts (default 3)")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--dir", type=Path, help="SQLite database directory (default: a temp dir on /work's disk)")
    parser.add_argument("--pg-url", default=os.environ.get("PHANCAP_BENCH_PG_URL", PG_DEFAULT),
                        help=f"PostgreSQL admin URL (default {PG_DEFAULT})")
    parser.add_argument("--profile", action="store_true", help="also cProfile the engine on SQLite")
    args = parser.parse_args(argv)

    workflows = load_workflows()
    clock = Clock.parse(START)
    directory: Path | None = None
    created_dir = False
    result: dict[str, Any] = {}
    try:
        if args.only != "postgresql" or args.profile:
            if args.dir:
                args.dir.mkdir(parents=True, exist_ok=True)
                directory = Path(tempfile.mkdtemp(prefix="phancap-bench-", dir=args.dir))
            else:
                directory = default_dir()
            created_dir = True
        if args.only != "postgresql":
            assert directory is not None
            result["sqlite"] = bench_sqlite(directory, workflows, clock, args.n, args.rounds)
        if args.only != "sqlite":
            result["postgresql"] = bench_postgresql(args.pg_url, workflows, clock, args.n, args.rounds)
        result["n"] = args.n
        result["method"] = (
            f"{args.rounds} rounds; each round runs the engine and the raw driver for n transitions each, "
            "alternating which goes first; *_tps are the best round of each side, ratio = best engine / best raw "
            "(median_round_ratio: the median of the per-round ratios). One transaction per transition on both "
            "sides; the engine side is TaskEngine.fire() on the pooled Database, the raw side the engine's "
            "UPDATE + INSERT statements with precomputed values (sqlite3 BEGIN IMMEDIATE/COMMIT; psycopg 3 commit). "
            "Separate but identically prepared databases per side; audit chains verified afterwards.")
        result["workload"] = ("plan_task instances of HN-2025 and KT-2025, round-robin: submit_for_review by the "
                              "lead unit's officer, return (with comment) by the focal unit's reviewer")
        result["machine"] = machine_info(directory)
        if args.profile:
            assert directory is not None
            result["profile_sqlite"] = profile_sqlite(directory, workflows, clock, args.n)
    finally:
        if created_dir and directory is not None:
            shutil.rmtree(directory, ignore_errors=True)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
