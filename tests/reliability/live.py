"""A real server for the reliability tests: `uvicorn api.app:create_app --factory --workers 2` in its own
process group (so SIGKILL reaches the supervisor and every worker at once), over a database URL."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from phancap.api.security import Signer
from phancap.engine.clock import Clock
from phancap.engine.db import Database

SECRET = "reliability-tests-secret-key-0123456789abcdef"
START = "2025-04-01T09:00:00+07:00"
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A free port below Linux's ephemeral range (32768-60999): a restarted server must get its port back,
    and a port the kernel hands out for `bind(0)` or a client's source port could be taken meanwhile by
    another test process."""
    rng = random.Random()
    while True:
        port = rng.randrange(20000, 32000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


DATABASE_OF: dict[str, str] = {}  # a server's base URL -> its database URL
_TOKENS: dict[tuple[str, str], str] = {}


def token(user: str, base: str) -> str:
    """A bearer token for the server at `base`: signed on the server's fixed clock (a token stamped after
    the server's now is refused) with its session row in the server's database (sessions are revocable)."""
    key = (base, user)
    if key not in _TOKENS:
        db = Database(DATABASE_OF[base])
        try:
            _TOKENS[key] = Signer(SECRET, clock=Clock.parse(START), db=db).token(user)
        finally:
            db.dispose()
    return _TOKENS[key]


def auth(user: str, base: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(user, base)}"}


class Server:
    """Start, SIGKILL and restart the server; the port stays the same across restarts."""

    def __init__(self, database_url: str, workdir: Path, workers: int = 2, extra_env: dict[str, str] | None = None) -> None:
        self.url = database_url
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        DATABASE_OF[self.base] = database_url
        self.workers = workers
        self.workdir = workdir
        self.env = {**os.environ, "DATABASE_URL": database_url, "PHANCAP_SECRET_KEY": SECRET, "PHANCAP_NOW": START,
                    "PHANCAP_EVIDENCE_DIR": str(workdir / "evidence"), "PYTHONPATH": str(ROOT),
                    "PHANCAP_SQLITE_SYNCHRONOUS": "FULL",
                    **(extra_env or {})}
        self.env.pop("PHANCAP_DEMO", None)
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, timeout: float = 60.0) -> None:
        log = (self.workdir / f"server-{self.starts}.log").open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "phancap.api.app:create_app", "--factory", "--workers", str(self.workers),
             "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning", "--no-access-log"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self.starts += 1
        deadline = time.monotonic() + timeout
        ready = 0
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1.0).status_code == 200:
                    ready += 1
                    if ready >= self.workers:
                        return
                    continue
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"server did not answer /healthz within {timeout} s: {self.log_tail()}")

    def log_tail(self) -> str:
        logs = sorted(self.workdir.glob("server-*.log"), key=lambda p: p.stat().st_mtime)
        return logs[-1].read_text(errors="replace")[-3000:] if logs else ""

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown handler, no flush, nothing graceful."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)
        self._reap_group()
        self.proc = None

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=15)
        self._reap_group()
        self.proc = None

    def _reap_group(self) -> None:
        """Wait until no live process of the group is left (orphaned zombies do not count)."""
        assert self.proc is not None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and group_members(self.proc.pid):
            time.sleep(0.01)

    def workers_alive(self) -> int:
        """Processes of the server's group besides the supervisor."""
        return len(group_members(self.proc.pid)) - 1 if self.proc else 0


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes whose process group is pgid, from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] != "Z" and int(fields[2]) == pgid:
            found.append(int(entry))
    return found


def authority_tasks(db: Database, limit: int) -> list[int]:
    """plan_task instances of HN-2025 that the City People's Committee approves (pd.ubnd may comment
    on each and withdraw it): the load the tests fire."""
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT id FROM task_instance WHERE plan = 'HN-2025' AND workflow = 'plan_task' "
                                 "AND authority = 'HN-UBND' AND kind = 'task' AND state = 'assigned' ORDER BY id "
                                 "LIMIT :n"), {"n": limit}).all()
    ids = [int(r[0]) for r in rows]
    assert len(ids) == limit, f"only {len(ids)} such tasks"
    return ids


def events(db: Database) -> dict[tuple[int, int], str]:
    """(task, seq) -> hash of every audit event."""
    with db.engine.connect() as conn:
        return {(int(t), int(s)): h for t, s, h in conn.execute(text("SELECT task_id, seq, hash FROM audit_event"))}


def task_rows(db: Database) -> dict[int, tuple[str, int, str]]:
    with db.engine.connect() as conn:
        return {int(i): (s, int(v), h) for i, s, v, h in
                conn.execute(text("SELECT id, state, version, last_hash FROM task_instance"))}


def post_transition(client: httpx.Client, base: str, user: str, task_id: int, body: dict[str, Any],
                    key: str | None = None) -> httpx.Response:
    headers = auth(user, base) | ({"Idempotency-Key": key} if key else {})
    return client.post(f"{base}/api/v1/tasks/{task_id}/transitions", json=body, headers=headers)
