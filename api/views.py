"""Shaping engine read models into the public models (labels, badges, the caller's triggers)."""

from __future__ import annotations

from typing import Any

from phancap.api.schemas import QueueItem, TaskDetail, TaskPublic, TriggerPublic
from phancap.api.services import Services
from phancap.engine.policy import signs_on_behalf
from phancap.engine.users import User
from phancap.engine.visibility import relations
from phancap.engine.workflow import TransitionDef


def task_public(services: Services, item: dict[str, Any]) -> TaskPublic:
    return TaskPublic(**_task_fields(services, item))


def _task_fields(services: Services, item: dict[str, Any]) -> dict[str, Any]:
    fields = {k: item.get(k) for k in TaskPublic.model_fields if k not in ("state_label", "badge")}
    fields["title"] = item.get("title") or ""
    fields["state_label"] = services.state_label(item["workflow"], item["state"])
    fields["badge"] = services.engine.status.badge(item, services.clock.today())
    return fields


def queue_item(services: Services, item: dict[str, Any]) -> QueueItem:
    return QueueItem(**_task_fields(services, item), category=item["category"], actions=item["actions"],
                     returned=item.get("returned"))


def triggers_public(user: User, item: dict[str, Any], allowed: list[TransitionDef]) -> list[TriggerPublic]:
    held = relations(user, item)
    result: dict[str, TriggerPublic] = {}
    for t in allowed:
        result.setdefault(t.trigger, TriggerPublic(trigger=t.trigger, label=t.label, dest=t.dest,
                                                   requires=list(t.requires), guards=list(t.guards),
                                                   capacity=signs_on_behalf(user, t, held)))
    return list(result.values())


def task_detail(services: Services, user: User, item: dict[str, Any]) -> TaskDetail:
    allowed = services.engine.triggers(int(item["id"]), user.name)
    return TaskDetail(
        **_task_fields(services, item),
        plan_title=item["plan_title"], content=item["content"], product=item["product"],
        lead_text=item["lead_text"], coordinators_text=item["coordinators_text"],
        procedure_text=item["procedure_text"], deadline_kind=item["deadline_kind"],
        relations=relations(user, item), triggers=triggers_public(user, item, allowed),
    )


def event_fields(row: dict[str, Any]) -> dict[str, Any]:
    """engine.queries.history / search_audit rows use 'from'/'to'; the public models say from_state/to_state."""
    out = dict(row)
    out["from_state"] = out.pop("from")
    out["to_state"] = out.pop("to")
    return out
