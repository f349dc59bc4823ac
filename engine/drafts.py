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
import tempfile
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text

from phancap.engine.amendments import Amendment, amend_plan
from phancap.engine.errors import Refusal
from phancap.engine.clock import Clock, stamp
from phancap.engine.db import Database
from phancap.engine.importer import (
    CODE_GUESSED,
    ImportLimits,
    check_size,
    read_limited,
    remap_units,
    validate_plan,
    write_plan_yaml,
)
from phancap.engine.instantiate import InstantiateResult, instantiate
from phancap.engine.loader import Definitions, existing_units, store_definitions
from phancap.engine.machine import WorkflowMachine
from phancap.engine.organisations import GroupDef, Registry, name_key
from phancap.engine.plans import PlanDef, read_plan
from phancap.engine.policy import draft_region_of, may_edit_draft
from phancap.engine.queries import plan_numbers
from phancap.engine.users import User

STATES = ("draft", "valid", "active")
STATE_LABELS_VI = {"draft": "Bản nháp", "valid": "Hợp lệ, chờ kích hoạt", "active": "Đã kích hoạt"}
PLAN_CODE = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$")
_TEMP_PATH = re.compile(r"^\S*?\.yaml:(\d+): ")
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
            "source_text": self.source_text,
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


# --- the registry as the database holds it ----------------------------------------------------

def db_registry(db: Database) -> Registry:
    """Units and groups as loaded in the database (groups with their members already expanded)."""
    registry = Registry()
    for unit in existing_units(db):
        registry.units[unit.code] = unit
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT region, name, aliases, members FROM unit_group")).all()
    for region, name, aliases, members in rows:
        group = GroupDef(name, region, tuple(json.loads(aliases)), (), tuple(json.loads(members)))
        for key in (group.name, *group.aliases):
            registry.groups[(region, name_key(key))] = group
    return registry


def region_units(registry: Registry, region: str) -> list[tuple[str, str]]:
    """(code, name) of the region's units, by name: what an unmatched name may be mapped to."""
    return sorted(((u.code, u.name) for u in registry.units.values() if u.region == region), key=lambda u: u[1])


def _with_aliases(registry: Registry, mapping: dict[str, str]) -> Registry:
    units = dict(registry.units)
    for name, code in mapping.items():
        if code and code in units and name not in units[code].aliases:
            units[code] = replace(units[code], aliases=(*units[code].aliases, name))
    return Registry(units, dict(registry.groups), list(registry.sources))


# --- reading ---------------------------------------------------------------------------------

@dataclass
class _Parsed:
    plan: dict[str, Any]
    problems: list[dict[str, Any]]
    unmatched: list[str]
    mapped: list[str]
    places: list[dict[str, Any]] = field(default_factory=list)


def _parse(registry: Registry, source_text: str, source_name: str, code: str | None, region: str | None,
           limits: ImportLimits, known: tuple[dict[str, str], set[str]] | None = None) -> _Parsed:
    """The one reading of a draft's text (at creation, within the limits)."""
    result = read_limited(source_text, limits, source=source_name, registry=registry, code=code, region=region or None,
                          known_plans=known[0] if known else None, existing_codes=known[1] if known else None)
    return _Parsed(result.plan, result.problems, list(result.unmatched_units), [], result.places)


def _remap(registry: Registry, draft: Draft, mapping: dict[str, str], code: str | None) -> _Parsed:
    """The stored reading with the mapped names resolved where the text put them; the text is not read
    again (only a draft stored before the places were kept is read once more, to keep them from then on)."""
    places, problems = draft.places, draft.problems
    if draft.has_places:
        plan = _revive(json.loads(json.dumps(_jsonable(draft.plan))))
    else:
        legacy = _parse(registry, draft.source_text, draft.source_name, draft.code or None, draft.region, ImportLimits())
        plan, places, problems = legacy.plan, legacy.places, legacy.problems
    problems, unmatched = remap_units(plan, problems, places, _with_aliases(registry, mapping), draft.region)
    if code and code != plan.get("code"):
        plan["code"] = code
        problems = [p for p in problems if not str(p.get("message", "")).startswith(CODE_GUESSED)]
    mapped = [n for n, c in mapping.items() if c]
    return _Parsed(plan, problems, unmatched, mapped, places)


def _row_to_draft(row: Any) -> Draft:
    report = json.loads(row.report_json or "{}")
    return Draft(
        id=int(row.id), code=row.code, source_name=row.source_name, source_text=row.source_text,
        plan=_revive(json.loads(row.plan_json)), mapping=json.loads(row.mapping_json or "{}"), state=row.state,
        created_by=row.created_by, created_at=row.created_at, updated_at=row.updated_at,
        problems=report.get("problems", []), unmatched_units=report.get("unmatched_units", []),
        mapped_units=report.get("mapped_units", []), validation=report.get("validation"),
        places=report.get("places", []), has_places="places" in report,
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


def _report(parsed: _Parsed, validation: list[str] | None) -> str:
    return json.dumps({"problems": parsed.problems, "unmatched_units": parsed.unmatched,
                       "mapped_units": parsed.mapped, "validation": validation, "places": parsed.places},
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
    with db.engine.begin() as conn:
        draft_id = conn.execute(text(
            "INSERT INTO plan_draft (code, source_name, source_text, plan_json, mapping_json, report_json, state, "
            "created_by, created_at, updated_at) VALUES (:code, :source_name, :source_text, :plan_json, "
            ":mapping_json, :report_json, :state, :created_by, :created_at, :updated_at) RETURNING id"), row).scalar_one()
    return get_draft(db, int(draft_id))


def _not_active(draft: Draft) -> None:
    if draft.state == "active":
        raise DraftError("state", f"Bản nháp {draft.id} đã được kích hoạt thành kế hoạch {draft.code}; không sửa được nữa",
                         f"draft {draft.id} is already active as plan {draft.code}; it can no longer change")


def _update(db: Database, draft: Draft, parsed: _Parsed, mapping: dict[str, str], state: str,
            validation: list[str] | None, clock: Clock, *, expect: str) -> Draft:
    with db.engine.begin() as conn:
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
    _not_active(draft)
    registry = db_registry(db)
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
    parsed = _remap(registry, draft, merged, new_code)
    return _update(db, draft, parsed, merged, "draft", None, clock, expect=draft.state)


def _plan_exists(conn: Any, code: str) -> bool:
    return conn.execute(text("SELECT 1 FROM plan WHERE code = :c"), {"c": code}).first() is not None


def draft_problems(db: Database, draft: Draft, registry: Registry, workflows: set[str], *,
                   amending: bool = False) -> list[str]:
    """Why the draft cannot become a plan ([] = it can): the plan definition's problems as read_plan
    finds them, unmatched names with no decision, and a plan code already in use. `amending`: why it
    cannot amend the plan of its code (which must then exist)."""
    problems: list[str] = []
    code = str(draft.plan.get("code") or "")
    if not code:
        problems.append("kế hoạch chưa có mã / the plan has no code")
    else:
        with db.engine.connect() as conn:
            exists = _plan_exists(conn, code)
        if exists and not amending:
            problems.append(f"mã kế hoạch {code} đã được dùng cho một kế hoạch đang chạy; hãy đặt mã khác, hoặc áp "
                            f"dụng bản nháp như văn bản sửa đổi, bổ sung kế hoạch đó / plan code {code} is already in "
                            "use; choose another, or apply the draft as an amendment of that plan")
        elif amending and not exists:
            problems.append(f"không có kế hoạch {code} để sửa đổi / there is no plan {code} to amend")
    for name in draft.undecided:
        problems.append(f"đơn vị \"{name}\" chưa được ánh xạ vào danh mục / unit \"{name}\" is not mapped yet")
    for problem in validate_plan(draft.plan, registry, workflows):
        problems.append(_TEMP_PATH.sub(lambda m: f"định nghĩa, dòng {m.group(1)}: ", problem))
    return problems


def validate_draft(db: Database, draft_id: int, workflows: set[str], clock: Clock,
                   scope: DraftScope | None = None) -> Draft:
    """Check the draft; valid when nothing is wrong, back to draft otherwise (with the problems kept)."""
    draft = get_draft(db, draft_id, scope)
    _not_active(draft)
    registry = db_registry(db)
    problems = draft_problems(db, draft, registry, workflows)
    parsed = _Parsed(draft.plan, draft.problems, draft.unmatched_units, draft.mapped_units, draft.places)
    return _update(db, draft, parsed, draft.mapping, "draft" if problems else "valid", problems, clock,
                   expect=draft.state)


def _plan_def(plan: dict[str, Any], registry: Registry, workflows: set[str], source: str) -> PlanDef:
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plan.yaml"
        path.write_text(write_plan_yaml(plan), encoding="utf-8")
        parsed = read_plan(path, registry, workflows, problems)
    if parsed is None or problems:
        raise DraftError("state", "Bản nháp không hợp lệ: " + "; ".join(problems),
                         "the draft does not validate: " + "; ".join(problems))
    return replace(parsed, source=source)


def activate_draft(db: Database, draft_id: int, workflows: dict[str, WorkflowMachine],
                   clock: Clock, scope: DraftScope | None = None) -> tuple[Draft, InstantiateResult]:
    """A valid draft becomes a plan: stored with the database's registry, then instantiated.
    It is validated again first; a draft that no longer validates goes back to draft, and nothing
    is stored. All or nothing: if instantiating fails, the plan just stored is removed again."""
    draft = get_draft(db, draft_id, scope)
    if draft.state != "valid":
        _not_active(draft)
        raise DraftError("state", f"Bản nháp {draft.id} chưa được kiểm tra hợp lệ; hãy kiểm tra trước khi kích hoạt",
                         f"draft {draft.id} has not been validated; validate it before activating")
    registry = db_registry(db)
    problems = draft_problems(db, draft, registry, set(workflows))
    if problems:
        parsed = _Parsed(draft.plan, draft.problems, draft.unmatched_units, draft.mapped_units, draft.places)
        _update(db, draft, parsed, draft.mapping, "draft", problems, clock, expect="valid")
        raise DraftError("state", "Bản nháp không còn hợp lệ: " + "; ".join(problems),
                         "the draft no longer validates: " + "; ".join(problems))
    plan = _plan_def(draft.plan, registry, set(workflows), f"import:{draft.id}:{draft.source_name}")
    _claim(db, draft, plan.code, clock)
    try:
        store_definitions(db, Definitions(registry, [plan]), clock)
        result = instantiate(db, plan.code, workflows, clock)
    except BaseException:
        _undo(db, draft, plan.code, clock)
        raise
    return get_draft(db, draft.id), result


def amend_from_draft(db: Database, draft_id: int, workflows: dict[str, WorkflowMachine], clock: Clock, *,
                     number: str | None, on: date | None = None, dry_run: bool = False,
                     scope: DraftScope | None = None) -> tuple[Draft, Amendment]:
    """A draft of a plan already running, read as the amending document ("Kế hoạch sửa đổi, bổ sung"): the
    diff (dry_run), or the amendment applied (engine/amendments.py) with the draft becoming active in the
    same transaction. Refused while the draft has any other problem."""
    draft = get_draft(db, draft_id, scope)
    _not_active(draft)
    registry = db_registry(db)
    problems = draft_problems(db, draft, registry, set(workflows), amending=True)
    if problems:
        raise DraftError("state", "Bản nháp chưa dùng được làm văn bản sửa đổi: " + "; ".join(problems),
                         "the draft cannot amend the plan yet: " + "; ".join(problems))
    plan = _plan_def(draft.plan, registry, set(workflows), f"import:{draft.id}:{draft.source_name}")

    def activate(cur: Any) -> None:
        cur.execute(db.sql("UPDATE plan_draft SET state = 'active', updated_at = ? WHERE id = ? AND state = ?"),
                    (stamp(clock.now()), draft.id, draft.state))
        if cur.rowcount != 1:
            raise DraftError("state", f"Bản nháp {draft.id} vừa được người khác thay đổi; hãy tải lại",
                             f"draft {draft.id} was changed meanwhile; reload it")

    amendment = amend_plan(db, plan, workflows, clock, number=number, on=on, dry_run=dry_run,
                           then=None if dry_run else activate)
    return get_draft(db, draft.id), amendment


def _claim(db: Database, draft: Draft, code: str, clock: Clock) -> None:
    """valid -> active, unless another draft of the same code is active or the code is taken (serialised:
    SQLite's write lock, PostgreSQL's row locks on the drafts of that code)."""
    lock = "" if db.is_sqlite else " FOR UPDATE"
    with db.write() as cur:
        cur.execute(db.sql(f"SELECT id, state FROM plan_draft WHERE code = ?{lock}"), (code,))
        others = [r for r in cur.fetchall() if int(r[0]) != draft.id and r[1] == "active"]
        cur.execute(db.sql("SELECT 1 FROM plan WHERE code = ?"), (code,))
        taken = cur.fetchone() is not None
        if others or taken:
            raise DraftError("state", f"Mã kế hoạch {code} đã được dùng; hãy đặt mã khác",
                             f"plan code {code} is already in use; choose another")
        cur.execute(db.sql("UPDATE plan_draft SET state = 'active', updated_at = ? WHERE id = ? AND state = 'valid'"),
                    (stamp(clock.now()), draft.id))
        if cur.rowcount != 1:
            raise DraftError("state", f"Bản nháp {draft.id} vừa được người khác thay đổi; hãy tải lại",
                             f"draft {draft.id} was changed meanwhile; reload it")


def _undo(db: Database, draft: Draft, code: str, clock: Clock) -> None:
    with db.write() as cur:
        cur.execute(db.sql("SELECT COUNT(*) FROM task_instance WHERE plan = ?"), (code,))
        if int(cur.fetchone()[0]) == 0:
            cur.execute(db.sql("DELETE FROM plan_task WHERE plan = ?"), (code,))
            cur.execute(db.sql("DELETE FROM plan_version WHERE plan = ?"), (code,))
            cur.execute(db.sql("DELETE FROM plan WHERE code = ?"), (code,))
        cur.execute(db.sql("UPDATE plan_draft SET state = 'valid', updated_at = ? WHERE id = ?"),
                    (stamp(clock.now()), draft.id))
