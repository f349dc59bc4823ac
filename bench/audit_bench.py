#!/usr/bin/env python3
"""Issue 16: audit verification and search over many events, on PostgreSQL (partitioned by month).

Not a test. One run:

* a scratch database `phancap_audit_bench`: the schema (Alembic, so audit_event is partitioned), both
  seed plans instantiated, then `--n` synthetic `comment` events appended to the tasks round-robin over
  twelve months (2026), each hash-chained on its task's newest event and carrying that task's snapshot,
  loaded with COPY; each task's version and last_hash follow, so the whole trail verifies;
* full verification (engine.audit_checkpoint.verify_full, which records a checkpoint), then `--new`
  more events and an incremental verification (only those are read), then an incremental one with
  nothing new;
* the search: one page of 1,000 by keyset (id > after) in the middle of the trail, with and without
  an actor filter, next to the same page by OFFSET, which the keyset replaces.

Prints JSON to stdout, progress to stderr. Usage:
    python bench/audit_bench.py [--n 200000] [--new 100] [--pg-url postgresql://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date, datetime, timedelta, UTC
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from phancap.engine.audit import event_hash  # noqa: E402
from phancap.engine.audit_checkpoint import verify_full, verify_incremental  # noqa: E402
from phancap.engine.audit_partitions import ensure_months  # noqa: E402
from phancap.engine.clock import Clock  # noqa: E402
from phancap.engine.db import Database  # noqa: E402
from phancap.engine.instantiate import instantiate  # noqa: E402
from phancap.engine.loader import read_definitions, store_definitions  # noqa: E402
from phancap.engine.visibility import AuditFilter, audit_page, search_audit  # noqa: E402
from phancap.engine.workflows import load_workflows  # noqa: E402

NAME = "phancap_audit_bench"
START = datetime(2026, 1, 1, tzinfo=UTC)
COLUMNS = ("task_id", "seq", "trigger", "from_state", "to_state", "actor", "unit", "role", "capacity", "at",
           "comment", "evidence", "data", "prev_hash", "hash", "snapshot")


def log(*parts: Any) -> None:
    print(*parts, file=sys.stderr, flush=True)


def scratch(pg_url: str) -> str:
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {NAME}")
        admin.execute(f"CREATE DATABASE {NAME}")
    return pg_url.rsplit("/", 1)[0] + f"/{NAME}"


def append(db: Database, n: int, offset: int, step: timedelta) -> None:
    """n comment events, round-robin over the tasks, chained and checkpointed on each task."""
    with db.write() as cur:
        cur.execute("SELECT t.id, t.version, t.last_hash, t.state, t.unit, a.snapshot FROM task_instance t "
                    "JOIN audit_event a ON a.task_id = t.id AND a.seq = t.version ORDER BY t.id")
        tasks = [[*r[:5], json.loads(r[5])] for r in cur.fetchall()]  # the snapshot follows the version
        with cur.copy(f"COPY audit_event ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for i in range(n):
                task = tasks[i % len(tasks)]
                tid, version, prev, state, unit, snapshot = task
                snap = json.dumps({**snapshot, "version": version + 1}, ensure_ascii=False, separators=(",", ":"))
                at = (START + step * (offset + i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
                values = (tid, version + 1, "comment", state, state, f"cv.{i % 50}", unit, "officer", None, at,
                          f"Ý kiến số {offset + i}", None, None)
                digest = event_hash(prev, values, snap)
                copy.write_row((*values, prev, digest, snap))
                task[1], task[2] = version + 1, digest
        for tid, version, last, *_ in tasks:
            cur.execute("UPDATE task_instance SET version = %s, last_hash = %s WHERE id = %s", (version, last, tid))


def timed(label: str, fn: Any) -> tuple[float, Any]:
    began = time.perf_counter()
    result = fn()
    took = time.perf_counter() - began
    log(f"{label}: {took:.3f} s")
    return took, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--new", type=int, default=100)
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    url = scratch(args.pg_url)
    db = Database(url)
    try:
        workflows, clock = load_workflows(), Clock.parse("2025-04-01T09:00+07:00")
        db.upgrade()
        store_definitions(db, read_definitions(None, set(workflows)), clock)
        for plan in ("HN-2025", "KT-2025"):
            instantiate(db, plan, workflows, clock)
        ensure_months(db, date(2026, 1, 1), date(2027, 1, 1))
        step = timedelta(days=365) / max(args.n + args.new, 1)  # the events spread over 2026
        load_s, _ = timed(f"append {args.n} events (COPY)", lambda: append(db, args.n, 0, step))
        with db.write() as cur:
            cur.execute("ANALYZE audit_event")
            cur.execute("SELECT COUNT(*), MAX(id) FROM audit_event")
            total, newest = cur.fetchone()
            cur.execute("SELECT COUNT(*) FROM task_instance")
            (tasks,) = cur.fetchone()
        full_s, (full, _) = timed("full verification", lambda: verify_full(db, "bench", "2027-01-01T00:00:00Z"))
        assert full.ok, full.problems[:5]
        append(db, args.new, args.n, step)
        inc_s, (inc, _) = timed(f"incremental, {args.new} new", lambda: verify_incremental(db, "bench", "2027-01-01T00:01:00Z"))
        assert inc.ok and inc.events == args.new, (inc.events, inc.problems[:5])
        idle_s, (idle, _) = timed("incremental, nothing new", lambda: verify_incremental(db, "bench", "2027-01-01T00:02:00Z"))
        middle = int(newest) // 2
        keyset_s, (page, _) = timed("keyset page (1000, middle)", lambda: audit_page(db, AuditFilter(), middle, 1000))
        actor_s, (by_actor, _) = timed("keyset page, actor filter", lambda: audit_page(db, AuditFilter(actor="cv.7"), middle, 1000))
        offset_s, old = timed("OFFSET page (1000, middle)", lambda: search_audit(db, AuditFilter(), 1000, int(total) // 2))
        assert len(page) == len(old) == 1000 and by_actor
        print(json.dumps({
            "events": int(total) + args.new, "tasks": int(tasks), "load_s": round(load_s, 2),
            "full_verify_s": round(full_s, 3), "incremental_verify_s": round(inc_s, 3), "incremental_events": inc.events,
            "incremental_idle_s": round(idle_s, 3), "keyset_page_s": round(keyset_s, 4),
            "keyset_actor_page_s": round(actor_s, 4), "offset_page_s": round(offset_s, 4),
        }, indent=1))
    finally:
        db.dispose()
        with psycopg.connect(args.pg_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {NAME}")


if __name__ == "__main__":
    main()
