"""The CLI as users and scripts run it, over a real SQLite file: through its entry point (`phancap.cli.main`,
what `python -m phancap` calls) with its arguments, environment, stdin, stdout, stderr and exit code; in
this process by default (a new interpreter per command cost most of the suite's time), in a real process
where the process itself is the point (`process=True`)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def run(tmp_path: Path, *args: str, check: bool = True, stdin: str | None = None,
        now: str = "2025-04-01T09:00+07:00", process: bool = False) -> subprocess.CompletedProcess[str]:
    given = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "PHANCAP_NOW": now}
    if process:
        result = subprocess.run([sys.executable, "-m", "phancap", *args], capture_output=True, text=True,
                                env={**os.environ, **given}, input=stdin, timeout=120)
    else:
        result = _in_process(list(args), given, stdin)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def _in_process(args: list[str], env: dict[str, str], stdin: str | None) -> subprocess.CompletedProcess[str]:
    """One command through the entry point, as a process would run it: argv, environment and stdin set for it,
    its output captured, its exit code taken from SystemExit, its database closed at the end."""
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from phancap.cli import main
    from phancap.console import STATE

    saved_env = {k: os.environ.get(k) for k in env}
    saved_argv, saved_stdin = sys.argv, sys.stdin
    out, err, code = io.StringIO(), io.StringIO(), 0
    os.environ.update(env)
    sys.argv, sys.stdin = ["phancap", *args], io.StringIO(stdin or "")
    try:
        with redirect_stdout(out), redirect_stderr(err):
            try:
                main()
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    finally:
        sys.argv, sys.stdin = saved_argv, saved_stdin
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        context = STATE.pop("ctx", None)
        if context is not None and context._db is not None:
            context._db.dispose()
    return subprocess.CompletedProcess(["phancap", *args], code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def loaded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The database the CLI builds with six commands (schema, definitions, HN-2025, three users), built once
    per module by those commands; each test gets its own copy (loaded)."""
    folder = tmp_path_factory.mktemp("cli-loaded")
    run(folder, "db", "upgrade")
    run(folder, "load")
    run(folder, "instantiate", "HN-2025")
    run(folder, "user", "add", "cv.sct", "--unit", "HN-SCT", "--role", "officer")
    run(folder, "user", "add", "dm.stp", "--unit", "HN-STP", "--role", "reviewer")
    run(folder, "user", "add", "pd", "--unit", "HN-UBND", "--role", "approver", "--password-stdin", stdin="bí mật của phê duyệt\n")
    assert not (folder / "cli.db-wal").exists()  # every process closed the database: the one file holds it all
    return folder / "cli.db"


@pytest.fixture
def loaded(loaded_template: Path, tmp_path: Path) -> Path:
    shutil.copy(loaded_template, tmp_path / "cli.db")
    return tmp_path


def test_life_cycle_through_the_cli(loaded: Path) -> None:
    plans = json.loads(run(loaded, "plans", "--json").stdout)
    assert {"code": "HN-2025", "tasks": 9}.items() <= plans[0].items() and set(plans[0]) >= {"code", "title", "issuer", "tasks"}
    tasks = json.loads(run(loaded, "tasks", "--plan", "HN-2025", "--unit", "HN-SCT", "--json").stdout)
    task = next(t for t in tasks if t["task"] == "1.1")
    assert set(task) >= {"id", "plan", "task", "unit", "focal", "state", "deadline", "version"}
    assert (task["unit"], task["focal"], task["deadline"]) == ("HN-SCT", "HN-STP", "2025-04-14")
    tid = str(task["id"])
    may = json.loads(run(loaded, "triggers", tid, "--as", "cv.sct", "--json").stdout)
    assert {m["trigger"] for m in may} == {"submit_for_review", "comment", "request_extension"}
    assert run(loaded, "fire", tid, "submit_for_review", "--as", "cv.sct").stdout.strip() == "in_review"
    refused = run(loaded, "fire", tid, "return", "--as", "dm.stp", check=False)
    assert refused.returncode != 0 and "comment is required" in refused.stderr
    assert run(loaded, "fire", tid, "return", "--as", "dm.stp", "--comment", "Thiếu danh mục").stdout.strip() == "assigned"
    run(loaded, "fire", tid, "submit_for_review", "--as", "cv.sct", "--version", "3")
    run(loaded, "fire", tid, "submit", "--as", "dm.stp")
    assert run(loaded, "fire", tid, "approve", "--as", "pd", "--capacity", "KT.").stdout.strip() == "approved"
    events = json.loads(run(loaded, "history", tid, "--json").stdout)
    assert set(events[0]) >= {"seq", "trigger", "from", "to", "actor", "unit", "role", "capacity", "at", "comment",
                              "prev_hash", "hash"}
    assert [e["trigger"] for e in events] == ["assign", "submit_for_review", "return", "submit_for_review", "submit", "approve"]
    assert events[-1]["capacity"] == "KT."
    assert "OK" in run(loaded, "audit", "verify").stdout


def test_tick_and_verify(loaded: Path) -> None:
    out = json.loads(run(loaded, "--now", "2025-04-15", "tick", "--json").stdout)
    assert out["marked"] == 30 and out["today"] == "2025-04-15"  # 1.1 and 1.2 for 15 departments
    assert json.loads(run(loaded, "tick", "--json", now="2025-04-15").stdout)["marked"] == 0
    assert json.loads(run(loaded, "audit", "verify", "--json").stdout)["ok"] is True


def test_the_worker_sweeps_on_its_own_schedule_and_lists_its_outbox(loaded: Path) -> None:
    first = json.loads(run(loaded, "worker", "--once", "--name", "w1", "--json", now="2025-04-15T08:00+07:00").stdout)
    assert first["sweep"]["marked"] == 30 and first["delivered"] == 0  # nobody ran tick
    again = json.loads(run(loaded, "worker", "--once", "--name", "w1", "--json", now="2025-04-15T08:03+07:00").stdout)
    assert again["sweep"] is None  # the last sweep was three minutes ago (every PHANCAP_SWEEP_MINUTES, 5)
    later = json.loads(run(loaded, "worker", "--once", "--json", now="2025-04-15T08:05+07:00").stdout)
    assert later["sweep"] == {"marked": 0, "today": "2025-04-15", "skipped_locked": False, "unit_changes": []}
    assert json.loads(run(loaded, "outbox", "--json").stdout) == []
    missing = run(loaded, "outbox", "retry", "7", check=False)
    assert missing.returncode == 1 and "no failed delivery 7" in missing.stderr


def test_the_worker_process_beats_and_stops_cleanly_on_sigterm(loaded: Path) -> None:
    import signal
    import sqlite3
    import time

    env = {**os.environ, "DATABASE_URL": f"sqlite:///{loaded / 'cli.db'}", "PHANCAP_NOW": "2025-04-15T08:00+07:00"}
    process = subprocess.Popen([sys.executable, "-m", "phancap", "worker", "--name", "proc"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(300):  # the interpreter's start and the first pass (the sweep), bounded
            with sqlite3.connect(loaded / "cli.db") as conn:
                if conn.execute("SELECT 1 FROM worker_heartbeat WHERE name = 'proc'").fetchone():
                    break
            time.sleep(0.05)
        else:
            pytest.fail("the worker never beat")
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=10)  # it was idle: it stops at once, not after its 5 s poll
    finally:
        process.kill()
    assert process.returncode == 0 and '"worker stopped"' in err and '"deadline sweep"' in err


def test_bad_definition_exits_non_zero_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "wf.yaml"
    bad.write_text("name: x\ninitial: a\nstates:\n  a: {label: A}\ntransitions:\n  - trigger: go\n    source: a\n"
                   "    dest: b\n    grants: [officer@lead]\n", encoding="utf-8")
    result = run(tmp_path, "validate", str(bad), check=False)
    assert result.returncode == 1 and f"{bad}:8: transition 'go': field 'dest': unknown state 'b'" in result.stderr


def test_deadline_command_reads_a_phrase(tmp_path: Path) -> None:
    data = json.loads(run(tmp_path, "deadline", "Trước ngày 15/4/2025", "--json").stdout)
    assert (data["kind"], data["due"]) == ("date", "2025-04-14")
    bad = run(tmp_path, "deadline", "khi nào xong", check=False)
    assert bad.returncode == 2 and '"khi nào xong"' in bad.stderr


def test_offline_verification_catches_removed_newest_events(loaded: Path) -> None:
    tasks = json.loads(run(loaded, "tasks", "--plan", "HN-2025", "--unit", "HN-SCT", "--json").stdout)
    tid = str(next(t for t in tasks if t["task"] == "1.1")["id"])
    run(loaded, "fire", tid, "submit_for_review", "--as", "cv.sct")
    run(loaded, "audit", "checkpoint", "-o", str(loaded / "checkpoint.json"))
    run(loaded, "audit", "export", "-o", str(loaded / "events.jsonl"))
    ok = run(loaded, "audit", "verify", "--events", str(loaded / "events.jsonl"), "--checkpoint", str(loaded / "checkpoint.json"))
    assert "OK" in ok.stdout
    lines = (loaded / "events.jsonl").read_text(encoding="utf-8").splitlines()
    newest = max(i for i, line in enumerate(lines) if json.loads(line)["task_id"] == int(tid))
    (loaded / "cut.jsonl").write_text("\n".join(lines[:newest] + lines[newest + 1:]) + "\n", encoding="utf-8")
    cut = run(loaded, "audit", "verify", "--events", str(loaded / "cut.jsonl"), "--checkpoint",
              str(loaded / "checkpoint.json"), check=False)
    assert cut.returncode == 1 and f"task {tid}: checkpoint is version 2" in cut.stdout


def test_import_plan_writes_a_definition_that_loads(tmp_path: Path) -> None:
    seed = Path(__file__).parent / "seeds" / "000_22f93b5388a59456.txt"
    out = tmp_path / "plans" / "HN-2025.yaml"
    out.parent.mkdir()
    result = run(tmp_path, "import-plan", str(seed), "--code", "HN-2025", "--registry", "HN", "-o", str(out))
    assert result.returncode == 0 and "1.2" in out.read_text(encoding="utf-8")
    assert "OK" in run(tmp_path, "validate", str(tmp_path)).stdout
    bad = tmp_path / "bad.txt"
    bad.write_text("KẾ HOẠCH\n\nII. NỘI DUNG\n\n1. Sở Không Tồn Tại chủ trì rà soát văn bản; hoàn thành sớm nhất có thể.\n",
                   encoding="utf-8")
    refused = run(tmp_path, "import-plan", str(bad), "--registry", "HN", "-o", str(tmp_path / "bad.yaml"), check=False)
    assert refused.returncode == 1 and f"{bad}:" in refused.stderr


def clean_failure(result: subprocess.CompletedProcess[str], *expected: str) -> None:
    """A user's mistake: a non-zero exit, a short message naming the problem, never a traceback."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    for text in expected:
        assert text in result.stderr, result.stderr


def test_user_errors_end_in_one_line_without_a_traceback(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("PHANCAP_SECRET_KEY", "PHANCAP_DEMO")}
    serve = subprocess.run([sys.executable, "-m", "phancap", "serve"], capture_output=True, text=True, timeout=60,
                           env={**env, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"})
    clean_failure(serve, "PHANCAP_SECRET_KEY")
    short = subprocess.run([sys.executable, "-m", "phancap", "serve"], capture_output=True, text=True, timeout=60,
                           env={**env, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "PHANCAP_SECRET_KEY": "short"})
    clean_failure(short, "at least 32")
    clean_failure(run(tmp_path, "--db", "mysql://x/y", "plans", check=False), "DATABASE_URL")
    clean_failure(run(tmp_path, "--db", f"sqlite:///{tmp_path}/no/such/dir.db", "plans", check=False), "database")
    clean_failure(run(tmp_path, "--now", "yesterday-ish", "plans", check=False), "PHANCAP_NOW")
    clean_failure(run(tmp_path, "--db", "sqlite:///x.db", "serve", "--workers", "2", check=False), "DATABASE_URL")
    run(tmp_path, "load")
    clean_failure(run(tmp_path, "user", "add", "a", "--unit", "NOPE", "--role", "officer", check=False),
                  "NOPE", "phancap units list")
    clean_failure(run(tmp_path, "fire", "999", "approve", "--as", "nobody", check=False), "refused [task]")
    undecodable = tmp_path / "plan.txt"
    undecodable.write_bytes(b"\xff\xfe\x00")
    clean_failure(run(tmp_path, "import-plan", str(undecodable), check=False), "utf-8")


def test_units_list(tmp_path: Path) -> None:
    run(tmp_path, "load")
    units = json.loads(run(tmp_path, "units", "list", "--region", "KT", "--json").stdout)
    assert units and all(set(u) == {"code", "name", "kind", "region"} and u["region"] == "KT" for u in units)
    assert "KT-UBND" in {u["code"] for u in units}
    assert "HN-SCT\t" in run(tmp_path, "units", "list").stdout


def test_fire_with_an_evidence_file_uploads_it_for_the_task(loaded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A transition may cite only a file uploaded for that task: --evidence-file uploads it first."""
    import hashlib

    tasks = json.loads(run(loaded, "tasks", "--plan", "HN-2025", "--unit", "HN-SCT", "--json").stdout)
    tid = str(next(t for t in tasks if t["task"] == "1.1")["id"])
    dossier = loaded / "ho-so.pdf"
    dossier.write_bytes(b"%PDF-1.4\n%%EOF\n")
    sha = hashlib.sha256(dossier.read_bytes()).hexdigest()
    monkeypatch.setenv("PHANCAP_EVIDENCE_DIR", str(loaded / "evidence"))
    assert run(loaded, "fire", tid, "submit_for_review", "--as", "cv.sct", "--evidence-file",
               str(dossier)).stdout.strip() == "in_review"
    assert (loaded / "evidence" / sha[:2] / sha).read_bytes() == dossier.read_bytes()
    history = json.loads(run(loaded, "history", tid, "--json").stdout)
    assert history[-1]["evidence"] == {"sha256": sha}
    not_a_pdf = loaded / "x.txt"
    not_a_pdf.write_text("không phải PDF")
    bad = run(loaded, "fire", tid, "submit", "--as", "dm.stp", "--evidence-file", str(not_a_pdf), check=False)
    assert bad.returncode == 3 and "refused [type]" in bad.stderr


def test_user_passwords_follow_the_policy_and_deactivation(loaded: Path) -> None:
    weak = run(loaded, "user", "add", "ld.sct", "--unit", "HN-SCT", "--role", "head", "--password-stdin",
               stdin="a\n", check=False)
    assert weak.returncode == 3 and weak.stderr.count("\n") == 1
    assert "refused [password]: Mật khẩu quá ngắn: cần ít nhất 10 ký tự" in weak.stderr
    named = run(loaded, "user", "passwd", "pd", "--password-stdin", stdin="pd-rat-dai-2025\n", check=False)
    assert named.returncode == 3 and "không được chứa tên đăng nhập" in named.stderr
    common = run(loaded, "user", "passwd", "pd", "--password-stdin", stdin="qwertyuiop\n", check=False)
    assert common.returncode == 3 and "danh sách mật khẩu phổ biến" in common.stderr
    changed = run(loaded, "user", "passwd", "pd", "--password-stdin", stdin="mot cau that dai\n", process=True)
    assert changed.stdout.strip() == "user pd: password changed; 0 session(s) ended"
    import sqlite3

    with sqlite3.connect(loaded / "cli.db") as stored:
        [hashed] = stored.execute("SELECT password_hash FROM app_user WHERE name = 'pd'").fetchone()
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")  # the shipped profile (tests in-process use a cheap one)
    assert run(loaded, "user", "deactivate", "pd").stdout.strip() == "user pd: deactivated; 0 session(s) ended"
    gone = run(loaded, "user", "passwd", "nobody", "--password-stdin", stdin="mot cau that dai\n", check=False)
    assert gone.returncode == 3 and "no user 'nobody'" in gone.stderr
    assert run(loaded, "user", "activate", "pd").stdout.strip() == "user pd: active"


def test_users_import_lists_rejected_rows_and_writes_nothing_until_they_are_fixed(loaded: Path) -> None:
    csv_file = loaded / "users.csv"
    csv_file.write_text("name,unit,roles,email\ncv.a,HN-SCT,officer,a@sct.hanoi.gov.vn\ncv.b,HN-NOPE,officer,\n",
                        encoding="utf-8")
    refused = run(loaded, "users", "import", str(csv_file), "--json", check=False)
    assert refused.returncode == 1
    out = json.loads(refused.stdout)
    assert out["applied"] == 0 and [(r["line"], r["field"]) for r in out["rejected"]] == [(3, "unit")]
    assert "cv.a" not in run(loaded, "users", "list").stdout
    text_out = run(loaded, "users", "import", str(csv_file), check=False).stdout
    assert "line 3: cv.b: unit: không có đơn vị 'HN-NOPE'" in text_out and "nothing was changed" in text_out
    csv_file.write_text("name,unit,roles,email\ncv.a,HN-SCT,officer,a@sct.hanoi.gov.vn\ncv.b,HN-STC,officer;head,\n",
                        encoding="utf-8")
    assert run(loaded, "users", "import", str(csv_file), "--dry-run", "--json").returncode == 0
    assert "cv.a" not in run(loaded, "users", "list").stdout
    applied = json.loads(run(loaded, "users", "import", str(csv_file), "--json").stdout)
    assert applied["applied"] == 2 and sorted(applied["passwords"]) == ["cv.a", "cv.b"]
    users = {u["name"]: u for u in json.loads(run(loaded, "users", "list", "--json").stdout)}
    assert users["cv.b"]["roles"] == ["head", "officer"] and users["cv.a"]["email"] == "a@sct.hanoi.gov.vn"
    events = json.loads(run(loaded, "admin-events", "--action", "user.", "--json").stdout)
    assert [(e["actor"], e["subject"], e["data"].get("line")) for e in events][-2:] == [("console", "cv.a", 2),
                                                                                       ("console", "cv.b", 3)]


def test_user_update_and_reset_password(loaded: Path) -> None:
    updated = json.loads(run(loaded, "user", "update", "cv.sct", "--role", "officer,head", "--email", "x@sct.vn",
                             "--json").stdout)
    assert updated["changes"]["roles"] == [["officer"], ["head", "officer"]] and updated["action"] == "user.update"
    reset = run(loaded, "user", "reset-password", "cv.sct").stdout
    assert "temporary password (shown once): " in reset
    refused = run(loaded, "user", "update", "cv.sct", "--role", "boss", check=False)
    assert refused.returncode == 3 and "boss" in refused.stderr and refused.stderr.count("\n") == 1


def test_fire_takes_a_proposed_deadline_and_inbox_lists_what_awaits(loaded: Path) -> None:
    tasks = json.loads(run(loaded, "tasks", "--plan", "HN-2025", "--unit", "HN-SCT", "--json").stdout)
    tid = next(t for t in tasks if t["task"] == "1.1")["id"]
    waiting = json.loads(run(loaded, "inbox", "--as", "cv.sct", "--json").stdout)
    assert tid in [w["id"] for w in waiting] and {"id", "plan", "task", "unit", "state", "deadline", "category",
                                                   "actions"} <= set(waiting[0])
    bad = run(loaded, "fire", str(tid), "request_extension", "--as", "cv.sct", "--comment", "x",
              "--proposed-deadline", "31/13/2025", check=False)
    assert bad.returncode == 2 and "not a date" in bad.stderr
    run(loaded, "fire", str(tid), "request_extension", "--as", "cv.sct", "--comment", "Chờ ý kiến Bộ",
        "--proposed-deadline", "31/05/2025")
    assert json.loads(run(loaded, "history", str(tid), "--json").stdout)[-1]["data"]["proposed_deadline"] == "2025-05-31"
    assert run(loaded, "inbox", "--as", "dm.stp").stdout.strip() == "(nothing awaits you)"


def test_the_command_line_schedules_lists_and_the_sweep_applies(loaded: Path) -> None:
    run(loaded, "user", "add", "qt", "--unit", "KT-UBND", "--role", "admin")
    out = json.loads(run(loaded, "units", "succeed", "KT-PDT", "--by", "QNG-SNV", "--effective", "2025-07-01",
                         "--decision", "Nghị quyết số 1678/NQ-UBTVQH15", "--as", "qt", "--json").stdout)
    assert out["status"] == "scheduled"
    listed = run(loaded, "units", "changes")
    assert "2025-07-01\tscheduled\tsucceed\tKT-PDT -> QNG-SNV" in listed.stdout
    swept = json.loads(run(loaded, "tick", "--json", now="2025-07-01T00:05+07:00").stdout)
    assert [(u["change"], u["status"]) for u in swept["unit_changes"]] == [(out["scheduled"], "applied")]
    assert "applied" in run(loaded, "units", "changes", "--status", "applied").stdout


def test_reports_list_and_export(loaded: Path) -> None:
    import io

    from docx import Document
    from openpyxl import load_workbook

    run(loaded, "reports", "create", "HN-2025", "--period", "semiannual", "--year", "2025")
    listed = json.loads(run(loaded, "reports", "list", "--plan", "HN-2025", "--json").stdout)
    ward = next(r for r in listed if r["reporter"] == "HN-P-HOANKIEM")
    assert set(ward) >= {"id", "reporter", "recipients", "period", "state", "due"}
    assert [x["unit"] for x in ward["recipients"]] == ["HN-SKHCN", "HN-SNV", "HN-STC", "HN-STP"]
    assert (ward["period"], ward["state"], ward["due"]) == ("BC-2025-6T", "assigned", "2025-06-09")
    assert len([r for r in listed if r["reporter"] == "HN-P-HOANKIEM"]) == 1  # one report, four recipients
    seen = json.loads(run(loaded, "reports", "list", "--as", "cv.sct", "--json").stdout)
    assert seen == []  # Sở Công Thương neither writes nor receives one
    stp = json.loads(run(loaded, "reports", "list", "--as", "dm.stp", "--json").stdout)
    assert len(stp) == 126 + 1  # what the communes send it, and its own to Sở Nội vụ

    own = next(r for r in stp if r["reporter"] == "HN-STP")
    out = loaded / "bc.docx"
    assert run(loaded, "reports", "export", str(own["id"]), "--format", "docx", "-o", str(out)).stdout.strip() == str(out)
    doc = Document(io.BytesIO(out.read_bytes()))
    assert doc.tables[0].cell(1, 0).text == "Số: …/BC-STP" and round(doc.sections[0].page_width.mm) == 210
    sheet = loaded / "bc.xlsx"
    run(loaded, "reports", "export", str(own["id"]), "--format", "xlsx", "-o", str(sheet), "--as", "dm.stp")
    assert load_workbook(io.BytesIO(sheet.read_bytes())).sheetnames[0] == "Theo phân loại"
    refused = run(loaded, "reports", "export", str(own["id"]), "--format", "xlsx", "-o", str(sheet), "--as", "cv.sct",
                  check=False)
    assert refused.returncode == 3 and "not visible" in refused.stderr and "Traceback" not in refused.stderr
    wrong = run(loaded, "reports", "export", str(own["id"]), "--format", "pdf", "-o", str(sheet), check=False)
    assert wrong.returncode == 2 and "docx or xlsx" in wrong.stderr


def test_assign_inbox_notifications_and_the_digest_through_the_cli(loaded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_notify import Inbox, free_port
    from aiosmtpd.controller import Controller

    run(loaded, "user", "add", "ld.sct", "--unit", "HN-SCT", "--role", "head")
    tasks = json.loads(run(loaded, "tasks", "--plan", "HN-2025", "--unit", "HN-SCT", "--json").stdout)
    tid = str(next(t for t in tasks if t["task"] == "1.2")["id"])
    done = json.loads(run(loaded, "assign", tid, "--to", "cv.sct", "--as", "ld.sct", "--json").stdout)
    assert (done["assignee"], done["assignee_from"], done["version"]) == ("cv.sct", None, 2)
    other = run(loaded, "assign", tid, "--to", "dm.stp", "--as", "ld.sct", check=False)
    assert other.returncode == 3 and "không thuộc đơn vị chủ trì" in other.stderr and "Traceback" not in other.stderr
    waiting = json.loads(run(loaded, "inbox", "--as", "cv.sct", "--json").stdout)
    assert (str(waiting[0]["id"]), waiting[0]["assignee"]) == (tid, "cv.sct")
    told = json.loads(run(loaded, "notifications", "--as", "cv.sct", "--json").stdout)
    assert told["unread"] == 1 and [(n["kind"], str(n["task"])) for n in told["items"]] == [("assign_officer", tid)]

    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        run(loaded, "user", "update", "cv.sct", "--email", "congthuong@hanoi.gov.vn")
        monkeypatch.setenv("PHANCAP_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("PHANCAP_SMTP_PORT", str(port))
        sent = json.loads(run(loaded, "digest", "--send", "--json").stdout)
        again = json.loads(run(loaded, "digest", "--send", "--json").stdout)
    finally:
        controller.stop()
    assert again["sent"] == [] and again["errors"] == []  # once per user and day, however often it runs
    [row] = json.loads(run(loaded, "outbox", "--json").stdout)
    assert (row["kind"], row["status"], row["to"], row["attempts"]) == ("email", "delivered", "congthuong@hanoi.gov.vn", 1)
    assert [u["user"] for u in sent["users"]] == ["cv.sct"] and sent["sent"] == ["congthuong@hanoi.gov.vn"]
    assert len(inbox.messages) == 1 and inbox.messages[0]["To"] == "congthuong@hanoi.gov.vn"
