"""The demo: a fresh SQLite database with both seed plans and one user per role."""

from __future__ import annotations

from pathlib import Path

from engine.clock import Clock
from engine.db import Database
from engine.instantiate import instantiate
from engine.loader import read_definitions, store_definitions
from engine.users import User, add_user
from engine.workflows import load_workflows

DEMO_START = "2025-04-01T08:00:00+07:00"  # the demo's simulated clock starts when the plans were new

# name, unit, roles: a cast covering every role on both plans.
DEMO_USERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("cv.sct", "HN-SCT", ("officer",)),            # an officer of a lead department
    ("ld.sct", "HN-SCT", ("head",)),
    ("dm.stp", "HN-STP", ("reviewer", "appraiser")),  # focal of 1.1; justice body
    ("dm.snv", "HN-SNV", ("reviewer", "monitor")),  # focal of 1.2 and 2.3; monitor of the plan
    ("dm.stc", "HN-STC", ("reviewer",)),
    ("pd.ubnd", "HN-UBND", ("approver",)),          # the City People's Committee
    ("kiemtoan", "HN-SNV", ("auditor",)),
    ("cv.phtp", "KT-PTP", ("officer", "appraiser")),
    ("dm.pnv", "KT-PNV", ("reviewer", "monitor")),
    ("pd.huyen", "KT-UBND", ("approver",)),
    ("cv.xa1", "KT-X-01", ("officer",)),
    ("admin", "HN-VPUB", ("admin",)),
)


def build_demo(path: Path, clock: Clock) -> list[User]:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = Database(f"sqlite:///{path.resolve()}")
    try:
        db.upgrade()
        workflows = load_workflows()
        store_definitions(db, read_definitions(None, set(workflows)), clock)
        for plan in ("HN-2025", "KT-2025"):
            instantiate(db, plan, workflows, clock)
        return [add_user(db, name, unit, list(roles), clock, password=name) for name, unit, roles in DEMO_USERS]
    finally:
        db.dispose()
