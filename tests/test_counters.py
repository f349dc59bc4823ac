"""Status counters (issue 16): whatever the history — transitions, sweeps, amendments, transfers, raw writes —
the counters equal a recount of the instances, and the figures read from them equal the figures counted from
the instances; `phancap counters verify` names a difference and exits 1, `rebuild` repairs it (audited).
SQLite and PostgreSQL."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from phancap.engine.amendments import amend_plan, read_amending_plan
from phancap.engine.clock import Clock
from phancap.engine.counters import rebuild, verify
from phancap.engine.errors import Forbidden, Refusal
from phancap.engine.loader import shipped_definitions_dir
from phancap.engine.queries import list_tasks, progress, progress_scan, rollup
from phancap.engine.reorganisation import transfer_task
from phancap.engine.reports import create_reports, report_content
from phancap.engine.runtime import TaskEngine
from phancap.engine.status import Tally
from phancap.engine.tick import tick
from phancap.engine.users import get_user
from tests.test_cli import _in_process

PLANS = ("HN-2025", "KT-2025")
START = date(2025, 4, 1)


def _users(engine: TaskEngine) -> list[str]:
    with engine.db.engine.connect() as conn:
        return [str(n) for n in conn.execute(text("SELECT name FROM app_user ORDER BY name")).scalars()]


def _amend_kt(engine: TaskEngine, tmp_path: Path, due: date, clock: Clock) -> None:
    source = (shipped_definitions_dir() / "plans" / "KT-2025.yaml").read_text(encoding="utf-8")
    old = '      phrase: "Trước ngày 15 tháng 4 năm 2025"\n      kind: date\n      due: 2025-04-14'
    assert old in source
    before = due + timedelta(days=1)  # "trước ngày X": the last day is the day before
    new = f'      phrase: "Trước ngày {before.day} tháng {before.month} năm 2025"\n      kind: date\n      due: {due.isoformat()}'
    path = tmp_path / f"KT-{due.isoformat()}.yaml"
    path.write_text(source.replace(old, new, 1), encoding="utf-8")
    plan = read_amending_plan(path, engine.db, set(engine.workflows))
    try:
        amend_plan(engine.db, plan, engine.workflows, clock, number="45/KH-UBND", on=clock.today())
    except Refusal:
        pass  # an amendment that changes nothing, or comes too late, is refused: the counters must not move


def _history(engine: TaskEngine, seed: int, steps: int, tmp_path: Path) -> TaskEngine:
    """A random history through the engine's own write paths; returns the engine at the history's last day."""
    rng = random.Random(seed)
    users, day = _users(engine), START
    admin = get_user(engine.db, "admin")
    assert admin is not None
    for _ in range(steps):
        clock = Clock.parse(f"{day.isoformat()}T09:00:00+07:00")
        engine = TaskEngine(engine.db, engine.workflows, clock)
        tasks = list_tasks(engine.db, plan=rng.choice(PLANS), kind=None)
        item = rng.choice(tasks)
        move = rng.random()
        try:
            if move < 0.6:
                trigger = rng.choice([t.trigger for t in engine.workflows[item["workflow"]].workflow.transitions])
                engine.fire(int(item["id"]), trigger, rng.choice(users), comment="Ghi chú kiểm thử",
                            proposed_deadline=day + timedelta(days=rng.randint(1, 40)))
            elif move < 0.75:
                tick(engine.db, engine.workflows, clock)
            elif move < 0.85:
                to = rng.choice(sorted({t["unit"] for t in tasks}))
                transfer_task(engine.db, engine.workflows, clock, admin, int(item["id"]), to, "Quyết định số 1/QĐ")
            elif move < 0.92:
                _amend_kt(engine, tmp_path, START + timedelta(days=rng.randint(0, 60)), clock)  # in 2025
            else:
                with engine.db.write() as cur:  # a raw write, as a bulk load or a repair would make
                    cur.execute(engine.db.sql("UPDATE task_instance SET deadline = ? WHERE id = ?"),
                                (rng.choice([None, day + timedelta(days=rng.randint(-20, 20))]), item["id"]))
        except Refusal:
            pass
        day += timedelta(days=rng.randint(0, 6))
    return engine


def _oracle(engine: TaskEngine, plan: str, today: date) -> tuple[Tally, dict[str, Tally]]:
    """Row by row with status_of: the plan's tally and each task number's."""
    total, per_task = Tally(), dict[str, Tally]()
    for item in list_tasks(engine.db, plan=plan):
        status = engine.status.status(item, today)
        total.add(status)
        per_task.setdefault(str(item["task"]), Tally()).add(status)
    return total, per_task


@settings(max_examples=3, deadline=None, phases=[Phase.generate], suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), ahead=st.integers(-10, 90))
def test_counters_follow_every_write_path(seeded: TaskEngine, tmp_path: Path, seed: int, ahead: int) -> None:
    engine = _history(seeded, seed, 30, tmp_path)
    assert verify(engine.db) == []
    today = engine.clock.today() + timedelta(days=ahead)
    if not list_tasks(engine.db, plan="HN-2025", kind="report"):
        create_reports(engine.db, engine.workflows, engine.clock, "HN-2025", "semiannual", 2025, date(2025, 6, 15))
    assert verify(engine.db) == []
    for plan in PLANS:
        assert progress(engine.db, plan, today, engine.status) == progress_scan(engine.db, plan, today, engine.status)
    reports = list_tasks(engine.db, plan="HN-2025", kind="report")
    whole = next(r for r in reports if r["unit"] == "HN-SNV")  # the plan's monitor: the whole plan
    content = report_content(engine.db, int(whole["id"]), today, engine.status)
    total, per_task = _oracle(engine, "HN-2025", today)
    assert content["scope"] == "plan" and content["categories"] == total.to_json()
    assert content["by_task"] == {k: v.to_json() for k, v in sorted(per_task.items())}
    done = sorted(str(t["done_on"]) for t in list_tasks(engine.db, plan="HN-2025") if t["done_on"])
    assert content["timeline"][-1]["done"] == sum(1 for d in done if d <= today.isoformat()) if content["timeline"] else True


def test_the_overdue_list_is_paged_and_says_how_many(seeded: TaskEngine) -> None:
    create_reports(seeded.db, seeded.workflows, seeded.clock, "HN-2025", "semiannual", 2025, date(2025, 6, 15))
    whole = next(r for r in list_tasks(seeded.db, plan="HN-2025", kind="report") if r["unit"] == "HN-SNV")
    today = date(2025, 12, 31)
    everything = report_content(seeded.db, int(whole["id"]), today, seeded.status)
    overdue = everything["overdue"]
    assert len(overdue) >= 3 and everything["overdue_page"] == {"offset": 0, "limit": 500, "total": len(overdue)}
    second = report_content(seeded.db, int(whole["id"]), today, seeded.status, overdue_limit=2, overdue_offset=2)
    assert second["overdue"] == overdue[2:4] and second["overdue_page"]["total"] == len(overdue)
    assert second["categories"] == everything["categories"]


def test_the_roll_up_counts_what_the_child_plans_hold(seeded: TaskEngine) -> None:
    found = rollup(seeded.db, "HN-2025", date(2025, 6, 1), seeded.status)
    assert found["own"] == progress_scan(seeded.db, "HN-2025", date(2025, 6, 1), seeded.status)["categories"]


def test_verify_names_a_difference_and_rebuild_repairs_it_audited(seeded: TaskEngine) -> None:
    db = seeded.db
    env = {"DATABASE_URL": db.url, "PHANCAP_NOW": "2025-04-02T09:00+07:00"}
    assert _in_process(["counters", "verify"], env, None).returncode == 0
    with db.engine.begin() as conn:
        row = conn.execute(text("SELECT plan, unit, state FROM status_counter WHERE plan = 'HN-2025' "
                                "ORDER BY unit, state LIMIT 1")).one()
        conn.execute(text("UPDATE status_counter SET n = n + 2 WHERE plan = :p AND unit = :u AND state = :s"),
                     {"p": row[0], "u": row[1], "s": row[2]})
    checked = _in_process(["counters", "verify", "--json"], env, None)
    assert checked.returncode == 1
    report = json.loads(checked.stdout)
    assert not report["ok"] and len(report["differences"]) >= 1
    difference = report["differences"][0]
    assert difference["counter"] == "status_counter" and difference["key"]["unit"] == row[1]
    assert difference["stored"] == difference["actual"] + 2
    plain = _in_process(["counters", "verify"], env, None)
    assert plain.returncode == 1 and f"unit={row[1]}" in plain.stdout and "stored" in plain.stdout
    officer = get_user(db, "cv.sct")
    assert officer is not None
    with pytest.raises(Forbidden):
        rebuild(db, officer, "2025-04-02T02:00:00Z")
    assert verify(db) != []  # refused: nothing rewritten
    rebuilt = _in_process(["counters", "rebuild", "--as", "admin", "--comment", "sửa bộ đếm", "--json"], env, None)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert len(json.loads(rebuilt.stdout)["repaired"]) >= 1 and verify(db) == []
    with db.engine.connect() as conn:
        event = conn.execute(text("SELECT actor, action, comment, data FROM admin_event "
                                  "WHERE action = 'counters.rebuild'")).one()
    assert event[:3] == ("admin", "counters.rebuild", "sửa bộ đếm") and json.loads(event[3])["repaired"] >= 1
