"""The deadline sweep: every open task past its deadline (or its state's own limit) moves to
overdue, as the system actor, with one audit event each, in one set-based transaction.

Safe when several processes run it: SQLite serialises writers (BEGIN IMMEDIATE); on PostgreSQL
an advisory lock lets one sweep run at a time and the UPDATE re-checks each row it changes."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from phancap.engine import metrics
from phancap.engine.audit import encode, snapshot_sql, sql_encode
from phancap.engine.clock import Clock, stamp
from phancap.engine.db import Database
from phancap.engine.machine import WorkflowMachine
from phancap.engine.roles import SYSTEM_ACTOR, SYSTEM_ROLE
from phancap.engine.unit_changes import apply_due_changes

log = logging.getLogger(__name__)
SWEEP_LOCK_KEY = 7_411_202_5  # pg advisory lock id of the deadline sweep
OVERDUE_COMMENT = "Quá thời hạn (hệ thống tự chuyển) / deadline passed"


@dataclass(frozen=True)
class TickResult:
    marked: int
    today: str
    skipped_locked: bool = False
    unit_changes: tuple[dict[str, Any], ...] = ()  # scheduled successions and renames applied by this sweep

    def to_json(self) -> dict[str, Any]:
        return {"marked": self.marked, "today": self.today, "skipped_locked": self.skipped_locked,
                "unit_changes": list(self.unit_changes)}


def _hash_sql(alias: str) -> str:
    """sha256 over the same canonical text engine.audit.event_hash builds, computed in SQL (the
    snapshot, column `snap` of the alias, hashed after the event's fields)."""
    return (
        f"sha256_hex({alias}last_hash || '|' || {sql_encode(alias + 'id')} || '|' || "
        f"{sql_encode(alias + 'version + 1')} || '|' || ? || '|' || {sql_encode(alias + 'state')} || '|' || ? "
        f"|| '|' || {sql_encode(alias + 'snap')})"
    )


def _snapshot(sqlite: bool, alias: str) -> str:
    """The snapshot after the sweep moves a row (params: the overdue state, then the instant): state and
    overdue time new, the stage the state it leaves, everything else as it stands."""
    text = "?" if sqlite else "CAST(? AS TEXT)"
    cols = {n: alias + n for n in ("unit", "focal", "authority", "monitor", "justice", "coordinators", "deadline",
                                   "pending_deadline", "state_due", "complex")}
    cols |= {"state": text, "stage": alias + "state", "version": alias + "version + 1", "overdue_at": text,
             "plan": f"(SELECT p.definition_sha256 FROM plan p WHERE p.code = {alias}plan)"}
    return snapshot_sql(sqlite, cols)


def _constants(trigger: str, overdue_state: str, at: str) -> tuple[str, str]:
    head = encode(trigger)
    tail = "|".join(encode(v) for v in (overdue_state, SYSTEM_ACTOR, None, SYSTEM_ROLE, None, at, OVERDUE_COMMENT, None, None))
    return head, tail


def _due_condition(alias: str, sources: tuple[str, ...]) -> str:
    states = ", ".join("?" for _ in sources)
    return (
        f"{alias}workflow = ? AND {alias}state IN ({states}) AND {alias}overdue_at IS NULL AND "
        f"(({alias}deadline IS NOT NULL AND {alias}deadline < ?) OR ({alias}state_due IS NOT NULL AND {alias}state_due < ?))"
    )


def tick(db: Database, workflows: dict[str, WorkflowMachine], clock: Clock) -> TickResult:
    """The scheduled unit changes whose day has come (so moved tasks are swept under their new unit), then the
    deadline sweep."""
    with metrics.SWEEPS.time():
        changes = apply_due_changes(db, workflows, clock)
        result = replace(_tick(db, workflows, clock), unit_changes=tuple(changes))
    metrics.SWEPT.inc(result.marked)
    # one line per sweep, so an operator sees that the sweep runs and what it did
    log.info("deadline sweep", extra={**result.to_json(), "unit_changes": len(changes)})
    return result


def _tick(db: Database, workflows: dict[str, WorkflowMachine], clock: Clock) -> TickResult:
    today, at = clock.today(), stamp(clock.now())
    marked = 0
    with db.write() as cur:
        if not db.is_sqlite:
            cur.execute("SELECT pg_try_advisory_xact_lock(%s)", (SWEEP_LOCK_KEY,))
            if not cur.fetchone()[0]:
                return TickResult(0, today.isoformat(), skipped_locked=True)
        for name, machine in workflows.items():
            policy = machine.workflow.overdue
            if policy is None:
                continue
            head, tail = _constants(policy.trigger, policy.state, at)
            due_params = (name, *policy.sources, today, today)
            if db.is_sqlite:
                marked += _sweep_sqlite(cur, policy.trigger, policy.state, at, head, tail, due_params)
            else:
                marked += _sweep_postgres(cur, policy.trigger, policy.state, at, head, tail, due_params)
    return TickResult(marked, today.isoformat())


def _sweep_sqlite(cur: Any, trigger: str, state: str, at: str, head: str, tail: str, due: tuple[Any, ...]) -> int:
    # The write lock is held, so the INSERT and the UPDATE see the same rows.
    cur.execute(
        "INSERT INTO audit_event (task_id, seq, trigger, from_state, to_state, actor, unit, role, capacity, at, "
        "comment, evidence, prev_hash, hash, snapshot) "
        f"SELECT s.id, s.version + 1, ?, s.state, ?, ?, NULL, ?, NULL, ?, ?, NULL, s.last_hash, {_hash_sql('s.')}, s.snap "
        f"FROM (SELECT t.id, t.version, t.state, t.last_hash, {_snapshot(True, 't.')} AS snap FROM task_instance t "
        f"WHERE {_due_condition('t.', due[1:-2])}) s",
        (trigger, state, SYSTEM_ACTOR, SYSTEM_ROLE, at, OVERDUE_COMMENT, head, tail, state, at, *due),
    )
    count = cur.rowcount
    if count:
        cur.execute(
            "UPDATE task_instance SET stage = state, state = ?, version = version + 1, state_since = ?, "
            "overdue_at = ?, last_hash = (SELECT a.hash FROM audit_event a WHERE a.task_id = task_instance.id "
            f"AND a.seq = task_instance.version + 1) WHERE {_due_condition('', due[1:-2])}",
            (state, at, at, *due),
        )
    return int(count)


def _sweep_postgres(cur: Any, trigger: str, state: str, at: str, head: str, tail: str, due: tuple[Any, ...]) -> int:
    sql = (
        f"WITH due AS (SELECT t.id, t.state, t.version, t.last_hash, {_snapshot(False, 't.')} AS snap "
        f"FROM task_instance t WHERE {_due_condition('t.', due[1:-2])} FOR UPDATE OF t SKIP LOCKED), "
        "moved AS (UPDATE task_instance t SET stage = due.state, state = ?, version = due.version + 1, "
        f"state_since = ?, overdue_at = ?, last_hash = {_hash_sql('due.')} FROM due WHERE t.id = due.id "
        "RETURNING t.id, t.version, due.state AS from_state, due.last_hash AS prev_hash, t.last_hash AS hash, "
        "due.snap) "
        "INSERT INTO audit_event (task_id, seq, trigger, from_state, to_state, actor, unit, role, capacity, at, "
        "comment, evidence, prev_hash, hash, snapshot) "
        "SELECT id, version, ?, from_state, ?, ?, NULL, ?, NULL, ?, ?, NULL, prev_hash, hash, snap FROM moved"
    )
    params = (state, at, *due, state, at, at, head, tail, trigger, state, SYSTEM_ACTOR, SYSTEM_ROLE, at,
              OVERDUE_COMMENT)
    cur.execute(sql.replace("?", "%s"), params)
    return int(cur.rowcount)
