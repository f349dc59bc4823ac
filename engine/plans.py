"""Plan definitions: a plan's tasks with their focal agency, leads, coordinators, product,
deadline (the phrase as written and its reading) and procedure. Validated whole against the
organisation registry, the workflows and the deadline reader."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from phancap.engine.deadlines import DeadlineError, read_deadline
from phancap.engine.errors import DefinitionError
from phancap.engine.organisations import Registry
from phancap.engine.yamlsource import Located, load_located

TASK_NUMBER = re.compile(r"^\d+(\.(\d+|[a-zđ]))*$")
SHORTENED_MARKER = re.compile(r"(quy trình|trình tự,? thủ tục)\s+rút gọn", re.IGNORECASE)
PLAN_FIELDS = {
    "code", "title", "registry", "issuer", "authority", "monitor", "justice", "number", "issued",
    "parent_plan", "parent_code", "legal_basis", "signer", "recipients", "reporting", "difficulties_to", "tasks",
    "units",  # new units the plan brings (accepted at import, issue 14): added to its registry on loading
}
TASK_FIELDS = {
    "number", "heading", "title", "content", "focal", "lead", "lead_text", "coordinators",
    "coordinators_text", "product", "deadline", "workflow", "procedure_text", "complex", "parent_task",
}


@dataclass(frozen=True)
class TaskDef:
    number: str
    title: str
    heading: bool
    parent: str | None
    content: str | None = None
    focal: str | None = None
    lead: tuple[str, ...] = ()
    lead_text: str | None = None
    coordinators: tuple[str, ...] = ()
    coordinators_text: str | None = None
    product: str | None = None
    deadline_phrase: str | None = None
    deadline_kind: str | None = None
    deadline_due: date | None = None
    deadline_start: date | None = None
    workflow: str | None = None
    procedure_text: str | None = None
    complex: bool = False
    parent_task: str | None = None
    where: str = ""


@dataclass(frozen=True)
class PlanDef:
    code: str
    title: str
    region: str
    issuer: str
    authority: str
    monitor: str
    justice: str | None
    tasks: tuple[TaskDef, ...]
    parent_code: str | None = None
    document: dict[str, Any] = field(default_factory=dict)  # the whole file, for pages and reports
    source: str = ""


def _plain(value: Any) -> Any:
    """Located containers -> plain JSON-able values (dates as ISO text)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def _unit_field(node: Located, key: str, registry: Registry, problems: list[str], what: str, required: bool,
                region: str | None = None) -> str | None:
    """A unit code, or the name of one unit of the plan's registry (resolved to its code)."""
    code = node.get(key)
    if code is None:
        if required:
            problems.append(f"{node.where()}: {what}: missing field '{key}'")
        return None
    found = registry.unit(str(code)) or (registry.units.get(registry.find(region, str(code)) or "") if region else None)
    if found is None:
        problems.append(f"{node.where(key)}: {what}: field '{key}': unknown unit '{code}'")
        return None
    return found.code


def _entries(node: Located, key: str, region: str, registry: Registry, problems: list[str], what: str) -> tuple[str, ...]:
    raw = node.get(key) or []
    if isinstance(raw, str):
        raw = [raw]
    result = []
    for entry in raw:
        ref = registry.ref(region, str(entry))
        if ref is None:
            problems.append(f"{node.where(key)}: {what}: field '{key}': '{entry}' is neither a unit code nor a group "
                            f"of registry {region} nor the name of one of its units")
        else:
            result.append(ref)
    return tuple(result)


def _deadline(node: Located, problems: list[str], what: str) -> tuple[str | None, str | None, date | None, date | None]:
    raw = node.get("deadline")
    if not isinstance(raw, Located) or not raw.get("phrase"):
        problems.append(f"{node.where('deadline')}: {what}: field 'deadline': needs at least 'phrase'")
        return None, None, None, None
    phrase = str(raw["phrase"])
    try:
        reading = read_deadline(phrase)
    except DeadlineError as exc:
        problems.append(f"{raw.where('phrase')}: {what}: field 'deadline.phrase': {exc}")
        return phrase, None, None, None
    for key, got in (("kind", reading.kind), ("due", reading.due), ("start", reading.start)):
        if key in raw and raw[key] != got:
            problems.append(
                f"{raw.where(key)}: {what}: field 'deadline.{key}': the phrase \"{phrase}\" reads as {got!s}, "
                f"the file says {raw[key]!s}"
            )
    return phrase, reading.kind, reading.due, reading.start


def _task(node: Located, plan: Located, registry: Registry, workflows: set[str], numbers: set[str],
          problems: list[str]) -> TaskDef | None:
    for key in node:
        if key not in TASK_FIELDS:
            problems.append(f"{node.where(key)}: task: unknown field '{key}'")
    number = str(node.get("number", ""))
    if not TASK_NUMBER.match(number):
        problems.append(f"{node.where('number')}: task: field 'number': {number!r} is not like 1, 1.2 or 4.a")
        return None
    what = f"task {number}"
    if number in numbers:
        problems.append(f"{node.where('number')}: {what}: field 'number': duplicate task number")
    numbers.add(number)
    parent = number.rsplit(".", 1)[0] if "." in number else None
    if parent and parent not in numbers:
        problems.append(f"{node.where('number')}: {what}: its parent task {parent} is not defined before it")
    title = node.get("title")
    if not isinstance(title, str) or not title.strip():
        problems.append(f"{node.where()}: {what}: missing field 'title'")
        return None
    if node.get("heading"):
        return TaskDef(number, title, True, parent, content=node.get("content"), where=node.where("number"))
    region = str(plan.get("registry"))
    lead = _entries(node, "lead", region, registry, problems, what)
    if not node.get("lead"):
        problems.append(f"{node.where()}: {what}: missing field 'lead' (Chủ trì)")
    coordinators = _entries(node, "coordinators", region, registry, problems, what)
    focal = _unit_field(node, "focal", registry, problems, what, required=False, region=region)
    phrase, kind, due, start = _deadline(node, problems, what)
    workflow = str(node.get("workflow") or "plan_task")
    if workflow not in workflows:
        problems.append(f"{node.where('workflow')}: {what}: field 'workflow': unknown workflow '{workflow}' (known: {', '.join(sorted(workflows))})")
    text = " ".join(str(node.get(k) or "") for k in ("procedure_text", "content", "title"))
    if SHORTENED_MARKER.search(text) and workflow != "shortened_procedure":
        problems.append(f"{node.where('workflow')}: {what}: field 'workflow': the text says 'quy trình rút gọn', so the workflow must be shortened_procedure")
    return TaskDef(
        number, " ".join(title.split()), False, parent, node.get("content"), focal, lead, node.get("lead_text"),
        coordinators, node.get("coordinators_text"), node.get("product"), phrase, kind, due, start, workflow,
        node.get("procedure_text"), bool(node.get("complex", False)),
        str(node["parent_task"]) if node.get("parent_task") is not None else None, node.where("number"),
    )


def read_plan(path: Path, registry: Registry, workflows: set[str], problems: list[str]) -> PlanDef | None:
    try:
        doc = load_located(path)
    except DefinitionError as exc:
        problems.extend(exc.problems)
        return None
    if not isinstance(doc, Located):
        problems.append(f"{path}:1: a plan file must be a mapping")
        return None
    before = len(problems)
    for key in doc:
        if key not in PLAN_FIELDS:
            problems.append(f"{doc.where(key)}: plan: unknown field '{key}'")
    for key in ("code", "title", "registry", "tasks"):
        if not doc.get(key):
            problems.append(f"{doc.where()}: plan: missing field '{key}'")
    if len(problems) > before:
        return None
    code, region = str(doc["code"]), str(doc["registry"])
    if not re.match(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$", code):
        problems.append(f"{doc.where('code')}: plan: field 'code': {code!r} must be like HN-2025")
    if not registry.has_region(region):
        problems.append(f"{doc.where('registry')}: plan {code}: field 'registry': no organisation registry '{region}' is loaded")
        return None
    issuer = _unit_field(doc, "issuer", registry, problems, f"plan {code}", True, region)
    authority = _unit_field(doc, "authority", registry, problems, f"plan {code}", False, region) or issuer
    monitor = _unit_field(doc, "monitor", registry, problems, f"plan {code}", True, region)
    justice = _unit_field(doc, "justice", registry, problems, f"plan {code}", False, region)
    numbers: set[str] = set()
    tasks = []
    for node in doc["tasks"]:
        if not isinstance(node, Located):
            problems.append(f"{doc.where('tasks')}: plan {code}: each task must be a mapping")
            continue
        task = _task(node, doc, registry, workflows, numbers, problems)
        if task:
            tasks.append(task)
            if task.workflow == "shortened_procedure" and justice is None:
                problems.append(f"{doc.where()}: plan {code}: missing field 'justice' (the body that appraises drafts), "
                                f"needed by task {task.number} under the shortened procedure")
    if len(problems) > before:
        return None
    parent_code = doc.get("parent_code")
    for task in tasks:
        if task.parent_task and not parent_code:
            problems.append(f"{task.where}: task {task.number}: field 'parent_task' needs the plan's 'parent_code'")
    if len(problems) > before:
        return None
    return PlanDef(code, " ".join(str(doc["title"]).split()), region, str(issuer), str(authority), str(monitor),
                   justice, tuple(tasks), str(parent_code) if parent_code else None, _plain(doc), str(path))
