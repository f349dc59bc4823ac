"""The national registry (issue 12): the official list of provinces and commune-level units, names as
plans write them, diacritic-free search, loading after the first load, and audited unit changes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from phancap.engine import admin_log
from phancap.engine.clock import Clock
from phancap.engine.db import Database
from phancap.engine.errors import Forbidden, Refusal
from phancap.engine.instantiate import instantiate
from phancap.engine.loader import read_definitions, shipped_definitions_dir, store_definitions, stored_registry
from phancap.engine.machine import WorkflowMachine
from phancap.engine.organisations import name_key
from phancap.engine.queries import list_tasks
from phancap.engine.units import (add_unit, deactivate_unit, list_groups, list_registries, rename_unit,
                                  search_units)
from phancap.engine.users import add_user, get_user

QT_PLAN_DIR = Path(__file__).parent / "registry_data" / "qt_plans"
QT_PLAN = QT_PLAN_DIR / "QT-2025.yaml"
COMMUNE_LEVEL = ("commune", "ward", "special_zone")
# Decision 19/2025/QĐ-TTg: commune-level units per province (official code), 3,321 in all.
OFFICIAL_COUNTS = {
    "01": 126, "04": 56, "08": 124, "11": 45, "12": 38, "14": 75, "15": 99, "19": 92, "20": 65, "22": 54, "24": 99,
    "25": 148, "31": 114, "33": 104, "37": 129, "38": 166, "40": 130, "42": 69, "44": 78, "46": 40, "48": 94,
    "51": 96, "52": 135, "56": 65, "66": 102, "68": 124, "75": 95, "79": 168, "80": 96, "82": 102, "86": 124,
    "91": 102, "92": 103, "96": 64,
}
DEPARTMENTS = {"SNV", "STP", "STC", "SXD", "SNNMT", "SCT", "SKHCN", "SVHTTDL", "SGDDT", "SYT", "TT", "VPUB"}


def _provinces(db: Database) -> dict[str, dict[str, Any]]:
    return {r["code"]: r for r in list_registries(db) if r["kind"] in ("province", "city")}


def _snapshot(db: Database) -> dict[str, list[Any]]:
    queries = {
        "unit": "SELECT * FROM unit ORDER BY code",
        "unit_group": "SELECT * FROM unit_group ORDER BY region, name",
        "registry": "SELECT * FROM registry ORDER BY code",
        "plan": "SELECT code, title, region, issuer, authority, monitor, justice, definition FROM plan ORDER BY code",
        "plan_task": "SELECT * FROM plan_task ORDER BY plan, number",
        "task_instance": "SELECT id, plan, task, unit, state, version FROM task_instance ORDER BY id",
        "admin_event": "SELECT * FROM admin_event ORDER BY id",
    }
    with db.engine.connect() as conn:
        return {name: [tuple(r) for r in conn.execute(text(q)).all()] for name, q in queries.items()}


def test_counts_per_province_match_the_official_list(db: Database) -> None:
    provinces = _provinces(db)
    assert len(provinces) == 34
    assert {r["official_code"] for r in provinces.values()} == set(OFFICIAL_COUNTS)
    units = search_units(db)
    per_province = {p["official_code"]: sum(1 for u in units if u["registry"] == code and u["kind"] in COMMUNE_LEVEL)
                    for code, p in provinces.items()}
    assert per_province == OFFICIAL_COUNTS
    communes = [u for u in units if u["kind"] in COMMUNE_LEVEL and u["registry"] != "KT"]
    assert len(communes) == 3321
    assert {k: sum(u["kind"] == k for u in communes) for k in COMMUNE_LEVEL} == {
        "commune": 2621, "ward": 687, "special_zone": 13}
    assert provinces["HN"]["official_code"] == "01" and per_province["01"] == 126
    assert provinces["QT"]["name"] == "Tỉnh Quảng Trị" and per_province["44"] == 78
    hn = [u for u in communes if u["registry"] == "HN"]
    assert (sum(u["kind"] == "ward" for u in hn), sum(u["kind"] == "commune" for u in hn)) == (51, 75)
    assert all(u["official_code"] and len(u["official_code"]) == 5 and u["official_name"] for u in communes)
    assert len({u["official_code"] for u in communes}) == 3321


def test_every_province_has_its_committee_council_departments_and_groups(db: Database) -> None:
    units = {u["code"]: u for u in search_units(db)}
    groups = {(g["registry"], g["name"]): g for g in list_groups(db)}
    for code in _provinces(db):
        assert units[f"{code}-UBND"]["kind"] == "people_committee" and units[f"{code}-HDND"]["kind"] == "people_council"
        commune_level = {c for c, u in units.items() if u["registry"] == code and u["kind"] in COMMUNE_LEVEL}
        assert all(units[c]["parent"] == f"{code}-UBND" and units[c]["name"].startswith("UBND ") for c in commune_level)
        departments = {c for c, u in units.items() if u["registry"] == code and u["kind"] == "department"}
        if code == "HN":  # hand-written: its 15 departments and codes as they were
            assert len(departments) == 15 and "HN-SNV" in departments and "HN-SVHTT" in departments
            local = groups[("HN", "Chính quyền địa phương cấp cơ sở")]
            assert "UBND các xã, phường" in local["aliases"]
        else:
            assert departments == {f"{code}-{s}" for s in DEPARTMENTS}
            local = groups[(code, "UBND các xã, phường")]
            assert "Chính quyền địa phương cấp cơ sở" in local["aliases"]
            assert set(groups[(code, "Các Sở, ngành")]["members"]) == departments
        assert set(local["members"]) == commune_level
    assert units["QT-TT"]["name"] == "Thanh tra tỉnh" and units["DN-TT"]["name"] == "Thanh tra thành phố"
    assert units["HN-P-HOANKIEM"]["official_code"] == "00070" and units["HN-P-HOANKIEM"]["official_name"] == "Phường Hoàn Kiếm"
    assert units["HN-X-SOCSON"]["name"] == "UBND xã Sóc Sơn"
    central = [u for u in units.values() if u["registry"] == "CP"]
    assert len(central) == 17 and {u["kind"] for u in central} == {"ministry"}
    assert any(u["kind"] == "special_zone" and u["name"].startswith("UBND đặc khu ") for u in units.values())
    assert {r["code"]: r["kind"] for r in list_registries(db)}["KT"] == "district"  # history, kept


def test_names_match_ignoring_case_with_abbreviations_and_old_names(workflows: dict[str, WorkflowMachine]) -> None:
    registry = read_definitions(None, set(workflows)).registry
    assert registry.find("HN", "Uỷ ban nhân dân TP Hà Nội") == "HN-UBND"
    assert registry.find("HN", "ubnd thành phố") == "HN-UBND"
    assert registry.find("HN", "Sở Văn hoá và Thể thao") == "HN-SVHTT"
    assert registry.find("QT", "Sở VHTTDL") == "QT-SVHTTDL"
    assert registry.find("QT", "Sở Văn hoá, Thể thao và Du lịch") == "QT-SVHTTDL"
    assert registry.find("QT", "HĐND TỈNH") == "QT-HDND"
    assert registry.find("QT", "Ủy ban nhân dân xã Cam Lộ") == "QT-X-CAMLO"
    assert registry.find("CP", "Bộ Kế hoạch và Đầu tư") == "CP-BTC"  # an old name, merged in 2025
    assert registry.find("QT", "Sở Tư pháp") == "QT-STP" and registry.find("QNG", "Sở Tư pháp") == "QNG-STP"
    assert registry.find("QT", "Sở Du lịch") is None  # Hà Nội's, not Quảng Trị's
    assert name_key("Phòng Tài chính – Kế hoạch") == name_key("phòng tài chính - kế hoạch")
    assert registry.expand("QT", "chính quyền địa phương cấp cơ sở") == registry.expand("QT", "UBND các xã, phường")


def test_search_ignores_case_and_diacritics(db: Database) -> None:
    assert [u["code"] for u in search_units(db, search="so tu phap quang tri")] == ["QT-STP"]
    assert [u["code"] for u in search_units(db, search="SỞ TƯ PHÁP Quảng Trị")] == ["QT-STP"]
    assert [u["code"] for u in search_units(db, search="hoan kiem")] == ["HN-P-HOANKIEM"]
    assert {u["code"] for u in search_units(db, region="QT", search="cam lo")} == {"QT-X-CAMLO"}
    assert [u["code"] for u in search_units(db, region="QT", kind="people_committee")] == ["QT-UBND"]
    dak = search_units(db, search="dac khu", kind="special_zone")
    assert len(dak) == 13


def test_a_plan_file_alone_loads_into_a_seeded_database_and_fans_out(
        seeded: Any, db: Database, workflows: dict[str, WorkflowMachine], clock: Clock) -> None:
    before = _snapshot(db)
    defs = read_definitions(QT_PLAN, set(workflows), stored_registry(db))
    store_definitions(db, defs, clock)
    result = instantiate(db, "QT-2025", workflows, clock)
    tasks = list_tasks(db, plan="QT-2025")
    by_task: dict[str, set[str]] = {}
    for t in tasks:
        by_task.setdefault(str(t["task"]), set()).add(str(t["unit"]))
    qt = {u["code"]: u for u in search_units(db, region="QT")}
    communes = {c for c, u in qt.items() if u["kind"] in COMMUNE_LEVEL}
    assert len(communes) == 78 and by_task["1.2"] == communes
    assert by_task["1.1"] == {c for c, u in qt.items() if u["kind"] == "department"} and len(by_task["1.1"]) == 12
    assert by_task["1.3"] == {"QT-STP"}  # "Sở Tư pháp": a unit's name, resolved in the plan's registry
    assert result.created == len(tasks) == 12 + 78 + 1
    assert {t["focal"] for t in tasks if t["task"] == "1.2"} == {"QT-SNV"}
    body = qt["QT-X-CAMLO-VP"]  # a commune body, created when the plan first named it
    assert (body["name"], body["kind"], body["parent"]) == ("Văn phòng HĐND và UBND xã Cam Lộ", "office", "QT-X-CAMLO")
    after = _snapshot(db)
    assert after["plan"][:len(before["plan"])] != [] and len(after["plan"]) == len(before["plan"]) + 1
    assert len(after["unit"]) == len(before["unit"]) + 1
    assert [r for r in after["task_instance"] if r[1] != "QT-2025"] == before["task_instance"]
    # again, alone or in its folder: nothing changes
    store_definitions(db, read_definitions(QT_PLAN, set(workflows), stored_registry(db)), clock)
    store_definitions(db, read_definitions(QT_PLAN_DIR, set(workflows), stored_registry(db)), clock)
    assert instantiate(db, "QT-2025", workflows, clock).created == 0
    assert _snapshot(db) == after


def test_the_shipped_folder_loads_again_and_twice_changes_nothing(
        db: Database, workflows: dict[str, WorkflowMachine], clock: Clock) -> None:
    before = _snapshot(db)
    for _ in range(2):
        store_definitions(db, read_definitions(shipped_definitions_dir(), set(workflows), stored_registry(db)), clock)
        store_definitions(db, read_definitions(None, set(workflows)), clock)
    assert _snapshot(db) == before
    plans_only = shipped_definitions_dir() / "plans"
    store_definitions(db, read_definitions(plans_only, set(workflows), stored_registry(db)), clock)
    assert _snapshot(db) == before


def _admin(db: Database, clock: Clock, name: str, unit: str, roles: tuple[str, ...] = ("admin",)) -> Any:
    add_user(db, name, unit, list(roles), clock)
    user = get_user(db, name)
    assert user is not None
    return user


def test_units_add_rename_deactivate_are_audited(db: Database, workflows: dict[str, WorkflowMachine],
                                                 clock: Clock) -> None:
    qt_admin = _admin(db, clock, "qt.admin", "QT-VPUB")
    hn_admin = _admin(db, clock, "hn.admin", "HN-VPUB")
    officer = _admin(db, clock, "qt.officer", "QT-SNV", ("officer",))
    body = add_unit(db, qt_admin, clock, "QT-X-CAMLO-PVHXH", comment="cần cho kế hoạch")
    assert (body["name"], body["parent"]) == ("Phòng Văn hóa - Xã hội xã Cam Lộ", "QT-X-CAMLO")
    add_unit(db, qt_admin, clock, "QT-BQLKKT", name="Ban Quản lý Khu kinh tế tỉnh", kind="office", parent="QT-UBND")
    renamed = rename_unit(db, qt_admin, clock, "QT-BQLKKT", "Ban Quản lý các Khu kinh tế tỉnh", comment="QĐ 1/QĐ-UBND")
    assert renamed["name"] == "Ban Quản lý các Khu kinh tế tỉnh" and "Ban Quản lý Khu kinh tế tỉnh" in renamed["aliases"]
    deactivate_unit(db, qt_admin, clock, "QT-X-CAMLO")
    with pytest.raises(Refusal) as again:
        deactivate_unit(db, qt_admin, clock, "QT-X-CAMLO")
    assert again.value.rule == "state"
    with pytest.raises(Forbidden):
        add_unit(db, hn_admin, clock, "QT-XYZ", name="Ban X")  # another registry's administrator
    with pytest.raises(Forbidden):
        rename_unit(db, officer, clock, "QT-STP", "Sở Tư pháp mới")  # not an administrator
    events = admin_log.search(db, actor="qt.admin")
    assert [(e["action"], e["subject"], e["registry"]) for e in events] == [
        ("unit.add", "QT-X-CAMLO-PVHXH", "QT"), ("unit.add", "QT-BQLKKT", "QT"), ("unit.rename", "QT-BQLKKT", "QT"),
        ("unit.deactivate", "QT-X-CAMLO", "QT")]
    assert events[0]["comment"] == "cần cho kế hoạch"
    assert events[2]["data"] == {"old": "Ban Quản lý Khu kinh tế tỉnh", "new": "Ban Quản lý các Khu kinh tế tỉnh"}
    assert [e["subject"] for e in admin_log.search(db, action="unit.rename")] == ["QT-BQLKKT"]
    assert len(admin_log.search(db, action="unit")) == 4 and len(admin_log.search(db, region="QT")) == 4
    assert admin_log.search(db, actor="hn.admin") == []  # refused changes leave no event
    # deactivated: out of the listing and of the groups, back with --all
    assert "QT-X-CAMLO" not in {u["code"] for u in search_units(db, region="QT")}
    assert "QT-X-CAMLO" in {u["code"] for u in search_units(db, region="QT", include_inactive=True)}
    local = next(g for g in list_groups(db, "QT") if g["name"] == "UBND các xã, phường")
    assert "QT-X-CAMLO" not in local["members"] and len(local["members"]) == 77
    # loading the shipped registry again keeps the administrator's changes
    store_definitions(db, read_definitions(None, set(workflows)), clock)
    units = {u["code"]: u for u in search_units(db, region="QT", include_inactive=True)}
    assert units["QT-BQLKKT"]["name"] == "Ban Quản lý các Khu kinh tế tỉnh" and not units["QT-X-CAMLO"]["active"]
    # admin events are append-only, like audit events
    for statement in ("UPDATE admin_event SET actor = 'x'", "DELETE FROM admin_event"):
        with pytest.raises(DBAPIError), db.engine.begin() as conn:
            conn.execute(text(statement))
    assert len(admin_log.search(db)) == 4
    assert json.loads(json.dumps(events))  # plain JSON for exports


def _cli(db_url: str, *args: str) -> Any:
    from tests.test_cli import _in_process  # the entry point with its environment, in this process

    done = _in_process(list(args), {"DATABASE_URL": db_url, "PHANCAP_NOW": "2025-07-15T09:00+07:00"}, None)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if "--json" in args else done.stdout


def test_done_when_quang_tri_is_listed_and_its_plan_loads_into_the_demo_database(tmp_path: Path) -> None:
    """Issue 12's done-when, on the command line: a fresh install lists Quảng Trị's People's Committee,
    departments and 78 commune-level units; a plan written for it loads into the demo database and fans out."""
    from phancap.demo import DEMO_START, build_demo

    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    _cli(fresh, "load")
    units = _cli(fresh, "units", "--registry", "QT", "--json")
    assert all(set(u) >= {"code", "name", "kind", "registry", "parent", "aliases", "active"} for u in units)
    kinds = [u["kind"] for u in units]
    assert kinds.count("people_committee") == 1 and kinds.count("department") == 12
    assert sum(kinds.count(k) for k in COMMUNE_LEVEL) == 78
    registries = {r["code"]: r for r in _cli(fresh, "registries", "--json")}
    assert registries["QT"] == {"code": "QT", "name": "Tỉnh Quảng Trị", "official_code": "44", "kind": "province",
                                "units": 92}
    assert [u["code"] for u in _cli(fresh, "units", "--search", "so tu phap quang tri", "--json")] == ["QT-STP"]
    assert {g["name"] for g in _cli(fresh, "groups", "--registry", "QT", "--json")} == {"Các Sở, ngành", "UBND các xã, phường"}
    assert _cli(fresh, "units", "list", "--region", "QT", "--json")[0].keys() == {"code", "name", "kind", "region"}
    demo = tmp_path / "demo.db"
    build_demo(demo, Clock.parse(DEMO_START))
    url = f"sqlite:///{demo}"
    loaded = _cli(url, "load", str(QT_PLAN), "--json")
    assert (loaded["plans"], loaded["tasks"]) == (1, 4)
    created = _cli(url, "instantiate", "QT-2025", "--json")
    assert created == {"plan": "QT-2025", "created": 91, "existing": 0}
    tasks = _cli(url, "tasks", "--plan", "QT-2025", "--json")
    assert len({t["unit"] for t in tasks if t["task"] == "1.2"}) == 78
    _cli(url, "load", str(QT_PLAN_DIR))
    assert _cli(url, "instantiate", "QT-2025", "--json")["created"] == 0
