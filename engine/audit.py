"""The audit chain: one append-only event per transition, hashed over the same task's previous
event. The task row keeps the newest hash (a checkpoint), so removing the newest events shows."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

GENESIS = "0" * 64
# The fields a hash covers, in order.
HASHED_FIELDS = ("task_id", "seq", "trigger", "from_state", "to_state", "actor", "unit", "role",
                 "capacity", "at", "comment", "evidence", "data")


def encode(value: object) -> str:
    """Length-prefixed, so no choice of text can make two different events hash alike."""
    if value is None:
        return "-"
    text = str(value)
    return f"{len(text)}:{text}"


def sql_encode(expr: str) -> str:
    """The same encoding as SQL over a non-null column expression (SQLite and PostgreSQL)."""
    return f"CAST(LENGTH(CAST({expr} AS TEXT)) AS TEXT) || ':' || CAST({expr} AS TEXT)"


def event_hash(prev_hash: str, values: Sequence[object]) -> str:
    payload = prev_hash + "|" + "|".join(encode(v) for v in values)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def data_json(data: dict[str, Any] | None) -> str | None:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str) if data else None


def evidence_json(evidence: dict[str, Any] | None) -> str | None:
    if not evidence:
        return None
    kept = {k: evidence[k] for k in ("number", "title", "sha256") if evidence.get(k)}
    return json.dumps(kept, ensure_ascii=False, sort_keys=True, separators=(",", ":")) if kept else None


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


EVENT_COLUMNS = "id, " + ", ".join(HASHED_FIELDS) + ", prev_hash, hash"


def _check_task(task: tuple[Any, ...] | None, task_id: int, events: list[tuple[Any, ...]], report: VerifyReport) -> None:
    """task = (id, state, version, last_hash); events ordered by seq then id."""
    problems = report.problems
    prev_hash, prev_to, expected_seq = GENESIS, None, 1
    for row in events:
        event_id, values, stored_prev, stored_hash = row[0], row[1:14], row[14], row[15]
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
        if event_hash(stored_prev, values) != stored_hash:
            problems.append(f"{label}: contents do not match its hash (edited) / nội dung không khớp mã băm (bị sửa)")
        if prev_to is not None and values[3] != prev_to:
            problems.append(f"{label}: starts from '{values[3]}' but the event before ended in '{prev_to}'")
        prev_hash, prev_to, expected_seq = stored_hash, values[4], seq + 1
    if task is None:
        problems.append(f"task {task_id}: has audit events but no task row (deleted?) / có nhật ký nhưng mất nhiệm vụ")
        return
    _, state, version, last_hash = task
    if not events:
        problems.append(f"task {task_id}: has no audit events (deleted?) / nhiệm vụ không có nhật ký")
        return
    if last_hash != prev_hash or version != len(events):
        problems.append(
            f"task {task_id}: checkpoint is version {version} hash {last_hash[:12]}…, the chain ends at "
            f"seq {events[-1][2]} hash {prev_hash[:12]}… (newest events removed or added?)"
            " / điểm kiểm tra không khớp: sự kiện mới nhất bị xóa hoặc thêm"
        )
    if state != prev_to:
        problems.append(f"task {task_id}: state '{state}' but its newest audit event ends in '{prev_to}' (state changed without audit)"
                        " / trạng thái thay đổi mà không có nhật ký")


def _grouped(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[int, list[tuple[Any, ...]]]]:
    current: int | None = None
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        if row[1] != current:
            if current is not None:
                yield current, batch
            current, batch = row[1], []
        batch.append(row)
    if current is not None:
        yield current, batch


def verify_rows(tasks: dict[int, tuple[Any, ...]], events: Iterable[tuple[Any, ...]]) -> VerifyReport:
    """Check every task's chain. `events` must come ordered by task_id, seq, id."""
    report = VerifyReport(tasks=len(tasks))
    seen: set[int] = set()
    for task_id, batch in _grouped(events):
        seen.add(task_id)
        report.events += len(batch)
        _check_task(tasks.get(task_id), task_id, batch, report)
    for task_id in sorted(set(tasks) - seen):
        _check_task(tasks[task_id], task_id, [], report)
    return report
