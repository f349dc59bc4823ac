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
        ("    not_by: [submit_for_review, submit]   # approval: not by who did the work nor who forwarded it", "    guards: [is_sunny]\n    not_by: [submit_for_review, submit]",
         "guards: [is_sunny]", "unknown guard 'is_sunny'"),
        ("    not_by: submit_for_review   # review and forward: the focal never passes on its own result", "    not_by: sumbit_for_review",
         "not_by: sumbit_for_review", "field 'not_by': unknown trigger 'sumbit_for_review'"),
        ("    not_by: submit_for_review   # review and forward: the focal never passes on its own result", "    not_by: [Submit]",
         "not_by: [Submit]", "field 'not_by': must name a trigger or a list of triggers"),
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


def test_separation_of_duties_is_declared_for_review_forward_appraisal_approval_and_answers() -> None:
    """The shipped `not_by` pairs (issue 11): (trigger, source) → the triggers whose last actor may not fire it.
    The copies leaving the overdue state carry the same rule."""
    machines = load_workflows()
    declared = {name: {(t.trigger, t.source): set(t.not_by) for t in m.workflow.transitions if t.not_by}
                for name, m in machines.items()}
    author, forwarder = {"submit_for_review"}, {"submit_for_review", "submit"}
    drafter, submitter = {"submit_for_appraisal"}, {"submit_for_appraisal", "appraise"}
    extension = {"request_extension"}
    assert {k: v for k, v in declared["plan_task"].items() if k[1] != "overdue"} == {
        ("submit", "in_review"): author, ("return", "in_review"): author,
        ("approve", "submitted"): forwarder, ("return", "submitted"): forwarder,
        **{(t, s): extension for t in ("grant_extension", "refuse_extension") for s in ("assigned", "in_review", "submitted")},
    }
    assert declared["plan_task"][("approve", "overdue")] == forwarder
    assert {k: v for k, v in declared["shortened_procedure"].items() if k[1] != "overdue"} == {
        ("appraise", "in_review"): drafter, ("return", "in_review"): drafter,
        ("adopt", "submitted"): submitter, ("return", "submitted"): submitter,
        **{(t, s): extension for t in ("grant_extension", "refuse_extension") for s in ("assigned", "in_review", "submitted")},
    }
    assert declared["difficulty"] == {("answer", "raised"): {"raise"}, ("escalate", "raised"): {"raise"},
                                      ("answer", "escalated"): {"raise"}}
    assert declared["periodic_report"] == {("accept", "submitted"): {"submit"}, ("return", "submitted"): {"submit"}}
    for machine in machines.values():  # comments, urging and withdrawal are never restricted
        assert not any(t.not_by for t in machine.workflow.transitions
                       if t.trigger in ("comment", "urge", "withdraw", "request_extension", "mark_overdue"))
    # the earlier actors are loaded only where a transition needs them
    plan_task = machines["plan_task"]
    assert plan_task.duty_triggers("assigned", "submit_for_review") == ()
    assert set(plan_task.duty_triggers("submitted", "approve")) == forwarder
    assert plan_task.duty_triggers("assigned", None, frozenset({"officer"})) == ()  # an officer lists: no query
    assert plan_task.duty_triggers("assigned", None, frozenset({"approver"})) == ("request_extension",)


def test_not_by_raise_only_in_a_workflow_users_open(tmp_path: Path) -> None:
    text = GOOD.replace("    not_by: submit_for_review   # review and forward: the focal never passes on its own result", "    not_by: raise", 1)
    problems = problems_of(tmp_path, text)
    assert any(f":{line_of(text, 'not_by: raise')}:" in p and "unknown trigger 'raise'" in p for p in problems), problems
