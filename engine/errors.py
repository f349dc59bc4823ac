"""Errors the engine raises; each says why in Vietnamese and English."""

from __future__ import annotations

from typing import Literal


class DefinitionError(ValueError):
    """A workflow, organisation or plan file is invalid. `problems` holds every `file:line: message`."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


RefusalRule = Literal["task", "user", "trigger", "state", "role", "guard", "deadline", "version", "idempotency"]


class TransitionNotAllowed(Exception):
    """A transition was refused; nothing changed. Carries the task's state, the trigger and the rule."""

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
        self.rule = rule
        self.message_vi = message_vi
        self.message_en = message_en
        self.task_id = task_id
        self.state = state
        self.trigger = trigger
        super().__init__(f"[{rule}] {message_vi} / {message_en}")

    def to_json(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "message_vi": self.message_vi,
            "message_en": self.message_en,
            "task": self.task_id,
            "state": self.state,
            "trigger": self.trigger,
        }
