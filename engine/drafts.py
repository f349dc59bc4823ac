"""Plan drafts (issue 7): a plan read from its text by engine.importer, kept for review before it
becomes a plan that runs.

    draft  --apply_mapping-->  draft          (unknown unit names mapped; the stored reading resolved again)
    draft  --validate_draft--> valid | draft  (validate_plan against the database's registry and workflows)
    valid  --activate_draft--> active         (store_definitions of this one plan, then instantiate)

Unit names the importer could not match are never invented: each must be mapped to a unit of the
plan's registry, or explicitly marked as not a unit of the registry (mapped to ""), before the draft
validates. The text is read once, when the draft is made, within the import limits (size, tasks);
the reading is stored (plan_json, and in report_json the places where tasks name unknown units).
Mapping a name resolves those places again with the name as an extra alias of the chosen unit, so
the name lands where the text put it (lead, coordinators, focal); validating and activating use the
stored plan. Nothing is instantiated from a draft that does not validate, and activation is all or
nothing: if instantiating fails, the plan rows just written are removed again and the draft stays valid.

Drafts belong to a registry (the plan's): a user sees and handles only the drafts of their unit's
registry, admins every registry (engine.policy.may_edit_draft); any other draft is answered like a
missing one."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import text

from phancap.engine.errors import Refusal
from phancap.engine.clock import Clock, stamp
from phancap.engine.db import Database
from phancap.engine.draft_registry import db_registry, region_units, registry_with, with_aliases
from phancap.engine.importer import (
    CODE_GUESSED,
    ImportLimits,
    check_size,
    read_limited,
    remap_units,
)
from phancap.engine.organisations import Registry
from phancap.engine.policy import draft_region_of, may_edit_draft
from phancap.engine.queries import plan_numbers
from phancap.engine.users import User

STATES = ("draft", "valid", "active")
STATE_LABELS_VI = {"draft": "Bản nháp", "valid": "Hợp lệ, chờ kích hoạt", "active": "Đã kích hoạt"}
PLAN_CODE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$")
_DATE_KEYS = ("issued", "due", "start")


class DraftError(Refusal):
    """A refused draft operation; nothing was changed. rule: not_found, state, request."""


@dataclass(frozen=True)
class DraftScope:
    """Whose drafts these are: the user and their unit's registry (engine.policy decides)."""

    user: User
    region: str | None

    def allows(self, draft_region: str) -> bool:
        return may_edit_draft(self.user, self.region, draft_region)

    @property
    def only_region(self) -> str | None:
        """The one registry this user imports into; None: any."""
        return draft_region_of(self.user, self.region)


def scope_of(db: Database, user: User) -> DraftScope:
    with db.engine.connect() as conn:
        region = conn.execute(text("SELECT region FROM unit WHERE code = :u"), {"u": user.unit}).scalar()
    return DraftScope(user, str(region) if region is not None else None)


def _missing(draft_id: int) -> DraftError:
    return DraftError("not_found", f"Không có bản nháp số {draft_id}", f"no draft {draft_id}")


@dataclass
class Draft:
    id: int
    code: str
    source_name: str
    source_text: str
    plan: dict[str, Any]
    mapping: dict[str, str]  # unmatched name -> unit code, "" = not a unit of the registry
    state: str
    created_by: str
    created_at: str
    updated_at: str
    problems: list[dict[str, Any]] = field(default_factory=list)  # the importer's {line, message, text}
    unmatched_units: list[str] = field(default_factory=list)  # names the importer could not match, after mapping
    mapped_units: list[str] = field(default_factory=list)  # names mapped to a unit (now matched)
    validation: list[str] | None = None  # the last validation's problems; None: never validated
    places: list[dict[str, Any]] = field(default_factory=list)  # the importer's UnitPlace of tasks naming unknown units
    has_places: bool = True  # False: stored before the places were kept (read once more, on the first mapping)
    sources: list[dict[str, Any]] = field(default_factory=list)  # per task: {"first", "last"[, "written"]} source lines
    # units proposed under the issuer for names no unit matches, each with the person's decision
    # (engine/draft_units.py): {"name", "code", "unit_name", "kind", "type", "parent", "decision"}
    proposals: list[dict[str, Any]] = field(default_factory=list)
    edited: list[int] = field(default_factory=list)  # indexes of the tasks a person corrected field by field

    @property
    def confirmed_units(self) -> list[dict[str, Any]]:
        return [p for p in self.proposals if p.get("decision") == "confirmed"]

    @property
    def region(self) -> str:
        return str(self.plan.get("registry") or "")

    @property
    def undecided(self) -> list[str]:
        """Unmatched names with no decision yet (neither mapped to a unit nor marked as none)."""
        return [n for n in self.unmatched_units if n not in self.mapping]

    @property
    def tasks(self) -> int:
        return sum(1 for t in self.plan.get("tasks") or [] if not t.get("heading"))

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "code": self.code, "source_name": self.source_name, "state": self.state,
            "created_by": self.created_by, "created_at": self.created_at, "updated_at": self.updated_at,
            "region": self.region, "tasks": self.tasks, "plan": _jsonable(self.plan), "mapping": dict(self.mapping),
            "problems": list(self.problems), "unmatched_units": list(self.unmatched_units),
            "mapped_units": list(self.mapped_units), "undecided": self.undecided, "validation": self.validation,
            "source_text": self.source_text, "sources": list(self.sources), "proposals": list(self.proposals),
            "edited": list(self.edited),
        }


# --- JSON with dates --------------------------------------------------------------------------

def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _revive(value: Any, key: str | None = None) -> Any:
    """Dates the importer produced (issued, deadline due/start) come back as dates, as write_plan_yaml expects."""
    if isinstance(value, dict):
        return {k: _revive(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_revive(v) for v in value]
    if key in _DATE_KEYS and isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}$", value):
        return date.fromisoformat(value)
    return value


def draft_registry(db: Database, draft: Draft) -> Registry:
    """The registry the draft is read against: the database's, with the units the person confirmed."""
    return registry_with(db_registry(db), draft.region, draft.confirmed_units)


# --- reading ---------------------------------------------------------------------------------

@dataclass
class Parsed:
    plan: dict[str, Any]
    problems: list[dict[str, Any]]
    unmatched: list[str]
    mapped: list[str]
    places: list[dict[str, Any]] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)
    proposals: list[dict[str, Any]] = field(default_factory=list)
    edited: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, draft: Draft) -> Parsed:
        """The draft's stored reading, as it is."""
        return cls(draft.plan, draft.problems, draft.unmatched_units, draft.mapped_units, draft.places,
                   draft.sources, draft.proposals, draft.edited)


def _parse(registry: Registry, source_text: str, source_name: str, code: str | None, region: str | None,
           limits: ImportLimits, known: tuple[dict[str, str], set[str]] | None = None) -> Parsed:
    """The one reading of a draft's text (at creation, within the limits)."""
    result = read_limited(source_text, limits, source=source_name, registry=registry, code=code, region=region or None,
                          known_plans=known[0] if known else None, existing_codes=known[1] if known else None)
    proposals = [{**u, "unit_name": u["name"], "decision": "pending"} for u in result.new_units]
    return Parsed(result.plan, result.problems, list(result.unmatched_units), [], result.places, result.sources,
                   proposals)


def remap(registry: Registry, draft: Draft, mapping: dict[str, str], code: str | None) -> Parsed:
    """The stored reading with the mapped names resolved where the text put them; the text is not read
    again (only a draft stored before the places were kept is read once more, to keep them from then on)."""
    places, problems = draft.places, draft.problems
    if draft.has_places:
        plan = _revive(json.loads(json.dumps(_jsonable(draft.plan))))
    else:
        legacy = _parse(registry, draft.source_text, draft.source_name, draft.code or None, draft.region, ImportLimits())
        plan, places, problems = legacy.plan, legacy.places, legacy.problems
    problems, unmatched = remap_units(plan, problems, places, with_aliases(registry, mapping), draft.region)
    if code and code != plan.get("code"):
        plan["code"] = code
        problems = [p for p in problems if not str(p.get("message", "")).startswith(CODE_GUESSED)]
    mapped = [n for n, c in mapping.items() if c]
    return Parsed(plan, problems, unmatched, mapped, places, draft.sources, draft.proposals, draft.edited)


def _row_to_draft(row: Any) -> Draft:
    report = json.loads(row.report_json or "{}")
    return Draft(
        id=int(row.id), code=row.code, source_name=row.source_name, source_text=row.source_text,
        plan=_revive(json.loads(row.plan_json)), mapping=json.loads(row.mapping_json or "{}"), state=row.state,
        created_by=row.created_by, created_at=row.created_at, updated_at=row.updated_at,
        problems=report.get("problems", []), unmatched_units=report.get("unmatched_units", []),
        mapped_units=report.get("mapped_units", []), validation=report.get("validation"),
        places=report.get("places", []), has_places="places" in report, sources=report.get("sources", []),
        proposals=report.get("proposals", []), edited=report.get("edited", []),
    )


_COLUMNS = ("id, code, source_name, source_text, plan_json, mapping_json, report_json, state, created_by, "
            "created_at, updated_at")


def get_draft(db: Database, draft_id: int, scope: DraftScope | None = None) -> Draft:
    """The draft; refused like a missing one when it is outside the scope's registry."""
    with db.engine.connect() as conn:
        row = conn.execute(text(f"SELECT {_COLUMNS} FROM plan_draft WHERE id = :i"), {"i": draft_id}).first()
    if row is None:
        raise _missing(draft_id)
    draft = _row_to_draft(row)
    if scope is not None and not scope.allows(draft.region):
        raise _missing(draft_id)
    return draft


_LIST_COLUMNS = _COLUMNS.replace("source_text", "'' AS source_text")


def list_drafts(db: Database, scope: DraftScope | None = None) -> list[Draft]:
    """The drafts (of the scope's registry), newest first, without their texts."""
    with db.engine.connect() as conn:
        rows = conn.execute(text(f"SELECT {_LIST_COLUMNS} FROM plan_draft ORDER BY id DESC")).all()
    drafts = [_row_to_draft(r) for r in rows]
    return [d for d in drafts if scope is None or scope.allows(d.region)]


def _report(parsed: Parsed, validation: list[str] | None) -> str:
    return json.dumps({"problems": parsed.problems, "unmatched_units": parsed.unmatched,
                       "mapped_units": parsed.mapped, "validation": validation, "places": parsed.places,
                       "sources": parsed.sources, "proposals": parsed.proposals, "edited": parsed.edited},
                      ensure_ascii=False, default=str)


def _check_code(code: str | None) -> str | None:
    if code is None or not code.strip():
        return None
    code = code.strip().upper()
    if not PLAN_CODE.match(code) or len(code) > 64:
        raise DraftError("request", f"Mã kế hoạch '{code}' không hợp lệ (ví dụ HN-2025)",
                         f"plan code '{code}' is not valid (like HN-2025)")
    return code


def save_draft(db: Database, source_text: str, *, source_name: str, created_by: str, clock: Clock,
               code: str | None = None, region: str | None = None, limits: ImportLimits | None = None,
               scope: DraftScope | None = None) -> Draft:
    """Read the text (once, within `limits`) and keep the reading as a new draft (state draft). With a
    scope, the draft's registry is the user's own unless the user may import into any."""
    limits = limits or ImportLimits()
    if not source_text.strip():
        raise DraftError("request", "Văn bản kế hoạch trống", "the plan text is empty")
    check_size(len(source_text.encode("utf-8")), limits)
    if scope is not None and scope.only_region is not None:
        if region and region != scope.only_region:
            raise DraftError("request", f"Không có danh mục tổ chức '{region}'", f"no organisation registry '{region}'")
        region = scope.only_region
    code = _check_code(code)
    registry = db_registry(db)
    if region and not any(u.region == region for u in registry.units.values()):
        raise DraftError("request", f"Không có danh mục tổ chức '{region}'", f"no organisation registry '{region}'")
    parsed = _parse(registry, source_text, source_name, code, region, limits, plan_numbers(db))
    if scope is not None and not scope.allows(str(parsed.plan.get("registry") or "")):
        raise DraftError("request", "Không xác định được danh mục tổ chức của kế hoạch; hãy chọn danh mục",
                         "cannot tell the plan's registry; choose one")
    now = stamp(clock.now())
    row = {"code": str(parsed.plan.get("code") or code or ""), "source_name": source_name[:255],
           "source_text": source_text, "plan_json": json.dumps(_jsonable(parsed.plan), ensure_ascii=False),
           "mapping_json": "{}", "report_json": _report(parsed, None), "state": "draft",
           "created_by": created_by, "created_at": now, "updated_at": now}
    with db.begin() as conn:
        draft_id = conn.execute(text(
            "INSERT INTO plan_draft (code, source_name, source_text, plan_json, mapping_json, report_json, state, "
            "created_by, created_at, updated_at) VALUES (:code, :source_name, :source_text, :plan_json, "
            ":mapping_json, :report_json, :state, :created_by, :created_at, :updated_at) RETURNING id"), row).scalar_one()
    return get_draft(db, int(draft_id))


def not_active(draft: Draft) -> None:
    if draft.state == "active":
        raise DraftError("state", f"Bản nháp {draft.id} đã được kích hoạt thành kế hoạch {draft.code}; không sửa được nữa",
                         f"draft {draft.id} is already active as plan {draft.code}; it can no longer change")


def update_draft(db: Database, draft: Draft, parsed: Parsed, mapping: dict[str, str], state: str,
            validation: list[str] | None, clock: Clock, *, expect: str) -> Draft:
    with db.begin() as conn:
        done = conn.execute(text(
            "UPDATE plan_draft SET code = :code, plan_json = :plan, mapping_json = :mapping, report_json = :report, "
            "state = :state, updated_at = :now WHERE id = :id AND state = :expect"), {
            "code": str(parsed.plan.get("code") or draft.code), "id": draft.id, "expect": expect,
            "plan": json.dumps(_jsonable(parsed.plan), ensure_ascii=False),
            "mapping": json.dumps(mapping, ensure_ascii=False), "report": _report(parsed, validation),
            "state": state, "now": stamp(clock.now())}).rowcount
    if done != 1:
        raise DraftError("state", f"Bản nháp {draft.id} vừa được người khác thay đổi; hãy tải lại",
                         f"draft {draft.id} was changed meanwhile; reload it")
    return get_draft(db, draft.id)


def apply_mapping(db: Database, draft_id: int, mapping: dict[str, str | None], clock: Clock,
                  code: str | None = None, scope: DraftScope | None = None) -> Draft:
    """Map unmatched unit names to unit codes of the plan's registry ("" or None: not a unit of the
    registry), optionally change the plan code, and resolve the stored reading again (the text is
    not read again). The draft goes back to draft."""
    draft = get_draft(db, draft_id, scope)
    not_active(draft)
    registry = draft_registry(db, draft)
    region = draft.region
    known = {c for c, _ in region_units(registry, region)}
    merged = dict(draft.mapping)
    for raw_name, raw_code in mapping.items():
        name = " ".join(str(raw_name).split())
        unit = (raw_code or "").strip()
        if not name:
            continue
        if unit and unit not in known:
            raise DraftError("request", f"'{unit}' không phải đơn vị của danh mục {region}",
                             f"'{unit}' is not a unit of registry {region}")
        merged[name] = unit
    new_code = _check_code(code) or draft.code or None
    parsed = remap(registry, draft, merged, new_code)
    return update_draft(db, draft, parsed, merged, "draft", None, clock, expect=draft.state)
