"""Errors the engine raises. Every refusal says why in Vietnamese and English and changes nothing."""

from __future__ import annotations

from typing import Any, Literal


class DefinitionError(ValueError):
    """A workflow, organisation or plan file is invalid. `problems` holds every `file:line: message`."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class Refusal(Exception):
    """The common base of every refusal: the rule that refused, and why in Vietnamese and English.
    The web layer maps the rule to an HTTP status in one handler; the CLI prints it on one line."""

    def __init__(self, rule: str, message_vi: str, message_en: str, *, extra: dict[str, Any] | None = None) -> None:
        self.rule = rule
        self.message_vi = message_vi
        self.message_en = message_en
        self.extra: dict[str, Any] = dict(extra or {})
        super().__init__(f"[{rule}] {message_vi} / {message_en}")

    def body(self) -> dict[str, Any]:
        return {"rule": self.rule, "message_vi": self.message_vi, "message_en": self.message_en, **self.extra}

    def line(self) -> str:
        """The refusal as one line, for the command line."""
        return f"refused [{self.rule}]: {self.message_vi} / {self.message_en}"


RefusalRule = Literal["task", "user", "trigger", "state", "role", "duty", "guard", "deadline", "version",
                      "idempotency", "evidence"]


class TransitionNotAllowed(Refusal):
    """A transition was refused; nothing changed. Carries the task's state, the trigger and the rule.
    A refusal for rule `task` (no such task, or not visible to the caller) never carries the state."""

    def __init__(
        self,
        rule: RefusalRule,
        message_vi: str,
        message_en: str,
        *,
        task_id: int | None = None,
        state: str | None = None,
        trigger: str | None = None,
    ) -> None:
        self.task_id = task_id
        self.state = None if rule == "task" else state
        self.trigger = trigger
        extra = {k: v for k, v in (("task", task_id), ("state", self.state), ("trigger", trigger)) if v is not None}
        super().__init__(rule, message_vi, message_en, extra=extra)

    def to_json(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "message_vi": self.message_vi,
            "message_en": self.message_en,
            "task": self.task_id,
            "state": self.state,
            "trigger": self.trigger,
        }


class Forbidden(Refusal):
    """The caller's roles do not grant a named permission (engine/policy.py)."""


class NotFound(Refusal):
    """Nothing of that name, or nothing the caller may see (the same answer for both)."""

    def __init__(self, message_vi: str, message_en: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__("not_found", message_vi, message_en, extra=extra)


class BadRequest(Refusal):
    """The request itself is not valid (a bad date, a value out of range)."""

    def __init__(self, message_vi: str, message_en: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__("request", message_vi, message_en, extra=extra)
