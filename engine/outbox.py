"""The outbox (issue 16): what must be delivered outside the database (an e-mail to one address, a webhook call),
written by `enqueue` in the same transaction as the event that causes it, so a crash can neither lose a notice
nor send one for an event that was rolled back; delivered by the worker (engine/worker.py), at least once.

Claiming: a worker takes a batch of due rows under a lease (locked_by, locked_until) and commits; it delivers
outside any transaction and then records the outcomes (a batch's deliveries in one transaction), only while it
still holds the lease. On PostgreSQL the claim is `SELECT … FOR UPDATE SKIP LOCKED`, so several workers share
the outbox without waiting on each other or taking the same row; on SQLite BEGIN IMMEDIATE serialises them. A worker that dies after claiming leaves
its rows to be claimed again when the lease ends (at-least-once: the idempotency key lets the receiver drop
the repeat). A failure is retried with exponential backoff; after `max_attempts` the row is `failed`, shown
in the admin pages with its last error."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from phancap.engine.clock import stamp
from phancap.engine.db import Database

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
STATUSES = (PENDING, DELIVERED, FAILED)
EMAIL, WEBHOOK = "email", "webhook"
ERROR_CHARS = 500  # the last error kept per row


@dataclass(frozen=True)
class RetryPolicy:
    """Attempt n (1-based) that fails waits base·2^(n-1), at most `cap`; after `max_attempts` the row fails."""
    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)
    max_attempts: int = 10
    lease: timedelta = timedelta(minutes=2)  # longer than a batch of deliveries, each bounded by its timeout

    def delay(self, attempts: int) -> timedelta:
        grown: timedelta = self.base * (2 ** max(attempts - 1, 0))
        return min(grown, self.cap)


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    idempotency_key: str
    payload: dict[str, Any]
    attempts: int  # including this one


def idempotency_key(*parts: Any) -> str:
    """Deterministic from the causing event, the channel and the recipient; opaque (no address shows in it)."""
    return hashlib.sha256("|".join(str(p) for p in parts).encode("utf-8")).hexdigest()[:48]


_INSERT = ("INSERT INTO outbox (kind, idempotency_key, unit, payload, status, attempts, next_attempt_at, created_at) "
           "VALUES (?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING")


def enqueue(cur: Any, db: Database, kind: str, key: str, payload: dict[str, Any], at: str,
            unit: str | None = None) -> None:
    """In the caller's transaction; the same key twice is one delivery (a retried command enqueues nothing new)."""
    cur.execute(db.sql(_INSERT), (kind, key, unit, json.dumps(payload, ensure_ascii=False, sort_keys=True), at, at))


def _due(now: str) -> tuple[str, tuple[Any, ...]]:
    return ("status = 'pending' AND next_attempt_at <= ? AND (locked_until IS NULL OR locked_until <= ?)", (now, now))


def claim(db: Database, worker: str, now: datetime, policy: RetryPolicy, limit: int = 20,
          keys: list[str] | None = None) -> list[Claimed]:
    """Take up to `limit` due rows (oldest due first; only those with these idempotency `keys` when given) under
    a lease, counting the attempt."""
    at, until = stamp(now), stamp(now + policy.lease)
    where, params = _due(at)
    if keys is not None:
        if not keys:
            return []
        where += f" AND idempotency_key IN ({', '.join('?' for _ in keys)})"
        params += tuple(keys)
    pick = f"SELECT id FROM outbox WHERE {where} ORDER BY next_attempt_at, id LIMIT ?"
    if not db.is_sqlite:
        pick += " FOR UPDATE SKIP LOCKED"
    sql = (f"UPDATE outbox SET locked_by = ?, locked_until = ?, attempts = attempts + 1 WHERE id IN ({pick}) "
           "RETURNING id, kind, idempotency_key, payload, attempts")
    with db.write() as cur:
        cur.execute(db.sql(sql), (worker, until, *params, limit))
        rows = cur.fetchall()
    return sorted((Claimed(int(r[0]), r[1], r[2], json.loads(r[3]), int(r[4])) for r in rows), key=lambda c: c.id)


def delivered(db: Database, row: Claimed, worker: str, now: datetime) -> bool:
    """Record a delivery; False when the lease was lost meanwhile (another worker may deliver it again)."""
    return delivered_many(db, [row], worker, now) == 1


def delivered_many(db: Database, rows: list[Claimed], worker: str, now: datetime) -> int:
    """Record a batch's deliveries in one transaction (one disk flush, not one per row: a crash before it only
    repeats deliveries, which the idempotency key covers); returns how many were still this worker's."""
    if not rows:
        return 0
    marks = ", ".join("?" for _ in rows)
    with db.write() as cur:
        cur.execute(db.sql("UPDATE outbox SET status = 'delivered', delivered_at = ?, last_error = NULL, "
                           f"locked_by = NULL, locked_until = NULL WHERE id IN ({marks}) AND locked_by = ? "
                           "AND status = 'pending'"), (stamp(now), *(r.id for r in rows), worker))
        return int(cur.rowcount)


def failed(db: Database, row: Claimed, worker: str, now: datetime, error: str, policy: RetryPolicy,
           permanent: bool = False) -> str:
    """Record a failed attempt: retried after the backoff, or `failed` for good; returns the row's status."""
    final = permanent or row.attempts >= policy.max_attempts
    status = FAILED if final else PENDING
    with db.write() as cur:
        cur.execute(db.sql("UPDATE outbox SET status = ?, next_attempt_at = ?, last_error = ?, locked_by = NULL, "
                           "locked_until = NULL WHERE id = ? AND locked_by = ? AND status = 'pending'"),
                    (status, stamp(now + policy.delay(row.attempts)), error[:ERROR_CHARS], row.id, worker))
    return status


def retry(db: Database, row_id: int, now: datetime, region: str | None = None) -> bool:
    """An operator's retry of a failed delivery: pending again, due now, attempts counted afresh. `region`: only
    one about a unit of that registry (an administrator's). False when there is no such failed delivery."""
    scope, params = "", tuple[str, ...]()
    if region is not None:
        scope, params = " AND unit IN (SELECT code FROM unit WHERE region = ?)", (region,)
    with db.write() as cur:
        cur.execute(db.sql("UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ? "
                           f"WHERE id = ? AND status = 'failed'{scope}"), (stamp(now), row_id, *params))
        return bool(cur.rowcount == 1)


def stats(db: Database, now: datetime) -> dict[str, Any]:
    """Rows by status, the oldest pending row's age (the outbox lag) and the newest worker heartbeat's age, in
    seconds (None: no pending row, no worker ever beat)."""
    with db.read() as cur:
        cur.execute("SELECT status, COUNT(*), MIN(created_at) FROM outbox GROUP BY status")
        counts = {status: 0 for status in STATUSES}
        oldest = None
        for status, count, first in cur.fetchall():
            counts[str(status)] = int(count)
            if status == PENDING:
                oldest = first
        cur.execute("SELECT MAX(beat_at) FROM worker_heartbeat")
        beat = cur.fetchone()[0]
    return {"counts": counts, "oldest_pending_age_seconds": _age(now, oldest), "heartbeat_age_seconds": _age(now, beat)}


HEARTBEAT_STALE_SECONDS = 60.0  # a worker passes every PHANCAP_WORKER_POLL_SECONDS (5 s by default)
LAG_SECONDS = 600.0  # a notice waiting longer than this: deliveries are failing or no worker runs


def health(db: Database, now: datetime) -> dict[str, Any]:
    """What /healthz tells of the worker and the outbox: counts and ages only (no address, no error text)."""
    found = stats(db, now)
    beat, lag = found["heartbeat_age_seconds"], found["oldest_pending_age_seconds"]
    worker = "absent" if beat is None else ("stale" if beat > HEARTBEAT_STALE_SECONDS else "ok")
    return {"worker": {"state": worker, "heartbeat_age_seconds": beat},
            "outbox": {"state": "lagging" if lag is not None and lag > LAG_SECONDS else "ok",
                       "pending": found["counts"][PENDING], "failed": found["counts"][FAILED],
                       "oldest_pending_age_seconds": lag}}


def _age(now: datetime, at: str | None) -> float | None:
    if at is None:
        return None
    return round(max((now - datetime.fromisoformat(at.replace("Z", "+00:00"))).total_seconds(), 0.0), 1)


def list_deliveries(db: Database, *, region: str | None, status: str | None = None, limit: int = 200,
                    before: int | None = None) -> list[dict[str, Any]]:
    """Newest first; `region`: only those about units of that registry (None: every one)."""
    where: list[str] = ["1 = 1"]
    params: list[Any] = []
    if region is not None:
        where.append("o.unit IN (SELECT code FROM unit WHERE region = ?)")
        params.append(region)
    if status in STATUSES:
        where.append("o.status = ?")
        params.append(status)
    if before is not None:
        where.append("o.id < ?")
        params.append(before)
    sql = ("SELECT o.id, o.kind, o.unit, o.payload, o.status, o.attempts, o.next_attempt_at, o.last_error, "
           f"o.created_at, o.delivered_at, o.idempotency_key FROM outbox o WHERE {' AND '.join(where)} "
           "ORDER BY o.id DESC LIMIT ?")
    with db.read() as cur:
        cur.execute(db.sql(sql), (*params, limit))
        rows = cur.fetchall()
    out = []
    for r in rows:
        payload = json.loads(r[3])
        out.append({"id": int(r[0]), "kind": r[1], "unit": r[2], "to": payload.get("to"),
                    "subject": payload.get("subject") or (payload.get("body") or {}).get("event"),
                    "status": r[4], "attempts": int(r[5]), "next_attempt_at": r[6] if r[4] == PENDING else None,
                    "last_error": r[7], "created_at": r[8], "delivered_at": r[9], "idempotency_key": r[10]})
    return out
