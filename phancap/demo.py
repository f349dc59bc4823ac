"""The demo: a fresh SQLite database with both seed plans, their 2025 periodic reports, one user per role, and
the Kon Tum district's succession on 1/7/2025 scheduled (applied when the demo clock reaches that day)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from phancap.engine.clock import Clock
from phancap.engine.db import Database
from phancap.engine.instantiate import instantiate
from phancap.engine.loader import read_definitions, store_definitions
from phancap.engine.reports import create_reports
from phancap.engine.succession import succeed_units
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
    ("admin.kt", "KT-UBND", ("admin",)),            # schedules the district's succession (DEMO_SUCCESSIONS)
    # Quảng Ngãi, which Kon Tum joined: after 1/7/2025 its departments carry the district's open tasks
    ("cv.stp.qng", "QNG-STP", ("officer",)),
    ("dm.snv.qng", "QNG-SNV", ("reviewer", "monitor")),
    ("pd.qng", "QNG-UBND", ("approver",)),
)

# From 1 July 2025 the district level is abolished and Kon Tum joins Quảng Ngãi (Resolution 202/2025/QH15);
# the demo hands the district's People's Committee and offices to the province's bodies of the same field,
# scheduled at build time and applied by the deadline sweep when the demo clock reaches that day. The
# pairing is the demo's illustration, not a decision any province issued. Ethnic affairs (Phòng Dân tộc) has
# no counterpart in the national registry (its Sở Dân tộc và Tôn giáo is not listed for Quảng Ngãi): it stays.
DEMO_SUCCESSION_DAY = date(2025, 7, 1)
DEMO_SUCCESSION_DECISION = "Nghị quyết số 202/2025/QH15 ngày 12/6/2025 của Quốc hội (minh họa trong bản demo)"
DEMO_SUCCESSIONS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("KT-UBND",), "QNG-UBND"), (("KT-HDND",), "QNG-HDND"), (("KT-PNV", "KT-PLDTBXH"), "QNG-SNV"),
    (("KT-PTP",), "QNG-STP"), (("KT-PTCKH",), "QNG-STC"), (("KT-PVHTT",), "QNG-SVHTTDL"),
    (("KT-PGDDT",), "QNG-SGDDT"), (("KT-PYT",), "QNG-SYT"), (("KT-TTH",), "QNG-TT"), (("KT-VP",), "QNG-VPUB"),
    (("KT-PNNPTNT", "KT-PTNMT"), "QNG-SNNMT"), (("KT-PKTHT",), "QNG-SXD"),
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
        users = [add_user(db, name, unit, list(roles), clock, password=DEMO_PASSWORD) for name, unit, roles in DEMO_USERS]
        if clock.today() < DEMO_SUCCESSION_DAY:
            scheduler = next(u for u in users if u.name == "admin.kt")
            for olds, successor in DEMO_SUCCESSIONS:
                succeed_units(db, workflows, clock, scheduler, list(olds), successor, DEMO_SUCCESSION_DAY,
                              DEMO_SUCCESSION_DECISION)
        return users
    finally:
        db.dispose()
