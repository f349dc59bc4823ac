"""A draft becoming a plan (issue 7, issue 14): checking it, what activating it would create (counted
from the draft, nothing written), activating it, or applying it as the amendment of the plan it revises.

Activation is all or nothing for the plan: if instantiating fails, the plan rows just written are
removed again and the draft stays valid. The units the person confirmed (engine/draft_units.py) are
added first, each with its `unit.add` admin event naming the draft; they stay if instantiating fails
(they were confirmed and audited) and a second activation does not add them again."""

from __future__ import annotations

import json
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text

from phancap.engine.amendments import Amendment, amend_plan
from phancap.engine.clock import Clock, stamp
from phancap.engine.collation import vi_key
from phancap.engine.db import Database
from phancap.engine.drafts import (
    Draft,
    DraftError,
    DraftScope,
    Parsed,
    draft_registry,
    get_draft,
    not_active,
    update_draft,
)
from phancap.engine.importer import validate_plan, write_plan_yaml
from phancap.engine.instantiate import InstantiateResult, expand, instantiate
from phancap.engine.loader import Definitions, store_definitions
from phancap.engine.machine import WorkflowMachine
from phancap.engine.organisations import Registry, name_key
from phancap.engine.plans import PlanDef, read_plan
from phancap.engine.roles import SYSTEM_ACTOR
from phancap.engine.units import insert_unit

_TEMP_PATH = re.compile(r"^\S*?\.yaml:(\d+): ")


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
    not_active(draft)
    problems = draft_problems(db, draft, draft_registry(db, draft), workflows)
    parsed = Parsed.of(draft)
    return update_draft(db, draft, parsed, draft.mapping, "draft" if problems else "valid", problems, clock,
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
                   clock: Clock, scope: DraftScope | None = None,
                   expect_instances: int | None = None) -> tuple[Draft, InstantiateResult]:
    """A valid draft becomes a plan: stored with the database's registry, then instantiated.
    It is validated again first; a draft that no longer validates goes back to draft, and nothing
    is stored. All or nothing: if instantiating fails, the plan just stored is removed again."""
    draft = get_draft(db, draft_id, scope)
    if draft.state != "valid":
        not_active(draft)
        raise DraftError("state", f"Bản nháp {draft.id} chưa được kiểm tra hợp lệ; hãy kiểm tra trước khi kích hoạt",
                         f"draft {draft.id} has not been validated; validate it before activating")
    registry = draft_registry(db, draft)
    problems = draft_problems(db, draft, registry, set(workflows))
    if problems:
        update_draft(db, draft, Parsed.of(draft), draft.mapping, "draft", problems, clock, expect="valid")
        raise DraftError("state", "Bản nháp không còn hợp lệ: " + "; ".join(problems),
                         "the draft no longer validates: " + "; ".join(problems))
    if expect_instances is not None:
        preview = activation_preview(db, draft, registry)
        if preview.instances != expect_instances:
            raise DraftError("state", f"Bản nháp vừa thay đổi: {preview.summary_vi}, không phải {expect_instances} nhiệm vụ "
                             "như đã xác nhận; hãy xem lại rồi xác nhận lại",
                             f"the draft changed: it would create {preview.instances} task instances, not the "
                             f"{expect_instances} confirmed; review and confirm again")
    plan = _plan_def(draft.plan, registry, set(workflows), f"import:{draft.id}:{draft.source_name}")
    _claim(db, draft, plan.code, clock)
    try:
        _add_confirmed_units(db, draft, scope, clock)
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
    not_active(draft)
    registry = draft_registry(db, draft)
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

    if not dry_run:
        _add_confirmed_units(db, draft, scope, clock)  # the amended tasks may name them
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


def _add_confirmed_units(db: Database, draft: Draft, scope: DraftScope | None, clock: Clock) -> None:
    """The units the person confirmed, added to the registry (each audited as `unit.add`, by whoever
    activates); one added by an earlier activation that failed later is not added again."""
    if not draft.confirmed_units:
        return
    actor = scope.user.name if scope is not None else SYSTEM_ACTOR
    at = stamp(clock.now())
    with db.begin() as conn:
        for unit in draft.confirmed_units:
            if conn.execute(text("SELECT 1 FROM unit WHERE code = :c"), {"c": unit["code"]}).first() is not None:
                continue
            insert_unit(conn, at, actor, unit["code"], name=unit["unit_name"], kind=unit["kind"], region=draft.region,
                        parent=unit.get("parent"), aliases=[unit["name"]] if unit["name"] != unit["unit_name"] else None,
                        comment=f"Đơn vị mới của kế hoạch {draft.code}, nhập từ bản nháp {draft.id} ({draft.source_name})")


# --- what activating would create ---------------------------------------------------------------

@dataclass(frozen=True)
class ActivationPreview:
    """The task instances activating the draft would open, counted from the draft (nothing written):
    one per lead unit of each task, groups expanded into their members as instantiate does."""

    instances: int
    units: list[tuple[str, str, int]]  # (code, name, instances), most instances first, then by name
    new_units: list[str]  # names of the confirmed units activation adds

    @property
    def summary_vi(self) -> str:
        listed = ", ".join(f"{name} {count}" for _, name, count in self.units)
        return f"Sẽ tạo {self.instances} nhiệm vụ cho {len(self.units)} đơn vị" + (f": {listed}" if listed else "")

    def to_json(self) -> dict[str, Any]:
        return {"instances": self.instances, "summary_vi": self.summary_vi, "new_units": list(self.new_units),
                "units": [{"code": c, "name": n, "instances": k} for c, n, k in self.units]}


def _group_kinds(db: Database, region: str) -> dict[str, list[str]]:
    """Each group of the region (by the name keys of its name and aliases) -> the unit kinds it takes in."""
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT name, aliases, kinds FROM unit_group WHERE region = :r"), {"r": region}).all()
    out: dict[str, list[str]] = {}
    for name, aliases, kinds in rows:
        for key in (name, *json.loads(aliases)):
            out[name_key(key)] = list(json.loads(kinds or "[]"))
    return out


def activation_preview(db: Database, draft: Draft, registry: Registry | None = None) -> ActivationPreview:
    registry = registry or draft_registry(db, draft)
    region = draft.region
    groups: dict[str, list[str]] = {}
    for (group_region, key), group in registry.groups.items():
        if group_region == region:
            groups[key] = list(group.members)
    for key, kinds in _group_kinds(db, region).items():
        # a confirmed unit joins the groups of its kind when it is added (refresh_group_members)
        groups.setdefault(key, []).extend(p["code"] for p in draft.confirmed_units
                                          if p["kind"] in kinds and p["code"] not in groups.get(key, []))
    units = set(registry.units)
    counts: Counter[str] = Counter()
    for task in draft.plan.get("tasks") or []:
        if not task.get("heading"):
            counts.update(expand([str(x) for x in task.get("lead") or []], groups, units))
    names = {code: registry.units[code].name for code in counts if code in registry.units}
    ordered = sorted(counts.items(), key=lambda item: (-item[1], vi_key(names.get(item[0], item[0]))))
    return ActivationPreview(sum(counts.values()), [(c, names.get(c, c), k) for c, k in ordered],
                             [str(p["unit_name"]) for p in draft.confirmed_units])
