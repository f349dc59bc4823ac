#!/usr/bin/env python3
"""P5: a year of the whole country, through the HTTP API, on PostgreSQL.

Not a test. One run:

* data: the synthetic national registry of bench/sweep_bench.py (34 provinces x 15 departments +
  3,321 communes, plus the central issuer and monitor), --plans plans (24 by default: two a month)
  sharing --n task instances (1,000,000), each instance with --events hash-chained audit events (10:
  its assignment, then progress comments by its lead officer spread over the year, so >= 10,000,000
  events), every chain valid (verified on a sample). An officer per unit, a reviewer per province's
  Sở Nội vụ (each province's focal), one auditor; tokens through the real sign-in sessions.
* engine: `uvicorn phancap.api.app:create_app --factory --workers 2`, the real server.
* bare: a FastAPI app defined here (`bare_app`), same uvicorn flags, over the same database; each
  endpoint runs the same SQL as the engine's route: the reads call the engine's own query functions
  (engine.queue.queue, engine.visibility.visible_task and TaskEngine.triggers,
  engine.dashboard.dashboard, engine.visibility.search_audit) with the user taken from a dict loaded
  at start, and the transition runs the engine's three statements (SELECT … FOR UPDATE OF t, UPDATE
  task_instance, INSERT audit_event with the same sha256 chain) — no authentication, no session
  lookup, no machine, no response models, no middleware.
* load: --clients (8) threads, one province each, each doing the same weighted mix on both sides:
  queue 30 % (GET /api/v1/inbox as an officer of the province), task page 25 % (GET
  /api/v1/tasks/{id}), transition 25 % (submit_for_review by the lead officer / return by the focal
  reviewer, on tasks the client alone owns), dashboard 10 % (GET /api/v1/dashboard?plan=… as the
  province's Sở Nội vụ), audit search 10 % (GET /api/v1/audit?actor=…&limit=50 as the auditor).
  Every answer must be 200. Rounds alternate which side goes first; each side's figures are its
  best round by throughput.

Prints one JSON document: per operation p50/p95/p99 (ms) and count, throughput (operations per
second) and transitions per second, for both sides, with the ratios against the targets
(throughput >= 0.8 x bare, p99 <= 2 x bare's p99 per operation).

    python bench/national_bench.py [--n 1000000] [--events 10] [--plans 24] [--seconds 60] [--rounds 2]
                                   [--clients 8] [--pg-url URL] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from http_bench import COMMENT, Server, bare_transition  # noqa: E402
from sweep_bench import (  # noqa: E402
    LOADED_AT, NOW, PG_DEFAULT, PLAN, TODAY, _lit, build_pg_template, log, machine_info, pg_admin, pg_db_url, pg_drop,
    sample_verify,
)

from phancap.engine.audit import HASHED_FIELDS, encode, sql_encode  # noqa: E402

DB_NAME = "phancap_national"
SECRET = "national-bench-secret-key-0123456789abcdef"
AUDITOR = "bench.auditor"
MIX = (("queue", 30), ("task", 25), ("transition", 25), ("dashboard", 10), ("audit", 10))
TASKS_PER_CLIENT = 40


def plan_code(i: int) -> str:
    return f"VN-2026-{i + 1:02d}"


# ---------------------------------------------------------------------------------------------
# Data


def _comment_hash_sql(prev: str, seq: str, at: str) -> str:
    """sha256 of a progress comment (no snapshot, as the bulk-loaded first events): prev | id | seq | comment
    | state | state | bench.UNIT | UNIT | officer | - | at | text | - | -."""
    values: dict[str, str] = {
        "task_id": sql_encode("e.task_id"), "seq": sql_encode(seq), "trigger": _lit(encode("comment")),
        "from_state": sql_encode("e.state"), "to_state": sql_encode("e.state"),
        "actor": sql_encode("'bench.' || e.unit"), "unit": sql_encode("e.unit"), "role": _lit(encode("officer")),
        "capacity": _lit(encode(None)), "at": sql_encode(at), "comment": sql_encode(f"'Cập nhật tiến độ lần ' || {seq}"),
        "evidence": _lit(encode(None)), "data": _lit(encode(None)),
    }
    return "sha256_hex(" + prev + " || '|' || " + " || '|' || ".join(values[f] for f in HASHED_FIELDS) + ")"


def _at_sql(seq: str) -> str:
    """Comment k of a task: spread from January to May 2026, before the bench's 'now' (2026-06-01)."""
    return (f"to_char(TIMESTAMP '2026-01-06 02:00:00' + (({seq} - 1) * INTERVAL '15 days') + "
            f"((e.task_id % 1000) * INTERVAL '1 minute'), 'YYYY-MM-DD\"T\"HH24:MI:SS') || '.000000Z'")


def extend(url: str, plans: int, events: int) -> dict[str, Any]:
    """The sweep template's one plan split into `plans`, each task's chain grown to `events` events, and the
    bench users. One transaction per step; figures in seconds."""
    import psycopg

    took: dict[str, float] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET synchronous_commit = off")
        t0 = time.perf_counter()
        for i in range(plans):
            conn.execute(
                "INSERT INTO plan (code, title, region, issuer, authority, monitor, justice, definition, source, "
                "loaded_at) SELECT %s, %s, region, issuer, authority, monitor, justice, definition, source, loaded_at "
                "FROM plan WHERE code = %s", (plan_code(i), f"Kế hoạch số {i + 1}/2026 (đo hiệu năng)", PLAN))
        conn.execute(f"UPDATE task_instance SET plan = 'VN-2026-' || lpad(CAST((id % {plans}) + 1 AS TEXT), 2, '0') "
                     f"WHERE plan = '{PLAN}'")
        took["plans"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        # one recursive statement: comment k hashes over comment k-1 (or the first event's hash, last_hash)
        conn.execute(
            "INSERT INTO audit_event (task_id, seq, trigger, from_state, to_state, actor, unit, role, capacity, at, "
            "comment, evidence, data, prev_hash, hash) "
            "WITH RECURSIVE e(task_id, seq, state, unit, prev, hash) AS ("
            " SELECT id, 1, state, unit, CAST(NULL AS TEXT), last_hash FROM task_instance WHERE plan LIKE 'VN-2026-%'"
            " UNION ALL"
            f" SELECT e.task_id, e.seq + 1, e.state, e.unit, e.hash, {_comment_hash_sql('e.hash', 'e.seq + 1', _at_sql('e.seq + 1'))}"
            f" FROM e WHERE e.seq < {events})"
            f" SELECT e.task_id, e.seq, 'comment', e.state, e.state, 'bench.' || e.unit, e.unit, 'officer', NULL,"
            f" {_at_sql('e.seq')}, 'Cập nhật tiến độ lần ' || e.seq, NULL, NULL,"
            " e.prev, e.hash FROM e WHERE e.seq > 1")
        took["events"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        conn.execute(f"UPDATE task_instance t SET version = {events}, last_hash = a.hash FROM audit_event a "
                     f"WHERE a.task_id = t.id AND a.seq = {events}")
        took["heads"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        conn.execute("INSERT INTO app_user (name, unit, roles, created_at) SELECT 'bench.' || code, code, 'officer', "
                     f"{_lit(LOADED_AT)} FROM unit")
        conn.execute("INSERT INTO app_user (name, unit, roles, created_at) SELECT 'bench.reviewer.' || code, code, "
                     f"'reviewer', {_lit(LOADED_AT)} FROM unit WHERE code LIKE 'P__-S01'")
        conn.execute("INSERT INTO app_user (name, unit, roles, created_at) VALUES (%s, 'VN-BNV', 'auditor', %s)",
                     (AUDITOR, LOADED_AT))
        conn.execute("VACUUM (ANALYZE) task_instance")
        conn.execute("VACUUM (ANALYZE) audit_event")
        took["users_and_vacuum"] = time.perf_counter() - t0
        cur = conn.cursor()
        cur.execute("SELECT COUNT(*) FROM audit_event")
        count = int(cur.fetchone()[0])
        check = sample_verify(cur, True, "plan LIKE 'VN-2026-%'")
    with pg_admin(url) as admin:
        admin.execute("CHECKPOINT")
    return {"events": count, "seconds": {k: round(v, 1) for k, v in took.items()}, "sample_verified": check}


# ---------------------------------------------------------------------------------------------
# The bare app: the engine's SQL, none of the web layer


def bare_app() -> Any:
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse

    from phancap.engine import runtime
    from phancap.engine.clock import Clock
    from phancap.engine.dashboard import dashboard
    from phancap.engine.db import Database
    from phancap.engine.queue import queue
    from phancap.engine.users import User
    from phancap.engine.visibility import AuditFilter, search_audit, visible_task
    from phancap.engine.workflows import load_workflows

    db = Database(os.environ["DATABASE_URL"])
    clock = Clock.parse(NOW)
    engine = runtime.TaskEngine(db, load_workflows(), clock)
    with db.read() as cur:
        cur.execute("SELECT name, unit, roles FROM app_user")
        users = {n: User(n, u, tuple(r.split(","))) for n, u, r in cur.fetchall()}
    statements = (db.sql(runtime._SELECT_TASK + " FOR UPDATE OF t"), db.sql(runtime._UPDATE_TASK),
                  db.sql(runtime._INSERT_EVENT))
    app = FastAPI()

    @app.get("/bare/inbox")
    def bare_inbox(user: str) -> Any:
        found = queue(engine, users[user], limit=20)
        return JSONResponse({"items": [i["id"] for i in found.items], "total": found.total})

    @app.get("/bare/task/{task_id}")
    def bare_task(task_id: int, user: str) -> Any:
        item = visible_task(db, users[user], task_id)
        if item is None:
            return JSONResponse({"detail": "missing"}, status_code=404)
        return JSONResponse({"id": item["id"], "state": item["state"],
                             "triggers": [t.trigger for t in engine.triggers(task_id, user)]})

    @app.get("/bare/dashboard")
    def bare_dashboard(user: str, plan: str) -> Any:
        figures = dashboard(engine, users[user], plan)
        return JSONResponse({"plans": len(figures.plans)})

    @app.get("/bare/audit")
    def bare_audit(actor: str) -> Any:
        rows = search_audit(db, AuditFilter(None, None, actor, None, None, None, None), 50, 0)
        return JSONResponse({"events": len(rows)})

    @app.post("/bare/fire/{task_id}")
    def bare_fire(task_id: int, user: str) -> Any:
        with db.write() as cur:
            done = bare_transition(cur, statements, task_id, user, clock)
        return JSONResponse({k: done[k] for k in ("task", "state", "version")})

    return app


# ---------------------------------------------------------------------------------------------
# The load


class Client:
    """One province: its officers' queues and tasks, its Sở Nội vụ's dashboard, the auditor's searches."""

    def __init__(self, province: int, units: list[str], owned: list[tuple[int, str]], readable: list[tuple[int, str]],
                 seed: int) -> None:
        self.focal = f"P{province:02d}-S01"
        self.units, self.owned, self.readable = units, owned, readable
        self.state = {tid: "assigned" for tid, _ in owned}
        self.rng = random.Random(seed)

    def request(self, kind: str, op: str, http: Any, base: str, tokens: dict[str, dict[str, str]]) -> Any:
        rng = self.rng
        if op == "queue":
            user = "bench." + rng.choice(self.units)
            if kind == "engine":
                return http.get(f"{base}/api/v1/inbox", params={"limit": 20}, headers=tokens[user])
            return http.get(f"{base}/bare/inbox", params={"user": user})
        if op == "task":
            tid, unit = rng.choice(self.readable)
            user = "bench." + unit
            if kind == "engine":
                return http.get(f"{base}/api/v1/tasks/{tid}", headers=tokens[user])
            return http.get(f"{base}/bare/task/{tid}", params={"user": user})
        if op == "dashboard":
            user, plan = "bench.reviewer." + self.focal, plan_code(rng.randrange(24))
            if kind == "engine":
                return http.get(f"{base}/api/v1/dashboard", params={"plan": plan}, headers=tokens[user])
            return http.get(f"{base}/bare/dashboard", params={"user": user, "plan": plan})
        if op == "audit":
            actor = "bench." + rng.choice(self.units)
            if kind == "engine":
                return http.get(f"{base}/api/v1/audit", params={"actor": actor, "limit": 50}, headers=tokens[AUDITOR])
            return http.get(f"{base}/bare/audit", params={"actor": actor})
        tid, unit = rng.choice(self.owned)
        forward = self.state[tid] == "assigned"
        user = "bench." + unit if forward else "bench.reviewer." + self.focal
        if kind == "engine":
            body = {"trigger": "submit_for_review"} if forward else {"trigger": "return", "comment": COMMENT}
            answer = http.post(f"{base}/api/v1/tasks/{tid}/transitions", json=body, headers=tokens[user])
        else:
            answer = http.post(f"{base}/bare/fire/{tid}", params={"user": user})
        if answer.status_code == 200:
            self.state[tid] = answer.json()["state"]
        return answer


def clients_for(url: str, count: int) -> list[Client]:
    """Province p's client: 40 open tasks of its communes and departments tracked by its Sở Nội vụ (split in
    two: one half per side, so each side's chains stay its own), and 500 readable ones."""
    from phancap.engine.db import Database

    db = Database(url, pooled=False)
    made = []
    try:
        with db.read() as cur:
            for p in range(1, count + 1):
                focal = f"P{p:02d}-S01"
                cur.execute("SELECT id, unit FROM task_instance WHERE focal = %s AND state = 'assigned' "
                            "AND deadline >= %s AND unit <> focal ORDER BY id LIMIT %s",
                            (focal, TODAY, 2 * TASKS_PER_CLIENT))
                owned = [(int(i), u) for i, u in cur.fetchall()]
                cur.execute("SELECT id, unit FROM task_instance WHERE focal = %s ORDER BY id LIMIT 500", (focal,))
                readable = [(int(i), u) for i, u in cur.fetchall()]
                units = sorted({u for _, u in readable})
                made.append(Client(p, units, owned, readable, seed=p))
    finally:
        db.dispose()
    return made


def tokens_for(url: str, clients: list[Client]) -> dict[str, dict[str, str]]:
    from phancap.api.security import Signer
    from phancap.engine.clock import Clock
    from phancap.engine.db import Database

    db = Database(url, pooled=False)
    try:
        signer = Signer(SECRET, Clock.parse(NOW), db=db)
        names = {AUDITOR} | {"bench.reviewer." + c.focal for c in clients}
        names |= {"bench." + u for c in clients for u in c.units} | {"bench." + u for c in clients for _, u in c.owned}
        return {n: {"Authorization": f"Bearer {signer.token(n)}"} for n in sorted(names)}
    finally:
        db.dispose()


def run_side(kind: str, base: str, clients: list[Client], tokens: dict[str, dict[str, str]],
             seconds: float) -> dict[str, Any]:
    import httpx

    latencies: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    ops = [op for op, weight in MIX for _ in range(weight)]

    def loop(client: Client) -> None:
        with httpx.Client(timeout=120) as http:
            while not stop.is_set():
                op = client.rng.choice(ops)
                t0 = time.perf_counter()
                answer = client.request(kind, op, http, base, tokens)
                took = time.perf_counter() - t0
                if answer.status_code != 200:
                    with lock:
                        errors.append(f"{kind} {op}: {answer.status_code} {answer.text[:300]}")
                    stop.set()
                    return
                with lock:
                    latencies[op].append(took)

    threads = [threading.Thread(target=loop, args=(c,)) for c in clients]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise SystemExit(errors[0])
    total = sum(len(v) for v in latencies.values())
    per_op = {op: _percentiles(latencies[op]) for op, _ in MIX}
    result = {"operations": total, "seconds": round(elapsed, 1), "ops_per_s": round(total / elapsed, 1),
              "transitions_per_s": round(len(latencies["transition"]) / elapsed, 1), "per_operation": per_op}
    log(f"{kind}: {total} operations in {elapsed:.0f} s = {total / elapsed:.1f}/s, "
        f"{result['transitions_per_s']} transitions/s; p50 ms: "
        + ", ".join(f"{op} {v.get('p50_ms')}" for op, v in per_op.items()))
    return result


def _percentiles(values: list[float]) -> dict[str, Any]:
    if len(values) < 2:
        return {"count": len(values)}
    q = statistics.quantiles(values, n=100, method="inclusive")
    return {"count": len(values), "p50_ms": round(q[49] * 1000, 1), "p95_ms": round(q[94] * 1000, 1),
            "p99_ms": round(q[98] * 1000, 1)}


def reused(pg_url: str, url: str) -> dict[str, Any] | None:
    """The figures of a database a --keep run left (its counts; transitions of that run included)."""
    import psycopg

    with pg_admin(pg_url) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone() is None:
            return None
    with psycopg.connect(url) as conn:
        instances = conn.execute("SELECT COUNT(*) FROM task_instance").fetchone()[0]
        events = conn.execute("SELECT COUNT(*) FROM audit_event").fetchone()[0]
    log(f"reusing {DB_NAME}: {instances} instances, {events} events")
    return {"instances": int(instances), "events": int(events), "reused": True}


def serve(kind: str, url: str) -> Server:
    env = {"PHANCAP_NOW": NOW, "PHANCAP_SECRET_KEY": SECRET}
    if kind == "engine":
        return Server("phancap.api.app:create_app", url, env=env)
    return Server("national_bench:bare_app", url, app_dir=str(ROOT / "bench"), env=env)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10)
    parser.add_argument("--plans", type=int, default=24)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--pg-url", default=os.environ.get("PHANCAP_BENCH_PG_URL", PG_DEFAULT))
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--reuse", action="store_true", help="use the database a --keep run left, if present")
    args = parser.parse_args(argv)
    url = pg_db_url(args.pg_url, DB_NAME)
    t0 = time.perf_counter()
    data = reused(args.pg_url, url) if args.reuse else None
    if data is None:
        log(f"building {args.n} instances over the national registry …")
        data = build_pg_template(args.pg_url, DB_NAME, args.n)
        log(f"  {data['load_seconds']} s; {args.plans} plans, {args.events} events per task …")
        data.update(extend(url, args.plans, args.events))
        data["build_seconds"] = round(time.perf_counter() - t0, 1)
    log(f"  {data['events']} events; built in {data['build_seconds']} s")
    try:
        clients = clients_for(url, args.clients)
        for client in clients:  # the first half of each client's tasks for the engine, the second for bare
            assert len(client.owned) == 2 * TASKS_PER_CLIENT, "too few open tasks for a client"
        tokens = tokens_for(url, clients)
        halves = {"engine": [c.owned[:TASKS_PER_CLIENT] for c in clients],
                  "bare": [c.owned[TASKS_PER_CLIENT:] for c in clients]}
        rounds: dict[str, list[dict[str, Any]]] = {"engine": [], "bare": []}
        for r in range(args.rounds):
            for kind in (("engine", "bare") if r % 2 == 0 else ("bare", "engine")):
                for client, owned in zip(clients, halves[kind]):
                    client.owned = owned  # client.state keeps both halves' states across rounds
                server = serve(kind, url)
                try:
                    run_side(kind, server.base, clients, tokens, min(10.0, args.seconds / 4))  # warm-up
                    rounds[kind].append(run_side(kind, server.base, clients, tokens, args.seconds))
                finally:
                    server.stop()
        from phancap.engine.db import Database

        db = Database(url, pooled=False)
        try:
            with db.read() as cur:
                touched = [t for c in clients for h in halves.values() for t, _ in h[clients.index(c)]]
                check = sample_verify(cur, True, f"id IN ({', '.join(map(str, touched))})", k=len(touched))
        finally:
            db.dispose()
    finally:
        if not args.keep:
            pg_drop(args.pg_url, DB_NAME)
    best = {k: max(v, key=lambda r: r["ops_per_s"]) for k, v in rounds.items()}
    engine, bare = best["engine"], best["bare"]
    p99 = {op: (engine["per_operation"][op].get("p99_ms"), bare["per_operation"][op].get("p99_ms")) for op, _ in MIX}
    p99_ratio = {op: round(e / b, 2) if e and b else None for op, (e, b) in p99.items()}
    print(json.dumps({
        "benchmark": "P5 a year of the whole country through the HTTP API (PostgreSQL, uvicorn --workers 2)",
        "data": data, "clients": args.clients, "seconds_per_run": args.seconds, "rounds": args.rounds,
        "mix_percent": dict(MIX), "engine": engine, "bare": bare,
        "throughput_ratio": round(engine["ops_per_s"] / bare["ops_per_s"], 3), "target_throughput_ratio": 0.8,
        "throughput_met": engine["ops_per_s"] / bare["ops_per_s"] >= 0.8,
        "p99_ratio": p99_ratio, "target_p99_ratio": 2.0,
        "p99_met": all(r is not None and r <= 2.0 for r in p99_ratio.values()),
        "touched_chains_verified": check, "per_round": rounds, "machine": machine_info(),
    }, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
