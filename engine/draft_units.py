"""The units a draft proposes for names no unit of the registry matches (issue 14): a person confirms
each (its code, name, kind and parent under the issuer may be edited first), refuses it, or leaves it
pending. Nothing is added to the registry here: activation adds the confirmed ones, each audited
through the admin log (engine/draft_activation.py). A confirmed unit stands for its name where the
text put it (lead, coordinators, focal); a refused one is "not a unit of the registry", so the task's
lead is left to be set by hand (engine/draft_edits.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from phancap.engine.clock import Clock
from phancap.engine.db import Database
from phancap.engine.draft_registry import db_registry
from phancap.engine.drafts import (
    Draft,
    DraftError,
    DraftScope,
    draft_registry,
    get_draft,
    not_active,
    remap,
    update_draft,
)
from phancap.engine.organisations import KINDS, UNIT_CODE, Registry, name_key

DECISIONS = ("pending", "confirmed", "refused")
DECISION_LABELS_VI = {"pending": "Chưa quyết định", "confirmed": "Xác nhận tạo đơn vị", "refused": "Từ chối"}
PROPOSAL_FIELDS = ("decision", "code", "unit_name", "kind", "parent")
FIELD_LABELS_VI = {"code": "Mã", "unit_name": "Tên", "kind": "Loại", "parent": "Thuộc"}


def _problems(draft: Draft, proposals: list[dict[str, Any]], registry: Registry) -> list[dict[str, str]]:
    """Why the confirmed proposals cannot be added as they are (one entry per unit and field)."""
    out: list[dict[str, str]] = []
    region = draft.region

    def add(p: dict[str, Any], field: str, vi: str, en: str) -> None:
        out.append({"unit": p["name"], "field": field,
                    "message_vi": f"Đơn vị đề xuất “{p['name']}”, {FIELD_LABELS_VI[field]}: {vi}",
                    "message_en": f"proposed unit \"{p['name']}\", {field}: {en}"})

    codes: set[str] = set()
    for p in proposals:
        if p["decision"] != "confirmed":
            continue
        code = p["code"]
        if not UNIT_CODE.match(code) or not code.startswith(region + "-"):
            add(p, "code", f"mã “{code}” không hợp lệ (dạng {region}-ABC)", f"code {code!r} is not like {region}-ABC")
        elif code in registry.units:
            add(p, "code", f"mã {code} đã là của {registry.units[code].name}", f"code {code} is taken")
        elif code in codes:
            add(p, "code", f"mã {code} trùng với một đơn vị đề xuất khác", f"code {code} is proposed twice")
        codes.add(code)
        twin = next((u for u in registry.units.values() if u.region == region and name_key(u.name) == name_key(p["unit_name"])),
                    None)
        if not p["unit_name"]:
            add(p, "unit_name", "không được để trống", "must not be empty")
        elif twin is not None:
            add(p, "unit_name", f"đã có {twin.name} ({twin.code}) trong danh mục: hãy ánh xạ tên vào đơn vị đó",
                f"{twin.code} already has that name: map the name to it")
        if p["kind"] not in KINDS:
            add(p, "kind", f"loại “{p['kind']}” không có", f"kind {p['kind']!r} is not one of {', '.join(KINDS)}")
        parent = p.get("parent")
        if parent and (parent not in registry.units or registry.units[parent].region != region):
            add(p, "parent", f"không có đơn vị {parent} trong danh mục {region}", f"no unit {parent} in registry {region}")
    return out


def decide_units(db: Database, draft_id: int, decisions: Mapping[str, Mapping[str, str]], clock: Clock,
                 scope: DraftScope | None = None) -> Draft:
    """Record the person's decision on each proposed unit ({proposed name: {decision, code, unit_name,
    kind, parent}}), all or none (DraftError with `problems`), and resolve the stored reading again:
    confirmed names land on the new unit, refused ones on no unit. The draft goes back to draft."""
    draft = get_draft(db, draft_id, scope)
    not_active(draft)
    by_name = {p["name"]: p for p in draft.proposals}
    proposals = [dict(p) for p in draft.proposals]
    for name, values in decisions.items():
        if name not in by_name:
            raise DraftError("request", f"Bản nháp {draft.id} không đề xuất đơn vị “{name}”",
                             f"draft {draft.id} proposes no unit \"{name}\"")
        decision = values.get("decision", by_name[name].get("decision", "pending"))
        if decision not in DECISIONS:
            raise DraftError("request", f"Quyết định “{decision}” không hợp lệ", f"decision {decision!r} is not one of "
                             + ", ".join(DECISIONS))
        target = next(p for p in proposals if p["name"] == name)
        target["decision"] = decision
        for field in ("code", "unit_name", "kind", "parent"):
            if field in values:
                value = " ".join(str(values[field]).split())
                target[field] = (value.upper() if field in ("code", "parent") else value) or None
        target["code"] = target.get("code") or ""
        target["unit_name"] = target.get("unit_name") or ""
    problems = _problems(draft, proposals, db_registry(db))
    if problems:
        raise DraftError("request", "Chưa lưu được các đơn vị đề xuất: " + "; ".join(p["message_vi"] for p in problems),
                         "proposed units not saved: " + "; ".join(p["message_en"] for p in problems),
                         extra={"problems": problems})
    mapping = dict(draft.mapping)
    for p in proposals:
        if p["decision"] == "confirmed":
            mapping[p["name"]] = p["code"]
        elif p["decision"] == "refused":
            mapping[p["name"]] = ""
        elif by_name[p["name"]].get("decision") != "pending":
            mapping.pop(p["name"], None)  # undecided again
    decided = replace(draft, proposals=proposals)
    parsed = remap(draft_registry(db, decided), decided, mapping, draft.code or None)
    return update_draft(db, draft, parsed, mapping, "draft", None, clock, expect=draft.state)
