#!/usr/bin/env python3
"""Fan-out: instantiating a plan for 34 provinces' departments and 3,321 communes, engine against
raw inserts of the same rows.

Not a test. One run, per database:

* a template: the schema, a synthetic registry (34 provinces x 15 departments = 510 department
  units P01-S01..P34-S15, 3,321 communes P01-X0001.., two groups "Các Sở, ngành" and "UBND cấp xã"),
  and one plan VN-BENCH with n plan tasks, alternately led by "Các Sở, ngành" (510 instances) and
  "UBND cấp xã" (3,321 instances); n = 10 gives 19,155 instances;
* engine: `engine.instantiate.instantiate()` on the production Database (pooled): today one
  INSERT ... RETURNING id, one audit INSERT and one UPDATE of last_hash per instance;
* raw: the driver alone writing the same rows in one transaction: ids taken up front (PostgreSQL
  nextval over generate_series, SQLite max(id)+1 under the write lock), the first event's hash
  computed in Python, then executemany of task_instance (with its final last_hash) and of
  audit_event. Row values are prepared outside the timed part (expanding groups is engine work);
  ids, hashes, inserts and commit are timed. PostgreSQL also reports COPY as the driver's ceiling;
All sides must write identical rows: an md5 over every new task row (id, task, unit, focal,
coordinators, deadline, last_hash) and every new event (task_id, hash) is compared, and the
engine's full audit verifier runs on each database in the first round.

    python bench/fanout_bench.py [--n 10] [--rounds 3] [--only sqlite|postgresql] [--dir DIR] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sweep_bench import (
    GROUP_COMMUNES,
    GROUP_DEPARTMENTS,
    PG_DEFAULT,
    PLAN,
    _sqlite_connect,
    load_registry,
    log,
    machine_info,
    pg_admin,
    pg_copy,
    pg_db_url,
    pg_drop,
    registry_units,
    scratch_dir,
)

from phancap.engine.audit import GENESIS, event_hash, snapshot_json
from phancap.engine.clock import Clock, stamp
from phancap.engine.db import Database
from phancap.engine.instantiate import ASSIGN_TRIGGER, expand, group_index, instantiate
from phancap.engine.machine import WorkflowMachine
from phancap.engine.queries import verify_audit
from phancap.engine.roles import SYSTEM_ACTOR, SYSTEM_ROLE
from phancap.engine.workflows import load_workflows

NOW = "2026-01-05T09:00:00+07:00"

TASK_COLUMNS = ("id", "plan", "task", "unit", "focal", "authority", "monitor", "justice", "coordinators", "workflow",
                "state", "stage", "version", "deadline", "deadline_phrase", "state_due", "complex", "state_since",
                "overdue_at", "created_at", "last_hash", "kind", "parent_id", "title")
EVENT_COLUMNS = ("task_id", "seq", "trigger", "from_state", "to_state", "actor", "unit", "role", "capacity", "at",
                 "comment", "evidence", "data", "prev_hash", "hash", "snapshot")
INSERT_TASK = f"INSERT INTO task_instance ({', '.join(TASK_COLUMNS)}) VALUES ({', '.join('?' for _ in TASK_COLUMNS)})"
INSERT_EVENT = f"INSERT INTO audit_event ({', '.join(EVENT_COLUMNS)}) VALUES ({', '.join('?' for _ in EVENT_COLUMNS)})"


def plan_tasks(n: int) -> list[dict[str, Any]]:
    tasks = []
    for i in range(1, n + 1):
        lead = GROUP_DEPARTMENTS if i % 2 else GROUP_COMMUNES
        tasks.append({"number": f"{i}", "title": f"Nhiệm vụ {i}", "focal": "VN-BNV", "lead": [lead],
                      "coordinators": ["VN-BNV"], "due": date(2026, 12, 31) if i % 3 else date(2026, 6, 30),
                      "phrase": "trước ngày 31/12/2026" if i % 3 else "trước ngày 30/6/2026"})
    return tasks


def expected_instances(n: int, units: list[tuple[str, str, str, str]]) -> int:
    deps = sum(1 for u in units if u[2] == "department")
    return sum(deps if i % 2 else len(units) - deps for i in range(1, n + 1))


# ---------------------------------------------------------------------------------------------
# What the engine writes, prepared for the raw side (outside its timed part)


def planned_rows(db: Database, workflows: dict[str, WorkflowMachine], at: str) -> list[tuple[Any, ...]]:
    """(task_instance values without id and last_hash, comment) in the engine's order: plan_task id, then lead order."""
    with db.read() as cur:
        cur.execute(db.sql("SELECT region, authority, monitor, justice FROM plan WHERE code = ?"), (PLAN,))
        region, authority, monitor, justice = cur.fetchone()
        units, groups = group_index(cur, db, region)
        cur.execute(db.sql("SELECT number, focal, lead, coordinators, deadline_due, deadline_phrase, workflow, complex "
                           "FROM plan_task WHERE plan = ? AND heading = ? ORDER BY id"), (PLAN, False))
        rows = []
        for number, focal, lead, coordinators, due, phrase, workflow_name, complex_draft in cur.fetchall():
            initial = workflows[workflow_name].workflow.initial
            coord = json.dumps(list(expand(json.loads(coordinators), groups, units)))
            for unit in expand(json.loads(lead), groups, units):
                rows.append(((PLAN, number, unit, focal or monitor, authority, monitor, justice, coord, workflow_name,
                              initial, initial, 1, due, phrase, None, bool(complex_draft), at, None, at),
                             f"Giao nhiệm vụ {number} của kế hoạch {PLAN}"))
    return rows


def build_batch(ids: list[int], planned: list[tuple[Any, ...]], at: str, link: str = GENESIS,
                plan_version: str | None = None) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], str]:
    """task_instance and audit_event parameter rows, the first event's hash computed in one Python pass; each
    first event's snapshot names the one before (engine/audit.py); returns the new audit head too."""
    tasks, events = [], []
    for task_id, (values, comment) in zip(ids, planned):
        initial = values[9]
        snapshot = snapshot_json(state=initial, stage=initial, version=1, unit=values[2], focal=values[3],
                                 authority=values[4], monitor=values[5], justice=values[6], coordinators=values[7],
                                 deadline=values[12], pending_deadline=None, state_due=None, overdue_at=None,
                                 complex=values[15], plan=plan_version, created_after=link)
        digest = event_hash(GENESIS, (task_id, 1, ASSIGN_TRIGGER, None, initial, SYSTEM_ACTOR, None, SYSTEM_ROLE, None,
                                      at, comment, None, None), snapshot)
        tasks.append((task_id, *values, digest, "task", None, None))
        events.append((task_id, 1, ASSIGN_TRIGGER, None, initial, SYSTEM_ACTOR, None, SYSTEM_ROLE, None, at, comment,
                       None, None, GENESIS, digest, snapshot))
        link = digest
    return tasks, events, link


def head_and_version(cur: Any, pg: bool) -> tuple[str, str | None]:
    """What the engine reads before a batch: the audit head (locked) and the plan's definition version."""
    cur.execute("SELECT hash FROM audit_head WHERE id = 1" + (" FOR UPDATE" if pg else ""))
    head = cur.fetchone()
    cur.execute(f"SELECT definition_sha256 FROM plan WHERE code = {'%s' if pg else '?'}", (PLAN,))
    return (str(head[0]) if head else GENESIS), cur.fetchone()[0]


def take_ids(cur: Any, pg: bool, count: int) -> list[int]:
    if pg:
        cur.execute("SELECT nextval(pg_get_serial_sequence('task_instance', 'id')) FROM generate_series(1, %s)", (count,))
        return sorted(r[0] for r in cur.fetchall())
    cur.execute("SELECT COALESCE(MAX(id), 0) FROM task_instance")  # under BEGIN IMMEDIATE: nobody else inserts
    first = int(cur.fetchone()[0]) + 1
    return list(range(first, first + count))


def run_raw_sqlite(path: Path, planned: list[tuple[Any, ...]], at: str) -> float:
    conn = _sqlite_connect(path)
    try:
        cur = conn.cursor()
        t0 = time.perf_counter()
        cur.execute("BEGIN IMMEDIATE")
        link, version = head_and_version(cur, False)
        tasks, events, head = build_batch(take_ids(cur, False, len(planned)), planned, at, link, version)
        cur.executemany(INSERT_TASK, tasks)
        cur.executemany(INSERT_EVENT, events)
        cur.execute("UPDATE audit_head SET hash = ? WHERE id = 1", (head,))
        cur.execute("COMMIT")
        return time.perf_counter() - t0
    finally:
        conn.close()


def run_raw_pg(url: str, planned: list[tuple[Any, ...]], at: str, copy: bool = False) -> float:
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute("SELECT 1")
        conn.commit()
        cur = conn.cursor()
        t0 = time.perf_counter()
        link, version = head_and_version(cur, True)
        tasks, events, head = build_batch(take_ids(cur, True, len(planned)), planned, at, link, version)
        if copy:
            with cur.copy(f"COPY task_instance ({', '.join(TASK_COLUMNS)}) FROM STDIN") as cp:
                for row in tasks:
                    cp.write_row(row)
            with cur.copy(f"COPY audit_event ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as cp:
                for row in events:
                    cp.write_row(row)
        else:
            cur.executemany(INSERT_TASK.replace("?", "%s"), tasks)
            cur.executemany(INSERT_EVENT.replace("?", "%s"), events)
        cur.execute("UPDATE audit_head SET hash = %s WHERE id = 1", (head,))
        conn.commit()
        return time.perf_counter() - t0


# ---------------------------------------------------------------------------------------------
# PROTOTYPE (not shipped): instantiate() writing in batches


# ---------------------------------------------------------------------------------------------


def run_engine(url: str, workflows: dict[str, WorkflowMachine], clock: Clock) -> tuple[float, int]:
    db = Database(url)
    try:
        with db.read() as cur:
            cur.execute("SELECT 1")
        t0 = time.perf_counter()
        created = instantiate(db, PLAN, workflows, clock).created
        return time.perf_counter() - t0, created
    finally:
        db.dispose()


def fingerprint(url: str) -> dict[str, Any]:
    db = Database(url, pooled=False)
    try:
        with db.read() as cur:
            cur.execute(db.sql("SELECT id, task, unit, focal, coordinators, deadline, deadline_phrase, state, version, "
                               "last_hash FROM task_instance WHERE plan = ? ORDER BY id"), (PLAN,))
            tasks = cur.fetchall()
            cur.execute("SELECT task_id, seq, comment, hash FROM audit_event ORDER BY task_id, seq")
            events = cur.fetchall()
        report = verify_audit(db)
    finally:
        db.dispose()
    return {"tasks": len(tasks), "events": len(events),
            "tasks_md5": hashlib.md5(repr([tuple(map(str, r)) for r in tasks]).encode()).hexdigest(),
            "events_md5": hashlib.md5(repr([tuple(map(str, r)) for r in events]).encode()).hexdigest(),
            "audit_verified": report.ok, "problems": report.problems[:3]}


def summarise(times: dict[str, list[float]], rows: int) -> dict[str, Any]:
    best = {k: min(v) for k, v in times.items() if v}
    out: dict[str, Any] = {"instances": rows}
    for side, seconds in best.items():
        out[f"{side}_seconds"] = round(seconds, 3)
        out[f"{side}_rows_per_s"] = round(rows / seconds)
    out["ratio_engine_over_raw"] = round(best["engine"] / best["raw"], 2)
    if "raw_copy" in best:
        out["ratio_engine_over_raw_copy"] = round(best["engine"] / best["raw_copy"], 2)
    out["rounds_seconds"] = {k: [round(x, 3) for x in v] for k, v in times.items()}
    return out


SIDES = ("engine", "raw")


def _order(r: int, sides: tuple[str, ...]) -> tuple[str, ...]:
    k = r % len(sides)
    return sides[k:] + sides[:k]


def bench_sqlite(directory: Path, n: int, rounds: int, workflows: dict[str, WorkflowMachine], clock: Clock) -> dict[str, Any]:
    units = registry_units()
    tpl = directory / "fanout_template.db"
    db = Database(f"sqlite:///{tpl}", pooled=False)
    try:
        db.upgrade()
    finally:
        db.dispose()
    conn = _sqlite_connect(tpl)
    conn.execute("BEGIN")
    load_registry(conn, False, units, plan_tasks(n))
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    expected = expected_instances(n, units)
    at = stamp(clock.now())
    db = Database(f"sqlite:///{tpl}", pooled=False)
    try:
        planned = planned_rows(db, workflows, at)
    finally:
        db.dispose()
    assert len(planned) == expected, (len(planned), expected)
    times: dict[str, list[float]] = {s: [] for s in SIDES}
    fps: dict[str, Any] = {}
    log(f"sqlite: {expected:,} instances per side")
    for r in range(rounds):
        for side in _order(r, SIDES):
            path = directory / f"fanout_{side}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            shutil.copy(tpl, path)
            url = f"sqlite:///{path}"
            if side == "raw":
                seconds, created = run_raw_sqlite(path, planned, at), expected
            else:
                seconds, created = run_engine(url, workflows, clock)
            if created != expected:
                raise AssertionError(f"{side}: created {created}, expected {expected}")
            times[side].append(seconds)
            if r == 0:
                fps[side] = fingerprint(url)
        log(f"  round {r + 1}: " + ", ".join(f"{s} {expected / times[s][-1]:,.0f} rows/s" for s in SIDES))
    check(fps)
    out = summarise(times, expected)
    out.update(identical_rows=True, fingerprint=fps["engine"],
               durability="journal_mode=WAL, synchronous=FULL, foreign_keys=ON (all sides)")
    return out


def check(fps: dict[str, Any]) -> None:
    ref = fps["engine"]
    for side, fp in fps.items():
        if not fp["audit_verified"]:
            raise AssertionError(f"{side}: audit chain does not verify: {fp['problems']}")
        if (fp["tasks_md5"], fp["events_md5"]) != (ref["tasks_md5"], ref["events_md5"]):
            raise AssertionError(f"{side} wrote different rows from the engine: {fps}")


def bench_postgresql(pg_url: str, n: int, rounds: int, workflows: dict[str, WorkflowMachine], clock: Clock) -> dict[str, Any]:
    import psycopg

    units = registry_units()
    tpl = "phancap_fanout_tpl"
    sides = ("engine", "raw", "raw_copy")
    names = {s: f"phancap_fanout_{s}" for s in sides}
    try:
        with pg_admin(pg_url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{tpl}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{tpl}"')
        tpl_url = pg_db_url(pg_url, tpl)
        db = Database(tpl_url, pooled=False)
        try:
            db.upgrade()
        finally:
            db.dispose()
        with psycopg.connect(tpl_url) as conn:
            load_registry(conn, True, units, plan_tasks(n))
            conn.commit()
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE")
        expected = expected_instances(n, units)
        at = stamp(clock.now())
        db = Database(tpl_url, pooled=False)
        try:
            planned = planned_rows(db, workflows, at)
        finally:
            db.dispose()
        assert len(planned) == expected
        times: dict[str, list[float]] = {s: [] for s in sides}
        fps: dict[str, Any] = {}
        log(f"postgresql: {expected:,} instances per side")
        for r in range(rounds):
            for side in _order(r, sides):
                pg_copy(pg_url, tpl, names[side])
                url = pg_db_url(pg_url, names[side])
                with pg_admin(pg_url) as admin:
                    admin.execute("CHECKPOINT")
                if side.startswith("raw"):
                    seconds, created = run_raw_pg(url, planned, at, copy=side == "raw_copy"), expected
                else:
                    seconds, created = run_engine(url, workflows, clock)
                if created != expected:
                    raise AssertionError(f"{side}: created {created}, expected {expected}")
                times[side].append(seconds)
                if r == 0:
                    fps[side] = fingerprint(url)
                pg_drop(pg_url, names[side])
            log(f"  round {r + 1}: " + ", ".join(f"{s} {expected / times[s][-1]:,.0f} rows/s" for s in sides))
        check(fps)
        out = summarise(times, expected)
        out.update(identical_rows=True, fingerprint=fps["engine"])
        return out
    finally:
        pg_drop(pg_url, tpl, *names.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10, help="plan tasks, alternately led by all departments (510) and "
                                                          "all communes (3,321); default 10 = 19,155 instances")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--pg-url", default=os.environ.get("PHANCAP_BENCH_PG_URL", PG_DEFAULT))
    args = parser.parse_args(argv)
    workflows = load_workflows()
    clock = Clock.parse(NOW)
    units = registry_units()
    result: dict[str, Any] = {
        "benchmark": "fan-out (instantiate)",
        "registry": {"provinces": 34, "department_units": sum(1 for u in units if u[2] == "department"),
                     "communes": sum(1 for u in units if u[2] == "commune")},
        "plan_tasks": args.n,
    }
    t0 = time.perf_counter()
    if args.only != "sqlite":
        result["postgresql"] = bench_postgresql(args.pg_url, args.n, args.rounds, workflows, clock)
    if args.only != "postgresql":
        directory = scratch_dir(args.dir)
        try:
            result["sqlite"] = bench_sqlite(directory, args.n, args.rounds, workflows, clock)
        finally:
            shutil.rmtree(directory, ignore_errors=True)
    result["method"] = (
        f"{args.rounds} rounds on fresh copies of one template, rotating which side goes first; best round per side. "
        "engine = engine.instantiate.instantiate() (pooled Database, whole call timed incl. its reads and COMMIT); "
        "raw = ids taken up front + first-event hashes in Python + executemany of both tables + COMMIT, row values "
        "prepared outside the timed part; raw_copy (PostgreSQL) = the same with COPY. All sides write identical rows (md5) "
        "and pass the full audit verifier.")
    result["machine"] = machine_info()
    result["total_seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
