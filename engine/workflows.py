"""The set of workflow definitions in use, each with its one shared machine."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from phancap.engine.errors import DefinitionError
from phancap.engine.machine import WorkflowMachine
from phancap.engine.workflow import parse_workflow


def shipped_workflows_dir() -> Path:
    return Path(str(resources.files("phancap.workflows")))


def load_workflows(directory: Path | None = None) -> dict[str, WorkflowMachine]:
    """Every *.yaml in the directory; any problem in any file refuses the whole set."""
    directory = directory or shipped_workflows_dir()
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise DefinitionError([f"{directory}:1: no workflow definitions (*.yaml) found"])
    problems: list[str] = []
    machines: dict[str, WorkflowMachine] = {}
    for path in files:
        try:
            workflow = parse_workflow(path)
        except DefinitionError as exc:
            problems.extend(exc.problems)
            continue
        if workflow.name in machines:
            problems.append(f"{path}:1: workflow '{workflow.name}' is also defined in {machines[workflow.name].workflow.source}")
            continue
        machines[workflow.name] = WorkflowMachine(workflow)
    if problems:
        raise DefinitionError(problems)
    return machines
