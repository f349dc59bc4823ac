"""Refusals as HTTP: which rule refused maps to a status; the body says why in Vietnamese and English."""

from __future__ import annotations

from typing import Any

from engine.errors import TransitionNotAllowed

RULE_STATUS: dict[str, int] = {
    "task": 404, "user": 401, "role": 403, "state": 409, "version": 409, "trigger": 409,
    "guard": 422, "deadline": 422, "idempotency": 422,
    # refusals of the web layer itself
    "auth": 401, "forbidden": 403, "not_found": 404, "throttled": 429, "csrf": 403, "request": 422,
}


class ApiError(Exception):
    """A refusal; nothing was changed."""

    def __init__(self, rule: str, message_vi: str, message_en: str, *, status: int | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        self.rule = rule
        self.message_vi = message_vi
        self.message_en = message_en
        self.status = status or RULE_STATUS.get(rule, 400)
        self.extra = extra or {}
        super().__init__(f"[{rule}] {message_en}")

    @classmethod
    def from_engine(cls, exc: TransitionNotAllowed) -> ApiError:
        body = exc.to_json()
        extra = {k: body[k] for k in ("task", "state", "trigger") if body.get(k) is not None}
        return cls(exc.rule, exc.message_vi, exc.message_en, extra=extra)

    def body(self) -> dict[str, Any]:
        return {"rule": self.rule, "message_vi": self.message_vi, "message_en": self.message_en, **self.extra}


class LoginRequired(Exception):
    """A page needs a signed-in user: redirect to /login."""


def not_authenticated() -> ApiError:
    return ApiError("auth", "Cần đăng nhập (thiếu hoặc sai mã truy cập)",
                    "not authenticated: missing, invalid or expired bearer token")


def task_not_found(task_id: int) -> ApiError:
    return ApiError("task", f"Không có nhiệm vụ số {task_id} (hoặc bạn không được xem)",
                    f"no task {task_id} (or not visible to you)", extra={"task": task_id})


def audit_forbidden() -> ApiError:
    return ApiError("forbidden", "Chỉ kiểm toán và theo dõi, đôn đốc được xem nhật ký",
                    "only auditors and monitors may read the audit trail")
