"""`phancap worker` (issue 16): delivers the outbox (engine/outbox.py) with retries and backoff, runs the deadline
sweep on a schedule (every few minutes and just after midnight in Việt Nam, one at a time through the sweep's
own lock, engine/tick.py), queues the daily digest at PHANCAP_DIGEST_AT (engine/digest.py), and beats in `worker_heartbeat` each pass so /healthz can tell it is alive.

Every time comes from the injected Clock (tests move it instead of sleeping); only the idle wait between
passes is real time. `phancap serve` runs one in a thread for the embedded SQLite default."""

from __future__ import annotations

import itertools
import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from phancap.engine import outbox
from phancap.engine.clock import VIETNAM, Clock, stamp
from phancap.engine.db import Database
from phancap.engine.machine import WorkflowMachine
from phancap.engine.notify import Delivery, DeliveryFailed, Sender
from phancap.engine.tick import TickResult, tick
from phancap.engine.audit_partitions import ensure_ahead

log = logging.getLogger(__name__)
_serial = itertools.count(1)
# A beat is a write: at most this often (and after each sweep), so that on SQLite the worker seldom takes the
# write lock between a request's read and its write. /healthz calls a worker stale after 60 s without one.
HEARTBEAT_EVERY = timedelta(seconds=15)
HEARTBEAT_KEPT = timedelta(days=7)


@dataclass(frozen=True)
class WorkerSettings:
    poll_seconds: float = 5.0  # the idle wait between passes (real time); a new notice wakes the worker sooner
    sweep_every: timedelta = timedelta(minutes=5)
    after_midnight: timedelta = timedelta(minutes=1)  # the sweep just after 00:00 Việt Nam time
    batch: int = 20
    retry: outbox.RetryPolicy = field(default_factory=outbox.RetryPolicy)
    digest_at: time | None = None  # Việt Nam time of the daily digest; None: only `phancap digest --send`


@dataclass
class PassResult:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    sweep: TickResult | None = None
    errors: list[str] = field(default_factory=list)
    partitions: list[str] = field(default_factory=list)  # audit partitions created by this pass
    digests: int = 0  # daily digest e-mails queued by this pass

    def to_json(self) -> dict[str, Any]:
        return {"delivered": self.delivered, "retrying": self.retrying, "failed": self.failed,
                "sweep": self.sweep.to_json() if self.sweep else None, "errors": self.errors,
                "partitions": self.partitions, "digests": self.digests}


def default_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{next(_serial)}"


def deliver(db: Database, sender: Sender, rows: list[outbox.Claimed], worker: str, clock: Clock,
            policy: outbox.RetryPolicy, done: PassResult | None = None) -> Delivery:
    """Send each claimed row and record the outcome (delivered, retried later, failed for good)."""
    delivery, done = Delivery(), done or PassResult()
    sent: list[outbox.Claimed] = []
    for row in rows:
        try:
            sender.send(row)
        except DeliveryFailed as exc:
            status = outbox.failed(db, row, worker, clock.now(), str(exc), policy, permanent=exc.permanent)
            delivery.errors.append(str(exc))
            done.errors.append(str(exc))
            if status == outbox.FAILED:
                done.failed += 1
            else:
                done.retrying += 1
            log.warning("delivery failed", extra={"delivery": row.id, "kind": row.kind, "attempt": row.attempts,
                                                  "status": status, "error": str(exc)})
            continue
        sent.append(row)
        if row.kind == outbox.EMAIL:
            delivery.emails.append(str(row.payload["to"]))
        else:
            delivery.webhooks += 1
    outbox.delivered_many(db, sent, worker, clock.now())
    done.delivered += len(sent)
    return delivery


def deliver_now(db: Database, sender: Sender, keys: list[str], clock: Clock,
                policy: outbox.RetryPolicy | None = None) -> Delivery:
    """Deliver these outbox rows at once (the command line); what fails stays pending for the worker."""
    policy = policy or outbox.RetryPolicy()
    name = f"inline:{default_name()}"
    return deliver(db, sender, outbox.claim(db, name, clock.now(), policy, limit=len(keys), keys=keys), name, clock,
                   policy)


def next_sweep(last: datetime | None, now: datetime, settings: WorkerSettings) -> datetime:
    """Now when no sweep ever ran; otherwise `sweep_every` after the last one, or just after the next
    midnight in Việt Nam, whichever is sooner."""
    if last is None:
        return now
    local = last.astimezone(VIETNAM)
    mark = datetime.combine(local.date(), time(0), VIETNAM) + settings.after_midnight
    if last >= mark:  # past today's mark: the next is tomorrow's
        mark += timedelta(days=1)
    return min(last + settings.sweep_every, mark)


def digest_due(last: date | None, now: datetime, at: time | None) -> bool:
    """Whether today's digest is to be queued: past `at` in Việt Nam and not yet queued today (a worker started
    later in the day catches up once)."""
    if at is None:
        return False
    local = now.astimezone(VIETNAM)
    return local.time() >= at and (last is None or last < local.date())


class Worker:
    def __init__(self, db: Database, workflows: dict[str, WorkflowMachine], clock: Clock, sender: Sender,
                 settings: WorkerSettings | None = None, name: str | None = None) -> None:
        self.db, self.workflows, self.clock, self.sender = db, workflows, clock, sender
        self.settings = settings or WorkerSettings()
        self.name = name or default_name()
        self.started_at = stamp(clock.now())
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_beat: datetime | None = None

    def last_sweep(self) -> datetime | None:
        """The newest sweep any worker ran (their heartbeats say), so several workers do not each sweep."""
        with self.db.read() as cur:
            cur.execute("SELECT MAX(last_sweep_at) FROM worker_heartbeat")
            at = cur.fetchone()[0]
        return None if at is None else datetime.fromisoformat(str(at).replace("Z", "+00:00"))

    def last_digest(self) -> date | None:
        """The newest day any worker queued the digest for."""
        with self.db.read() as cur:
            cur.execute("SELECT MAX(last_digest_on) FROM worker_heartbeat")
            day = cur.fetchone()[0]
        return None if day is None else date.fromisoformat(str(day))

    def queue_digest(self) -> int:
        """Today's digest in the outbox (one e-mail per user with unread notices; each keyed by user and day, so a
        second worker queueing it too delivers nothing twice)."""
        from phancap.engine.digest import digest, queue_digest
        from phancap.engine.runtime import TaskEngine

        engine = TaskEngine(self.db, self.workflows, self.clock)
        return len(queue_digest(engine, digest(engine)))

    def run_once(self) -> PassResult:
        """One pass: the sweep when it is due, the daily digest when due, every due delivery (batch by batch), the
        heartbeat."""
        done = PassResult()
        swept_at = digest_on = None
        now = self.clock.now()
        if self._last_beat is None or not now - HEARTBEAT_EVERY < self._last_beat <= now:
            self.beat()  # before the pass's work: alive while a long sweep runs, and before any delivery it makes
        if now >= next_sweep(self.last_sweep(), now, self.settings):
            # PostgreSQL's audit partitions, this month and three ahead, before the sweep's events need them
            # (a month's events written to the default partition keep that month from being created)
            done.partitions = ensure_ahead(self.db, self.clock.today())
            done.sweep = tick(self.db, self.workflows, self.clock)
            if not done.sweep.skipped_locked:
                swept_at = stamp(now)
        if digest_due(self.last_digest(), now, self.settings.digest_at):
            done.digests = self.queue_digest()
            digest_on = now.astimezone(VIETNAM).date().isoformat()
        policy = self.settings.retry
        while not self._stop.is_set():
            rows = outbox.claim(self.db, self.name, self.clock.now(), policy, limit=self.settings.batch)
            if not rows:
                break
            deliver(self.db, self.sender, rows, self.name, self.clock, policy, done)
        if swept_at or digest_on:
            self.beat(swept_at, digest_on)
        return done

    def beat(self, swept_at: str | None = None, digest_on: str | None = None) -> None:
        self._last_beat = self.clock.now()
        with self.db.write() as cur:
            cur.execute(self.db.sql(
                "INSERT INTO worker_heartbeat (name, started_at, beat_at, last_sweep_at, last_digest_on) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET beat_at = excluded.beat_at, "
                "last_sweep_at = COALESCE(excluded.last_sweep_at, worker_heartbeat.last_sweep_at), "
                "last_digest_on = COALESCE(excluded.last_digest_on, worker_heartbeat.last_digest_on)"),
                (self.name, self.started_at, stamp(self.clock.now()), swept_at, digest_on))
            # the beats of workers gone for a week (each start is a new name): they tell nothing any more
            cur.execute(self.db.sql("DELETE FROM worker_heartbeat WHERE beat_at < ? AND name <> ?"),
                        (stamp(self.clock.now() - HEARTBEAT_KEPT), self.name))

    def run(self) -> None:
        """Passes until stop(): a pass that fails (the database away) is logged and the next one tries again."""
        log.info("worker started", extra={"worker": self.name})
        try:  # alive for /healthz at once, not only after a first pass that may sweep a million instances
            self.beat()
        except Exception as exc:  # noqa: BLE001 - the database may be away; the passes retry
            log.error("worker heartbeat failed", extra={"worker": self.name, "error": f"{type(exc).__name__}: {exc}"})
        while not self._stop.is_set():
            try:
                done = self.run_once()
                if done.delivered or done.retrying or done.failed:
                    log.info("worker pass", extra={"worker": self.name, **done.to_json()})
            except Exception as exc:  # noqa: BLE001 - the worker outlives any one failure
                log.error("worker pass failed", extra={"worker": self.name, "error": f"{type(exc).__name__}: {exc}"})
            self._wake.wait(self.settings.poll_seconds)
            self._wake.clear()
        log.info("worker stopped", extra={"worker": self.name})

    def wake(self) -> None:
        """Start the next pass now (a notice was just queued)."""
        self._wake.set()

    def stop(self) -> None:
        """Finish the delivery in hand (bounded by its timeout), then stop."""
        self._stop.set()
        self._wake.set()

    def start(self) -> threading.Thread:
        """Run in a daemon thread of this process (`phancap serve`)."""
        self._thread = threading.Thread(target=self.run, name=f"phancap-worker-{self.name}", daemon=True)
        self._thread.start()
        return self._thread

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
