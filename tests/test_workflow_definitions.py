"""Workflow definitions are validated whole; every problem names file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from phancap.engine.errors import DefinitionError
from phancap.engine.workflow import parse_workflow
from phancap.engine.workflows import load_workflows, shipped_workflows_dir

GOOD = (shipped_workflows_dir() / "plan_task.yaml").read_text(encoding="utf-8")


def problems_of(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "wf.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        parse_workflow(path)
    return caught.value.problems


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def test_shipped_workflows_load_with_auto_transitions_off() -> None:
    machines = load_workflows()
    assert set(machines) >= {"plan_task", "shortened_procedure"}
    for machine in machines.values():
        assert machine.machine.auto_transitions is False
        assert not any(name.startswith("to_") for name in machine.machine.events)


def test_plan_task_has_the_named_triggers_and_grants() -> None:
    wf = load_workflows()["plan_task"].workflow
    grants = {(t.trigger, t.source): {str(g) for g in t.grants} for t in wf.transitions}
    assert grants[("submit_for_review", "assigned")] == {"officer@lead", "head@lead"}
    assert grants[("submit", "in_review")] == {"reviewer@focal"}
    assert grants[("return", "in_review")] == {"reviewer@focal"}
    assert grants[("return", "submitted")] == {"approver@authority"}
    assert grants[("approve", "submitted")] == {"approver@authority"}
    assert grants[("mark_overdue", "assigned")] == {"system"}
    # an overdue task still moves on along the same path
    assert ("approve", "overdue") in grants and ("submit_for_review", "overdue") in grants


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        ("    dest: in_review\n    grants: [officer@lead, head@lead]", "    dest: reviewing\n    grants: [officer@lead, head@lead]",
         "dest: reviewing", "field 'dest': unknown state 'reviewing'"),
        ("    grants: [reviewer@focal]\n    requires: [comment]", "    grants: []\n    requires: [comment]",
         "grants: []", "grants no role"),
        ("    grants: [approver@authority]\n  # Coord", "    grants: [approver@authority]\n    guards: [is_sunny]\n  # Coord",
         "guards: [is_sunny]", "unknown guard 'is_sunny'"),
        ("[officer@lead, head@lead]\n  - trigger: submit\n", "[officer@lead, chief@lead]\n  - trigger: submit\n",
         "chief@lead", "unknown role 'chief'"),
        ("[officer@lead, head@lead]\n  - trigger: submit\n", "[officer@lead, head@neighbour]\n  - trigger: submit\n",
         "head@neighbour", "unknown relation 'neighbour'"),
        ("    label: Gửi đầu mối xem xét\n    source: assigned\n", "    label: Gửi đầu mối xem xét\n",
         "trigger: submit_for_review", "missing field 'source'"),
        ("initial: assigned", "initial: drafted", "initial: drafted", "field 'initial': unknown state 'drafted'"),
    ],
)
def test_invalid_definition_names_file_line_and_field(tmp_path: Path, old: str, new: str, needle: str, message: str) -> None:
    assert old in GOOD
    text = GOOD.replace(old, new, 1)
    problems = problems_of(tmp_path, text)
    expected = f"{tmp_path / 'wf.yaml'}:{line_of(text, needle)}:"
    assert any(p.startswith(expected) and message in p for p in problems), problems


def test_unreachable_state_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace("  overdue:\n    label: Quá hạn", "  archived:\n    label: Lưu trữ\n  overdue:\n    label: Quá hạn", 1)
    problems = problems_of(tmp_path, text)
    assert any(f":{line_of(text, 'archived:')}: state 'archived' is unreachable" in p for p in problems)


def test_bad_yaml_names_the_line(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, "name: x\nstates: [a\n")
    assert problems[0].startswith(f"{tmp_path / 'wf.yaml'}:") and "invalid YAML" in problems[0]


def test_one_bad_file_refuses_the_whole_set(tmp_path: Path) -> None:
    (tmp_path / "plan_task.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "broken.yaml").write_text(GOOD.replace("name: plan_task", "name: broken").replace("dest: approved", "dest: done"), encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_workflows(tmp_path)
    assert all("broken.yaml" in p for p in caught.value.problems)
