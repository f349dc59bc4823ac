"""The audit chain: one append-only event per transition, hashed over the same task's previous
event. The task row keeps the newest hash (a checkpoint), so removing the newest events shows.

What an event commits to (issue 11). Besides the transition itself (HASHED_FIELDS), every event
written since migration 0008 carries a `snapshot`: canonical JSON of the instance fields that decide
who acts and when, as they stand after the event (SNAPSHOT_FIELDS), and `plan`, the sha256 of the
plan definition the instance follows. The snapshot is one more hashed field, so it cannot be edited
without breaking the chain; verification compares each task's current fields with the snapshot of
its newest event and names the field that differs. Events from before 0008 have no snapshot
(NULL): they hash and verify exactly as before (legacy), and their task is fully covered from its
next event on.

Deleted tasks. A task's first event's snapshot also holds `created_after`: the hash of the first
event of the task created just before it (in id order; GENESIS for the first), and the one-row
table `audit_head` holds the hash of the newest task's first event. Creating instances takes the
head's row lock, so the order of creation is the order of ids. Removing a task together with all
its events therefore breaks the link of the next task (whose first event cannot be edited without
breaking its own chain and checkpoint), or, for the newest task, the head. Like `last_hash`, the
head is a checkpoint in the same database: someone who rewrites it as well is caught offline by a
checkpoint kept elsewhere (engine/audit_export.py), which records the head too.

Malformed rows (bad JSON, garbage hashes, wrong types in SQLite's loosely typed columns) are
reported as tampering by verification and never raise; `clean_event` makes them safe to show."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

GENESIS = "0" * 64
# The fields a hash covers, in order; `snapshot` follows them when the event has one.
HASHED_FIELDS = ("task_id", "seq", "trigger", "from_state", "to_state", "actor", "unit", "role",
                 "capacity", "at", "comment", "evidence", "data")
# The instance fields every snapshot holds (plus `plan`, the definition's sha256); named in problems as is.
SNAPSHOT_FIELDS = ("state", "stage", "version", "unit", "focal", "authority", "monitor", "justice", "coordinators",
                   "deadline", "pending_deadline", "state_due", "overdue_at", "complex")
PLAN_FIELD, LINK_FIELD = "plan", "created_after"
_HEX64 = re.compile(r"[0-9a-f]{64}")


def encode(value: object) -> str:
    """Length-prefixed, so no choice of text can make two different events hash alike."""
    if value is None:
        return "-"
    text = str(value)
    return f"{len(text)}:{text}"


def sql_encode(expr: str) -> str:
    """The same encoding as SQL over a non-null column expression (SQLite and PostgreSQL)."""
    return f"CAST(LENGTH(CAST({expr} AS TEXT)) AS TEXT) || ':' || CAST({expr} AS TEXT)"


def event_hash(prev_hash: str, values: Sequence[object], snapshot: str | None = None) -> str:
    """values: HASHED_FIELDS in order; a snapshot (events since 0008) is hashed after them."""
    parts = values if snapshot is None else (*values, snapshot)
    payload = prev_hash + "|" + "|".join(encode(v) for v in parts)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def definition_sha256(definition: str) -> str:
    """The version of a plan definition: sha256 of the stored text."""
    return hashlib.sha256(definition.encode("utf-8")).hexdigest()


def _day(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, date) else (None if value is None else str(value))


_SNAPSHOT_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # keys in one fixed order


def snapshot_json(*, state: str, stage: str, version: int, unit: str | None, focal: str | None,
                  authority: str | None, monitor: str | None, justice: str | None, coordinators: str | None,
                  deadline: date | None, pending_deadline: date | None, state_due: date | None,
                  overdue_at: str | None, complex: bool, plan: str | None, created_after: str | None = None) -> str:
    """The canonical snapshot text, pure Python from values in hand (no query; a few µs on the hot path).
    coordinators: the column's JSON text as stored, spliced in as is (callers pass text that parsed, or a JSON
    string literal); verification compares the lists, sorted."""
    snap: dict[str, Any] = {
        "state": state, "stage": stage, "version": version, "unit": unit, "focal": focal, "authority": authority,
        "monitor": monitor, "justice": justice,
        "deadline": _day(deadline), "pending_deadline": _day(pending_deadline), "state_due": _day(state_due),
        "overdue_at": overdue_at, "complex": bool(complex), PLAN_FIELD: plan,
    }
    if created_after is not None:
        snap[LINK_FIELD] = created_after
    return f'{_SNAPSHOT_ENCODER.encode(snap)[:-1]},"coordinators":{coordinators or "[]"}}}'


def snapshot_sql(dialect_sqlite: bool, cols: Mapping[str, str]) -> str:
    """The snapshot as a SQL expression (JSON text) over column expressions, for set-based writers.
    Its text differs from snapshot_json's (key order, spacing, 0/1 for booleans on SQLite) but means
    the same: verification compares values, and hashes the stored text."""
    names = (*SNAPSHOT_FIELDS, PLAN_FIELD)
    pairs = ", ".join(f"'{n}', {cols[n]}" for n in names)
    return f"json_object({pairs})" if dialect_sqlite else f"CAST(json_build_object({pairs}) AS TEXT)"


def normalised(name: str, value: Any) -> Any:
    """A field's value as verification compares it (dates as ISO text, coordinators as a sorted list)."""
    if value is None:
        return None
    if name == "version":
        return int(value)
    if name == "complex":
        return bool(value)
    if name == "coordinators":
        parsed = json.loads(value or "[]") if isinstance(value, str) else value
        if not isinstance(parsed, list):
            raise ValueError("coordinators is not a list")
        return sorted(str(c) for c in parsed)
    if name in ("deadline", "pending_deadline", "state_due"):
        return _day(value)[:10]  # type: ignore[index]
    return str(value)


def current_fields(row: Mapping[str, Any], plan_versions: Mapping[str, str]) -> dict[str, Any]:
    """A task row's snapshot fields (row: the task_instance columns, `plan` its plan code) with `plan` the
    sha256 of that plan's current definition text."""
    out = {n: row.get(n) for n in SNAPSHOT_FIELDS}
    out[PLAN_FIELD] = plan_versions.get(str(row.get("plan")))
    return out


def data_json(data: dict[str, Any] | None) -> str | None:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str) if data else None


def evidence_json(evidence: dict[str, Any] | None) -> str | None:
    if not evidence:
        return None
    kept = {k: evidence[k] for k in ("number", "title", "sha256") if evidence.get(k)}
    return json.dumps(kept, ensure_ascii=False, sort_keys=True, separators=(",", ":")) if kept else None


def _json_object(text: Any) -> dict[str, Any] | None:
    """A stored JSON object column decoded; ValueError when it is not one."""
    if text is None or text == "":
        return None
    if not isinstance(text, str):
        raise ValueError("not text")
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


_INT_KEYS, _JSON_KEYS = ("id", "task_id", "seq"), ("evidence", "data")
_TEXT_KEYS = ("trigger", "from", "to", "actor", "unit", "role", "capacity", "at", "comment", "plan", "task", "task_unit")


def clean_event(item: dict[str, Any]) -> dict[str, Any]:
    """Make one read audit row safe to show: JSON columns decoded (evidence, data: a malformed one becomes
    None), numbers that are not numbers None, other values as text, hashes checked; `malformed` says
    whether anything was wrong (the row is then shown with a marker, never raises)."""
    bad = False
    for key in _JSON_KEYS:
        if key in item:
            try:
                item[key] = _json_object(item[key])
            except ValueError:
                item[key], bad = None, True
    for key in _INT_KEYS:
        if key in item and not (isinstance(item[key], int) and not isinstance(item[key], bool)):
            try:
                item[key] = int(item[key])
            except (TypeError, ValueError):
                item[key] = None
            bad = True
    for key in _TEXT_KEYS:
        if key in item and item[key] is not None and not isinstance(item[key], str):
            item[key], bad = str(item[key]), True
    for key in ("prev_hash", "hash"):
        if key in item:
            value = item[key]
            if not (isinstance(value, str) and _HEX64.fullmatch(value)):
                item[key], bad = "" if value is None else str(value), True
    for key in ("trigger", "to", "actor", "role", "at"):
        if key in item and item[key] is None:
            item[key], bad = "", True
    if "at" in item and item["at"] and not _looks_like_instant(item["at"]):
        bad = True
    item["malformed"] = bad
    return item


def _looks_like_instant(text: str) -> bool:
    from datetime import datetime

    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


@dataclass
class VerifyReport:
    tasks: int = 0
    events: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "tasks": self.tasks, "events": self.events, "problems": self.problems}


EVENT_COLUMNS = "id, " + ", ".join(HASHED_FIELDS) + ", prev_hash, hash, snapshot"
# A task as verification takes it: (id, state, version, last_hash) and optionally the current fields
# (current_fields); without them only the state and version are compared, as before 0008.
TaskRow = tuple[Any, ...]


def _short(value: Any) -> str:
    text = "—" if value is None else str(value)
    return text if len(text) <= 40 else text[:12] + "…"


def _malformed(row: tuple[Any, ...]) -> str | None:
    """Why an event row cannot be read as one (None when its types are sound)."""
    event_id, values, prev, digest, snapshot = row[0], row[1:14], row[14], row[15], row[16] if len(row) > 16 else None
    if not isinstance(values[1], int) or isinstance(values[1], bool):
        return f"seq {values[1]!r} is not a number"
    if not isinstance(values[0], int):
        return f"task_id {values[0]!r} is not a number"
    for name, value in (("prev_hash", prev), ("hash", digest)):
        if not (isinstance(value, str) and _HEX64.fullmatch(value)):
            return f"{name} {_short(value)!r} is not a sha256"
    for name, value in (("evidence", values[11]), ("data", values[12])):
        try:
            _json_object(value)
        except ValueError:
            return f"{name} is not valid JSON"
    if snapshot is not None:
        try:
            _json_object(snapshot)
        except ValueError:
            return "snapshot is not valid JSON"
    for index, name in ((2, "trigger"), (4, "to_state"), (5, "actor"), (9, "at")):
        if not isinstance(values[index], str):
            return f"{name} {values[index]!r} is not text"
    del event_id
    return None


@dataclass
class _Chain:
    """What one task's events establish: the newest event's snapshot, its first event's hash and link."""
    first_hash: str | None = None
    first_link: str | None = None  # created_after in the first event's snapshot (None: legacy)
    snapshot: dict[str, Any] | None = None


@dataclass(frozen=True)
class ChainStart:
    """Where an incremental check takes up a task's chain: the event just before the first one read
    (engine/audit_checkpoint.py). Its own hash is recomputed; the events before it are not read."""
    seq: int
    hash: str
    to_state: str | None
    snapshot: dict[str, Any] | None


def _check_task(task: TaskRow | None, task_id: Any, events: list[tuple[Any, ...]], report: VerifyReport,
                start: ChainStart | None = None) -> _Chain:
    """task = (id, state, version, last_hash[, current fields]); events ordered by seq then id, from seq 1
    or, with `start`, from the event after it."""
    problems = report.problems
    chain = _Chain(snapshot=None if start is None else start.snapshot)
    prev_hash, prev_to, expected_seq = (GENESIS, None, 1) if start is None else (start.hash, start.to_state, start.seq + 1)
    newest_seq: Any = None
    sound: list[tuple[Any, ...]] = []
    for row in events:
        why = _malformed(row)
        if why is not None:
            problems.append(f"task {task_id} event id {row[0]}: malformed row ({why}) (tampered?)"
                            f" / bản ghi nhật ký hỏng ({why}): bị sửa?")
            continue
        sound.append(row)
    for row in sound:
        event_id, values, stored_prev, stored_hash = row[0], row[1:14], row[14], row[15]
        snapshot_text = row[16] if len(row) > 16 else None
        seq = values[1]
        label = f"task {task_id} event seq {seq} (id {event_id})"
        if seq != expected_seq:
            kind = "missing (deleted?)" if seq > expected_seq else "duplicated (inserted?)"
            vi = "bị xóa?" if seq > expected_seq else "bị chèn?"
            problems.append(f"task {task_id}: event seq {expected_seq} {kind}; found seq {seq} (id {event_id})"
                            f" / nhiệm vụ {task_id}: thiếu hoặc trùng sự kiện số {expected_seq} ({vi})")
        if stored_prev != prev_hash:
            problems.append(f"{label}: chain broken: its prev_hash does not match the event before it (inserted, deleted or reordered)"
                            " / chuỗi bị đứt: sự kiện bị chèn, xóa hoặc đảo thứ tự")
        if event_hash(stored_prev, values, snapshot_text) != stored_hash:
            problems.append(f"{label}: contents do not match its hash (edited) / nội dung không khớp mã băm (bị sửa)")
        if prev_to is not None and values[3] != prev_to:
            problems.append(f"{label}: starts from '{values[3]}' but the event before ended in '{prev_to}'")
        snapshot = _json_object(snapshot_text)
        if chain.snapshot is not None and snapshot is None:
            problems.append(f"{label}: has no snapshot although an earlier event has one (inserted?)"
                            " / sự kiện thiếu ảnh chụp trạng thái: bị chèn?")
        if seq == 1 and chain.first_hash is None:
            chain.first_hash = stored_hash
            chain.first_link = None if snapshot is None else str(snapshot.get(LINK_FIELD))
        chain.snapshot = snapshot if snapshot is not None else chain.snapshot
        prev_hash, prev_to, expected_seq, newest_seq = stored_hash, values[4], seq + 1, seq
    if task is None:
        problems.append(f"task {task_id}: has audit events but no task row (deleted?) / có nhật ký nhưng mất nhiệm vụ")
        return chain
    _, state, version, last_hash = task[:4]
    if not sound:
        if not events:
            problems.append(f"task {task_id}: has no audit events (deleted?) / nhiệm vụ không có nhật ký")
        return chain
    if last_hash != prev_hash or version != len(events) + (0 if start is None else start.seq):
        problems.append(
            f"task {task_id}: checkpoint is version {version} hash {str(last_hash)[:12]}…, the chain ends at "
            f"seq {newest_seq} hash {prev_hash[:12]}… (newest events removed or added?)"
            " / điểm kiểm tra không khớp: sự kiện mới nhất bị xóa hoặc thêm"
        )
    if state != prev_to:
        problems.append(f"task {task_id}: state '{state}' but its newest audit event ends in '{prev_to}' (state changed without audit)"
                        " / trạng thái thay đổi mà không có nhật ký")
    if len(task) > 4 and chain.snapshot is not None:
        _compare(task_id, task[4], chain.snapshot, problems)
    return chain


def _compare(task_id: Any, current: Mapping[str, Any], snapshot: Mapping[str, Any], problems: list[str]) -> None:
    """Name every field whose current value is not the one the newest event committed to."""
    for name in (*SNAPSHOT_FIELDS, PLAN_FIELD):
        if name not in current:
            continue
        try:
            now, audited = normalised(name, current[name]), normalised(name, snapshot.get(name))
        except (ValueError, TypeError):
            now, audited = ("unreadable", current[name]), None
        if now != audited:
            shown = "plan definition" if name == PLAN_FIELD else name
            problems.append(f"task {task_id}: {shown} differs from the audited value (now {_short(current[name])}, "
                            f"audited {_short(snapshot.get(name))}) (changed without audit)"
                            f" / nhiệm vụ {task_id}: trường {shown} khác giá trị đã ghi nhật ký (bị sửa ngoài quy trình)")


def _grouped(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, list[tuple[Any, ...]]]]:
    current: Any = None
    started = False
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        if not started or row[1] != current:
            if started:
                yield current, batch
            current, batch, started = row[1], [], True
        batch.append(row)
    if started:
        yield current, batch


def _id_order(value: Any) -> tuple[int, str]:
    return (0, f"{value:020d}") if isinstance(value, int) and value >= 0 else (1, str(value))


def verify_rows(tasks: dict[Any, TaskRow], events: Iterable[tuple[Any, ...]], head: str | None = None,
                plans: Mapping[str, tuple[str | None, str]] | None = None) -> VerifyReport:
    """Check every task's chain. `events` must come ordered by task_id, seq, id (EVENT_COLUMNS).

    With `head` (audit_head's hash: a whole trail, not a sample) the creation links are checked too: each
    task's first event names the first event of the task created before it, the head the newest's.
    `plans`: code -> (recorded definition_sha256, sha256 of the stored text)."""
    report = VerifyReport(tasks=len(tasks))
    chains: dict[Any, _Chain] = {}
    for task_id, batch in _grouped(events):
        report.events += len(batch)
        chains[task_id] = _check_task(tasks.get(task_id), task_id, batch, report)
    for task_id in sorted(set(tasks) - set(chains), key=_id_order):
        chains[task_id] = _check_task(tasks[task_id], task_id, [], report)
    if head is not None:
        _check_links(chains, head, report.problems)
    report.problems.extend(plan_problems(plans or {}))
    return report


def plan_problems(plans: Mapping[str, tuple[str | None, str]]) -> list[str]:
    """Each plan whose text does not match its recorded version (code -> (recorded, actual))."""
    return [f"plan {code}: definition text does not match its recorded version "
            f"{recorded[:12]}… (edited?) / kế hoạch {code}: nội dung bị sửa"
            for code, (recorded, actual) in sorted(plans.items()) if recorded is not None and recorded != actual]


def check_task(task: TaskRow | None, task_id: Any, events: list[tuple[Any, ...]], report: VerifyReport,
               start: ChainStart | None = None) -> tuple[str | None, str | None]:
    """One task's chain (see _check_task): its first event's (hash, created_after) when read."""
    chain = _check_task(task, task_id, events, report, start)
    return chain.first_hash, chain.first_link


def check_links(firsts: Mapping[Any, tuple[str | None, str | None]], head: str, problems: list[str],
                previous: tuple[Any, str] | None = None) -> None:
    """The creation links of the tasks in `firsts` (task -> first event's hash and created_after), taken up
    after `previous` (task id, first event hash; None: the start of the trail), and the head."""
    chains = {t: _Chain(first_hash=h, first_link=link) for t, (h, link) in firsts.items()}
    _check_links(chains, head, problems, previous)


def _check_links(chains: dict[Any, _Chain], head: str, problems: list[str],
                 start: tuple[Any, str] | None = None) -> None:
    previous_id, previous = (None, GENESIS) if start is None else start
    for task_id in sorted(chains, key=_id_order):
        chain = chains[task_id]
        if chain.first_hash is None:
            continue
        if chain.first_link is not None and chain.first_link != previous:
            after = f"task {previous_id}" if previous_id is not None else "the start of the trail"
            problems.append(f"task {task_id}: was created after a task whose first event is not here (between "
                            f"{after} and it): a task and its events deleted?"
                            f" / nhiệm vụ {task_id}: nhiệm vụ tạo trước nó đã bị xóa cùng nhật ký?")
        previous, previous_id = chain.first_hash, task_id
    if head != previous:
        problems.append(f"the newest task's first event should be {head[:12]}…, the trail ends at "
                        f"{previous[:12]}… (task {previous_id}): the newest task deleted with its events?"
                        " / nhiệm vụ mới nhất bị xóa cùng nhật ký?")
