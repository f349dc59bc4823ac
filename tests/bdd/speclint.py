"""A lint for the Vietnamese specification (features/*.feature and the step definitions in tests/bdd).

Gherkin is forgiving in ways that hide mistakes: a line that is not a step ("Giả sử …", which is
not a Vietnamese keyword, "Given …" in a `# language: vi` file, "Va …" without its accent) is
read as free description text and silently skipped, so the scenario runs without it. This lint
fails on that and on the rest of what the specification promises:

- ``parse``: the file does not parse as Gherkin, or is not declared ``# language: vi``;
- ``keyword``: a line inside a background, scenario, outline or examples block that is not a step
  (Cho, Biết, Khi, Thì, Và, Nhưng, *), a table row, a docstring, a tag, a comment or a block keyword.
  Free text belongs in the feature's description (under "Tính năng:") or in a ``#`` comment;
- ``then``: a scenario with no ``Thì`` step of its own (it asserts nothing);
- ``tag``: a tag that is not a marker registered in pyproject.toml (pytest runs ``--strict-markers``);
- ``undefined``: a step no step definition matches;
- ``unused``: a step definition no scenario uses (all its step texts unused, examples rendered);
- ``seed``: (``uncovered_seed_tasks``) a numbered task of a seed plan absent from every examples
  table that has the columns "kế hoạch" and "nhiệm vụ".

Every problem names its file and line: ``path:line: [rule] message``."""

from __future__ import annotations

import importlib.util
import itertools
import re
import sys
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest_bdd
import yaml
from gherkin.dialect import Dialect
from gherkin.errors import CompositeParserException
from gherkin.parser import Parser
from pytest_bdd.parser import FeatureParser
from pytest_bdd.steps import StepFunctionContext, step_function_context_registry

LANGUAGE = "vi"
ROOT = Path(__file__).resolve().parents[2]
FEATURES = ROOT / "features"
STEPS = ROOT / "tests" / "bdd"
PYPROJECT = ROOT / "pyproject.toml"
PLANS = ROOT / "definitions" / "plans"
_STEP_DECORATOR = re.compile(r"^\s*@(?:given|when|then|step)\(", re.MULTILINE)


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: [{self.rule}] {self.message}"


# --- one feature file -------------------------------------------------------------------------

def _dialect() -> Dialect:
    dialect = Dialect.for_name(LANGUAGE)
    assert dialect is not None
    return dialect


def _keywords() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(block keywords followed by ':', step keywords with their trailing space)."""
    d = _dialect()
    blocks = (*d.feature_keywords, *d.background_keywords, *d.scenario_keywords, *d.scenario_outline_keywords,
              *d.examples_keywords, *d.rule_keywords)
    steps = {k for k in (*d.given_keywords, *d.when_keywords, *d.then_keywords, *d.and_keywords, *d.but_keywords)}
    return tuple(blocks), tuple(sorted(steps, key=len, reverse=True))


def stray_lines(path: Path, text: str) -> list[Problem]:
    """Lines inside a block (background, scenario, outline, examples) that Gherkin would swallow
    as description text: anything not a step, table row, docstring, tag, comment or keyword."""
    blocks, steps = _keywords()
    d = _dialect()
    free_text_after = (*d.feature_keywords, *d.rule_keywords)  # descriptions are allowed there
    problems: list[Problem] = []
    in_block, docstring = False, None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if docstring is not None:
            if line.startswith(docstring):
                docstring = None
            continue
        if not line or line.startswith(("#", "@", "|")):
            continue
        if line.startswith(('"""', "```")):
            docstring = line[:3]
            continue
        block = next((k for k in blocks if line.startswith(f"{k}:")), None)
        if block is not None:
            in_block = block not in free_text_after
            continue
        if line.startswith(steps):
            continue
        if in_block:
            first = line.split()[0]
            problems.append(Problem(
                str(path), number, "keyword",
                f"dòng không bắt đầu bằng từ khóa bước (Cho, Biết, Khi, Thì, Và, Nhưng) nên Gherkin bỏ qua nó: "
                f"'{line}' ('{first}' không phải từ khóa)"))
    return problems


def registered_markers(pyproject: Path = PYPROJECT) -> set[str]:
    with pyproject.open("rb") as f:
        config = tomllib.load(f)
    markers = config.get("tool", {}).get("pytest", {}).get("ini_options", {}).get("markers", [])
    return {m.group(0) for entry in markers if (m := re.match(r"[A-Za-z_][A-Za-z0-9_]*", entry))}


def _children(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for child in node.get("children", []):
        if "rule" in child:
            yield child["rule"]
            yield from _children(child["rule"])
        elif "scenario" in child:
            yield child["scenario"]


def lint_feature(path: Path, markers: set[str]) -> list[Problem]:
    """The checks that need only the feature file: parse, language, stray lines, Thì, tags."""
    text = path.read_text(encoding="utf-8")
    try:
        document = Parser().parse(text)
    except CompositeParserException as exc:
        return [Problem(str(path), int(e.location["line"]), "parse", str(e)) for e in exc.errors]
    feature = document.get("feature")
    if not feature:
        return [Problem(str(path), 1, "parse", "không có 'Tính năng:'")]
    problems = []
    if feature.get("language") != LANGUAGE:
        problems.append(Problem(str(path), 1, "parse",
                                f"tệp phải khai báo '# language: {LANGUAGE}' ở dòng đầu (đang là {feature.get('language')})"))
        return problems
    problems += stray_lines(path, text)
    tagged: list[dict[str, Any]] = [feature]
    for node in _children(feature):
        tagged.append(node)
        tagged.extend(node.get("examples", []))
        if "steps" in node and not any(s["keyword"].strip() == "Thì" for s in node["steps"]):
            problems.append(Problem(str(path), node["location"]["line"], "then",
                                    f"kịch bản '{node['name']}' không có bước 'Thì' nào"))
    for node in tagged:
        for tag in node.get("tags", []):
            name = tag["name"].lstrip("@")
            if name not in markers:
                problems.append(Problem(str(path), tag["location"]["line"], "tag",
                                        f"nhãn '@{name}' chưa đăng ký trong pyproject.toml (markers: {sorted(markers)})"))
    return problems


# --- step definitions and their use -----------------------------------------------------------

@dataclass(frozen=True)
class StepDefinition:
    function: Callable[..., object]
    contexts: tuple[StepFunctionContext, ...]

    @property
    def where(self) -> tuple[str, int]:
        code = self.function.__code__  # type: ignore[attr-defined]
        return code.co_filename, code.co_firstlineno


@contextmanager
def _without_scenario_binding() -> Iterator[None]:
    """Import test modules for their step definitions only: scenarios()/scenario() bind nothing."""
    saved = pytest_bdd.scenarios, pytest_bdd.scenario
    pytest_bdd.scenarios = lambda *a, **k: None  # type: ignore[assignment]
    pytest_bdd.scenario = lambda *a, **k: (lambda f: f)  # type: ignore[assignment]
    try:
        yield
    finally:
        pytest_bdd.scenarios, pytest_bdd.scenario = saved  # type: ignore[assignment]


_loaded = itertools.count()


def _load(path: Path) -> ModuleType:
    name = f"_speclint_steps_{next(_loaded)}_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        with _without_scenario_binding():
            spec.loader.exec_module(module)
    finally:
        sys.modules.pop(name, None)
    return module


def step_definitions(steps_dir: Path = STEPS) -> tuple[list[StepDefinition], list[ModuleType]]:
    """Every step definition in the .py files of steps_dir (imported afresh under private names).
    The modules are returned too: the registry holds its entries only while they live."""
    modules = [_load(p) for p in sorted(steps_dir.glob("*.py"))
               if _STEP_DECORATOR.search(p.read_text(encoding="utf-8"))]
    namespaces = [m.__dict__ for m in modules]
    by_function: dict[Callable[..., object], list[StepFunctionContext]] = {}
    for context in list(step_function_context_registry.values()):
        if any(getattr(context.step_func, "__globals__", None) is ns for ns in namespaces):
            by_function.setdefault(context.step_func, []).append(context)
    return [StepDefinition(f, tuple(c)) for f, c in by_function.items()], modules


def _rendered_steps(path: Path) -> Iterator[tuple[int, str, str]]:
    """(line, type, text) of every step each scenario runs, background included, examples rendered."""
    feature = FeatureParser(str(path.parent), path.name).parse()
    for template in feature.scenarios.values():
        contexts = [c for examples in template.examples for c in examples.as_contexts()] or [{}]
        for context in contexts:
            for step in template.render(context).steps:
                yield step.line_number, step.type, step.name


def step_use(feature_paths: list[Path], definitions: list[StepDefinition]) -> list[Problem]:
    problems, used = [], set()
    for path in feature_paths:
        seen: set[tuple[int, str, str]] = set()
        for line, kind, name in _rendered_steps(path):
            if (line, kind, name) in seen:
                continue
            seen.add((line, kind, name))
            matches = [d for d in definitions for c in d.contexts
                       if c.type in (kind, None) and c.parser.is_matching(name)]
            if not matches:
                problems.append(Problem(str(path), line, "undefined", f"không có định nghĩa cho bước '{name}' ({kind})"))
            used.update(d.function for d in matches)
    for definition in definitions:
        if definition.function not in used:
            file, line = definition.where
            texts = ", ".join(f"{c.type} '{c.parser.name}'" for c in definition.contexts)
            problems.append(Problem(file, line, "unused", f"định nghĩa bước {definition.function.__name__} ({texts}) "
                                                          "không được kịch bản nào dùng"))
    return problems


# --- the whole specification ------------------------------------------------------------------

def lint(features_dir: Path = FEATURES, steps_dir: Path = STEPS, pyproject: Path = PYPROJECT) -> list[Problem]:
    markers = registered_markers(pyproject)
    paths = sorted(features_dir.glob("**/*.feature"))
    problems = [p for path in paths for p in lint_feature(path, markers)]
    parsed = [path for path in paths if not any(p.path == str(path) and p.rule == "parse" for p in problems)]
    definitions, modules = step_definitions(steps_dir)
    problems += step_use(parsed, definitions)
    del modules
    return sorted(problems)


def uncovered_seed_tasks(features_dir: Path = FEATURES, plans_dir: Path = PLANS) -> list[Problem]:
    """Numbered tasks of the seed plans that no examples row ("kế hoạch", "nhiệm vụ") names."""
    covered: set[tuple[str, str]] = set()
    for path in sorted(features_dir.glob("**/*.feature")):
        feature = Parser().parse(path.read_text(encoding="utf-8"))["feature"]
        for node in _children(feature):
            for examples in node.get("examples", []):
                header = [c["value"] for c in examples.get("tableHeader", {}).get("cells", [])]
                if "kế hoạch" in header and "nhiệm vụ" in header:
                    for row in examples.get("tableBody", []):
                        values = dict(zip(header, (c["value"] for c in row["cells"]), strict=True))
                        covered.add((values["kế hoạch"], values["nhiệm vụ"]))
    problems = []
    for plan_path in sorted(plans_dir.glob("*.yaml")):
        text = plan_path.read_text(encoding="utf-8")
        plan = yaml.safe_load(text)
        for task in plan.get("tasks", []):
            if task.get("heading") or (plan["code"], str(task["number"])) in covered:
                continue
            line = next((i for i, t in enumerate(text.splitlines(), 1)
                         if re.match(rf'\s*- number: "?{re.escape(str(task["number"]))}"?\s*$', t)), 1)
            problems.append(Problem(str(plan_path), line, "seed",
                                    f"nhiệm vụ {task['number']} của {plan['code']} không có trong kịch bản nào"))
    return problems


def main() -> int:
    problems = lint() + uncovered_seed_tasks()
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
