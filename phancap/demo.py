"""The demo: a fresh SQLite database with both seed plans, their 2025 periodic reports and one user per role."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from phancap.engine.clock import Clock
from phancap.engine.db import Database
from phancap.engine.instantiate import instantiate
from phancap.engine.loader import read_definitions, store_definitions
from phancap.engine.reports import create_reports
from phancap.engine.users import User, add_user
from phancap.engine.workflows import load_workflows

DEMO_START = "2025-04-01T08:00:00+07:00"  # the demo's simulated clock starts when the plans were new
# Every demo user's password. It passes the password policy (engine/passwords.py) like any other: at
# least 10 characters, no user name in it, not a common password. The demo prints it.
DEMO_PASSWORD = "thu-nghiem-phan-cap"

# name, unit, roles: a cast covering every role on both plans.
DEMO_USERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("cv.sct", "HN-SCT", ("officer",)),            # an officer of a lead department
    ("ld.sct", "HN-SCT", ("head",)),
    ("dm.stp", "HN-STP", ("reviewer", "appraiser")),  # focal of 1.1; justice body
    ("dm.snv", "HN-SNV", ("reviewer", "monitor")),  # focal of 1.2 and 2.3; monitor of the plan
    ("cv.snv", "HN-SNV", ("officer",)),             # sends Sở Nội vụ's consolidated report to UBND
    ("dm.stc", "HN-STC", ("reviewer",)),
    ("pd.ubnd", "HN-UBND", ("approver",)),          # the City People's Committee
    ("kiemtoan", "HN-SNV", ("auditor",)),
    ("cv.phtp", "KT-PTP", ("officer", "appraiser")),
    ("dm.pnv", "KT-PNV", ("reviewer", "monitor")),
    ("pd.huyen", "KT-UBND", ("approver",)),
    ("cv.xa1", "KT-X-01", ("officer",)),
    ("cv.hoankiem", "HN-P-HOANKIEM", ("officer",)),  # a Hà Nội ward: sends its periodic reports
    ("cv.socson", "HN-X-SOCSON", ("officer",)),      # a Hà Nội commune
    ("admin", "HN-VPUB", ("admin",)),
)

# The 2025 periodic reports. The plans give no date for Sở Nội vụ's consolidation (HN) nor for Phòng
# Nội vụ's report to the district (KT): those are due on the dates configured here.
DEMO_REPORTS: tuple[tuple[str, str, int, date], ...] = (
    ("HN-2025", "semiannual", 2025, date(2025, 6, 20)),
    ("HN-2025", "annual", 2025, date(2025, 12, 20)),
    ("KT-2025", "semiannual", 2025, date(2025, 6, 20)),
    ("KT-2025", "annual", 2025, date(2025, 12, 20)),
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
        for plan, period, year, due in DEMO_REPORTS:
            create_reports(db, workflows, clock, plan, period, year, due)
        return [add_user(db, name, unit, list(roles), clock, password=DEMO_PASSWORD)
                for name, unit, roles in DEMO_USERS]
    finally:
        db.dispose()
