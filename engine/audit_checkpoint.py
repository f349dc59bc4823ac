"""Audit verification that scales (issue 16): each verification is recorded in `audit_checkpoint`
(append-only, hash-chained over the checkpoint before it), and the next incremental one reads only
the events after the newest good checkpoint, plus, per task touched since, the one event before
them to link to.

What an incremental verification promises. Every event after the checkpoint: its hash, its link to
the event before it (whose own hash is recomputed), its sequence, and its task's state, version,
newest hash and audited fields against it; the creation links of tasks opened since, and the head.
For every task, cheaply (one indexed row each, no contents): its newest event exists, has the
hash the task records, ends in the task's state, and no event follows it. What it cannot promise:
an event at or before the checkpoint edited together with a hash recomputed, an older task deleted
with all its events, or an untouched task's audited fields changed; those need a full verification,
which reads everything (`phancap audit verify`, the button on /audit). A full verification that
found problems stands until a later full one passes: incremental runs report it as well.

PostgreSQL hands out ids before commit, so an event with a lower id can commit after one with a
higher id: the bound a checkpoint records is taken under a brief SHARE lock, which waits for the
inserts in flight, so every event at or below it is committed and seen by the verification after."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

from phancap.engine.audit import (EVENT_COLUMNS, GENESIS, ChainStart, VerifyReport, check_links, check_task, encode,
                                  event_hash, plan_problems)
from phancap.engine.db import Database

FULL, INCREMENTAL = "full", "incremental"
KEPT_PROBLEMS = 50  # problems a checkpoint row keeps (its problem_count says how many there were)
CHECKPOINT_COLUMNS = ("id", "verified_at", "kind", "from_event", "up_to_event", "events", "tasks", "ok",
                      "problem_count", "problems", "verified_by", "prev_hash", "hash")
_CHUNK = 200


@dataclass(frozen=True)
class Checkpoint:
    id: int
    verified_at: str
    kind: str
    from_event: int
    up_to_event: int
    events: int
    tasks: int
    ok: bool
    problem_count: int
    problems: list[str]
    verified_by: str
    prev_hash: str
    hash: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _problem_list(text: Any) -> list[str]:
    try:
        value = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        value = None
    return [str(p) for p in value] if isinstance(value, list) else ["(unreadable problem list)"]


def _row(row: tuple[Any, ...]) -> Checkpoint:
    values = dict(zip(CHECKPOINT_COLUMNS, row, strict=True))
    return Checkpoint(**{**values, "ok": bool(values["ok"]), "problems": _problem_list(values["problems"])})


def checkpoint_hash(prev_hash: str, values: tuple[Any, ...]) -> str:
    """values: CHECKPOINT_COLUMNS from verified_at to verified_by, `ok` as stored (True/False or 1/0)."""
    parts = [int(bool(v)) if i == 6 else v for i, v in enumerate(values)]
    payload = prev_hash + "|" + "|".join(encode(v) for v in parts)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def latest(cur: Any, *, ok_only: bool = False, kind: str | None = None) -> Checkpoint | None:
    where = " AND ".join((["ok"] if ok_only else []) + ([f"kind = '{kind}'"] if kind in (FULL, INCREMENTAL) else []))
    cur.execute(f"SELECT {', '.join(CHECKPOINT_COLUMNS)} FROM audit_checkpoint"
                f"{' WHERE ' + where if where else ''} ORDER BY id DESC LIMIT 1")
    found = cur.fetchone()
    return None if found is None else _row(found)


def chain_problems(cur: Any) -> list[str]:
    """Every checkpoint row whose hash does not match its contents and the checkpoint before it."""
    cur.execute(f"SELECT {', '.join(CHECKPOINT_COLUMNS)} FROM audit_checkpoint ORDER BY id")
    problems, previous = [], GENESIS
    for row in cur.fetchall():
        if row[11] != previous or checkpoint_hash(previous, tuple(row[1:11])) != row[12]:
            problems.append(f"audit checkpoint {row[0]}: does not match its hash or the checkpoint before it (edited, "
                            f"inserted or deleted?) / điểm kiểm tra {row[0]} bị sửa, chèn hoặc xóa")
        previous = str(row[12])
    return problems


def committed_bound(db: Database) -> int:
    """The highest event id at or below which every event is committed (see the module's docstring)."""
    if db.is_sqlite:  # one writer at a time: ids commit in order
        with db.read() as cur:
            cur.execute("SELECT COALESCE(MAX(id), 0) FROM audit_event")
            return int(cur.fetchone()[0])
    with db.write() as cur:
        cur.execute("SET LOCAL lock_timeout = '10s'")
        cur.execute("LOCK TABLE audit_event IN SHARE MODE")
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM audit_event")
        return int(cur.fetchone()[0])


@contextmanager
def snapshot(db: Database) -> Iterator[Any]:
    """One consistent read: SQLite's raw connections run each statement on its own unless told, and
    PostgreSQL's READ COMMITTED would let a transition commit between reading tasks and their events."""
    with db.read() as cur:
        cur.execute("BEGIN" if db.is_sqlite else "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield cur


def record(db: Database, kind: str, from_event: int, up_to_event: int, report: VerifyReport, by: str,
           at: str) -> Checkpoint:
    with db.write() as cur:
        if not db.is_sqlite:  # one writer at a time, so the chain of checkpoints never forks
            cur.execute("LOCK TABLE audit_checkpoint IN SHARE ROW EXCLUSIVE MODE")
        cur.execute("SELECT hash FROM audit_checkpoint ORDER BY id DESC LIMIT 1")
        found = cur.fetchone()
        prev = GENESIS if found is None else str(found[0])
        values = (at, kind, from_event, up_to_event, report.events, report.tasks, report.ok, len(report.problems),
                  json.dumps(report.problems[:KEPT_PROBLEMS], ensure_ascii=False), by[:64])
        names = ", ".join(CHECKPOINT_COLUMNS[1:])
        cur.execute(db.sql(f"INSERT INTO audit_checkpoint ({names}) VALUES ({', '.join('?' * 12)}) RETURNING id"),
                    (*values, prev, checkpoint_hash(prev, values)))
        new_id = int(cur.fetchone()[0])
        cur.execute(db.sql(f"SELECT {', '.join(CHECKPOINT_COLUMNS)} FROM audit_checkpoint WHERE id = ?"), (new_id,))
        return _row(cur.fetchone())


def verify_full(db: Database, by: str, at: str) -> tuple[VerifyReport, Checkpoint]:
    """Every event, task, plan and checkpoint (engine.queries.verify_with), recorded as a checkpoint."""
    from phancap.engine.queries import verify_with

    bound = committed_bound(db)
    with snapshot(db) as cur:
        report = verify_with(cur)
        report.problems.extend(chain_problems(cur))
    return report, record(db, FULL, 0, bound, report, by, at)


def verify_incremental(db: Database, by: str, at: str) -> tuple[VerifyReport, Checkpoint]:
    """The events after the newest good checkpoint (a full verification when there is none). A checkpoint is
    recorded when there was something new to verify; the newest full verification's problems are added."""
    bound = committed_bound(db)
    with snapshot(db) as cur:
        base, newest, full = latest(cur, ok_only=True), latest(cur), latest(cur, kind=FULL)
        if base is None:
            from phancap.engine.queries import verify_with

            report = verify_with(cur)
            report.problems.extend(chain_problems(cur))
        else:
            report = verify_after(cur, base.up_to_event)
    kind, start = (FULL, 0) if base is None else (INCREMENTAL, base.up_to_event)
    if newest is None or bound > start or newest.ok != report.ok:
        newest = record(db, kind, start, max(bound, start), report, by, at)
    if full is not None and not full.ok and kind == INCREMENTAL:
        report.problems.append(f"the newest full verification (checkpoint {full.id}, {full.verified_at}) found "
                               f"{full.problem_count} problems: run a full verification / lần kiểm tra toàn bộ gần "
                               f"nhất phát hiện {full.problem_count} vấn đề")
        report.problems.extend(full.problems)
    return report, newest


def verify_after(cur: Any, after: int) -> VerifyReport:
    """Verify the events with an id above `after` as the module's docstring says, in this cursor's snapshot."""
    from phancap.engine.queries import audited_tasks, plan_version_problems

    cur.execute(f"SELECT {EVENT_COLUMNS} FROM audit_event WHERE id > {int(after)} ORDER BY task_id, seq, id")
    by_task: dict[Any, list[tuple[Any, ...]]] = {}
    for row in cur.fetchall():
        by_task.setdefault(row[1], []).append(row)
    touched = [t for t in by_task if isinstance(t, int) and not isinstance(t, bool)]
    tasks, head, plans = audited_tasks(cur, touched)
    report = VerifyReport(tasks=len(by_task), events=sum(len(b) for b in by_task.values()))
    starts = _starts(cur, by_task, report.problems)
    firsts = {t: check_task(tasks.get(t), t, batch, report, starts.get(t)) for t, batch in by_task.items()}
    _newest_problems(cur, set(by_task), report.problems)
    if head is not None:
        _links(cur, {t: f for t, f in firsts.items() if f[0] is not None and t in touched}, head, report.problems)
    report.problems.extend(plan_problems(plans))
    report.problems.extend(plan_version_problems(cur, plans))
    return report


def _starts(cur: Any, by_task: dict[Any, list[tuple[Any, ...]]], problems: list[str]) -> dict[Any, ChainStart]:
    """For each task whose new events do not begin at seq 1, the event before them, its hash recomputed."""
    wanted: dict[tuple[int, int], Any] = {}
    for task_id, batch in by_task.items():
        seqs = [r[2] for r in batch if isinstance(r[2], int) and not isinstance(r[2], bool)]
        if isinstance(task_id, int) and seqs and min(seqs) > 1:
            wanted[(task_id, min(seqs) - 1)] = task_id
    found: dict[tuple[Any, Any], tuple[Any, ...]] = {}
    keys = sorted(wanted)
    for index in range(0, len(keys), _CHUNK):
        # a join on VALUES: one index probe per pair (an OR of pairs may be planned as a scan of every partition)
        pairs = ", ".join(f"({int(t)}, {int(s)})" for t, s in keys[index:index + _CHUNK])
        columns = ", ".join(f"a.{c.strip()}" for c in EVENT_COLUMNS.split(","))
        cur.execute(f"SELECT {columns} FROM audit_event a JOIN (VALUES {pairs}) w "
                    "ON a.task_id = w.column1 AND a.seq = w.column2 ORDER BY a.id")
        for row in cur.fetchall():
            found.setdefault((row[1], row[2]), row)
    starts: dict[Any, ChainStart] = {}
    for (task_id, seq) in keys:
        row = found.get((task_id, seq))
        if row is None:
            problems.append(f"task {task_id}: event seq {seq}, before the events verified now, is missing (deleted?)"
                            f" / nhiệm vụ {task_id}: mất sự kiện số {seq} (bị xóa?)")
            continue
        if not isinstance(row[15], str) or event_hash(str(row[14]), row[1:14], row[16]) != row[15]:
            problems.append(f"task {task_id} event seq {seq} (id {row[0]}): contents do not match its hash (edited)"
                            " / nội dung không khớp mã băm (bị sửa)")
        try:
            snap = json.loads(row[16]) if isinstance(row[16], str) else None
        except ValueError:
            snap = None
        starts[task_id] = ChainStart(seq, str(row[15]), row[5], snap if isinstance(snap, dict) else None)
    return starts


def _newest_problems(cur: Any, touched: set[Any], problems: list[str]) -> None:
    """Every task not touched since the checkpoint: its newest event exists, is the one it records, ends in
    its state, and nothing follows it (an index probe or two per task, no event contents read)."""
    # correlated probes, not a join: a join over every task may be planned as a scan of the whole trail
    cur.execute("SELECT t.id, t.version, t.state, t.last_hash, "
                "(SELECT a.hash || ' ' || a.to_state FROM audit_event a WHERE a.task_id = t.id AND a.seq = t.version "
                "LIMIT 1), "
                "(SELECT 1 FROM audit_event b WHERE b.task_id = t.id AND b.seq = t.version + 1 LIMIT 1) "
                "FROM task_instance t ORDER BY t.id")
    for task_id, version, state, last_hash, newest_text, after in cur.fetchall():
        digest, _, to_state = str(newest_text or "").partition(" ")
        newest = None if newest_text is None else digest
        if newest is not None and after is None and newest == last_hash and to_state == state:
            continue
        if task_id in touched:
            continue  # checked event by event
        if newest is None or after is not None:
            problems.append(f"task {task_id}: checkpoint is version {version}, its audit events do not end there "
                            "(newest events removed or added?) / điểm kiểm tra không khớp: sự kiện mới nhất bị xóa hoặc thêm")
        elif to_state != state:
            problems.append(f"task {task_id}: state '{state}' but its newest audit event ends in '{to_state}' (state "
                            "changed without audit) / trạng thái thay đổi mà không có nhật ký")
        else:
            problems.append(f"task {task_id}: checkpoint hash is not its newest event's (newest event edited?)"
                            " / điểm kiểm tra không khớp mã băm sự kiện mới nhất")


def _links(cur: Any, firsts: dict[Any, tuple[str | None, str | None]], head: str, problems: list[str]) -> None:
    """The creation links of the tasks opened since, taken up after the task before the first of them."""
    below = f" WHERE id < {int(min(firsts))}" if firsts else ""
    # the task before by task_instance (two index probes; a task deleted with its events then shows as a broken link)
    cur.execute(f"SELECT task_id, hash FROM audit_event WHERE seq = 1 AND task_id = (SELECT MAX(id) FROM task_instance"
                f"{below}) ORDER BY id LIMIT 1")
    found = cur.fetchone()
    check_links(firsts, head, problems, None if found is None else (found[0], str(found[1])))
