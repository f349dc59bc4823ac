"""Named guards a workflow may put on a transition. Each returns None when satisfied,
or the refusal (Vietnamese, English) when not."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.machine import TaskContext

Refusal = tuple[str, str]
Guard = Callable[["TaskContext"], Refusal | None]

# "12/2025/QĐ-UBND", "05/2025/NQ-HĐND", "1036/KH-UBND"
DOCUMENT_NUMBER = re.compile(r"^\d{1,6}/(\d{4}/)?[A-ZĐ]{1,10}(-[A-ZĐ0-9]{1,12})+$")


def has_document_number(ctx: TaskContext) -> Refusal | None:
    number = (ctx.evidence or {}).get("number")
    if number and DOCUMENT_NUMBER.match(str(number).strip()):
        return None
    return (
        f"Cần số hiệu văn bản đã ban hành (ví dụ 12/2025/QĐ-UBND); đã nhận: {number!r}",
        f"the issued document's number is required (e.g. 12/2025/QĐ-UBND); got {number!r}",
    )


def deadline_passed(ctx: TaskContext) -> Refusal | None:
    due = [d for d in (ctx.deadline, ctx.state_due) if d is not None]
    if due and min(due) < ctx.today:
        return None
    return (
        f"Chưa quá hạn (thời hạn: {min(due).isoformat() if due else 'không có'})",
        f"the deadline has not passed (due: {min(due).isoformat() if due else 'none'})",
    )


GUARDS: dict[str, Guard] = {
    "has_document_number": has_document_number,
    "deadline_passed": deadline_passed,
}

# What `requires:` may name, and how each is checked.
REQUIREMENTS: dict[str, Guard] = {
    "comment": lambda ctx: None
    if ctx.comment and ctx.comment.strip()
    else ("Cần ghi ý kiến (nội dung)", "a comment is required"),
    "evidence": lambda ctx: None
    if ctx.evidence and any(ctx.evidence.get(k) for k in ("number", "title", "sha256"))
    else ("Cần minh chứng (số hiệu, tiêu đề hoặc tệp văn bản)", "evidence is required (document number, title or file)"),
}
