#!/usr/bin/env python3
"""P4: the consolidated report over 1,000,000 task instances (target: about a second).

Not a test. One run, per database: the P3 data (bench/sweep_bench.py: n instances of plan
VN-BENCH over 3,831 units, every state and category represented), plus two report instances
(the plan's monitor VN-BNV, whose report covers the whole plan, and a province's focal department
P01-S01, whose report covers the ~3 % of tasks it leads or tracks), 1,000 difficulties and 1,000
granted extensions. Then, best of --rounds each:

* engine.queries.progress(db, plan, today) — counts per state and category, plan and per unit;
* engine.reports.report_content(db, report_id, today) for both reports;
* where the time goes: the same SELECT alone (rows fetched to Python) next to the whole call;
* PROTOTYPE (not shipped, in this file): the same two functions set-based — the category is a SQL
  CASE (the rules of engine.status.status_of, with local_day(state_since) as UTC+7 date arithmetic),
  counted with GROUP BY, so only a few thousand grouped rows reach Python; the report's
  extensions and difficulties are joined to the task set in SQL instead of an IN list of every
  task id. Their output is checked equal to the engine's (where the engine's call succeeds).

    python bench/report_bench.py [--n 1000000] [--sqlite-n N] [--rounds 3] [--only sqlite|postgresql]
                                 [--dir DIR] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import text
from sweep_bench import (
    LOADED_AT,
    PG_DEFAULT,
    PLAN,
    TODAY,
    _sqlite_connect,
    build_pg_template,
    build_sqlite_template,
    log,
    machine_info,
    pg_db_url,
    pg_drop,
    scratch_dir,
)

from phancap.engine.db import Database
from phancap.engine.queries import _day, counted_by_unit, progress, progress_scan
from phancap.engine.reports import report_content
from phancap.engine.status import StatusRules, Tally
from phancap.engine.workflows import load_workflows

RULES = StatusRules.of([m.workflow for m in load_workflows().values()], due_soon_days=3)
# The prototype below predates the engine's own set-based queries; it keeps the old fixed state lists.
DONE_STATES, WITHDRAWN_STATES = frozenset({"approved"}), frozenset({"withdrawn"})


def due_soon_days() -> int:
    return RULES.due_soon_days

WHOLE_PLAN_REPORTER, UNIT_REPORTER = "VN-BNV", "P01-S01"


def add_report_fixtures(conn: Any, pg: bool) -> dict[str, int]:
    """Two report instances, 1,000 difficulties and 1,000 grant_extension events (P4 only reads them;
    the extension events are not chained)."""
    q = (lambda s: s.replace("%", "%%").replace("?", "%s")) if pg else (lambda s: s)
    cur = conn.cursor()
    ids = {}
    for reporter, recipient in ((WHOLE_PLAN_REPORTER, "VN-CP"), (UNIT_REPORTER, WHOLE_PLAN_REPORTER)):
        cur.execute(q(
            "INSERT INTO task_instance (plan, task, unit, focal, authority, monitor, justice, coordinators, workflow, state, "
            "stage, version, deadline, deadline_phrase, state_due, complex, state_since, overdue_at, created_at, last_hash, "
            "kind, parent_id, title) VALUES (?, ?, ?, ?, ?, ?, NULL, '[]', 'periodic_report', 'assigned', 'assigned', 1, "
            "?, NULL, NULL, FALSE, ?, NULL, ?, '', 'report', NULL, ?) RETURNING id"),
            (PLAN, f"BC-2026-6T/{recipient}", reporter, recipient, recipient, WHOLE_PLAN_REPORTER, TODAY + timedelta(days=10),
             LOADED_AT, LOADED_AT, "Báo cáo 6 tháng đầu năm 2026"))
        ids[reporter] = int(cur.fetchone()[0])
    step = 997  # spread over the plan; includes tasks of P01-S01's scope
    cur.execute(q("SELECT id, unit FROM task_instance WHERE plan = ? AND kind = 'task' AND id % ? = 1 ORDER BY id LIMIT 1000"),
                (PLAN, step))
    parents = cur.fetchall()
    for i, (tid, unit) in enumerate(parents):
        cur.execute(q(
            "INSERT INTO task_instance (plan, task, unit, focal, authority, monitor, justice, coordinators, workflow, state, "
            "stage, version, deadline, deadline_phrase, state_due, complex, state_since, overdue_at, created_at, last_hash, "
            "kind, parent_id, title) VALUES (?, ?, ?, 'VN-BNV', 'VN-BNV', 'VN-BNV', NULL, '[]', 'difficulty', ?, ?, 1, NULL, "
            "NULL, NULL, FALSE, ?, NULL, ?, '', 'difficulty', ?, ?)"),
            (PLAN, f"KK-{tid}", unit, "answered" if i % 2 else "raised", "answered" if i % 2 else "raised", LOADED_AT,
             LOADED_AT, tid, f"Khó khăn {i}"))
        cur.execute(q(
            "INSERT INTO audit_event (task_id, seq, trigger, from_state, to_state, actor, unit, role, capacity, at, comment, "
            "evidence, data, prev_hash, hash) VALUES (?, 99, 'grant_extension', 'assigned', 'assigned', 'bench', 'VN-CP', "
            "'approver', NULL, ?, 'Gia hạn', NULL, ?, '', '')"),
            (tid, LOADED_AT, json.dumps({"deadline": "2026-12-31", "previous": "2026-06-30"})))
    cur.close()
    return ids


# ---------------------------------------------------------------------------------------------
# PROTOTYPE (not shipped): set-based progress() and report_content()


def category_sql(pg: bool) -> tuple[str, str]:
    """(category CASE, due_soon CASE) over task_instance columns; parameters: today, today, today+window.
    local_day(state_since): state_since is stamp() text (UTC, '...Z'), so its Việt Nam day is (UTC + 7 h)'s date."""
    local_day = ("CAST(CAST(substr(state_since, 1, 19) AS timestamp) + interval '7 hours' AS date)" if pg
                 else "date(substr(state_since, 1, 19), '+7 hours')")
    withdrawn = ", ".join(f"'{s}'" for s in sorted(WITHDRAWN_STATES))
    done = ", ".join(f"'{s}'" for s in sorted(DONE_STATES))
    category = (f"CASE WHEN state IN ({withdrawn}) THEN 'withdrawn' WHEN deadline IS NULL THEN 'no_deadline' "
                f"WHEN state IN ({done}) THEN CASE WHEN overdue_at IS NOT NULL OR {local_day} > deadline "
                "THEN 'done_late' ELSE 'done_on_time' END "
                "WHEN deadline < ? THEN 'open_overdue' ELSE 'open_on_time' END")
    due_soon = (f"CASE WHEN state IN ({withdrawn}) OR state IN ({done}) OR deadline IS NULL OR deadline < ? THEN 0 "
                "WHEN deadline <= ? THEN 1 ELSE 0 END")
    return category, due_soon


class _Timed:
    """Cursor wrapper: seconds per statement (execute + fetch), keyed by the caller's label."""

    def __init__(self, cur: Any, into: dict[str, float] | None) -> None:
        self.cur, self.into, self.t0, self.label = cur, into, 0.0, ""

    def run(self, label: str, sql: str, params: tuple[Any, ...]) -> list[Any]:
        t0 = time.perf_counter()
        self.cur.execute(sql, params)
        rows = self.cur.fetchall()
        if self.into is not None:
            self.into[label] = round(self.into.get(label, 0.0) + time.perf_counter() - t0, 3)
        return rows


def _params(today: date) -> tuple[Any, ...]:
    return (today, today, today + timedelta(days=due_soon_days()))


def _tally(pairs: list[tuple[str, int, int]]) -> Tally:
    t = Tally()
    for category, soon, count in pairs:
        t.counts[category] += count
        t.due_soon += soon * count
    return t


def progress_setbased(db: Database, plan: str, today: date) -> dict[str, Any]:
    """PROTOTYPE of engine.queries.progress(): one GROUP BY (unit, state, category, due_soon)."""
    category, due_soon = category_sql(not db.is_sqlite)
    sql = (f"SELECT unit, state, {category} AS category, {due_soon} AS soon, COUNT(*) FROM task_instance "
           "WHERE plan = ? AND kind = 'task' GROUP BY unit, state, category, soon")
    with db.read() as cur:
        cur.execute(db.sql(sql), (*_params(today), plan))
        rows = cur.fetchall()
    total: list[tuple[str, int, int]] = []
    per_unit: dict[str, list[tuple[str, int, int]]] = {}
    states: dict[str, int] = {}
    unit_states: dict[str, dict[str, int]] = {}
    for unit, state, cat, soon, count in rows:
        total.append((cat, soon, count))
        per_unit.setdefault(unit, []).append((cat, soon, count))
        states[state] = states.get(state, 0) + count
        unit_states.setdefault(unit, {})[state] = unit_states.setdefault(unit, {}).get(state, 0) + count
    return {
        "plan": plan, "today": today.isoformat(), "tasks": sum(c for _, _, c in total), "states": states,
        "categories": _tally(total).to_json(),
        "units": {u: {"states": unit_states[u], "categories": _tally(p).to_json()} for u, p in sorted(per_unit.items())},
    }


def report_content_setbased(db: Database, report_id: int, today: date, timings: dict[str, float] | None = None) -> dict[str, Any]:
    """PROTOTYPE of engine.reports.report_content(): categories by GROUP BY, overdue rows selected in SQL,
    extensions and difficulties joined to the task set (no IN list of every task id)."""
    category, due_soon = category_sql(not db.is_sqlite)
    with db.read() as raw_cur:
        cur = _Timed(raw_cur, timings)
        rows = cur.run("report_row", db.sql("SELECT plan, task, unit, focal, state, deadline, title FROM task_instance "
                                            "WHERE id = ? AND kind = 'report'"), (report_id,))
        if not rows:
            raise KeyError(report_id)
        plan, code, reporter, recipient, state, due, title = rows[0]
        whole_plan = cur.run("plan_monitor", db.sql("SELECT monitor FROM plan WHERE code = ?"), (plan,))[0][0] == reporter
        scope, scope_params = ("", ()) if whole_plan else (" AND (t.unit = ? OR t.focal = ?)", (reporter, reporter))
        grouped = cur.run("group_by_task_category", db.sql(
            f"SELECT task, {category} AS category, {due_soon} AS soon, COUNT(*) FROM task_instance t "
            f"WHERE plan = ? AND kind = 'task'{scope} GROUP BY task, category, soon"), (*_params(today), plan, *scope_params))
        per_task_rows: dict[str, list[tuple[str, int, int]]] = {}
        for number, cat, soon, count in grouped:
            per_task_rows.setdefault(number, []).append((cat, soon, count))
        total = _tally([x for rows in per_task_rows.values() for x in rows])
        withdrawn = ", ".join(f"'{s}'" for s in sorted(WITHDRAWN_STATES | DONE_STATES))
        t0 = time.perf_counter()
        overdue = [{"id": i, "task": n, "unit": u, "deadline": str(d)} for i, n, u, d in cur.run("overdue_rows", db.sql(
            f"SELECT id, task, unit, deadline FROM task_instance t WHERE plan = ? AND kind = 'task'{scope} "
            f"AND state NOT IN ({withdrawn}) AND deadline < ? ORDER BY id"), (plan, *scope_params, today))]
        if timings is not None:
            timings["overdue_rows_incl_dicts"] = round(time.perf_counter() - t0, 3)
        extensions = [{"task_id": t, **json.loads(d)} for t, d in cur.run("extensions_join", db.sql(
            "SELECT a.task_id, a.data FROM audit_event a JOIN task_instance t ON t.id = a.task_id "
            f"WHERE a.trigger = 'grant_extension' AND t.plan = ? AND t.kind = 'task'{scope}"), (plan, *scope_params))]
        difficulties = [{"id": i, "unit": u, "state": s, "title": t} for i, u, s, t in cur.run("difficulties_join", db.sql(
            "SELECT d.id, d.unit, d.state, d.title FROM task_instance d JOIN task_instance t ON t.id = d.parent_id "
            f"WHERE d.kind = 'difficulty' AND t.plan = ? AND t.kind = 'task'{scope}"), (plan, *scope_params))]
        period_prefix = code.split("/")[0]
        inputs = [{"id": i, "unit": u, "state": s, "deadline": str(d),
                   "missing": s in ("assigned", "overdue"),
                   "late": o is not None or (s in ("assigned",) and _day(d) is not None and _day(d) < today)}  # type: ignore[operator]
                  for i, u, s, d, o in cur.run("received_reports", db.sql(
                      "SELECT id, unit, state, deadline, overdue_at FROM task_instance WHERE plan = ? AND kind = 'report' "
                      "AND focal = ? AND task = ? ORDER BY unit"), (plan, reporter, f"{period_prefix}/{reporter}"))]
    return {
        "report": {"id": report_id, "plan": plan, "code": code, "title": title, "unit": reporter, "to": recipient,
                   "state": state, "deadline": str(due) if due else None},
        "today": today.isoformat(), "scope": "plan" if whole_plan else "unit",
        "categories": total.to_json(), "by_task": {k: _tally(v).to_json() for k, v in per_task_rows.items()},
        "overdue": overdue, "extensions": extensions,
        "difficulties": {"open": [d for d in difficulties if d["state"] != "answered"],
                         "answered": [d for d in difficulties if d["state"] == "answered"]},
        "received": inputs,
        "missing_or_late": [i for i in inputs if i["missing"] or i["late"]],
    }


def _normalise(content: dict[str, Any]) -> str:
    """Order-free comparison: lists sorted, dict key order ignored."""
    def norm(x: Any) -> Any:
        if isinstance(x, dict):
            return {k: norm(v) for k, v in x.items()}
        if isinstance(x, list):
            return sorted((norm(v) for v in x), key=lambda v: json.dumps(v, sort_keys=True, default=str))
        return x
    return json.dumps(norm(content), sort_keys=True, default=str)


# ---------------------------------------------------------------------------------------------


def best_of(fn: Callable[[], Any], rounds: int) -> tuple[float | None, Any, str | None]:
    times, result = [], None
    for _ in range(rounds):
        t0 = time.perf_counter()
        try:
            result = fn()
        except Exception as exc:  # noqa: BLE001 -- the engine may fail at this size: report it, don't stop
            return None, None, f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        times.append(time.perf_counter() - t0)
    return min(times), result, None


def measure(url: str, report_ids: dict[str, int], rounds: int, today: date) -> dict[str, Any]:
    db = Database(url)
    out: dict[str, Any] = {}
    try:
        with db.read() as cur:
            cur.execute("SELECT 1")

        def fetch_progress_rows() -> int:
            with db.engine.connect() as conn:
                return len(conn.execute(text("SELECT unit, state, deadline, overdue_at, state_since FROM task_instance "
                                             "WHERE plan = :p AND kind = 'task'"), {"p": PLAN}).all())

        def fetch_report_rows() -> int:
            with db.read() as cur:
                cur.execute(db.sql("SELECT id, task, unit, focal, state, deadline, overdue_at, state_since FROM task_instance "
                                   "WHERE plan = ? AND kind = 'task' ORDER BY id"), (PLAN,))
                return len(cur.fetchall())

        def raw_group_by() -> int:
            """The baseline of issue 16: a plain GROUP BY of the same instances by unit and state, fetched."""
            with db.engine.connect() as conn:
                return len(conn.execute(text("SELECT unit, state, COUNT(*) FROM task_instance "
                                             "WHERE plan = :p AND kind = 'task' GROUP BY unit, state"), {"p": PLAN}).all())

        def count_counter_rows() -> int:
            """The floor of any read of the counters: only counting the plan's rows, nothing grouped or fetched."""
            with db.engine.connect() as conn:
                return int(conn.execute(text("SELECT COUNT(*) FROM status_counter WHERE plan = :p AND kind = 'task'"),
                                        {"p": PLAN}).scalar_one())

        log("  progress ...")
        e_t, e_res, e_err = best_of(lambda: progress(db, PLAN, today, RULES), rounds)
        c_t, _, _ = best_of(lambda: counted_by_unit(db, PLAN, today, RULES), rounds)
        k_t, counter_rows, _ = best_of(count_counter_rows, rounds)
        g_t, _, _ = best_of(raw_group_by, rounds)
        f_t, rows, _ = best_of(fetch_progress_rows, rounds)
        p_t, p_res, p_err = best_of(lambda: progress_setbased(db, PLAN, today), rounds)
        with db.engine.connect() as conn:
            out["counters"] = {name: int(conn.execute(text(f"SELECT COUNT(*) FROM {name}")).scalar_one())
                               for name in ("status_counter", "task_status_counter", "done_day_counter")}
        out["progress"] = {
            "tasks": rows, "engine_seconds": _r(e_t), "engine_error": e_err,
            "raw_group_by_seconds": _r(g_t),
            "engine_over_raw_group_by": round(e_t / g_t, 3) if e_t and g_t else None,
            "target_0_10_of_raw_met": bool(e_t and g_t and e_t <= 0.10 * g_t),
            "equal_to_scan": (e_res == progress_scan(db, PLAN, today, RULES)) if e_res else None,
            "of_which_counter_groups_select_fetch_and_fold_seconds": _r(c_t),
            "floor_counting_the_plans_counter_rows_seconds": _r(k_t), "plan_counter_rows": counter_rows,
            "floor_over_raw_group_by": round(k_t / g_t, 3) if k_t and g_t else None,
            "fetching_every_instance_row_seconds": _r(f_t),
            "prototype_setbased_seconds": _r(p_t), "prototype_error": p_err,
            "prototype_speedup": round(e_t / p_t, 1) if e_t and p_t else None,
            "prototype_equal_to_engine": (_normalise(e_res) == _normalise(p_res)) if e_res and p_res else None,
            "target_about_1s_met_by_engine": bool(e_t and e_t <= 1.5),
            "target_about_1s_met_by_prototype": bool(p_t and p_t <= 1.5),
        }
        fr_t, fr_rows, _ = best_of(fetch_report_rows, rounds)
        for label, reporter in (("report_content_whole_plan", WHOLE_PLAN_REPORTER), ("report_content_one_department", UNIT_REPORTER)):
            rid = report_ids[reporter]
            log(f"  {label} ...")
            e_t, e_res, e_err = best_of(lambda rid=rid: report_content(db, rid, today, RULES), rounds)
            p_t, p_res, p_err = best_of(lambda rid=rid: report_content_setbased(db, rid, today), rounds)
            breakdown: dict[str, float] = {}
            report_content_setbased(db, rid, today, breakdown)
            res = e_res or p_res
            out[label] = {
                "reporter": reporter, "tasks_in_scope": res["categories"] and sum(
                    res["categories"][c] for c in ("done_on_time", "done_late", "open_on_time", "open_overdue",
                                                   "no_deadline", "withdrawn")) if res else None,
                "overdue_listed": len(res["overdue"]) if res else None,
                "engine_seconds": _r(e_t), "engine_error": e_err,
                "engine_over_raw_group_by": round(e_t / g_t, 3) if e_t and g_t else None,
                "target_0_50_of_raw_met": bool(e_t and g_t and e_t <= 0.50 * g_t) if label.endswith("whole_plan") else None,
                "overdue_total": res["overdue_page"]["total"] if res and "overdue_page" in res else None,
                "of_which_select_and_fetch_all_plan_rows_seconds": _r(fr_t),
                "prototype_setbased_seconds": _r(p_t), "prototype_error": p_err,
                "prototype_breakdown_seconds": breakdown,
                "prototype_speedup": round(e_t / p_t, 1) if e_t and p_t else None,
                "prototype_equal_to_engine": (_normalise(e_res) == _normalise(p_res)) if e_res and p_res else None,
                "target_about_1s_met_by_engine": bool(e_t and e_t <= 1.5),
                "target_about_1s_met_by_prototype": bool(p_t and p_t <= 1.5),
            }
        out["plan_rows_fetched_by_report_content"] = fr_rows
    finally:
        db.dispose()
    return out


def _r(x: float | None) -> float | None:
    return round(x, 3) if x is not None else None


def bench_postgresql(pg_url: str, n: int, rounds: int) -> dict[str, Any]:
    import psycopg

    tpl = "phancap_report_bench"
    try:
        log(f"postgresql: loading {n:,} instances into {tpl} ...")
        prep = build_pg_template(pg_url, tpl, n)
        url = pg_db_url(pg_url, tpl)
        with psycopg.connect(url) as conn:
            ids = add_report_fixtures(conn, True)
            conn.commit()
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE")
        log(f"  loaded in {prep['load_seconds']} s")
        out = measure(url, ids, rounds, TODAY)
        out["instances"] = n
        return out
    finally:
        pg_drop(pg_url, tpl)


def bench_sqlite(directory: Path, n: int, rounds: int) -> dict[str, Any]:
    path = directory / "report.db"
    log(f"sqlite: loading {n:,} instances into {path} ...")
    prep = build_sqlite_template(path, n)
    conn = _sqlite_connect(path)
    try:
        conn.execute("BEGIN")
        ids = add_report_fixtures(conn, False)
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
    finally:
        conn.close()
    log(f"  loaded in {prep['load_seconds']} s")
    out = measure(f"sqlite:///{path}", ids, rounds, TODAY)
    out["instances"] = n
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--sqlite-n", type=int, help="task instances on SQLite (default: --n)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--dir", type=Path)
    parser.add_argument("--pg-url", default=os.environ.get("PHANCAP_BENCH_PG_URL", PG_DEFAULT))
    args = parser.parse_args(argv)
    result: dict[str, Any] = {"benchmark": "P4 consolidated report", "today": TODAY.isoformat(),
                              "target": "about a second per call"}
    t0 = time.perf_counter()
    if args.only != "sqlite":
        result["postgresql"] = bench_postgresql(args.pg_url, args.n, args.rounds)
    if args.only != "postgresql":
        directory = scratch_dir(args.dir)
        try:
            result["sqlite"] = bench_sqlite(directory, args.sqlite_n or args.n, args.rounds)
        finally:
            shutil.rmtree(directory, ignore_errors=True)
    result["method"] = (
        f"best of {args.rounds} calls each, on one database loaded like P3 (read-only here). engine_* = the shipped "
        "functions on the pooled Database; of_which_select_and_fetch = the same SELECT alone with its rows fetched; "
        "prototype_setbased = the PROTOTYPE functions in this file (GROUP BY in SQL), checked equal to the engine's "
        "output where the engine's call succeeds.")
    result["machine"] = machine_info()
    result["total_seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
