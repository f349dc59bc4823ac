"""Several processes on one database: deadline sweeps run one at a time (advisory lock on
PostgreSQL, the write lock on SQLite) and each task goes overdue exactly once."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sqlalchemy import text

from phancap.engine.queries import list_tasks, verify_audit
from phancap.engine.runtime import TaskEngine

pytestmark = pytest.mark.slow  # four sweeping processes


def test_concurrent_sweeps_in_separate_processes(seeded: TaskEngine, database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "PHANCAP_NOW": "2025-05-01"}
    procs = [subprocess.Popen([sys.executable, "-m", "phancap", "tick", "--json"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    overdue = len(list_tasks(seeded.db, state="overdue"))
    assert overdue > 0 and sum(o["marked"] for o in outputs) == overdue
    with seeded.db.engine.connect() as conn:
        marks = conn.execute(text("SELECT task_id, COUNT(*) FROM audit_event WHERE trigger = 'mark_overdue' "
                                  "GROUP BY task_id HAVING COUNT(*) > 1")).all()
    assert marks == []
    assert verify_audit(seeded.db).ok
