"""The living specification (issue 5): the Vietnamese feature files of features/ and the result of
the last BDD run, read from its Cucumber JSON report (`pytest --cucumberjson=reports/cucumber.json`).

Where they are: PHANCAP_FEATURES_DIR (default: features/ of the repository the package runs from)
and PHANCAP_CUCUMBER_JSON (default reports/cucumber.json; a relative path is taken from the
repository folder, else from the working directory). Results are joined to scenarios on the
feature's path and the scenario's line; each test id names its backend ([sqlite-…], [postgres-…]).

The feature files are read with a small reader of the `# language: vi` dialect (the Gherkin parser
is a test dependency, not a dependency of the server); the BDD lint checks they parse as Gherkin."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from phancap.api.deps import CurrentUser, ServicesDep
from phancap.api.schemas import ErrorBody
from phancap.engine.clock import stamp
from phancap.api.settings import ApiSettings

router = APIRouter(tags=["spec"], responses={401: {"model": ErrorBody}})

ROOT = Path(__file__).resolve().parents[2]
FEATURE_KW = ("Tính năng",)
BACKGROUND_KW = ("Bối cảnh",)
SCENARIO_KW = ("Tình huống", "Kịch bản")
OUTLINE_KW = ("Khung tình huống", "Khung kịch bản")
EXAMPLES_KW = ("Dữ liệu",)
RULE_KW = ("Quy tắc",)
STEP_KW = ("Nhưng", "Biết", "Cho", "Khi", "Thì", "Và", "*")
Status = Literal["passed", "failed", "skipped"]


class Step(BaseModel):
    keyword: str
    text: str
    line: int
    table: list[list[str]] | None = None
    docstring: str | None = None


class BackendResult(BaseModel):
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = Field(default_factory=list, description="the first failing step's message, per failed run")


class ExampleRow(BaseModel):
    line: int
    cells: list[str]
    status: Status | None = None
    results: dict[str, Status] = Field(default_factory=dict, description="backend -> status of this row's run")


class Examples(BaseModel):
    name: str
    line: int
    header: list[str]
    rows: list[ExampleRow]


class Scenario(BaseModel):
    keyword: str
    name: str
    line: int
    outline: bool
    tags: list[str]
    description: str
    steps: list[Step]
    examples: list[Examples] = Field(default_factory=list)
    status: Status | None = Field(default=None, description="failed if any run failed; None: not in the last run")
    results: dict[str, BackendResult] = Field(default_factory=dict, description="per backend (sqlite, postgres…)")


class Feature(BaseModel):
    uri: str
    title: str
    description: str
    tags: list[str]
    background: Scenario | None
    scenarios: list[Scenario]
    status: Status | None = None


class RunInfo(BaseModel):
    path: str
    available: bool
    at: str | None = Field(default=None, description="when the report was written (the file's time, UTC)")
    error: str | None = None
    backends: list[str] = Field(default_factory=list)
    scenarios: int = 0
    passed: int = 0
    failed: int = 0
    skipped: int = 0


class Spec(BaseModel):
    features_dir: str
    available: bool
    message: str | None = None
    features: list[Feature]
    run: RunInfo
    totals: dict[str, int] = Field(description="scenarios, passed, failed, skipped, not_run")


# --- paths ------------------------------------------------------------------------------------

def features_dir(settings: ApiSettings) -> Path:
    """PHANCAP_FEATURES_DIR, else the source tree's features/ (editable install), else the copy installed with
    the package (phancap.features), else ./features."""
    if settings.features_dir is not None:
        return settings.features_dir
    if (ROOT / "features").is_dir():
        return ROOT / "features"
    from importlib import resources

    installed = Path(str(resources.files("phancap.features")))
    return installed if any(installed.glob("*.feature")) else Path.cwd() / "features"


def cucumber_path(settings: ApiSettings) -> Path:
    path = settings.cucumber_json or Path("reports/cucumber.json")
    if path.is_absolute():
        return path
    return ROOT / path if (ROOT / path).exists() or not Path.cwd().joinpath(path).exists() else Path.cwd() / path


# --- reading a feature file -------------------------------------------------------------------

def _block(line: str, keywords: tuple[str, ...]) -> str | None:
    for k in sorted(keywords, key=len, reverse=True):
        if line.startswith(f"{k}:"):
            return k
    return None


def _cells(line: str) -> list[str]:
    inner = line.strip()[1:-1] if line.strip().endswith("|") else line.strip()[1:]
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", inner)]


def parse_feature(text: str, uri: str) -> Feature | None:
    """The feature, its background, scenarios, outlines with their example tables; None if no feature."""
    feature: Feature | None = None
    container: Scenario | None = None
    examples: Examples | None = None
    step: Step | None = None
    tags: list[str] = []
    description: list[str] = []
    docstring: list[str] | None = None
    fence = ""
    describing = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if docstring is not None:
            if line.startswith(fence):
                if step is not None:
                    step.docstring = "\n".join(docstring)
                docstring = None
            else:
                docstring.append(raw.strip())
            continue
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):
            tags += [t for t in line.split() if t.startswith("@")]
            continue
        if line.startswith(('"""', "```")):
            fence, docstring = line[:3], []
            continue
        if line.startswith("|"):
            cells = _cells(line)
            if examples is not None:
                if not examples.header:
                    examples.header = cells
                else:
                    examples.rows.append(ExampleRow(line=number, cells=cells))
            elif step is not None:
                step.table = [*(step.table or []), cells]
            continue
        head = _block(line, (*FEATURE_KW, *BACKGROUND_KW, *SCENARIO_KW, *OUTLINE_KW, *EXAMPLES_KW, *RULE_KW))
        if head is not None:
            name = line[len(head) + 1:].strip()
            if feature is None and head in FEATURE_KW:
                feature = Feature(uri=uri, title=name, description="", tags=tags, background=None, scenarios=[])
                description, describing = [], True
            elif feature is not None and head in EXAMPLES_KW and container is not None:
                examples = Examples(name=name, line=number, header=[], rows=[])
                container.examples.append(examples)
                describing = False
            elif feature is not None and head in RULE_KW:
                container = examples = step = None
                describing = False
            elif feature is not None:
                _close(feature, description, container)
                container = Scenario(keyword=head, name=name, line=number, outline=head in OUTLINE_KW,
                                     tags=tags, description="", steps=[])
                if head in BACKGROUND_KW:
                    feature.background = container
                else:
                    feature.scenarios.append(container)
                examples = step = None
                description, describing = [], True
            tags = []
            continue
        keyword = next((k for k in STEP_KW if line == k or line.startswith(f"{k} ")), None)
        if keyword is not None and container is not None and examples is None:
            step = Step(keyword=keyword, text=line[len(keyword):].strip(), line=number)
            container.steps.append(step)
            describing = False
            continue
        if describing:
            description.append(line)
    if feature is not None:
        _close(feature, description, container)
    return feature


def _close(feature: Feature, description: list[str], container: Scenario | None) -> None:
    text = "\n".join(description)
    if container is None:
        feature.description = feature.description or text
    elif not container.description:
        container.description = text
    description.clear()


# --- the last run -----------------------------------------------------------------------------

def _backend(element_id: str) -> str:
    m = re.search(r"\[([A-Za-z0-9_]+)(?:-|\])", element_id or "")
    return m.group(1) if m else "chung"


def _element_status(element: dict[str, Any]) -> tuple[Status, str | None]:
    statuses = [(s.get("result") or {}).get("status") for s in element.get("steps") or []]
    for s in element.get("steps") or []:
        result = s.get("result") or {}
        if result.get("status") == "failed":
            message = str(result.get("error_message") or "").strip()
            return "failed", f"{s.get('keyword', '')} {s.get('name', '')}: {message[-600:]}".strip()
    if statuses and all(s == "passed" for s in statuses):
        return "passed", None
    return "skipped", None


def _render(template: str, header: list[str], cells: list[str]) -> str:
    for key, value in zip(header, cells, strict=False):
        template = template.replace(f"<{key}>", value)
    return template


def read_report(path: Path) -> tuple[list[dict[str, Any]], RunInfo]:
    info = RunInfo(path=str(path), available=False)
    if not path.exists():
        return [], info
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        info.error = str(exc)[:300]
        return [], info
    if not isinstance(report, list):
        info.error = "the report is not a list of features"
        return [], info
    info.available = True
    info.at = stamp(datetime.fromtimestamp(path.stat().st_mtime, UTC))
    return [f for f in report if isinstance(f, dict)], info


def _matches(report_uri: str, rel: str) -> bool:
    report_uri = report_uri.replace("\\", "/")
    return report_uri == rel or report_uri.endswith("/" + rel)


def join_results(features: list[Feature], report: list[dict[str, Any]], info: RunInfo) -> None:
    backends: set[str] = set()
    for feature in features:
        elements = [e for f in report if _matches(str(f.get("uri", "")), feature.uri)
                    for e in f.get("elements") or [] if isinstance(e, dict)]
        by_line: dict[int, list[dict[str, Any]]] = {}
        for e in elements:
            if e.get("type", "scenario") != "background":
                by_line.setdefault(int(e.get("line") or 0), []).append(e)
        for scenario in feature.scenarios:
            runs = by_line.get(scenario.line, [])
            rows: dict[str, list[Any]] = {}
            for ex in scenario.examples:
                for row in ex.rows:
                    rows.setdefault(_render(scenario.name, ex.header, row.cells), []).append(row)
            for e in runs:
                backend = _backend(str(e.get("id", "")))
                backends.add(backend)
                status, error = _element_status(e)
                result = scenario.results.setdefault(backend, BackendResult())
                setattr(result, status, getattr(result, status) + 1)
                if error and len(result.errors) < 3:
                    result.errors.append(error)
                for row in rows.get(str(e.get("name", "")), []):
                    previous = row.results.get(backend)
                    row.results[backend] = "failed" if "failed" in (previous, status) else status
            scenario.status = _overall([r for r in scenario.results.values()])
            for ex in scenario.examples:
                for row in ex.rows:
                    values = set(row.results.values())
                    row.status = ("failed" if "failed" in values else "passed" if "passed" in values
                                  else "skipped" if values else None)
            if scenario.status:
                info.scenarios += 1
                setattr(info, scenario.status, getattr(info, scenario.status) + 1)
        statuses = {s.status for s in feature.scenarios}
        feature.status = ("failed" if "failed" in statuses else None if None in statuses
                          else "passed" if "passed" in statuses else "skipped" if statuses else None)
    info.backends = sorted(backends)


def _overall(results: list[BackendResult]) -> Status | None:
    if any(r.failed for r in results):
        return "failed"
    if any(r.passed for r in results):
        return "passed"
    if any(r.skipped for r in results):
        return "skipped"
    return None


def load_spec(settings: ApiSettings) -> Spec:
    """The files are read on each call (the page shows whatever the newest run wrote); where they are
    comes from the settings read once at start."""
    folder = features_dir(settings)
    report, info = read_report(cucumber_path(settings))
    if not folder.is_dir():
        return Spec(features_dir=str(folder), available=False, features=[], run=info,
                    message=f"Không có các tệp đặc tả (thư mục {folder} không tồn tại trên máy chủ này); "
                            "đặt PHANCAP_FEATURES_DIR chỉ tới thư mục features/ của mã nguồn.",
                    totals={"scenarios": 0, "passed": 0, "failed": 0, "skipped": 0, "not_run": 0})
    features = []
    for path in sorted(folder.rglob("*.feature")):
        rel = path.relative_to(folder).as_posix()
        feature = parse_feature(path.read_text(encoding="utf-8", errors="replace"), rel)
        if feature is not None:
            features.append(feature)
    join_results(features, report, info)
    scenarios = [s for f in features for s in f.scenarios]
    totals = {"scenarios": len(scenarios), "passed": sum(s.status == "passed" for s in scenarios),
              "failed": sum(s.status == "failed" for s in scenarios),
              "skipped": sum(s.status == "skipped" for s in scenarios),
              "not_run": sum(s.status is None for s in scenarios)}
    message = None if features else f"Thư mục {folder} không có tệp .feature nào."
    return Spec(features_dir=str(folder), available=bool(features), message=message, features=features, run=info,
                totals=totals)


@router.get("/spec", response_model=Spec)
def spec(services: ServicesDep, user: CurrentUser) -> Spec:
    """The specification: every feature file (title, description, scenarios, steps, example tables)
    with the result of the last BDD run per scenario and backend."""
    return load_spec(services.settings)
