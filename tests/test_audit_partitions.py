"""PostgreSQL: audit_event partitioned by month of `at` (migration 0019, engine/audit_partitions.py)."""

from __future__ import annotations

from datetime import date

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from phancap.engine.audit_checkpoint import verify_full
from phancap.engine.audit_partitions import DEFAULT, ensure_months
from phancap.engine.clock import Clock
from phancap.engine.runtime import TaskEngine
from tests.helpers import audit_count, instance



@pytest.fixture
def pg(seeded: TaskEngine) -> TaskEngine:
    if seeded.db.is_sqlite:
        pytest.skip("SQLite keeps audit_event unpartitioned")
    return seeded


def rows(engine: TaskEngine, sql: str, **params: object) -> list[tuple[object, ...]]:
    with engine.db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params).all()]


def partitions(engine: TaskEngine) -> set[str]:
    return {str(r[0]) for r in rows(engine, "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                                            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'audit_event'")}


def test_the_audit_table_is_partitioned_by_month_with_a_default(pg: TaskEngine) -> None:
    assert rows(pg, "SELECT partstrat FROM pg_partitioned_table WHERE partrelid = 'audit_event'::regclass") == [("r",)]
    found = partitions(pg)
    assert DEFAULT in found and len(found) >= 5  # this month and three ahead, at least
    # every partition has the cloned row trigger and its own TRUNCATE guard
    for name in found:
        triggers = {str(r[0]) for r in rows(pg, "SELECT tgname FROM pg_trigger WHERE tgrelid = CAST(:t AS regclass)", t=name)}
        assert {"audit_event_no_change", f"{name}_no_truncate"} <= triggers, (name, triggers)


@pytest.mark.parametrize("sql", ["UPDATE {p} SET comment = 'sửa' WHERE id = :id", "DELETE FROM {p} WHERE id = :id",
                                 "TRUNCATE {p}"])
def test_a_partition_refuses_edits_deletes_and_truncation(pg: TaskEngine, sql: str) -> None:
    event_id, partition = rows(pg, "SELECT id, tableoid::regclass::text FROM audit_event ORDER BY id LIMIT 1")[0]
    before = audit_count(pg.db)
    with pytest.raises(DatabaseError, match="append-only"), pg.db.engine.begin() as conn:
        conn.execute(text(sql.format(p=partition)), {"id": event_id})
    assert audit_count(pg.db) == before


def test_events_across_a_month_boundary_land_in_their_months(pg: TaskEngine) -> None:
    created = ensure_months(pg.db, date(2031, 1, 1), date(2031, 2, 1))
    assert created == ["audit_event_y2031m01", "audit_event_y2031m02"]
    assert ensure_months(pg.db, date(2031, 1, 1), date(2031, 2, 1)) == []  # idempotent
    tid = int(instance(pg.db, "HN-2025", "1.1", "HN-SCT")["id"])
    for moment, trigger, actor in (("2031-01-31T23:59:59Z", "submit_for_review", "cv.sct"),
                                   ("2031-02-01T00:00:01Z", "return", "dm.stp"),
                                   ("2035-06-01T00:00:00Z", "submit_for_review", "cv.sct")):
        TaskEngine(pg.db, pg.workflows, Clock.parse(moment)).fire(tid, trigger, actor, comment="Bổ sung")
    landed = rows(pg, "SELECT seq, tableoid::regclass::text FROM audit_event WHERE task_id = :t AND seq > 1 "
                      "ORDER BY seq", t=tid)
    assert landed == [(2, "audit_event_y2031m01"), (3, "audit_event_y2031m02"), (4, DEFAULT)]
    assert verify_full(pg.db, "test", "2035-06-01T00:00:00Z")[0].ok
    # a month whose events already sit in the default partition is left there (moving them would delete audit rows)
    assert ensure_months(pg.db, date(2035, 6, 1), date(2035, 7, 1)) == ["audit_event_y2035m07"]


def test_an_existing_trail_is_copied_into_the_partitioned_table(pg: TaskEngine) -> None:
    """Migration 0019 on a database with events: down to 0016 (one plain table), up again (partitioned)."""
    before = rows(pg, "SELECT id, hash FROM audit_event ORDER BY id")
    config = pg.db.alembic_config()
    with pg.db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0016")
    assert rows(pg, "SELECT COUNT(*) FROM pg_partitioned_table") == [(0,)]
    assert rows(pg, "SELECT id, hash FROM audit_event ORDER BY id") == before
    pg.db.upgrade()
    assert rows(pg, "SELECT id, hash FROM audit_event ORDER BY id") == before
    months = {str(r[0])[:7] for r in rows(pg, "SELECT at FROM audit_event")}
    assert {f"audit_event_y{m[:4]}m{m[5:7]}" for m in months} <= partitions(pg)
    assert rows(pg, f"SELECT COUNT(*) FROM {DEFAULT}") == [(0,)]
    tid = int(instance(pg.db, "HN-2025", "1.1", "HN-SCT")["id"])
    pg.fire(tid, "submit_for_review", "cv.sct")  # the id sequence carried over: the next event inserts
    assert verify_full(pg.db, "test", "2025-04-15T00:00:00Z")[0].ok


def test_the_workers_sweep_keeps_the_coming_months_ready(pg: TaskEngine) -> None:
    """Nobody runs `phancap audit partitions`: the worker's sweep creates this month and the three after it,
    so a month's events never fall into the default partition (where they would stay)."""
    from phancap.engine.notify import NotifySettings, Sender
    from phancap.engine.worker import Worker, WorkerSettings

    assert "audit_event_y2031m02" not in partitions(pg)
    worker = Worker(pg.db, pg.workflows, Clock.parse("2031-01-20T09:00:00+07:00"), Sender(NotifySettings()),
                    WorkerSettings(), name="w-partitions")
    done = worker.run_once()
    assert done.sweep is not None
    assert {"audit_event_y2031m01", "audit_event_y2031m02", "audit_event_y2031m03", "audit_event_y2031m04"} \
        <= set(done.partitions) <= partitions(pg)
