#!/usr/bin/env python3
"""P3: the deadline sweep over 1,000,000 task instances, 100,000 of them turning overdue:
engine.tick.tick() against the raw set-based SQL doing the same UPDATE and audit INSERTs.

Not a test. One run, per database:

* a template database: the schema (Alembic), a synthetic national registry (34 provinces x 15
  departments + 3,321 communes, plus the central issuer and monitor), one plan VN-BENCH, and
  n task instances bulk-loaded in SQL (generate_series on PostgreSQL, a recursive CTE on SQLite),
  each with a valid first audit event (hash computed in SQL) and last_hash = that event's hash.
  Exactly n/10 are open with a deadline before "today" (2026-06-01, Việt Nam); the rest are
  approved (on time or late), withdrawn, without a deadline, already overdue, or due later;
* engine: `engine.tick.tick()` on the production Database (pooled), on a fresh copy of the template;
* raw: the same rows moved with one set-based statement on the driver alone, on another fresh copy:
  PostgreSQL one CTE (SELECT due rows with their new hash, INSERT audit events, UPDATE tasks),
  SQLite `INSERT ... SELECT` then `UPDATE ... FROM audit_event`; the hash is the same sha256 over
  the same canonical text, computed in SQL (PostgreSQL sha256(); SQLite the same Python function).
  No advisory lock, no FOR UPDATE SKIP LOCKED, no per-workflow loop: what the engine adds for
  safety is what the ratio shows.

Both sides must mark the same n/10 tasks and write byte-identical audit hashes (checked: an md5
over every new event's hash, and the engine's chain verifier over a sample of swept tasks).
Each round makes fresh copies and runs both sides (alternating which goes first, with a CHECKPOINT
before each timed run on PostgreSQL); figures are the best round of each side.

    python bench/sweep_bench.py [--n 1000000] [--sqlite-n N] [--rounds 3] [--only sqlite|postgresql]
                                [--dir DIR] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from phancap.engine.audit_partitions import ensure_months
from phancap.engine.audit import GENESIS, HASHED_FIELDS, encode, snapshot_sql, sql_encode, verify_rows
from phancap.engine.clock import Clock, stamp
from phancap.engine.db import Database, sha256_hex
from phancap.engine.roles import SYSTEM_ACTOR, SYSTEM_ROLE
from phancap.engine.tick import OVERDUE_COMMENT, tick
from phancap.engine.workflows import load_workflows

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"
NOW = "2026-06-01T09:00:00+07:00"  # the sweep's "today": 2026-06-01 in Việt Nam
TODAY = date(2026, 6, 1)
LOADED_AT = "2026-01-05T02:00:00.000000Z"  # when the bulk-loaded instances were "assigned"
LATE_AT = "2026-05-31T02:00:00.000000Z"  # approval stamp of the late ones
OVERDUE_AT = "2026-05-01T17:00:00.000000Z"  # when the already-overdue ones went overdue
PLAN, REGION = "VN-BENCH", "VN"
CENTRAL = (("VN-CP", "Chính phủ", "people_committee"), ("VN-BNV", "Bộ Nội vụ", "ministry"))
GROUP_DEPARTMENTS, GROUP_COMMUNES = "Các Sở, ngành", "UBND cấp xã"
ASSIGN_COMMENT = "Giao nhiệm vụ (nạp hàng loạt cho đo hiệu năng)"
OPEN_STATES = ("assigned", "in_review", "submitted")


def log(*parts: Any) -> None:
    print(*parts, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# The synthetic registry (shared with fanout_bench.py and report_bench.py)


def registry_units(provinces: int = 34, departments: int = 15, communes: int = 3321) -> list[tuple[str, str, str, str]]:
    """(code, name, kind, focal) for every department (P01-S01) and commune (P01-X0001); communes are spread
    evenly over the provinces; focal = the province's first department (its Sở Nội vụ)."""
    units = []
    per, extra = divmod(communes, provinces)
    for p in range(1, provinces + 1):
        focal = f"P{p:02d}-S01"
        for s in range(1, departments + 1):
            units.append((f"P{p:02d}-S{s:02d}", f"Sở số {s} tỉnh {p}", "department", focal))
        for x in range(1, per + (1 if p <= extra else 0) + 1):
            units.append((f"P{p:02d}-X{x:04d}", f"UBND xã số {x} tỉnh {p}", "commune", focal))
    return units


def load_registry(conn: Any, pg: bool, units: list[tuple[str, str, str, str]], tasks: list[dict[str, Any]] | None = None) -> None:
    """Units, the two groups, the plan (and its plan_task rows if given), on a DB-API connection."""
    q = (lambda s: s.replace("?", "%s")) if pg else (lambda s: s)
    cur = conn.cursor()
    rows = [(c, REGION, n, k, "[]") for c, n, k in CENTRAL] + [(c, REGION, n, k, "[]") for c, n, k, _ in units]
    cur.executemany(q("INSERT INTO unit (code, region, name, kind, aliases) VALUES (?, ?, ?, ?, ?)"), rows)
    departments = [u[0] for u in units if u[2] == "department"]
    communes = [u[0] for u in units if u[2] == "commune"]
    cur.executemany(q("INSERT INTO unit_group (region, name, aliases, members) VALUES (?, ?, ?, ?)"), [
        (REGION, GROUP_DEPARTMENTS, json.dumps(["Các Sở, ban, ngành"], ensure_ascii=False), json.dumps(departments)),
        (REGION, GROUP_COMMUNES, json.dumps(["UBND các xã, phường"], ensure_ascii=False), json.dumps(communes)),
    ])
    definition = {"code": PLAN, "title": "Kế hoạch đo hiệu năng", "reporting": []}
    cur.execute(q("INSERT INTO plan (code, title, region, issuer, authority, monitor, justice, definition, source, loaded_at) "
                  "VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)"),
                (PLAN, "Kế hoạch đo hiệu năng (tổng hợp)", REGION, "VN-CP", "VN-CP", "VN-BNV",
                 json.dumps(definition, ensure_ascii=False), "bench", LOADED_AT))
    for t in tasks or []:
        cur.execute(q("INSERT INTO plan_task (plan, number, parent, heading, title, content, focal, lead, lead_text, "
                      "coordinators, coordinators_text, product, deadline_phrase, deadline_kind, deadline_due, "
                      "deadline_start, workflow, procedure_text, complex) "
                      "VALUES (?, ?, NULL, ?, ?, NULL, ?, ?, NULL, ?, NULL, NULL, ?, ?, ?, NULL, ?, NULL, ?)"),
                    (PLAN, t["number"], False, t["title"], t["focal"], json.dumps(t["lead"], ensure_ascii=False),
                     json.dumps(t.get("coordinators", []), ensure_ascii=False), t.get("phrase"),
                     "date" if t.get("due") else None, t.get("due"), t.get("workflow", "plan_task"), False))
    cur.close()


# ---------------------------------------------------------------------------------------------
# Bulk-loading n task instances with valid first audit events


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _first_hash_sql(id_expr: str, state_expr: str) -> str:
    """sha256 of the first event (GENESIS | id | 1 | assign | - | state | system | - | system | - | at | comment | - | -)."""
    parts: list[str] = [_lit(GENESIS)]
    values: dict[str, Any] = dict.fromkeys(HASHED_FIELDS)
    values.update(task_id=id_expr, seq=1, trigger="assign", to_state=state_expr, actor=SYSTEM_ACTOR, role=SYSTEM_ROLE,
                  at=LOADED_AT, comment=ASSIGN_COMMENT)
    for f in HASHED_FIELDS:
        v = values[f]
        if f in ("task_id", "to_state"):
            parts.append(sql_encode(v))
        else:
            parts.append(_lit(encode(v)))
    return "sha256_hex(" + " || '|' || ".join(parts) + ")"


def _instances_sql(n: int, pg: bool) -> str:
    """One INSERT ... SELECT of n instances over the bench_units table (idx 0..U-1)."""
    def day(offset: str) -> str:
        return f"(DATE '{TODAY}' + ({offset}))" if pg else f"date('{TODAY}', CAST(({offset}) AS TEXT) || ' days')"

    series = (f"(SELECT g.i FROM generate_series(0, {n - 1}) AS g(i))" if pg else
              f"(WITH RECURSIVE g(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM g WHERE i < {n - 1}) SELECT i FROM g)")
    r = "(s.i % 20)"
    open3 = "CASE (s.i / 20) % 3 WHEN 0 THEN 'assigned' WHEN 1 THEN 'in_review' ELSE 'submitted' END"
    state = (f"CASE WHEN {r} IN (0, 10) THEN {open3} WHEN {r} IN (1, 2, 3, 4) THEN 'approved' WHEN {r} = 5 THEN 'withdrawn' "
             f"WHEN {r} IN (6, 7) THEN 'assigned' WHEN {r} = 8 THEN 'overdue' ELSE {open3} END")
    stage = f"CASE WHEN {r} = 8 THEN 'assigned' ELSE ({state}) END"
    deadline = (f"CASE WHEN {r} IN (0, 10) THEN {day('-1 - (s.i % 60)')} "
                f"WHEN {r} IN (1, 2, 3, 4) THEN {day('-30 - (s.i % 30)')} WHEN {r} IN (6, 7) THEN NULL "
                f"WHEN {r} = 8 THEN {day('-40')} ELSE {day('s.i % 90')} END")
    since = f"CASE WHEN {r} IN (1, 2) THEN {_lit(LATE_AT)} ELSE {_lit(LOADED_AT)} END"
    overdue = f"CASE WHEN {r} = 8 THEN {_lit(OVERDUE_AT)} ELSE NULL END"
    inner = (f"SELECT s.i + 1 AS id, 'T' || CAST(s.i / {{U}} AS TEXT) AS task, u.code AS unit, u.focal AS focal, "
             f"{state} AS state, {stage} AS stage, {deadline} AS deadline, {since} AS since, {overdue} AS overdue_at "
             f"FROM {series} s JOIN bench_units u ON u.idx = s.i % {{U}}")
    return (
        "INSERT INTO task_instance (id, plan, task, unit, focal, authority, monitor, justice, coordinators, workflow, "
        "state, stage, version, deadline, deadline_phrase, state_due, complex, state_since, overdue_at, created_at, "
        "last_hash, kind, parent_id, title) "
        f"SELECT x.id, '{PLAN}', x.task, x.unit, x.focal, 'VN-CP', 'VN-BNV', NULL, '[]', 'plan_task', x.state, x.stage, 1, "
        f"x.deadline, NULL, NULL, FALSE, x.since, x.overdue_at, {_lit(LOADED_AT)}, "
        f"{_first_hash_sql('x.id', 'x.state')}, 'task', NULL, NULL FROM ({inner}) x"
    )


FIRST_EVENTS_SQL = (
    "INSERT INTO audit_event (id, task_id, seq, trigger, from_state, to_state, actor, unit, role, capacity, at, comment, "
    "evidence, data, prev_hash, hash) "
    f"SELECT id, id, 1, 'assign', NULL, state, '{SYSTEM_ACTOR}', NULL, '{SYSTEM_ROLE}', NULL, {_lit(LOADED_AT)}, "
    f"{_lit(ASSIGN_COMMENT)}, NULL, NULL, {_lit(GENESIS)}, last_hash FROM task_instance WHERE plan = '{PLAN}'"
)


def bulk_load(conn: Any, pg: bool, n: int, units: list[tuple[str, str, str, str]]) -> None:
    cur = conn.cursor()
    cur.execute("CREATE TEMP TABLE bench_units (idx INTEGER PRIMARY KEY, code TEXT NOT NULL, focal TEXT NOT NULL)")
    q = "INSERT INTO bench_units VALUES (%s, %s, %s)" if pg else "INSERT INTO bench_units VALUES (?, ?, ?)"
    cur.executemany(q, [(i, u[0], u[3]) for i, u in enumerate(units)])
    sql = _instances_sql(n, pg).replace("{U}", str(len(units)))
    cur.execute(sql)  # no parameters: psycopg sends it as is (% is modulo)
    cur.execute(FIRST_EVENTS_SQL)
    if pg:
        cur.execute("SELECT setval(pg_get_serial_sequence('task_instance', 'id'), (SELECT max(id) FROM task_instance))")
        cur.execute("SELECT setval(pg_get_serial_sequence('audit_event', 'id'), (SELECT max(id) FROM audit_event))")
    cur.execute("DROP TABLE bench_units")
    cur.close()


def sample_verify(cur: Any, pg: bool, where: str, k: int = 500) -> dict[str, Any]:
    """The engine's chain verifier over a random sample of k tasks matching `where`."""
    from phancap.engine.audit import EVENT_COLUMNS

    cur.execute(f"SELECT id FROM task_instance WHERE {where}")
    ids = [r[0] for r in cur.fetchall()]
    sample = sorted(random.Random(7).sample(ids, min(k, len(ids))))
    if not sample:
        return {"ok": False, "tasks": 0, "problems": ["empty sample"]}
    marks = ", ".join(("%s" if pg else "?") for _ in sample)
    cur.execute(f"SELECT id, state, version, last_hash FROM task_instance WHERE id IN ({marks})", sample)
    tasks = {r[0]: r for r in cur.fetchall()}
    cur.execute(f"SELECT {EVENT_COLUMNS} FROM audit_event WHERE task_id IN ({marks}) ORDER BY task_id, seq, id", sample)
    report = verify_rows(tasks, cur.fetchall())
    return {"ok": report.ok, "tasks": report.tasks, "events": report.events, "problems": report.problems[:3]}


# ---------------------------------------------------------------------------------------------
# Templates


def _sqlite_connect(path: Path, synchronous: str = "FULL") -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=60000")
    conn.create_function("sha256_hex", 1, sha256_hex, deterministic=True)
    return conn


def build_sqlite_template(path: Path, n: int, units: list[tuple[str, str, str, str]] | None = None) -> dict[str, Any]:
    units = units or registry_units()
    t0 = time.perf_counter()
    db = Database(f"sqlite:///{path}", pooled=False)
    try:
        db.upgrade()
    finally:
        db.dispose()
    conn = _sqlite_connect(path, "OFF")
    try:
        conn.execute("BEGIN")
        load_registry(conn, False, units)
        bulk_load(conn, False, n, units)
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
        check = sample_verify(conn.cursor(), False, f"plan = '{PLAN}'")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return {"instances": n, "units": len(units), "load_seconds": round(time.perf_counter() - t0, 1),
            "first_events_sample_verified": check}


def pg_admin(pg_url: str) -> Any:
    import psycopg

    return psycopg.connect(pg_url, autocommit=True, connect_timeout=5)


def pg_db_url(pg_url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(pg_url).set(database=name).render_as_string(hide_password=False)


def pg_drop(pg_url: str, *names: str) -> None:
    with pg_admin(pg_url) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_copy(pg_url: str, template: str, name: str) -> None:
    with pg_admin(pg_url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY')


def build_pg_template(pg_url: str, name: str, n: int, units: list[tuple[str, str, str, str]] | None = None) -> dict[str, Any]:
    import psycopg

    units = units or registry_units()
    t0 = time.perf_counter()
    with pg_admin(pg_url) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    url = pg_db_url(pg_url, name)
    db = Database(url, pooled=False)
    try:
        db.upgrade()
        # the audit partitions of the bench's year (migration 0019), as `phancap audit partitions` keeps them
        ensure_months(db, date(2026, 1, 1), date(2026, 12, 1))
    finally:
        db.dispose()
    with psycopg.connect(url) as conn:
        conn.execute("SET synchronous_commit = off")
        load_registry(conn, True, units)
        bulk_load(conn, True, n, units)
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM (FREEZE, ANALYZE)")
        check = sample_verify(conn.cursor(), True, f"plan = '{PLAN}'")
    with pg_admin(pg_url) as admin:
        admin.execute("CHECKPOINT")
    return {"instances": n, "units": len(units), "load_seconds": round(time.perf_counter() - t0, 1),
            "first_events_sample_verified": check}


# ---------------------------------------------------------------------------------------------
# The two sides


def _sweep_constants(at: str) -> tuple[str, str]:
    """(literal text between the task's id and its version+1 ... ) pieces of the canonical hash text."""
    head = encode("mark_overdue")
    tail = "|".join(encode(v) for v in ("overdue", SYSTEM_ACTOR, None, SYSTEM_ROLE, None, at, OVERDUE_COMMENT, None, None))
    return head, tail


def raw_snapshot(alias: str, at: str, sqlite: bool) -> str:
    """The snapshot the sweep commits to (engine/audit.py), as the engine's SQL builds it."""
    cols = {n: alias + n for n in ("unit", "focal", "authority", "monitor", "justice", "coordinators", "deadline",
                                   "pending_deadline", "state_due", "complex")}
    overdue = "'overdue'" if sqlite else "CAST('overdue' AS TEXT)"
    cols |= {"state": overdue, "stage": alias + "state", "version": alias + "version + 1",
             "overdue_at": _lit(at) if sqlite else f"CAST({_lit(at)} AS TEXT)",
             "plan": f"(SELECT p.definition_sha256 FROM plan p WHERE p.code = {alias}plan)"}
    return snapshot_sql(sqlite, cols)


def raw_hash_sql(alias: str, at: str, sha: Callable[[str], str]) -> str:
    """The hash over the event and the snapshot (column `snap` of the alias)."""
    head, tail = _sweep_constants(at)
    return sha(f"{alias}last_hash || '|' || {sql_encode(alias + 'id')} || '|' || {sql_encode(alias + 'version + 1')} "
               f"|| '|' || {_lit(head)} || '|' || {sql_encode(alias + 'state')} || '|' || {_lit(tail)} "
               f"|| '|' || {sql_encode(alias + 'snap')}")


def _due(alias: str, today: date) -> str:
    states = ", ".join(_lit(s) for s in OPEN_STATES)
    return (f"{alias}workflow = 'plan_task' AND {alias}state IN ({states}) AND {alias}overdue_at IS NULL AND "
            f"(({alias}deadline IS NOT NULL AND {alias}deadline < '{today}') OR "
            f"({alias}state_due IS NOT NULL AND {alias}state_due < '{today}'))")


def raw_pg_sql(at: str, today: date) -> str:
    h = raw_hash_sql("s.", at, lambda e: f"encode(sha256(convert_to({e}, 'UTF8')), 'hex')")
    return (
        f"WITH due AS (SELECT s.*, {h} AS hash FROM (SELECT t.id, t.state, t.version, t.last_hash, "
        f"{raw_snapshot('t.', at, False)} AS snap FROM task_instance t WHERE {_due('t.', today)}) s), "
        "ins AS (INSERT INTO audit_event (task_id, seq, trigger, from_state, to_state, actor, unit, role, capacity, at, "
        "comment, evidence, prev_hash, hash, snapshot) "
        f"SELECT id, version + 1, 'mark_overdue', state, 'overdue', '{SYSTEM_ACTOR}', NULL, '{SYSTEM_ROLE}', NULL, "
        f"{_lit(at)}, {_lit(OVERDUE_COMMENT)}, NULL, last_hash, hash, snap FROM due) "
        f"UPDATE task_instance t SET stage = due.state, state = 'overdue', version = due.version + 1, state_since = {_lit(at)}, "
        f"overdue_at = {_lit(at)}, last_hash = due.hash FROM due WHERE t.id = due.id"
    )


def raw_sqlite_sql(at: str, today: date) -> tuple[str, str]:
    h = raw_hash_sql("s.", at, lambda e: f"sha256_hex({e})")
    insert = (
        "INSERT INTO audit_event (task_id, seq, trigger, from_state, to_state, actor, unit, role, capacity, at, "
        "comment, evidence, prev_hash, hash, snapshot) "
        f"SELECT s.id, s.version + 1, 'mark_overdue', s.state, 'overdue', '{SYSTEM_ACTOR}', NULL, '{SYSTEM_ROLE}', "
        f"NULL, {_lit(at)}, {_lit(OVERDUE_COMMENT)}, NULL, s.last_hash, {h}, s.snap FROM (SELECT id, version, state, "
        f"last_hash, {raw_snapshot('', at, True)} AS snap FROM task_instance WHERE {_due('', today)}) s"
    )
    update = (
        f"UPDATE task_instance SET stage = state, state = 'overdue', version = version + 1, state_since = {_lit(at)}, "
        f"overdue_at = {_lit(at)}, last_hash = a.hash FROM audit_event a "
        f"WHERE a.task_id = task_instance.id AND a.seq = task_instance.version + 1 AND {_due('task_instance.', today)}"
    )
    return insert, update


def run_engine(url: str, workflows: dict[str, Any], clock: Clock) -> tuple[float, int]:
    db = Database(url)
    try:
        with db.read() as cur:  # open the pooled connection outside the timed part
            cur.execute("SELECT 1")
        t0 = time.perf_counter()
        result = tick(db, workflows, clock)
        return time.perf_counter() - t0, result.marked
    finally:
        db.dispose()


def run_raw_pg(url: str, clock: Clock) -> tuple[float, int]:
    import psycopg

    sql = raw_pg_sql(stamp(clock.now()), clock.today())
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute("SELECT 1")
        conn.commit()
        t0 = time.perf_counter()
        cur = conn.execute(sql)
        marked = cur.rowcount
        conn.commit()
        return time.perf_counter() - t0, marked


def run_raw_sqlite(path: Path, clock: Clock) -> tuple[float, int]:
    insert, update = raw_sqlite_sql(stamp(clock.now()), clock.today())
    conn = _sqlite_connect(path)
    try:
        t0 = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        marked = conn.execute(insert).rowcount
        if conn.execute(update).rowcount != marked:
            raise AssertionError("raw sqlite: UPDATE and INSERT counts differ")
        conn.execute("COMMIT")
        return time.perf_counter() - t0, marked
    finally:
        conn.close()


def fingerprint(cur: Any) -> dict[str, Any]:
    """What the sweep wrote, independent of row order: event count, md5 over new events' hashes by task, tasks' states."""
    cur.execute("SELECT task_id, hash FROM audit_event WHERE seq = 2 ORDER BY task_id")
    rows = cur.fetchall()
    digest = hashlib.md5(",".join(f"{t}:{h}" for t, h in rows).encode()).hexdigest()
    cur.execute("SELECT state, COUNT(*) FROM task_instance GROUP BY state ORDER BY state")
    return {"new_events": len(rows), "events_md5": digest, "states": dict(cur.fetchall())}


def pg_fingerprint(url: str, pg: bool = True) -> dict[str, Any]:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        cur = conn.cursor()
        out = fingerprint(cur)
        out["sample_verified"] = sample_verify(cur, True, "version = 2")
        return out


def sqlite_fingerprint(path: Path) -> dict[str, Any]:
    conn = _sqlite_connect(path)
    try:
        cur = conn.cursor()
        out = fingerprint(cur)
        out["sample_verified"] = sample_verify(cur, False, "version = 2")
        return out
    finally:
        conn.close()


def summarise(engine_s: list[float], raw_s: list[float], marked: int) -> dict[str, Any]:
    best_e, best_r = min(engine_s), min(raw_s)
    return {
        "marked": marked,
        "engine_seconds": round(best_e, 3),
        "raw_seconds": round(best_r, 3),
        "ratio_engine_over_raw": round(best_e / best_r, 3),
        "target": "engine <= 1.1 x raw (issue 16; was 2 x)",
        "target_met": best_e / best_r <= 1.1,
        "engine_rows_per_s": round(marked / best_e),
        "raw_rows_per_s": round(marked / best_r),
        "median_round_ratio": round(statistics.median(e / r for e, r in zip(engine_s, raw_s)), 3),
        "rounds_seconds": {"engine": [round(x, 3) for x in engine_s], "raw": [round(x, 3) for x in raw_s]},
    }


def bench_postgresql(pg_url: str, n: int, rounds: int, workflows: dict[str, Any], clock: Clock) -> dict[str, Any]:
    tpl, eng, raw = "phancap_sweep_tpl", "phancap_sweep_engine", "phancap_sweep_raw"
    try:
        log(f"postgresql: loading {n:,} instances into {tpl} ...")
        prep = build_pg_template(pg_url, tpl, n)
        log(f"  loaded in {prep['load_seconds']} s")
        engine_s: list[float] = []
        raw_s: list[float] = []
        fps: dict[str, Any] = {}
        for r in range(rounds):
            for side in (("engine", "raw") if r % 2 == 0 else ("raw", "engine")):
                name = eng if side == "engine" else raw
                pg_copy(pg_url, tpl, name)
                url = pg_db_url(pg_url, name)
                with pg_admin(url) as c:  # same warm-up on both sides: read the table once, then checkpoint
                    c.execute("SELECT count(*) FROM task_instance WHERE overdue_at IS NULL")
                    c.execute("CHECKPOINT")
                if side == "engine":
                    seconds, marked = run_engine(url, workflows, clock)
                    engine_s.append(seconds)
                else:
                    seconds, marked = run_raw_pg(url, clock)
                    raw_s.append(seconds)
                if marked != n // 10:
                    raise AssertionError(f"{side}: marked {marked}, expected {n // 10}")
                if r == 0:
                    fps[side] = pg_fingerprint(url)
                pg_drop(pg_url, name)
            log(f"  round {r + 1}: engine {engine_s[-1]:.3f} s, raw {raw_s[-1]:.3f} s")
        if fps["engine"]["events_md5"] != fps["raw"]["events_md5"] or fps["engine"]["states"] != fps["raw"]["states"]:
            raise AssertionError(f"engine and raw wrote different results: {fps}")
        with pg_admin(pg_url) as admin:
            server = {k: admin.execute(f"SHOW {k}").fetchone()[0]
                      for k in ("server_version", "shared_buffers", "work_mem", "fsync", "synchronous_commit")}
        out = summarise(engine_s, raw_s, n // 10)
        out.update(instances=n, template=prep, identical_results=True, result_fingerprint=fps["engine"], server=server)
        return out
    finally:
        pg_drop(pg_url, eng, raw, tpl)


def bench_sqlite(directory: Path, n: int, rounds: int, workflows: dict[str, Any], clock: Clock) -> dict[str, Any]:
    tpl = directory / "sweep_template.db"
    log(f"sqlite: loading {n:,} instances into {tpl} ...")
    prep = build_sqlite_template(tpl, n)
    log(f"  loaded in {prep['load_seconds']} s")
    engine_s: list[float] = []
    raw_s: list[float] = []
    fps: dict[str, Any] = {}
    for r in range(rounds):
        for side in (("engine", "raw") if r % 2 == 0 else ("raw", "engine")):
            path = directory / f"sweep_{side}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            shutil.copy(tpl, path)
            if side == "engine":
                seconds, marked = run_engine(f"sqlite:///{path}", workflows, clock)
                engine_s.append(seconds)
            else:
                seconds, marked = run_raw_sqlite(path, clock)
                raw_s.append(seconds)
            if marked != n // 10:
                raise AssertionError(f"{side}: marked {marked}, expected {n // 10}")
            if r == 0:
                fps[side] = sqlite_fingerprint(path)
        log(f"  round {r + 1}: engine {engine_s[-1]:.3f} s, raw {raw_s[-1]:.3f} s")
    if fps["engine"]["events_md5"] != fps["raw"]["events_md5"] or fps["engine"]["states"] != fps["raw"]["states"]:
        raise AssertionError(f"engine and raw wrote different results: {fps}")
    out = summarise(engine_s, raw_s, n // 10)
    out.update(instances=n, template=prep, identical_results=True, result_fingerprint=fps["engine"],
               durability="journal_mode=WAL, synchronous=FULL, foreign_keys=ON (both sides)")
    return out


def machine_info() -> dict[str, Any]:
    info: dict[str, Any] = {"platform": platform.platform(), "python": platform.python_version(),
                            "cpus": os.cpu_count(), "sqlite": sqlite3.sqlite_version}
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
        meminfo = Path("/proc/meminfo").read_text(encoding="utf-8").splitlines()
        info["cpu"] = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
        info["mem_gb"] = round(int(next(line.split()[1] for line in meminfo if line.startswith("MemTotal"))) / 2**20, 1)
    except (OSError, StopIteration):
        pass
    return info


def scratch_dir(base: Path | None) -> Path:
    if base:
        base.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix="phancap-bench-", dir=base))
    tmp = Path(tempfile.gettempdir())
    where = tmp if os.stat(tmp).st_dev == os.stat(ROOT).st_dev else ROOT / "bench"
    return Path(tempfile.mkdtemp(prefix="phancap-bench-", dir=where))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="task instances (default 1,000,000; n/10 turn overdue)")
    parser.add_argument("--sqlite-n", type=int, help="task instances on SQLite (default: --n)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; best counts (default 3)")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--dir", type=Path, help="SQLite scratch directory (default: a temp dir on the repo's disk)")
    parser.add_argument("--pg-url", default=os.environ.get("PHANCAP_BENCH_PG_URL", PG_DEFAULT))
    args = parser.parse_args(argv)
    workflows = load_workflows()
    clock = Clock.parse(NOW)
    result: dict[str, Any] = {"benchmark": "P3 deadline sweep", "today": TODAY.isoformat()}
    t0 = time.perf_counter()
    if args.only != "sqlite":
        result["postgresql"] = bench_postgresql(args.pg_url, args.n, args.rounds, workflows, clock)
    if args.only != "postgresql":
        directory = scratch_dir(args.dir)
        try:
            result["sqlite"] = bench_sqlite(directory, args.sqlite_n or args.n, args.rounds, workflows, clock)
        finally:
            shutil.rmtree(directory, ignore_errors=True)
    result["method"] = (
        f"{args.rounds} rounds; each round copies the template twice (PostgreSQL CREATE DATABASE ... TEMPLATE, "
        "STRATEGY FILE_COPY; SQLite a file copy) and times engine.tick.tick() on one copy and the raw set-based SQL "
        "on the other, alternating which goes first; *_seconds are each side's best round, ratio = engine / raw. "
        "Timed: the sweep's transaction including COMMIT, on an already-open connection. Both sides must write "
        "identical audit hashes (events_md5) and the engine's chain verifier must pass on a sample.")
    result["machine"] = machine_info()
    result["total_seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
