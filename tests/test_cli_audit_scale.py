"""`phancap audit verify --incremental` and `phancap audit export --after` (issue 16)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_cli import loaded, loaded_template, run  # noqa: F401  (fixtures)


def test_verify_incremental_and_export_by_keyset(loaded: Path) -> None:  # noqa: F811
    full = json.loads(run(loaded, "audit", "verify", "--json").stdout)
    assert full["ok"] and full["checkpoint"]["kind"] == "full" and full["checkpoint"]["up_to_event"] == full["events"]
    nothing = run(loaded, "audit", "verify", "--incremental")
    assert nothing.stdout.startswith(f"OK: 0 new events of 0 tasks verify (checked up to event {full['events']})")
    run(loaded, "--now", "2025-04-16", "tick")
    later = json.loads(run(loaded, "audit", "verify", "--incremental", "--json").stdout)
    assert later["ok"] and 0 < later["events"] < full["events"] and later["checkpoint"]["from_event"] == full["events"]
    seen, after = [], 0
    while True:
        page = run(loaded, "audit", "export", "--after", str(after), "--limit", "50")
        seen.extend(json.loads(line)["id"] for line in page.stdout.splitlines())
        cursor = page.stderr.strip().removeprefix("next: ")
        if cursor == "none":
            break
        after = int(cursor)
    assert len(seen) == len(set(seen)) == full["events"] + later["events"]
    assert len(run(loaded, "audit", "export").stdout.splitlines()) == len(seen)
