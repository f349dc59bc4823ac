"""Amending a plan by a later document (issue 13): the diff, its application to running instances (one
audited `amend` event each), versions kept, and a changed plan's reload refused. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from phancap.engine.amendments import AmendmentRefused, amend_plan, plan_versions, read_amending_plan
from phancap.engine.clock import Clock
from phancap.engine.loader import read_definitions, shipped_definitions_dir, store_definitions
from phancap.engine.queries import history, list_tasks, plan_detail, verify_audit
from phancap.engine.runtime import TaskEngine
from phancap.engine.tick import tick
from tests.helpers import audit_count, instance

PLAN = "KT-2025"
NUMBER, ON = "45/KH-UBND", date(2025, 3, 31)
TASK3_DEADLINE = '''      phrase: "Trước ngày 15 tháng 4 năm 2025"
      kind: date
      due: 2025-04-14'''


def amended_file(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    source = (shipped_definitions_dir() / "plans" / "KT-2025.yaml").read_text(encoding="utf-8")
    for old, new in edits:
        assert old in source, old
        source = source.replace(old, new, 1)
    path = tmp_path / "KT-2025-amended.yaml"
    path.write_text(source, encoding="utf-8")
    return path


def moved_deadline(due: str = "2025-05-14", day: str = "15 tháng 5") -> tuple[str, str]:
    return TASK3_DEADLINE, f'''      phrase: "Trước ngày {day} năm 2025"
      kind: date
      due: {due}'''


def amend(engine: TaskEngine, path: Path, *, dry_run: bool = False, number: str = NUMBER, on: date = ON,
          clock: Clock | None = None) -> dict[str, object]:
    plan = read_amending_plan(path, engine.db, set(engine.workflows))
    return amend_plan(engine.db, plan, engine.workflows, clock or engine.clock, number=number, on=on,
                      dry_run=dry_run).to_json()


def tasks_of(engine: TaskEngine, task: str) -> list[dict[str, object]]:
    return [t for t in list_tasks(engine.db, plan=PLAN) if t["task"] == task]


def events_by_task(engine: TaskEngine) -> dict[int, int]:
    with engine.db.engine.connect() as conn:
        return {int(t): int(n) for t, n in conn.execute(text("SELECT task_id, COUNT(*) FROM audit_event GROUP BY task_id"))}


def table_counts(engine: TaskEngine) -> tuple[int, ...]:
    with engine.db.engine.connect() as conn:
        return tuple(int(conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one())
                     for t in ("audit_event", "task_instance", "plan_task", "plan_version"))


def plan_text(engine: TaskEngine) -> str:
    with engine.db.engine.connect() as conn:
        return str(conn.execute(text("SELECT definition FROM plan WHERE code = :c"), {"c": PLAN}).scalar_one())


def approve(engine: TaskEngine, tid: int, officer: str = "cv.xa1") -> None:
    engine.fire(tid, "submit_for_review", officer)
    engine.fire(tid, "submit", "dm.pnv")
    engine.fire(tid, "approve", "pd.huyen")


def test_a_moved_deadline_amends_each_open_instance_once(seeded: TaskEngine, tmp_path: Path) -> None:
    path = amended_file(tmp_path, moved_deadline())
    before = events_by_task(seeded)
    third = {int(t["id"]) for t in tasks_of(seeded, "3")}
    result = amend(seeded, path)
    changes = result["changes"]
    assert changes["plan"] == [] and len(changes["tasks"]) == 1  # type: ignore[index]
    change = changes["tasks"][0]  # type: ignore[index]
    assert (change["task"], change["change"], change["title"][:7]) == ("3", "changed", "Rà soát")
    assert change["fields"] == [{"field": "deadline",
                                 "old": {"phrase": "Trước ngày 15 tháng 4 năm 2025", "due": "2025-04-14"},
                                 "new": {"phrase": "Trước ngày 15 tháng 5 năm 2025", "due": "2025-05-14"}}]
    assert result["counts"] == {"amended": len(third), "withdrawn": 0, "opened": 0}
    after = events_by_task(seeded)
    assert {t for t in after if after[t] != before.get(t)} == third  # nobody else touched
    assert all(after[t] == before[t] + 1 for t in third)  # exactly one event each
    for row in tasks_of(seeded, "3"):
        assert (row["deadline"], row["state"]) == ("2025-05-14", "assigned")
        event = history(seeded.db, int(row["id"]))[-1]  # type: ignore[call-overload]
        assert (event["trigger"], event["actor"], event["role"], event["from"], event["to"]) == (
            "amend", "system", "system", "assigned", "assigned")
        assert NUMBER in event["comment"] and "31/03/2025" in event["comment"]
        assert event["data"]["document"] == {"number": NUMBER, "date": "2025-03-31"}
        assert (event["data"]["deadline_from"], event["data"]["deadline_to"]) == ("2025-04-14", "2025-05-14")
        assert event["data"]["plan_version"] == {"from": 1, "to": 2}
    assert verify_audit(seeded.db).ok, verify_audit(seeded.db).problems


def test_an_overdue_task_whose_deadline_moves_is_re_evaluated(seeded: TaskEngine, tmp_path: Path) -> None:
    late = Clock.parse("2025-04-20T09:00:00+07:00")
    tid = int(instance(seeded.db, PLAN, "3", "KT-X-01")["id"])
    seeded.fire(tid, "submit_for_review", "cv.xa1")
    tick(seeded.db, seeded.workflows, late)
    assert instance(seeded.db, PLAN, "3", "KT-X-01")["state"] == "overdue"
    amend(TaskEngine(seeded.db, seeded.workflows, late), amended_file(tmp_path, moved_deadline()), clock=late,
          on=date(2025, 4, 18))
    row = instance(seeded.db, PLAN, "3", "KT-X-01")
    assert (row["state"], row["deadline"], row["overdue_at"]) == ("in_review", "2025-05-14", None)
    event = history(seeded.db, tid)[-1]
    assert (event["trigger"], event["from"], event["to"]) == ("amend", "overdue", "in_review")
    assert event["data"]["instance"]["state"] == {"old": "overdue", "new": "in_review"}
    task1 = int(instance(seeded.db, PLAN, "1", "KT-X-01")["id"])
    assert instance(seeded.db, PLAN, "1", "KT-X-01")["state"] == "overdue"  # not amended: still late
    assert history(seeded.db, task1)[-1]["trigger"] == "mark_overdue"
    assert verify_audit(seeded.db).ok, verify_audit(seeded.db).problems
    assert tick(seeded.db, seeded.workflows, late).marked == 0  # no longer late
    tick(seeded.db, seeded.workflows, Clock.parse("2025-05-20T09:00:00+07:00"))
    assert instance(seeded.db, PLAN, "3", "KT-X-01")["state"] == "overdue"
    assert verify_audit(seeded.db).ok


def test_a_struck_task_is_withdrawn_and_approved_instances_are_untouched(seeded: TaskEngine, tmp_path: Path) -> None:
    done = int(instance(seeded.db, PLAN, "3", "KT-X-01")["id"])
    approve(seeded, done)
    approved_row, approved_history = instance(seeded.db, PLAN, "3", "KT-X-01"), history(seeded.db, done)
    source = (shipped_definitions_dir() / "plans" / "KT-2025.yaml").read_text(encoding="utf-8")
    start = source.index('  - number: "3"')
    block = source[start:source.index('  - number: "4"')]
    path = amended_file(tmp_path, (block, ""))
    others = [t for t in tasks_of(seeded, "3") if int(t["id"]) != done]  # type: ignore[call-overload]
    result = amend(seeded, path)
    assert [(c["task"], c["change"]) for c in result["changes"]["tasks"]] == [("3", "removed")]  # type: ignore[index]
    assert result["counts"] == {"amended": 0, "withdrawn": len(others), "opened": 0}
    assert instance(seeded.db, PLAN, "3", "KT-X-01") == approved_row
    assert history(seeded.db, done) == approved_history
    for row in others:
        now = instance(seeded.db, PLAN, "3", str(row["unit"]))
        assert now["state"] == "withdrawn" and now["version"] == int(row["version"]) + 1  # type: ignore[call-overload]
        assert str(now["title"]).startswith("Rà soát các văn bản")  # the page still names the struck task
        event = history(seeded.db, int(row["id"]))[-1]  # type: ignore[call-overload]
        assert (event["trigger"], event["to"], event["data"]["reason"]) == ("amend", "withdrawn", "removed")
        assert "bãi bỏ" in event["comment"] and NUMBER in event["comment"]
    assert "3" not in {t["number"] for t in plan_detail(seeded.db, PLAN)["tasks"]}  # type: ignore[index]
    assert verify_audit(seeded.db).ok, verify_audit(seeded.db).problems


def test_an_added_task_and_a_new_lead_unit_are_instantiated(seeded: TaskEngine, tmp_path: Path) -> None:
    added = '''
  - number: "6"
    title: "Tổng kết việc thực hiện Kế hoạch"
    lead: [KT-PNV]
    deadline:
      phrase: "Chậm nhất ngày 30 tháng 6 năm 2025"
    workflow: plan_task
'''
    path = amended_file(tmp_path, ("    lead: [KT-PTP]\n", "    lead: [KT-PTP, KT-PNV]\n"))
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + "\n" + added, encoding="utf-8")
    ptp = int(instance(seeded.db, PLAN, "2", "KT-PTP")["id"])
    result = amend(seeded, path)
    assert {(c["task"], c["change"]) for c in result["changes"]["tasks"]} == {("2", "changed"), ("6", "added")}  # type: ignore[index]
    assert result["counts"] == {"amended": 1, "withdrawn": 0, "opened": 2}
    for task, deadline in (("2", None), ("6", "2025-06-30")):
        row = instance(seeded.db, PLAN, task, "KT-PNV")
        assert (row["state"], row["deadline"], row["version"]) == ("assigned", deadline, 1)
        first = history(seeded.db, int(row["id"]))  # type: ignore[call-overload]
        assert len(first) == 1 and first[0]["trigger"] == "assign" and NUMBER in first[0]["comment"]
    lead_change = history(seeded.db, ptp)[-1]
    assert lead_change["trigger"] == "amend"
    assert lead_change["data"]["changes"][0]["field"] == "lead"
    assert lead_change["data"]["changes"][0]["new"] == ["KT-PTP", "KT-PNV"]
    assert verify_audit(seeded.db).ok, verify_audit(seeded.db).problems


def test_a_unit_no_longer_leading_is_withdrawn(seeded: TaskEngine, tmp_path: Path) -> None:
    ptp = int(instance(seeded.db, PLAN, "2", "KT-PTP")["id"])
    result = amend(seeded, amended_file(tmp_path, ("    lead: [KT-PTP]\n", "    lead: [KT-PNV]\n")))
    assert result["counts"] == {"amended": 0, "withdrawn": 1, "opened": 1}
    event = history(seeded.db, ptp)[-1]
    assert (event["trigger"], event["to"], event["data"]["reason"]) == ("amend", "withdrawn", "no_longer_leads")
    assert instance(seeded.db, PLAN, "2", "KT-PNV")["state"] == "assigned"
    assert verify_audit(seeded.db).ok, verify_audit(seeded.db).problems


def test_a_dry_run_changes_nothing(seeded: TaskEngine, tmp_path: Path) -> None:
    before, definition = table_counts(seeded), plan_text(seeded)
    result = amend(seeded, amended_file(tmp_path, moved_deadline(), ("    lead: [KT-PTP]\n", "    lead: [KT-PNV]\n")),
                   dry_run=True)
    assert result["dry_run"] is True and result["counts"] == {"amended": 18, "withdrawn": 1, "opened": 1}
    assert (table_counts(seeded), plan_text(seeded)) == (before, definition)
    assert [v["version"] for v in plan_versions(seeded.db, PLAN)] == [1]


def test_a_changed_plan_with_running_tasks_is_not_loaded(seeded: TaskEngine, tmp_path: Path) -> None:
    before, definition = table_counts(seeded), plan_text(seeded)
    path = amended_file(tmp_path, moved_deadline())
    with pytest.raises(AmendmentRefused) as refused:
        store_definitions(seeded.db, read_definitions(path, set(seeded.workflows)), seeded.clock, seeded.workflows)
    assert refused.value.rule == "amendment"
    assert "task 3: deadline 2025-04-14 → 2025-05-14" in refused.value.message_en
    assert "phancap plan amend" in refused.value.message_en and "phancap plan amend" in refused.value.message_vi
    assert (table_counts(seeded), plan_text(seeded)) == (before, definition)
    assert verify_audit(seeded.db).ok


def test_versions_are_listed_with_what_each_changed(seeded: TaskEngine, tmp_path: Path) -> None:
    amend(seeded, amended_file(tmp_path, moved_deadline()))
    amend(seeded, amended_file(tmp_path, moved_deadline("2025-05-30", "31 tháng 5")), number="52/KH-UBND")
    versions = plan_versions(seeded.db, PLAN)
    assert [(v["version"], v["number"], v["date"]) for v in versions] == [
        (1, None, None), (2, NUMBER, "2025-03-31"), (3, "52/KH-UBND", "2025-03-31")]
    assert versions[2]["changes"]["tasks"][0]["fields"][0]["new"]["due"] == "2025-05-30"
    assert versions[0]["changes"] == {"plan": [], "tasks": []}
    row = instance(seeded.db, PLAN, "3", "KT-X-01")
    assert row["deadline"] == "2025-05-30" and row["version"] == 3  # assign + one event per amendment
    assert verify_audit(seeded.db).ok, verify_audit(seeded.db).problems


def test_bad_amendments_are_refused_and_change_nothing(seeded: TaskEngine, tmp_path: Path) -> None:
    before = table_counts(seeded)
    path = amended_file(tmp_path, moved_deadline())
    for kwargs, words in (({"number": "bốn lăm"}, "is not like"), ({"on": date(2025, 4, 2)}, "after today")):
        with pytest.raises(AmendmentRefused) as refused:
            amend(seeded, path, **kwargs)  # type: ignore[arg-type]
        assert words in refused.value.message_en
    same = tmp_path / "same.yaml"
    same.write_text((shipped_definitions_dir() / "plans" / "KT-2025.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(AmendmentRefused, match="nothing to amend"):
        amend(seeded, same)
    assert table_counts(seeded) == before
    assert audit_count(seeded.db) == before[0]


def test_the_cli_refuses_the_load_previews_applies_and_lists_versions(tmp_path: Path) -> None:
    import json

    from tests.test_cli import run

    run(tmp_path, "load")
    run(tmp_path, "instantiate", PLAN)
    path = amended_file(tmp_path, moved_deadline())
    refused = run(tmp_path, "load", str(path), check=False)
    assert refused.returncode == 3
    assert "task 3: deadline 2025-04-14 → 2025-05-14" in refused.stderr and "plan amend" in refused.stderr
    preview = json.loads(run(tmp_path, "plan", "amend", str(path), "--number", NUMBER, "--date", "2025-03-31",
                             "--dry-run", "--json").stdout)
    assert preview["dry_run"] is True and preview["counts"]["amended"] == 18
    assert json.loads(run(tmp_path, "plan", "versions", PLAN, "--json").stdout)[-1]["version"] == 1
    applied = json.loads(run(tmp_path, "plan", "amend", str(path), "--number", NUMBER, "--date", "2025-03-31",
                             "--json").stdout)
    assert (applied["applied"], applied["version"], applied["changes"]) == (True, 2, preview["changes"])
    versions = json.loads(run(tmp_path, "plan", "versions", PLAN, "--json").stdout)
    assert [(v["version"], v["number"], v["date"]) for v in versions] == [(1, None, None), (2, NUMBER, "2025-03-31")]
    assert set(versions[1]) >= {"version", "number", "date", "at", "changes"}
    assert run(tmp_path, "audit", "verify").stdout.startswith("OK")
    bad = run(tmp_path, "plan", "amend", str(path), "--number", NUMBER, "--date", "31/3/2025", check=False)
    assert bad.returncode == 2 and "--date" in bad.stderr


def test_fires_during_an_amendment_lose_and_double_nothing(seeded: TaskEngine, tmp_path: Path) -> None:
    import threading

    from phancap.engine.users import add_user

    rows = [t for t in tasks_of(seeded, "3")][:6]
    for row in rows:
        add_user(seeded.db, f"cv.{str(row['unit']).lower()}", str(row["unit"]), ["officer"], seeded.clock)
    plan = read_amending_plan(amended_file(tmp_path, moved_deadline()), seeded.db, set(seeded.workflows))
    start, errors = threading.Barrier(len(rows) + 1), []

    def work(i: int) -> None:
        start.wait()
        try:
            if i == len(rows):
                amend_plan(seeded.db, plan, seeded.workflows, seeded.clock, number=NUMBER, on=ON)
            else:
                seeded.fire(int(rows[i]["id"]), "submit_for_review", f"cv.{str(rows[i]['unit']).lower()}")  # type: ignore[call-overload]
        except Exception as exc:  # noqa: BLE001 - every failure is reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(rows) + 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for row in rows:
        now = instance(seeded.db, PLAN, "3", str(row["unit"]))
        assert (now["state"], now["deadline"], now["version"]) == ("in_review", "2025-05-14", 3)
        assert sorted(e["trigger"] for e in history(seeded.db, int(row["id"]))) == ["amend", "assign", "submit_for_review"]  # type: ignore[call-overload]
    assert verify_audit(seeded.db).ok, verify_audit(seeded.db).problems


def test_migration_0012_keeps_each_plan_as_its_version_1_with_data_present(seeded: TaskEngine, tmp_path: Path) -> None:
    from alembic import command

    config = seeded.db.alembic_config()
    for target in ("0011", "head"):
        with seeded.db.engine.begin() as conn:
            config.attributes["connection"] = conn
            (command.downgrade if target == "0011" else command.upgrade)(config, target)
    versions = plan_versions(seeded.db, PLAN)
    assert [(v["version"], v["number"], v["changes"]) for v in versions] == [(1, None, {"plan": [], "tasks": []})]
    with seeded.db.engine.connect() as conn:
        assert versions[0]["definition_sha256"] == conn.execute(
            text("SELECT definition_sha256 FROM plan WHERE code = :c"), {"c": PLAN}).scalar_one()
    assert verify_audit(seeded.db).ok
    assert amend(seeded, amended_file(tmp_path, moved_deadline()))["version"] == 2
