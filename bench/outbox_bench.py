#!/usr/bin/env python3
"""Outbox deliveries per second through the worker's claim → send → record cycle (engine/outbox.py,
engine/worker.py), the sender a no-op so the figure is the outbox's own cost, not an SMTP server's.

Not a test. For each database (SQLite file with WAL and synchronous=FULL; a scratch PostgreSQL database,
dropped at the end): N rows are enqueued in one transaction, then drained by 1 worker, then (N rows again)
by 2 and 4 workers in threads; every row is checked delivered exactly once.

    python bench/outbox_bench.py [--n 2000] [--only sqlite|postgresql] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from phancap.engine import outbox  # noqa: E402
from phancap.engine.clock import Clock  # noqa: E402
from phancap.engine.db import Database  # noqa: E402
from phancap.engine.notify import NotifySettings, Sender  # noqa: E402
from phancap.engine.worker import Worker, WorkerSettings  # noqa: E402


class CountingSender(Sender):
    def __init__(self) -> None:
        super().__init__(NotifySettings())
        self.sent: Counter[str] = Counter()
        self.lock = threading.Lock()

    def send(self, row: outbox.Claimed) -> None:
        with self.lock:
            self.sent[row.idempotency_key] += 1


def drain(db: Database, n: int, workers: int, round_: int) -> float:
    clock = Clock()
    with db.write() as cur:
        for i in range(n):
            outbox.enqueue(cur, db, outbox.WEBHOOK, outbox.idempotency_key(round_, i), {"body": {"n": i}},
                           "2025-01-01T00:00:00.000000Z")
    sender = CountingSender()
    pool = [Worker(db, {}, clock, sender, WorkerSettings(batch=20), name=f"b{round_}-{i}") for i in range(workers)]
    start = time.perf_counter()
    threads = [threading.Thread(target=w.run_once) for w in pool]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    assert len(sender.sent) == n and set(sender.sent.values()) == {1}, "every row once"
    return n / elapsed


def run(url: str, label: str, n: int) -> None:
    db = Database(url)
    db.upgrade()
    for round_, workers in enumerate((1, 2, 4)):
        rate = drain(db, n, workers, round_)
        print(f"{label:<10} workers={workers}  {rate:8.0f} deliveries/s  (n={n})")
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as folder:
            run(f"sqlite:///{Path(folder) / 'outbox.db'}", "sqlite", args.n)
    if args.only != "sqlite":
        name = f"outbox_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.pg_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            run(args.pg_url.rsplit("/", 1)[0] + f"/{name}", "postgresql", args.n)
        finally:
            with psycopg.connect(args.pg_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
