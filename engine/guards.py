"""Named guards a workflow may put on a transition. Each returns None when satisfied,
or the refusal (Vietnamese, English) when not."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from phancap.engine.machine import TaskContext

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


def extension_pending(ctx: TaskContext) -> Refusal | None:
    if ctx.pending_deadline is not None:
        return None
    return ("Không có đề nghị gia hạn nào đang chờ", "no extension request is pending")


def proposed_deadline_given(ctx: TaskContext) -> Refusal | None:
    proposed = ctx.proposed_deadline
    if proposed is None:
        return ("Cần thời hạn đề nghị gia hạn (ngày mới)", "a proposed new deadline is required")
    if proposed < ctx.today or (ctx.deadline is not None and proposed <= ctx.deadline):
        return (
            f"Thời hạn đề nghị {proposed.isoformat()} phải sau thời hạn hiện tại ({ctx.deadline}) và không trước hôm nay",
            f"the proposed deadline {proposed.isoformat()} must be after the current one ({ctx.deadline}) and not in the past",
        )
    return None


# Guards that read only the task (not what the request brings): listing what may fire now checks them.
STATE_GUARDS = frozenset({"deadline_passed", "extension_pending"})

GUARDS: dict[str, Guard] = {
    "has_document_number": has_document_number,
    "deadline_passed": deadline_passed,
    "extension_pending": extension_pending,
}

# What `requires:` may name, and how each is checked.
REQUIREMENTS: dict[str, Guard] = {
    "comment": lambda ctx: None
    if ctx.comment and ctx.comment.strip()
    else ("Cần ghi ý kiến (nội dung)", "a comment is required"),
    "evidence": lambda ctx: None
    if ctx.evidence and any(ctx.evidence.get(k) for k in ("number", "title", "sha256"))
    else ("Cần minh chứng (số hiệu, tiêu đề hoặc tệp văn bản)", "evidence is required (document number, title or file)"),
    "proposed_deadline": proposed_deadline_given,
    # assign_officer names the officer: only engine/assignment.py brings one (it checks who they are)
    "assignment": lambda ctx: None
    if ctx.assignment is not None
    else ("Phân công chuyên viên bằng chức năng phân công, chọn người được phân công (phancap assign)",
          "assign an officer through the assignment action, naming them (phancap assign)"),
}
