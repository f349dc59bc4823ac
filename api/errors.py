"""Refusals as HTTP: the rule that refused maps to a status; the body says why in Vietnamese and English.

Every refusal is an engine `Refusal` (transitions, drafts, evidence, permissions); the web layer adds
only its own (authentication, CSRF, throttling) and one handler in app.py answers for them all."""

from __future__ import annotations

from typing import Any

from phancap.engine.errors import Refusal

RULE_STATUS: dict[str, int] = {
    "task": 404, "user": 401, "role": 403, "duty": 403, "state": 409, "version": 409, "trigger": 409,
    "guard": 422, "deadline": 422, "idempotency": 422, "evidence": 422, "password": 422,
    "not_found": 404, "forbidden": 403, "request": 422, "too_large": 413, "type": 415, "amendment": 409,
    # refusals of the web layer itself
    "auth": 401, "throttled": 429, "csrf": 403,
}


def http_status(exc: Refusal) -> int:
    status = getattr(exc, "status", None)
    return int(status) if status else RULE_STATUS.get(exc.rule, 400)


class ApiError(Refusal):
    """A refusal of the web layer; nothing was changed. `status` overrides the rule's usual one."""

    def __init__(self, rule: str, message_vi: str, message_en: str, *, status: int | None = None,
                 extra: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(rule, message_vi, message_en, extra=extra)
        self.status = status or RULE_STATUS.get(rule, 400)
        self.headers = dict(headers or {})  # e.g. Retry-After on 429


class LoginRequired(Exception):
    """A page needs a signed-in user: redirect to /login."""


def not_authenticated() -> ApiError:
    return ApiError("auth", "Cần đăng nhập (thiếu hoặc sai mã truy cập)",
                    "not authenticated: missing, invalid or expired bearer token")


def task_not_found(task_id: int) -> ApiError:
    return ApiError("task", f"Không có nhiệm vụ số {task_id} (hoặc bạn không được xem)",
                    f"no task {task_id} (or not visible to you)", extra={"task": task_id})
