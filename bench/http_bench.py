#!/usr/bin/env python3
"""P2: HTTP transitions per second through the real server, against a bare FastAPI endpoint doing the
same SQL, both on PostgreSQL, both served by uvicorn with two workers, driven by the same 8 client
threads in the same run.

* engine: `uvicorn api.app:create_app --factory --workers 2`; each request is
  POST /api/v1/tasks/{id}/transitions with a bearer token: token check, user lookup, visibility of
  the result, TaskEngine.fire() (row lock, version, shared machine, UPDATE + hash-chained INSERT).
* bare: a minimal FastAPI app defined here (`bare_app`), same uvicorn flags; POST /bare/{id} runs
  the engine's own three statements (SELECT … FOR UPDATE OF t, UPDATE task_instance, INSERT
  audit_event with the same sha256 chain) in one transaction, with no authentication, no machine,
  no response model.

Workload: every plan_task instance of both shipped plans, split over the 8 clients (no two clients
share a task); each task cycles submit_for_review (lead officer) / return with a comment (focal
reviewer). Each side runs on its own scratch database prepared identically. Rounds alternate
(engine first in odd rounds, bare first in even ones); the figures are the best round of each.
Every answer must be 200; both audit chains are verified at the end.

    python bench/http_bench.py [--seconds 15] [--rounds 2] [--clients 8] [--pg-url URL]

Progress goes to stderr, the JSON result to stdout."""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"
SECRET = "http-bench-secret-key-0123456789abcdefghijkl"
START = "2025-04-01T09:00:00+07:00"
COMMENT = "Bổ sung số liệu, gửi lại"
ENGINE_DB, BARE_DB = "phancap_httpbench", "phancap_httpbench_bare"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# The bare endpoint: the engine's statements, nothing else



def bare_transition(cur: Any, statements: tuple[str, str, str], task_id: int, actor: str, clock: Any) -> dict[str, Any]:
    """The engine's three statements (SELECT … FOR UPDATE OF t, UPDATE task_instance, INSERT audit_event with
    the same sha256 chain) for one step of the cycle submit_for_review / return, in the caller's transaction."""
    from phancap.engine.audit import event_hash, snapshot_json
    from phancap.engine.clock import stamp

    select, update, insert = statements
    cur.execute(select, (actor, task_id))
    row = cur.fetchone()
    state, version, deadline, state_due, last_hash, overdue_at, pending = (
        row[1], row[3], row[10], row[11], row[13], row[14], row[15])
    if state == "assigned":
        trigger, to_state, role, comment = "submit_for_review", "in_review", "officer", None
    else:
        trigger, to_state, role, comment = "return", "assigned", "reviewer", COMMENT
    at = stamp(clock.now())
    seq = int(version) + 1
    values = (task_id, seq, trigger, state, to_state, actor, row[16], role, None, at, comment, None, None)
    snapshot = snapshot_json(state=to_state, stage=to_state, version=seq, unit=row[4], focal=row[5],
                             authority=row[6], monitor=row[7], justice=row[8], coordinators=row[9],
                             deadline=deadline, pending_deadline=pending, state_due=state_due,
                             overdue_at=overdue_at, complex=bool(row[12]), plan=row[18])
    new_hash = event_hash(last_hash, values, snapshot)
    # done_on (0007): plan_task's moves here are not done
    cur.execute(update, (to_state, to_state, seq, at, state_due, overdue_at, deadline, pending, new_hash, False, None,
                         task_id, version))
    cur.execute(insert, (*values, last_hash, new_hash, snapshot))
    return {"task": task_id, "state": to_state, "version": seq, "hash": new_hash}


def bare_app() -> Any:
    from fastapi import FastAPI
    from sqlalchemy import create_engine

    from phancap.engine import runtime
    from phancap.engine.clock import Clock
    from phancap.engine.settings import normalise_url

    engine = create_engine(normalise_url(os.environ["DATABASE_URL"]), pool_size=10, max_overflow=20)
    select = runtime._SELECT_TASK.replace("?", "%s") + " FOR UPDATE OF t"
    update = runtime._UPDATE_TASK.replace("?", "%s")
    insert = runtime._INSERT_EVENT.replace("?", "%s")
    clock = Clock.parse(START)
    app = FastAPI()

    @app.post("/bare/{task_id}", response_class=JSONResponse)
    async def fire(task_id: int, request: Request):  # type: ignore[no-untyped-def]
        body = await request.json()
        return JSONResponse(await _run(task_id, body["actor"]))

    async def _run(task_id: int, actor: str) -> dict[str, Any]:
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(_fire, task_id, actor)

    def _fire(task_id: int, actor: str) -> dict[str, Any]:
        conn = engine.raw_connection()
        try:
            cur = conn.cursor()
            done = bare_transition(cur, (select, update, insert), task_id, actor, clock)
            conn.commit()
            cur.close()
            return done
        except BaseException:
            conn.rollback()
            raise
        finally:
            conn.close()

    return app


# ---------------------------------------------------------------------------------------------
# Databases, servers, clients


def db_url(admin: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(admin).set(database=name).render_as_string(hide_password=False)


def create_databases(admin: str, names: list[str]) -> None:
    import psycopg
    from engine_bench import prepare

    from phancap.engine.clock import Clock
    from phancap.engine.workflows import load_workflows

    with psycopg.connect(admin, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{names[0]}"')
    prepare(db_url(admin, names[0]), load_workflows(), Clock.parse(START))
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in names[1:]:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{names[0]}"')


def drop_databases(admin: str, names: list[str]) -> None:
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, app: str, url: str, workers: int = 2, app_dir: str | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "DATABASE_URL": url, "PHANCAP_SECRET_KEY": SECRET, "PHANCAP_NOW": START,
               "PYTHONPATH": str(ROOT), **(env or {})}
        env.pop("PHANCAP_DEMO", None)
        command = [sys.executable, "-m", "uvicorn", app, "--factory", "--workers", str(workers), "--host", "127.0.0.1",
                   "--port", str(self.port), "--log-level", "warning", "--no-access-log"]
        if app_dir:
            command += ["--app-dir", app_dir]
        self.proc = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
        import httpx

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.base}/openapi.json", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise SystemExit(f"{app} did not start")

    def pids(self) -> list[int]:
        import psutil

        return [p.pid for p in psutil.process_iter(["status"])
                if p.info["status"] != psutil.STATUS_ZOMBIE and _pgid(p.pid) == self.proc.pid]

    def rss(self) -> int:
        import psutil

        total = 0
        for pid in self.pids():
            try:
                total += psutil.Process(pid).memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total

    def stop(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=20)


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def workload(url: str) -> list[tuple[int, str, str, str]]:
    """(task, state, lead officer, focal reviewer) for every plan_task instance in assigned/in_review."""
    from engine_bench import bench_user

    from phancap.engine.db import Database

    db = Database(url, pooled=False)
    try:
        with db.read() as cur:
            cur.execute("SELECT id, state, unit, focal FROM task_instance WHERE workflow = 'plan_task' "
                        "AND state IN ('assigned', 'in_review') ORDER BY id")
            return [(int(i), s, bench_user(u), bench_user(f, "reviewer")) for i, s, u, f in cur.fetchall()]
    finally:
        db.dispose()


class Load:
    """Client threads, each owning its tasks, each cycling submit_for_review / return."""

    def __init__(self, base: str, kind: str, tasks: list[tuple[int, str, str, str]], clients: int,
                 url: str) -> None:
        from phancap.api.security import Signer
        from phancap.engine.clock import Clock
        from phancap.engine.db import Database

        self.base, self.kind, self.clients = base, kind, clients
        self.shares = [tasks[i::clients] for i in range(clients)]
        self.state = {t[0]: t[1] for t in tasks}
        db = Database(url, pooled=False)  # tokens need their server-side session rows
        try:
            signer = Signer(SECRET, Clock.parse(START), db=db)  # the server runs on START: a later token is refused
            users = {u for t in tasks for u in t[2:]}
            self.tokens = {u: {"Authorization": f"Bearer {signer.token(u)}"} for u in users}
        finally:
            db.dispose()
        self.done = 0
        self.errors: list[str] = []
        self._lock = threading.Lock()

    def run(self, *, seconds: float | None = None, count: int | None = None,
            on_progress: Any = None) -> tuple[int, float]:
        """Fire for `seconds` or until `count` transitions; returns (transitions, elapsed)."""
        import httpx

        stop = threading.Event()
        start_done = self.done
        started = time.perf_counter()

        def worker(share: list[tuple[int, str, str, str]]) -> None:
            i = 0
            with httpx.Client(timeout=60) as client:
                while not stop.is_set():
                    task_id, _, officer, reviewer = share[i % len(share)]
                    i += 1
                    forward = self.state[task_id] == "assigned"
                    actor = officer if forward else reviewer
                    if self.kind == "engine":
                        body = {"trigger": "submit_for_review"} if forward else {"trigger": "return", "comment": COMMENT}
                        answer = client.post(f"{self.base}/api/v1/tasks/{task_id}/transitions", json=body,
                                             headers=self.tokens[actor])
                    else:
                        answer = client.post(f"{self.base}/bare/{task_id}", json={"actor": actor})
                    if answer.status_code != 200:
                        with self._lock:
                            self.errors.append(f"{answer.status_code} {answer.text[:200]}")
                        stop.set()
                        return
                    self.state[task_id] = answer.json()["state"]
                    with self._lock:
                        self.done += 1
                        n = self.done - start_done
                    if on_progress is not None:
                        on_progress(n)
                    if count is not None and n >= count:
                        stop.set()

        threads = [threading.Thread(target=worker, args=(share,)) for share in self.shares]
        for thread in threads:
            thread.start()
        if seconds is not None:
            stop.wait(seconds)
            stop.set()
        for thread in threads:
            thread.join()
        if self.errors:
            raise SystemExit(f"{self.kind}: a transition failed: {self.errors[0]}")
        return self.done - start_done, time.perf_counter() - started


def measure(kind: str, url: str, seconds: float, clients: int, warmup: int) -> float:
    tasks = workload(url)
    if kind == "engine":
        server = Server("phancap.api.app:create_app", url)
    else:
        server = Server("http_bench:bare_app", url, app_dir=str(ROOT / "bench"))
    try:
        load = Load(server.base, kind, tasks, clients, url)
        load.run(count=warmup)
        n, elapsed = load.run(seconds=seconds)
    finally:
        server.stop()
    rate = n / elapsed
    log(f"{kind}: {n} transitions in {elapsed:.1f} s = {rate:.0f}/s")
    return rate


def verify(url: str) -> dict[str, Any]:
    from phancap.engine.db import Database
    from phancap.engine.queries import verify_audit

    db = Database(url, pooled=False)
    try:
        report = verify_audit(db).to_json()
        return {"ok": report["ok"], "events": report["events"]}
    finally:
        db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--pg-url", default=os.environ.get("PHANCAP_BENCH_PG_URL", PG_DEFAULT))
    args = parser.parse_args()
    names = [ENGINE_DB, BARE_DB]
    log("preparing two scratch databases…")
    create_databases(args.pg_url, names)
    urls = {"engine": db_url(args.pg_url, ENGINE_DB), "bare": db_url(args.pg_url, BARE_DB)}
    rounds: dict[str, list[float]] = {"engine": [], "bare": []}
    try:
        for r in range(args.rounds):
            order = ("engine", "bare") if r % 2 == 0 else ("bare", "engine")
            for kind in order:
                rounds[kind].append(measure(kind, urls[kind], args.seconds, args.clients, args.warmup))
        checks = {kind: verify(url) for kind, url in urls.items()}
    finally:
        drop_databases(args.pg_url, names)
    engine, bare = max(rounds["engine"]), max(rounds["bare"])
    print(json.dumps({
        "benchmark": "P2 HTTP transitions per second (PostgreSQL, uvicorn --workers 2)",
        "clients": args.clients, "seconds_per_run": args.seconds, "rounds": args.rounds,
        "engine_per_s": round(engine, 1), "bare_per_s": round(bare, 1), "ratio": round(engine / bare, 3),
        "target_ratio": 0.5, "met": engine / bare >= 0.5,
        "per_round": {k: [round(v, 1) for v in vs] for k, vs in rounds.items()},
        "audit_verified": checks,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
    }, indent=2))


if __name__ == "__main__":
    main()
