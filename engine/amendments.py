"""Amending a plan ("Kế hoạch sửa đổi, bổ sung"): a later document moves a deadline, strikes a task out,
adds one, changes who leads. The plan gets a new version (the previous ones are kept in plan_version);
the change is applied to the running instances in the same transaction:

- every affected open instance gets exactly one `amend` event (system actor, the document's number and
  date, old and new values in its data): its focal, coordinators, deadline and complexity follow the new
  text; a moved deadline re-evaluates overdue as an extension does (an overdue task that is no longer
  late goes back to its stage, a task newly late is marked by the next sweep);
- instances of a struck task, or of a unit that no longer leads it, are withdrawn by that one event, the
  document being the reason;
- added tasks and new lead units are instantiated (assigned, citing the document);
- instances already done or withdrawn are never touched (their history names the version they followed).

`diff_plan` is also what `phancap load` shows when it refuses a changed plan with running instances."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from collections.abc import Callable
from typing import Any

from phancap.engine.audit import data_json, definition_sha256, event_hash, snapshot_json
from phancap.engine.clock import Clock, stamp
from phancap.engine.db import Database
from phancap.engine.errors import BadRequest, DefinitionError, NotFound, Refusal
from phancap.engine.guards import DOCUMENT_NUMBER
from phancap.engine.instantiate import ASSIGN_TRIGGER, NewInstance, expand, group_index, open_instances
from phancap.engine.machine import WorkflowMachine
from phancap.engine.plans import PlanDef, TaskDef
from phancap.engine.roles import SYSTEM_ACTOR, SYSTEM_ROLE

AMEND_TRIGGER = "amend"
TASK_FIELDS = ("title", "content", "lead", "lead_text", "focal", "coordinators", "coordinators_text", "product",
               "deadline", "procedure", "complex", "parent_task")
PLAN_FIELDS = ("title", "registry", "issuer", "authority", "monitor", "justice", "parent_code")
# Who a plan's instances answer to: changing these is not an amendment of tasks (refused while tasks run).
FIXED_PLAN_FIELDS = ("registry", "issuer", "authority", "monitor", "justice")
_PLAN_TASK_COLUMNS = ("number", "parent", "heading", "title", "content", "focal", "lead", "lead_text", "coordinators",
                      "coordinators_text", "product", "deadline_phrase", "deadline_kind", "deadline_due",
                      "deadline_start", "workflow", "procedure_text", "complex", "parent_task")
SELECT_PLAN_TASKS = f"SELECT {', '.join(_PLAN_TASK_COLUMNS)} FROM plan_task WHERE plan = {{p}} ORDER BY id"
SELECT_PLAN = "SELECT title, region, issuer, authority, monitor, justice, parent_code, definition_sha256 FROM plan WHERE code = {p}"


class AmendmentRefused(Refusal):
    """An amendment (or a load that would be one) refused; nothing changed."""

    def __init__(self, message_vi: str, message_en: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__("amendment", message_vi, message_en, extra=extra)


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


def task_def_fields(t: TaskDef) -> dict[str, Any]:
    """A task of a plan file as the diff compares it."""
    return {"heading": t.heading, "title": t.title, "content": t.content, "lead": list(t.lead), "lead_text": t.lead_text,
            "focal": t.focal, "coordinators": list(t.coordinators), "coordinators_text": t.coordinators_text,
            "product": t.product, "deadline": {"phrase": t.deadline_phrase, "due": _iso(t.deadline_due)},
            "procedure": {"workflow": t.workflow, "text": t.procedure_text}, "complex": bool(t.complex),
            "parent_task": t.parent_task}


def stored_task_fields(row: Any) -> tuple[str, dict[str, Any]]:
    """A plan_task row (SELECT_PLAN_TASKS) as the diff compares it."""
    r = dict(zip(_PLAN_TASK_COLUMNS, row, strict=True))
    return str(r["number"]), {
        "heading": bool(r["heading"]), "title": r["title"], "content": r["content"],
        "lead": json.loads(r["lead"] or "[]"), "lead_text": r["lead_text"], "focal": r["focal"],
        "coordinators": json.loads(r["coordinators"] or "[]"), "coordinators_text": r["coordinators_text"],
        "product": r["product"], "deadline": {"phrase": r["deadline_phrase"], "due": _iso(r["deadline_due"])},
        "procedure": {"workflow": r["workflow"], "text": r["procedure_text"]}, "complex": bool(r["complex"]),
        "parent_task": r["parent_task"]}


def plan_def_fields(plan: PlanDef) -> dict[str, Any]:
    return {"title": plan.title, "registry": plan.region, "issuer": plan.issuer, "authority": plan.authority,
            "monitor": plan.monitor, "justice": plan.justice, "parent_code": plan.parent_code}


def stored_plan_fields(row: Any) -> dict[str, Any]:
    """A plan row (SELECT_PLAN) as the diff compares it."""
    return dict(zip(PLAN_FIELDS, row[:7], strict=True))


@dataclass(frozen=True)
class PlanDiff:
    """What a new text of a plan changes: plan fields, and task by task (added, removed, changed) field by field."""

    plan: list[dict[str, Any]]
    tasks: list[dict[str, Any]]

    @property
    def empty(self) -> bool:
        return not self.plan and not self.tasks

    def to_json(self) -> dict[str, Any]:
        return {"plan": self.plan, "tasks": self.tasks}

    def lines(self) -> list[str]:
        """One line per difference, for messages."""
        out = [f"plan {c['field']}: {_short(c['old'])} → {_short(c['new'])}" for c in self.plan]
        for t in self.tasks:
            if t["change"] == "changed":
                out.append(f"task {t['task']}: " + "; ".join(
                    f"{c['field']} {_short(c['old'])} → {_short(c['new'])}" for c in t["fields"]))
            else:
                out.append(f"task {t['task']}: {t['change']}")
        return out


def _short(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("due") or value.get("phrase") if "due" in value else value.get("workflow")
    text = "—" if value in (None, [], "") else (", ".join(map(str, value)) if isinstance(value, list) else str(value))
    return text if len(text) <= 60 else text[:57] + "…"


def diff_plan(stored_plan: dict[str, Any], stored_tasks: dict[str, dict[str, Any]], plan: PlanDef) -> PlanDiff:
    new_plan = plan_def_fields(plan)
    plan_changes = [{"field": f, "old": stored_plan.get(f), "new": new_plan[f]} for f in PLAN_FIELDS
                    if stored_plan.get(f) != new_plan[f]]
    new_tasks = {t.number: task_def_fields(t) for t in plan.tasks}
    changes: list[dict[str, Any]] = []
    for number, new in new_tasks.items():
        old = stored_tasks.get(number)
        if old is None:
            changes.append({"task": number, "change": "added", "title": new["title"], "heading": new["heading"],
                            "fields": [{"field": f, "old": None, "new": new[f]} for f in TASK_FIELDS]})
            continue
        fields = [{"field": f, "old": old[f], "new": new[f]} for f in TASK_FIELDS if old[f] != new[f]]
        if old["heading"] != new["heading"]:
            fields.insert(0, {"field": "heading", "old": old["heading"], "new": new["heading"]})
        if fields:
            changes.append({"task": number, "change": "changed", "title": new["title"], "heading": new["heading"],
                            "fields": fields})
    for number, old in stored_tasks.items():
        if number not in new_tasks:
            changes.append({"task": number, "change": "removed", "title": old["title"], "heading": old["heading"],
                            "fields": [{"field": f, "old": old[f], "new": None} for f in TASK_FIELDS]})
    return PlanDiff(plan_changes, changes)


def read_amending_plan(path: Path, db: Database, workflows: set[str]) -> PlanDef:
    """The amended plan's file, validated against the stored registry (every problem as file:line: message)."""
    from phancap.engine.loader import read_definitions, stored_registry

    defs = read_definitions(path, workflows, stored_registry(db))
    if len(defs.plans) != 1:
        raise DefinitionError([f"{path}:1: an amendment is one plan file ({len(defs.plans)} plans found)"])
    return defs.plans[0]


def read_plan_text(text: str, db: Database, workflows: set[str], *, code: str) -> PlanDef:
    """The amended plan sent as YAML text (the API): validated as a file would be; problems as a refusal
    (rule `request`) naming the line and field, the temporary file's name left out."""
    import re
    import tempfile

    if not re.fullmatch(r"[A-Z][A-Z0-9]*(-[A-Z0-9]+)*", code):
        raise NotFound(f"Không có kế hoạch {code}", f"no plan {code}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{code}.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            plan = read_amending_plan(path, db, workflows)
        except DefinitionError as exc:
            problems = [re.sub(re.escape(str(path)) + r":(\d+):", r"line \1:", p) for p in exc.problems]
            raise BadRequest("Kế hoạch sửa đổi không hợp lệ: " + "; ".join(problems),
                             "the amended plan is not valid: " + "; ".join(problems),
                             extra={"problems": problems}) from None
    if plan.code != code:
        raise BadRequest(f"Tệp là kế hoạch {plan.code}, không phải {code}", f"the text is plan {plan.code}, not {code}")
    return replace(plan, source=f"amendment:{code}")


def _final(machine: WorkflowMachine | None, state: str) -> bool:
    if machine is None:
        return True  # an instance of a workflow no longer loaded: left as it is
    found = machine.workflow.states.get(state)
    return found is None or found.final or found.category in ("done", "withdrawn")


def _withdrawn_state(machine: WorkflowMachine) -> str:
    for name, state in machine.workflow.states.items():
        if state.category == "withdrawn" and state.final:
            return name
    raise AmendmentRefused(f"Quy trình {machine.workflow.name} không có trạng thái thu hồi",
                           f"workflow {machine.workflow.name} has no withdrawn state")


_INSTANCE_COLUMNS = ("id", "task", "unit", "workflow", "state", "stage", "version", "focal", "authority", "monitor",
                     "justice", "coordinators", "deadline", "deadline_phrase", "pending_deadline", "state_due",
                     "overdue_at", "complex", "last_hash")


@dataclass
class _Action:
    """What the amendment does to one instance (amend or withdraw) or one unit (open)."""

    action: str  # amend | withdraw | open
    task: str
    unit: str
    instance: dict[str, Any] | None = None
    new: dict[str, Any] = field(default_factory=dict)  # the instance's fields after the event
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        inst = self.instance or {}
        out: dict[str, Any] = {"action": self.action, "task": self.task, "unit": self.unit, "id": inst.get("id"),
                               "state_from": inst.get("state"), "state_to": self.new.get("state")}
        if self.data.get("instance"):
            out["fields"] = self.data["instance"]
        return out


@dataclass
class Amendment:
    plan: str
    number: str | None  # None only in a preview
    date: date
    dry_run: bool
    from_version: int
    version: int
    diff: PlanDiff
    actions: list[_Action]
    at: str | None = None
    opened: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        counts = {k: sum(1 for a in self.actions if a.action == k) for k in ("amend", "withdraw", "open")}
        return {"plan": self.plan, "number": self.number, "date": self.date.isoformat(), "dry_run": self.dry_run,
                "applied": not self.dry_run, "from_version": self.from_version, "version": self.version,
                "at": self.at, "changes": self.diff.to_json(),
                "instances": [a.to_json() for a in self.actions],
                "counts": {"amended": counts["amend"], "withdrawn": counts["withdraw"], "opened": counts["open"]}}


def _check_number(number: str) -> str:
    number = " ".join(number.split())
    if not DOCUMENT_NUMBER.match(number):
        raise AmendmentRefused(
            f"Số hiệu văn bản sửa đổi '{number}' không hợp lệ (ví dụ 1234/KH-UBND)",
            f"the amending document's number '{number}' is not like 1234/KH-UBND")
    return number


def amend_plan(db: Database, plan: PlanDef, workflows: dict[str, WorkflowMachine], clock: Clock, *,
               number: str | None, on: date | None = None, dry_run: bool = False,
               then: Callable[[Any], None] | None = None) -> Amendment:
    """Preview (dry_run) or apply the amendment of the stored plan `plan.code` to `plan`, in one transaction
    (`then` runs in it, last, with its cursor). A preview may leave the document's number out."""
    if number is not None or not dry_run:
        number = _check_number(number or "")
    on = on or clock.today()
    if on > clock.today():
        raise AmendmentRefused(f"Ngày văn bản sửa đổi {on.isoformat()} sau hôm nay ({clock.today().isoformat()})",
                               f"the amending document's date {on.isoformat()} is after today ({clock.today().isoformat()})")
    if dry_run:
        with db.read() as cur:
            return _prepare(db, cur, plan, workflows, clock, number, on, dry_run=True)
    with db.write() as cur:
        amendment = _prepare(db, cur, plan, workflows, clock, number, on, dry_run=False)
        _apply(db, cur, plan, workflows, amendment)
        if then is not None:
            then(cur)
    return amendment


def _prepare(db: Database, cur: Any, plan: PlanDef, workflows: dict[str, WorkflowMachine], clock: Clock,
             number: str | None, on: date, *, dry_run: bool) -> Amendment:
    lock = "" if db.is_sqlite or dry_run else " FOR UPDATE"
    cur.execute(db.sql(SELECT_PLAN.format(p="?") + lock), (plan.code,))
    row = cur.fetchone()
    if row is None:
        raise NotFound(f"Chưa có kế hoạch {plan.code} (hãy nạp bằng phancap load)",
                       f"no plan {plan.code} is loaded (use phancap load)")
    current_sha = row[7]
    cur.execute(db.sql("SELECT COALESCE(MAX(version), 0) FROM plan_version WHERE plan = ?"), (plan.code,))
    from_version = int(cur.fetchone()[0])
    if definition_sha256(json.dumps(plan.document, ensure_ascii=False)) == current_sha:
        raise AmendmentRefused(f"Tệp giống hệt phiên bản {from_version} của kế hoạch {plan.code}: không có gì để sửa đổi",
                               f"the file is the same as version {from_version} of plan {plan.code}: nothing to amend")
    cur.execute(db.sql(SELECT_PLAN_TASKS.format(p="?")), (plan.code,))
    stored = dict(stored_task_fields(r) for r in cur.fetchall())
    diff = diff_plan(stored_plan_fields(row), stored, plan)
    fixed = [c for c in diff.plan if c["field"] in FIXED_PLAN_FIELDS]
    if fixed:
        names = ", ".join(c["field"] for c in fixed)
        raise AmendmentRefused(f"Không sửa đổi được {names} của kế hoạch bằng văn bản sửa đổi (các nhiệm vụ đang theo)",
                               f"an amendment cannot change the plan's {names} (its tasks answer to them)",
                               extra={"changes": diff.to_json()})
    cur.execute(db.sql(f"SELECT {', '.join(_INSTANCE_COLUMNS)} FROM task_instance WHERE plan = ? AND kind = 'task' "
                       f"ORDER BY id{lock}"), (plan.code,))
    by_task: dict[str, list[dict[str, Any]]] = {}
    for r in cur.fetchall():
        item = dict(zip(_INSTANCE_COLUMNS, r, strict=True))
        by_task.setdefault(str(item["task"]), []).append(item)
    units, groups = group_index(cur, db, plan.region)
    defs = {t.number: t for t in plan.tasks}
    today = clock.today()
    actions: list[_Action] = []
    for change in diff.tasks:
        number_ = change["task"]
        new = defs.get(number_)
        lead = [] if new is None or new.heading else expand(list(new.lead), groups, units)
        instances = by_task.get(number_, [])
        workflow_change = next((c for c in change["fields"] if c["field"] == "procedure"
                                and (c["old"] or {}).get("workflow") != (c["new"] or {}).get("workflow")), None)
        for inst in instances:
            machine = workflows.get(str(inst["workflow"]))
            if _final(machine, str(inst["state"])):
                continue  # done or withdrawn: never touched
            assert machine is not None
            document = {"number": number, "date": on.isoformat()}
            base = {"document": document, "plan_version": {"from": from_version, "to": from_version + 1},
                    "changes": change["fields"] if change["change"] == "changed" else [],
                    "task_change": change["change"]}
            if new is None or new.heading or inst["unit"] not in lead:
                reason = "removed" if new is None or new.heading else "no_longer_leads"
                actions.append(_Action("withdraw", number_, str(inst["unit"]), inst,
                                       {"state": _withdrawn_state(machine)}, {**base, "reason": reason}))
                continue
            if workflow_change is not None:
                raise AmendmentRefused(
                    f"Nhiệm vụ {number_} đang thực hiện theo quy trình {workflow_change['old']['workflow']}: không đổi "
                    f"được sang {workflow_change['new']['workflow']}; hãy bãi bỏ nhiệm vụ và bổ sung nhiệm vụ mới",
                    f"task {number_} runs under workflow {workflow_change['old']['workflow']}: it cannot move to "
                    f"{workflow_change['new']['workflow']}; strike the task out and add a new one",
                    extra={"task": number_})
            actions.append(_amended(inst, machine, new, plan, groups, units, today, base))
        have = {str(i["unit"]) for i in instances}
        if new is not None and not new.heading:
            if new.workflow not in workflows:
                raise AmendmentRefused(f"Không có quy trình {new.workflow}", f"no workflow {new.workflow}")
            for unit in lead:
                if unit not in have:
                    actions.append(_Action("open", number_, unit, None, {"state": workflows[str(new.workflow)].workflow.initial},
                                           {"document": {"number": number, "date": on.isoformat()},
                                            "plan_version": {"from": from_version, "to": from_version + 1},
                                            "task_change": change["change"]}))
    return Amendment(plan.code, number, on, dry_run, from_version, from_version + 1, diff, actions,
                     None if dry_run else stamp(clock.now()))


def _amended(inst: dict[str, Any], machine: WorkflowMachine, new: TaskDef, plan: PlanDef,
             groups: dict[str, list[str]], units: set[str], today: date, base: dict[str, Any]) -> _Action:
    """The instance's fields after the amendment, and what changed on it."""
    from phancap.engine.runtime import as_date

    coordinators = json.dumps(expand(list(new.coordinators), groups, units))
    after = {"focal": new.focal or plan.monitor, "coordinators": coordinators, "deadline": new.deadline_due,
             "deadline_phrase": new.deadline_phrase, "complex": bool(new.complex), "state": inst["state"],
             "stage": inst["stage"], "overdue_at": inst["overdue_at"]}
    old_deadline = as_date(inst["deadline"])
    overdue = machine.workflow.overdue
    if after["deadline"] != old_deadline and overdue is not None and inst["state"] == overdue.state:
        # re-evaluated as an extension does: no longer late → back to the stage it interrupted
        due = [d for d in (after["deadline"], as_date(inst["state_due"])) if d is not None]
        if not (due and min(due) < today):
            after["state"], after["overdue_at"] = inst["stage"], None
    changed: dict[str, Any] = {}
    before = {"focal": inst["focal"], "coordinators": sorted(json.loads(inst["coordinators"] or "[]")),
              "deadline": _iso(old_deadline), "deadline_phrase": inst["deadline_phrase"],
              "complex": bool(inst["complex"]), "state": inst["state"]}
    now = {"focal": after["focal"], "coordinators": sorted(json.loads(coordinators)), "deadline": _iso(after["deadline"]),
           "deadline_phrase": after["deadline_phrase"], "complex": after["complex"], "state": after["state"]}
    for key in before:
        if before[key] != now[key]:
            changed[key] = {"old": before[key], "new": now[key]}
    data = {**base, "instance": changed}
    if "deadline" in changed:  # the task page shows it as it shows an extension
        data["deadline_from"], data["deadline_to"] = changed["deadline"]["old"], changed["deadline"]["new"]
    return _Action("amend", new.number, str(inst["unit"]), inst, after, data)


def _comment(amendment: Amendment, action: _Action) -> str:
    day = f"{amendment.date.day:02d}/{amendment.date.month:02d}/{amendment.date.year}"
    doc_vi, doc_en = f"văn bản số {amendment.number} ngày {day}", f"document {amendment.number} of {amendment.date.isoformat()}"
    if action.action == "withdraw":
        if action.data.get("reason") == "removed":
            return f"Thu hồi: nhiệm vụ được bãi bỏ theo {doc_vi} / withdrawn: task struck out by {doc_en}"
        return (f"Thu hồi: đơn vị không còn chủ trì nhiệm vụ theo {doc_vi} / withdrawn: the unit no longer leads "
                f"this task under {doc_en}")
    if action.action == "open":
        return f"Giao nhiệm vụ {action.task} của kế hoạch {amendment.plan} theo {doc_vi} / assigned by {doc_en}"
    return f"Sửa đổi, bổ sung kế hoạch theo {doc_vi} / plan amended by {doc_en}"


_EVENT_NAMES = ("task_id", "seq", "trigger", "from_state", "to_state", "actor", "unit", "role", "capacity", "at",
                "comment", "evidence", "data")
_INSERT_EVENT = (f"INSERT INTO audit_event ({', '.join(_EVENT_NAMES)}, prev_hash, hash, snapshot) "
                 f"VALUES ({', '.join('?' for _ in _EVENT_NAMES)}, ?, ?, ?)")
_UPSERT_TASK = (f"INSERT INTO plan_task (plan, {', '.join(_PLAN_TASK_COLUMNS)}) VALUES (?, {', '.join('?' for _ in _PLAN_TASK_COLUMNS)}) "
                f"ON CONFLICT (plan, number) DO UPDATE SET "
                + ", ".join(f"{c} = excluded.{c}" for c in _PLAN_TASK_COLUMNS if c != "number"))


def plan_task_values(t: TaskDef) -> tuple[Any, ...]:
    return (t.number, t.parent, t.heading, t.title, t.content, t.focal, json.dumps(list(t.lead), ensure_ascii=False),
            t.lead_text, json.dumps(list(t.coordinators), ensure_ascii=False), t.coordinators_text, t.product,
            t.deadline_phrase, t.deadline_kind, t.deadline_due, t.deadline_start, t.workflow, t.procedure_text,
            t.complex, t.parent_task)


def _apply(db: Database, cur: Any, plan: PlanDef, workflows: dict[str, WorkflowMachine], amendment: Amendment) -> None:
    at = str(amendment.at)
    definition = json.dumps(plan.document, ensure_ascii=False)
    sha = definition_sha256(definition)
    cur.execute(db.sql("UPDATE plan SET title = ?, definition = ?, definition_sha256 = ?, source = ?, loaded_at = ?, "
                       "parent_code = ? WHERE code = ?"),
                (plan.title, definition, sha, plan.source, at, plan.parent_code, plan.code))
    cur.execute(db.sql("INSERT INTO plan_version (plan, version, number, issued, at, definition, definition_sha256, "
                       "changes, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                (plan.code, amendment.version, amendment.number, amendment.date, at, definition, sha,
                 data_json(amendment.diff.to_json()) or "{}", plan.source))
    removed = [c["task"] for c in amendment.diff.tasks if c["change"] == "removed"]
    touched = {c["task"] for c in amendment.diff.tasks if c["change"] != "removed"}
    if removed:
        cur.executemany(db.sql("DELETE FROM plan_task WHERE plan = ? AND number = ?"), [(plan.code, n) for n in removed])
    rows = [(plan.code, *plan_task_values(t)) for t in plan.tasks if t.number in touched]
    if rows:
        cur.executemany(db.sql(_UPSERT_TASK), rows)
    titles = {c["task"]: c["title"] for c in amendment.diff.tasks}
    for action in amendment.actions:
        if action.action != "open":
            _write_event(db, cur, workflows, amendment, action, at, sha, titles.get(action.task))
    batch = []
    defs = {t.number: t for t in plan.tasks}
    units, groups = group_index(cur, db, plan.region)
    for action in amendment.actions:
        if action.action == "open":
            t = defs[action.task]
            batch.append((NewInstance(plan.code, t.number, action.unit, t.focal or plan.monitor, plan.authority,
                                      plan.monitor, plan.justice, workflows[str(t.workflow)], t.deadline_due,
                                      t.deadline_phrase, tuple(expand(list(t.coordinators), groups, units)),
                                      bool(t.complex)), _comment(amendment, action)))
    if batch:
        data = data_json({"document": {"number": amendment.number, "date": amendment.date.isoformat()},
                          "plan_version": {"from": amendment.from_version, "to": amendment.version}})
        amendment.opened = open_instances(db, cur, batch, at, trigger=ASSIGN_TRIGGER, data=data)
        for task_id, action in zip(amendment.opened, [a for a in amendment.actions if a.action == "open"], strict=True):
            action.instance = {"id": task_id}


def _write_event(db: Database, cur: Any, workflows: dict[str, WorkflowMachine], amendment: Amendment,
                 action: _Action, at: str, plan_sha: str, title: str | None) -> None:
    """One audited `amend` event on one instance, and the instance's fields after it (same transaction)."""
    from phancap.engine.runtime import as_date

    inst = action.instance
    assert inst is not None
    machine = workflows[str(inst["workflow"])]
    seq = int(inst["version"]) + 1
    if action.action == "withdraw":
        state = stage = action.new["state"]
        after = {"focal": inst["focal"], "coordinators": inst["coordinators"] or "[]", "deadline": as_date(inst["deadline"]),
                 "deadline_phrase": inst["deadline_phrase"], "complex": bool(inst["complex"]),
                 "overdue_at": inst["overdue_at"]}
        state_due = None
    else:
        state, stage = action.new["state"], action.new["stage"]
        after = {k: action.new[k] for k in ("focal", "coordinators", "deadline", "deadline_phrase", "complex", "overdue_at")}
        state_due = as_date(inst["state_due"])
    values = (inst["id"], seq, AMEND_TRIGGER, inst["state"], state, SYSTEM_ACTOR, None, SYSTEM_ROLE, None, at,
              _comment(amendment, action), None, data_json(action.data))
    snapshot = snapshot_json(state=state, stage=stage, version=seq, unit=inst["unit"], focal=after["focal"],
                             authority=inst["authority"], monitor=inst["monitor"], justice=inst["justice"],
                             coordinators=after["coordinators"], deadline=after["deadline"],
                             pending_deadline=as_date(inst["pending_deadline"]), state_due=state_due,
                             overdue_at=after["overdue_at"], complex=after["complex"], plan=plan_sha)
    digest = event_hash(str(inst["last_hash"]), values, snapshot)
    cur.execute(db.sql(_INSERT_EVENT), (*values, inst["last_hash"], digest, snapshot))
    moved = state != inst["state"]
    cur.execute(db.sql(
        "UPDATE task_instance SET state = ?, stage = ?, version = ?, state_since = CASE WHEN ? THEN ? ELSE state_since END, "
        "state_due = ?, overdue_at = ?, focal = ?, coordinators = ?, deadline = ?, deadline_phrase = ?, complex = ?, "
        "last_hash = ?, title = CASE WHEN ? THEN COALESCE(title, ?) ELSE title END WHERE id = ? AND version = ?"),
        (state, stage, seq, moved, at, state_due, after["overdue_at"], after["focal"], after["coordinators"],
         after["deadline"], after["deadline_phrase"], after["complex"], digest,
         action.action == "withdraw" and action.data.get("reason") == "removed", title, inst["id"], inst["version"]))
    if cur.rowcount != 1:
        raise AmendmentRefused(f"Nhiệm vụ {inst['id']} vừa bị thay đổi; hãy thử lại",
                               f"task {inst['id']} changed meanwhile; try again")
    del machine


def plan_versions(db: Database, code: str) -> list[dict[str, Any]]:
    """version, number, date, at, changes of every version of a plan, oldest first (NotFound: no such plan)."""
    with db.read() as cur:
        cur.execute(db.sql("SELECT 1 FROM plan WHERE code = ?"), (code,))
        if cur.fetchone() is None:
            raise NotFound(f"Không có kế hoạch {code}", f"no plan {code}")
        cur.execute(db.sql("SELECT version, number, issued, at, changes, definition_sha256 FROM plan_version "
                           "WHERE plan = ? ORDER BY version"), (code,))
        rows = cur.fetchall()
    out = []
    for version, number, issued, at, changes, sha in rows:
        try:
            parsed = json.loads(changes or "{}")
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            parsed = {"plan": [], "tasks": []}
        out.append({"version": int(version), "number": number, "date": _iso(issued), "at": at,
                    "changes": {"plan": parsed.get("plan", []), "tasks": parsed.get("tasks", [])},
                    "definition_sha256": sha})
    return out
