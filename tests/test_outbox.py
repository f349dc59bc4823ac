"""The outbox and the worker (issue 16): a notice is written with the urging that causes it and delivered by the
worker, at least once, with retries and backoff; the worker runs the deadline sweep on its own schedule.
Every time is the injected clock's (moved, never slept on); the SMTP server is a real aiosmtpd on a real port."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from phancap.engine import outbox
from phancap.engine.clock import VIETNAM, Clock
from phancap.engine.db import Database
from phancap.engine.errors import TransitionNotAllowed
from phancap.engine.machine import WorkflowMachine
from phancap.engine.notify import EMAIL_KEY_HEADER, IDEMPOTENCY_HEADER, Notifier, NotifySettings, Sender
from phancap.engine.runtime import TaskEngine
from phancap.engine.urging import select_for_urging, urge_many
from phancap.engine.users import add_user
from phancap.engine.worker import Worker, WorkerSettings, digest_due, next_sweep
from tests.helpers import instance
from tests.test_notify import Inbox, free_port

FAST = WorkerSettings(poll_seconds=0.05, retry=outbox.RetryPolicy(base=timedelta(seconds=30), max_attempts=4,
                                                                  lease=timedelta(minutes=2)))


def moved(clock: Clock, seconds: float) -> None:
    assert clock.fixed is not None
    clock.fixed += timedelta(seconds=seconds)


def rows(db: Database) -> list[dict[str, Any]]:
    return sorted(outbox.list_deliveries(db, region=None), key=lambda r: r["id"])


def urge_one(seeded: TaskEngine, clock: Clock, settings: NotifySettings) -> int:
    """dm.snv urges Sở Công Thương's task 1.1 (overdue on 16/4), its notices queued for the worker."""
    add_user(seeded.db, "cv.sct", "HN-SCT", ["officer"], seeded.clock, email="congthuong@hanoi.gov.vn")
    engine = TaskEngine(seeded.db, seeded.workflows, clock)
    task = int(instance(seeded.db, "HN-2025", "1.1", "HN-SCT")["id"])
    assert task in select_for_urging(engine, plan="HN-2025", unit="HN-SCT")
    result = urge_many(engine, "dm.snv", [task], "Đề nghị báo cáo", Notifier(seeded.db, settings), notices=lambda: None)
    assert result.urged == [task] and result.queued
    return task


def test_a_mail_whose_smtp_server_is_down_is_retried_and_arrives_once_when_it_is_back(seeded: TaskEngine) -> None:
    clock, port = Clock.parse("2025-04-16T09:00"), free_port()
    settings = NotifySettings(smtp_host="127.0.0.1", smtp_port=port, timeout=2)
    urge_one(seeded, clock, settings)
    worker = Worker(seeded.db, seeded.workflows, clock, Sender(settings), FAST, name="w1")
    assert worker.run_once().retrying == 1  # nothing listens on the port
    [row] = rows(seeded.db)
    assert (row["status"], row["attempts"], row["to"]) == ("pending", 1, "congthuong@hanoi.gov.vn")
    assert "smtp" in row["last_error"] and row["next_attempt_at"] == "2025-04-16T02:00:30.000000Z"  # +30 s
    assert worker.run_once().retrying == 0 and rows(seeded.db)[0]["attempts"] == 1  # not before its time
    moved(clock, 30)
    assert worker.run_once().retrying == 1
    assert rows(seeded.db)[0]["next_attempt_at"] == "2025-04-16T02:01:30.000000Z"  # backoff doubled: +60 s
    inbox = Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()  # the server comes back
    try:
        moved(clock, 59)
        assert worker.run_once().delivered == 0 and inbox.messages == []
        moved(clock, 1)
        assert worker.run_once().delivered == 1
        moved(clock, 3600)
        assert worker.run_once().delivered == 0  # delivered once, never again
    finally:
        server.stop()
    [row] = rows(seeded.db)
    assert (row["status"], row["attempts"], row["last_error"]) == ("delivered", 3, None)
    [message] = inbox.messages
    assert message[EMAIL_KEY_HEADER] == row["idempotency_key"] and message["Message-ID"] == f"<{row['idempotency_key']}@phancap>"
    assert message["To"] == "congthuong@hanoi.gov.vn"


def test_a_delivery_that_keeps_failing_is_marked_failed_with_its_error(seeded: TaskEngine) -> None:
    clock = Clock.parse("2025-04-16T09:00")
    settings = NotifySettings(smtp_host="127.0.0.1", smtp_port=free_port(), timeout=2)
    urge_one(seeded, clock, settings)
    worker = Worker(seeded.db, seeded.workflows, clock, Sender(settings), FAST, name="w1")
    statuses = []
    for _ in range(6):
        worker.run_once()
        statuses.append(rows(seeded.db)[0]["status"])
        moved(clock, 3600)
    assert statuses == ["pending", "pending", "pending", "failed", "failed", "failed"]  # max_attempts 4
    [row] = rows(seeded.db)
    assert row["attempts"] == 4 and row["next_attempt_at"] is None and "smtp" in row["last_error"]
    assert outbox.retry(seeded.db, row["id"], clock.now())  # an operator tries again
    assert rows(seeded.db)[0]["status"] == "pending"


@pytest.fixture
def smtp_up() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=port)
    server.start()
    yield inbox, port
    server.stop()


def test_a_worker_that_dies_after_claiming_leaves_the_delivery_to_another(seeded: TaskEngine,
                                                                         smtp_up: tuple[Inbox, int]) -> None:
    inbox, port = smtp_up
    clock = Clock.parse("2025-04-16T09:00")
    settings = NotifySettings(smtp_host="127.0.0.1", smtp_port=port, timeout=2)
    urge_one(seeded, clock, settings)
    [claimed] = outbox.claim(seeded.db, "dead", clock.now(), FAST.retry)  # then the process is killed
    worker = Worker(seeded.db, seeded.workflows, clock, Sender(settings), FAST, name="alive")
    assert worker.run_once().delivered == 0  # the lease holds it
    moved(clock, FAST.retry.lease.total_seconds())
    assert worker.run_once().delivered == 1 and len(inbox.messages) == 1
    assert not outbox.delivered(seeded.db, claimed, "dead", clock.now())  # a late answer of the dead claim is ignored
    [row] = rows(seeded.db)
    assert (row["status"], row["attempts"]) == ("delivered", 2)


def test_a_refused_or_rolled_back_urging_writes_no_notice(seeded: TaskEngine, smtp_up: tuple[Inbox, int]) -> None:
    _inbox, port = smtp_up
    clock = Clock.parse("2025-04-16T09:00")
    add_user(seeded.db, "cv.sct", "HN-SCT", ["officer"], seeded.clock, email="congthuong@hanoi.gov.vn")
    engine = TaskEngine(seeded.db, seeded.workflows, clock)
    notifier = Notifier(seeded.db, NotifySettings(smtp_host="127.0.0.1", smtp_port=port))
    task = int(instance(seeded.db, "HN-2025", "1.1", "HN-SCT")["id"])
    refused = urge_many(engine, "cv.sct", [task], None, notifier, notices=lambda: None)  # an officer may not urge
    assert refused.refused and rows(seeded.db) == []

    def then(cur: Any, fired: Any) -> None:  # the notice is written, then the transaction fails
        notifier.enqueue(cur, notifier.outgoing({"task": task, "plan": "HN-2025", "number": "1.1", "unit": "HN-SCT",
                                                 "deadline": None, "comment": None, "actor": "dm.snv", "at": fired.at}),
                         fired.hash)
        raise TransitionNotAllowed("guard", "thử", "a failure after the notice was written")

    before = len(engine.db.engine.connect().execute(text("SELECT id FROM audit_event")).all())
    with pytest.raises(TransitionNotAllowed):
        engine.fire(task, "urge", "dm.snv", then=then)
    with engine.db.engine.connect() as conn:
        assert len(conn.execute(text("SELECT id FROM audit_event")).all()) == before
    assert rows(seeded.db) == []  # neither the urging nor its notice


def test_the_same_cause_enqueued_twice_is_one_delivery(db: Database) -> None:
    key = outbox.idempotency_key("event-hash", outbox.EMAIL, "a@b.vn")
    for _ in range(2):
        with db.write() as cur:
            outbox.enqueue(cur, db, outbox.EMAIL, key, {"to": "a@b.vn", "subject": "s", "body": "b"},
                           "2025-04-16T02:00:00.000000Z")
    assert len(rows(db)) == 1 and key == outbox.idempotency_key("event-hash", outbox.EMAIL, "a@b.vn")


@pytest.fixture
def hook() -> Iterator[tuple[str, list[str]]]:
    keys: list[str] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            with lock:
                keys.append(self.headers[IDEMPOTENCY_HEADER])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", keys
    server.shutdown()
    server.server_close()


def test_two_workers_share_the_outbox_without_delivering_twice(db: Database, workflows: dict[str, WorkflowMachine],
                                                               hook: tuple[str, list[str]]) -> None:
    """On PostgreSQL the claims skip the rows another worker locked (FOR UPDATE SKIP LOCKED); on SQLite the write
    lock serialises them. Batches of 5 so that both workers take part."""
    url, received = hook
    clock = Clock.parse("2025-04-16T09:00")
    with db.write() as cur:
        for i in range(60):
            outbox.enqueue(cur, db, outbox.WEBHOOK, outbox.idempotency_key("e", i), {"body": {"event": "urge", "n": i}},
                           "2025-04-16T02:00:00.000000Z")
    sender = Sender(NotifySettings(webhook_url=url, webhook_secret="s" * 32, timeout=5))
    settings = WorkerSettings(batch=5)
    workers = [Worker(db, workflows, clock, sender, settings, name=f"w{i}") for i in range(2)]
    start = threading.Barrier(2)
    done: dict[str, int] = {}

    def run(worker: Worker) -> None:
        start.wait()
        done[worker.name] = worker.run_once().delivered

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(received) == sorted(outbox.idempotency_key("e", i) for i in range(60))  # each once
    assert sum(done.values()) == 60 and {r["status"] for r in rows(db)} == {"delivered"}


def test_the_worker_runs_the_sweep_every_few_minutes_and_just_after_midnight(seeded: TaskEngine) -> None:
    clock = Clock.parse("2025-04-14T23:50")  # 1.1 "Trước ngày 15/4/2025" is due through 14/4
    worker = Worker(seeded.db, seeded.workflows, clock, Sender(NotifySettings()),
                    WorkerSettings(sweep_every=timedelta(minutes=30)), name="w1")
    sct = lambda: instance(seeded.db, "HN-2025", "1.1", "HN-SCT")["state"]  # noqa: E731
    assert worker.run_once().sweep is not None  # the first pass sweeps
    moved(clock, 10 * 60 + 30)  # 00:00:30 on 15/4
    assert worker.run_once().sweep is None and sct() == "assigned"
    moved(clock, 30)  # 00:01, just after midnight: before the half hour is over
    swept = worker.run_once().sweep
    assert swept is not None and swept.marked > 0 and sct() == "overdue"  # nobody called tick
    moved(clock, 29 * 60)
    assert worker.run_once().sweep is None  # 00:30
    moved(clock, 60)
    assert worker.run_once().sweep is not None  # 00:31: half an hour after the last
    with seeded.db.read() as cur:
        cur.execute("SELECT name, beat_at, last_sweep_at FROM worker_heartbeat")
        assert cur.fetchall() == [("w1", "2025-04-14T17:31:00.000000Z", "2025-04-14T17:31:00.000000Z")]


def test_the_sweep_schedule() -> None:
    every = WorkerSettings(sweep_every=timedelta(minutes=5))
    daily = WorkerSettings(sweep_every=timedelta(days=1))
    at = lambda s: datetime.fromisoformat(s).replace(tzinfo=VIETNAM)  # noqa: E731
    assert next_sweep(None, at("2025-04-14T10:00"), every) == at("2025-04-14T10:00")
    assert next_sweep(at("2025-04-14T10:00"), at("2025-04-14T10:00"), every) == at("2025-04-14T10:05")
    assert next_sweep(at("2025-04-14T23:58"), at("2025-04-14T23:58"), every) == at("2025-04-15T00:01")
    assert next_sweep(at("2025-04-14T10:00"), at("2025-04-14T10:00"), daily) == at("2025-04-15T00:01")
    assert next_sweep(at("2025-04-15T00:00:30"), at("2025-04-15T00:00:30"), daily) == at("2025-04-15T00:01")
    assert next_sweep(at("2025-04-15T00:01"), at("2025-04-15T00:01"), daily) == at("2025-04-16T00:01")


def test_the_worker_thread_delivers_when_woken_and_stops_on_request(seeded: TaskEngine,
                                                                     smtp_up: tuple[Inbox, int]) -> None:
    inbox, port = smtp_up
    clock = Clock.parse("2025-04-16T09:00")
    settings = NotifySettings(smtp_host="127.0.0.1", smtp_port=port, timeout=2)
    worker = Worker(seeded.db, seeded.workflows, clock, Sender(settings), WorkerSettings(poll_seconds=30), name="t")
    worker.run_once()  # the first pass (the sweep) done: the thread below waits its 30 s poll
    thread = worker.start()
    try:
        urge_one(seeded, clock, settings)
        worker.wake()  # what the web server does after queueing
        for _ in range(1000):
            if inbox.messages:
                break
            threading.Event().wait(0.01)
        assert len(inbox.messages) == 1
    finally:
        worker.stop()
        worker.join(5)
    assert not thread.is_alive()


def test_the_worker_mails_the_daily_digest_at_its_hour_once_a_day_however_many_workers(
        seeded: TaskEngine, smtp_up: tuple[Inbox, int]) -> None:
    inbox, port = smtp_up
    clock = Clock.parse("2025-04-16T06:30")
    settings = NotifySettings(smtp_host="127.0.0.1", smtp_port=port, timeout=2)
    add_user(seeded.db, "cv.sct", "HN-SCT", ["officer"], seeded.clock, email="congthuong@hanoi.gov.vn")
    engine = TaskEngine(seeded.db, seeded.workflows, clock)
    task = int(instance(seeded.db, "HN-2025", "1.1", "HN-SCT")["id"])
    engine.fire(task, "urge", "dm.stp", comment="Đề nghị khẩn trương")
    daily = WorkerSettings(digest_at=time(7, 0))
    first = Worker(seeded.db, seeded.workflows, clock, Sender(settings), daily, name="w1")
    assert first.run_once().digests == 0 and inbox.messages == []  # 06:30: not yet
    moved(clock, 30 * 60)
    done = first.run_once()  # 07:00, nobody ran `phancap digest`
    assert (done.digests, done.delivered) == (1, 1) and [m["To"] for m in inbox.messages] == ["congthuong@hanoi.gov.vn"]
    assert "Đề nghị khẩn trương" in inbox.messages[0].get_payload(decode=True).decode("utf-8")
    moved(clock, 3600)
    second = Worker(seeded.db, seeded.workflows, clock, Sender(settings), daily, name="w2")
    assert first.run_once().digests == 0 and second.run_once().digests == 0  # once that day, whoever runs
    assert len(inbox.messages) == 1
    moved(clock, 23 * 3600)  # 07:00 the next day: the urge is older than a day, nothing unread is new
    engine.fire(task, "urge", "dm.stp", comment="Lần hai")
    assert second.run_once().digests == 1 and len(inbox.messages) == 2
    assert "Lần hai" in inbox.messages[1].get_payload(decode=True).decode("utf-8")


def test_the_digest_schedule() -> None:
    at = lambda s: datetime.fromisoformat(s).replace(tzinfo=VIETNAM)  # noqa: E731
    seven = time(7, 0)
    assert not digest_due(None, at("2025-04-16T06:59"), seven)
    assert digest_due(None, at("2025-04-16T07:00"), seven)
    assert digest_due(datetime(2025, 4, 15).date(), at("2025-04-16T15:00"), seven)  # started late: catches up
    assert not digest_due(datetime(2025, 4, 16).date(), at("2025-04-16T23:59"), seven)
    assert not digest_due(None, at("2025-04-16T12:00"), None)  # not scheduled
