"""User administration (issue 12): an administrator manages the users of their own registry only; every
change is an admin event naming who gave which role to whom; deactivated users cannot sign in; a CSV
import previews every change and rejected row (with its line), then writes all of it in one transaction."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from phancap.engine.accounts import LoginRefused, authenticate
from phancap.engine.clock import Clock
from phancap.engine.db import Database
from phancap.engine.errors import Forbidden, NotFound, Refusal
from phancap.engine.passwords import WeakPassword
from datetime import timedelta

from phancap.engine.sessions import open_session, session_user
from phancap.engine.user_admin import (Operator, create_user, list_users, reset_password, search_admin_events,
                                       set_user_active, update_user)
from phancap.engine.user_import import ImportRejected, import_users, preview_import
from phancap.engine.users import User, add_user, get_user

PASSWORD = "mat-khau-du-dai-2025"


@pytest.fixture
def admins(db: Database, clock: Clock) -> dict[str, User]:
    """A Quảng Trị administrator, a Hà Nội one and an auditor (made by the console, as on a new install)."""
    console = Operator()
    made = {}
    for name, unit, roles in (("qt.admin", "QT-VPUB", ["admin"]), ("hn.admin", "HN-VPUB", ["admin"]),
                              ("kiem.toan", "HN-SNV", ["auditor"])):
        create_user(db, console, clock, name, unit, roles, password=PASSWORD)
        found = get_user(db, name)
        assert found is not None
        made[name] = found
    return made


def _users(db: Database) -> list[tuple[Any, ...]]:
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT name, unit, roles, email, active, password_hash FROM app_user ORDER BY name"))]


def _events(db: Database) -> list[tuple[Any, ...]]:
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT * FROM admin_event ORDER BY id"))]


def test_an_admin_creates_a_user_of_their_registry_who_then_signs_in(db: Database, clock: Clock,
                                                                     admins: dict[str, User]) -> None:
    change = create_user(db, admins["qt.admin"], clock, "cv.stp.qt", "QT-STP", ["officer", "reviewer"],
                         email="cv@stp.quangtri.gov.vn")
    assert change.password and len(change.password) >= 10  # generated, handed over once
    user = authenticate(db, "cv.stp.qt", change.password, "10.0.0.1")
    assert user == User("cv.stp.qt", "QT-STP", ("officer", "reviewer"))
    _, rows = search_admin_events(db, admins["kiem.toan"], subject="cv.stp.qt")
    assert [(r["actor"], r["action"], r["registry"], r["data"]["roles"]) for r in rows] == [
        ("qt.admin", "user.add", "QT", ["officer", "reviewer"])]
    assert "password" not in str(rows[0]["data"]).replace("'password': 'generated'", "")  # never the password


def test_an_admin_cannot_reach_another_registry(db: Database, clock: Clock, admins: dict[str, User]) -> None:
    qt = admins["qt.admin"]
    create_user(db, qt, clock, "cv.qt", "QT-STP", ["officer"], password=PASSWORD)
    before_users, before_events = _users(db), _events(db)
    with pytest.raises(Forbidden) as refused:
        create_user(db, qt, clock, "cv.hn", "HN-STP", ["officer"], password=PASSWORD)
    assert "QT" in refused.value.message_vi and "HN" in refused.value.message_vi
    with pytest.raises(NotFound):  # a user of another registry is answered like one that does not exist
        update_user(db, qt, clock, "hn.admin", roles=["officer"])
    with pytest.raises(NotFound):
        reset_password(db, qt, clock, "kiem.toan")
    with pytest.raises(Forbidden):  # moving one's own user into another registry
        update_user(db, qt, clock, "cv.qt", unit="HN-STP")
    assert _users(db) == before_users and _events(db) == before_events  # every refusal changed nothing
    assert [u["name"] for u in list_users(db, qt)] == ["cv.qt", "qt.admin"]
    officer = get_user(db, "cv.qt")
    assert officer is not None
    with pytest.raises(Forbidden):
        list_users(db, officer)


def test_role_changes_are_logged_and_end_the_users_sessions(db: Database, clock: Clock, admins: dict[str, User]) -> None:
    create_user(db, admins["hn.admin"], clock, "cv.stc", "HN-STC", ["officer"], password=PASSWORD)
    token = open_session(db, "cv.stc", "token", clock.now(), timedelta(hours=1))
    assert session_user(db, token, "token", "cv.stc") is not None
    change = update_user(db, admins["hn.admin"], clock, "cv.stc", roles=["officer", "head"], comment="QĐ 12/QĐ-STC")
    assert change.changes == {"roles": [["officer"], ["head", "officer"]]} and change.sessions_ended == 1
    assert session_user(db, token, "token", "cv.stc") is None
    assert update_user(db, admins["hn.admin"], clock, "cv.stc", roles=["head", "officer"]).action == ""  # nothing
    _, rows = search_admin_events(db, admins["hn.admin"], subject="cv.stc", action="user.")
    assert [r["action"] for r in rows] == ["user.add", "user.update"]
    assert rows[1]["data"]["roles"] == [["officer"], ["head", "officer"]] and rows[1]["comment"] == "QĐ 12/QĐ-STC"
    # "who gave which role to whom": the auditor searches by the role as the pages name it
    _, found = search_admin_events(db, admins["kiem.toan"], contains="Lãnh đạo đơn vị")
    assert [(r["actor"], r["subject"]) for r in found] == [("hn.admin", "cv.stc")]


def test_deactivated_users_cannot_sign_in_and_keep_their_history(db: Database, clock: Clock,
                                                                 admins: dict[str, User]) -> None:
    create_user(db, admins["hn.admin"], clock, "cv.snv", "HN-SNV", ["officer"], password=PASSWORD)
    token = open_session(db, "cv.snv", "cookie", clock.now(), timedelta(hours=1))
    change = set_user_active(db, admins["hn.admin"], clock, "cv.snv", False, comment="nghỉ hưu")
    assert change.action == "user.deactivate" and change.sessions_ended == 1
    with pytest.raises(LoginRefused):
        authenticate(db, "cv.snv", PASSWORD, "10.0.0.2")
    assert session_user(db, token, "cookie", "cv.snv") is None and get_user(db, "cv.snv") is None
    assert [u["active"] for u in list_users(db, admins["hn.admin"]) if u["name"] == "cv.snv"] == [False]
    with pytest.raises(Refusal, match="already inactive"):
        set_user_active(db, admins["hn.admin"], clock, "cv.snv", False)
    with pytest.raises(Refusal, match="cannot deactivate themself"):
        set_user_active(db, admins["hn.admin"], clock, "hn.admin", False)
    with pytest.raises(Refusal, match="admin role"):
        update_user(db, admins["hn.admin"], clock, "hn.admin", roles=["officer"])
    set_user_active(db, admins["hn.admin"], clock, "cv.snv", True)
    assert authenticate(db, "cv.snv", PASSWORD, "10.0.0.2").name == "cv.snv"


def test_reset_password_generates_one_or_checks_the_given_one(db: Database, clock: Clock,
                                                              admins: dict[str, User]) -> None:
    create_user(db, admins["hn.admin"], clock, "cv.syt", "HN-SYT", ["officer"], password=PASSWORD)
    change = reset_password(db, admins["hn.admin"], clock, "cv.syt")
    assert change.password and change.action == "user.reset_password"
    with pytest.raises(LoginRefused):
        authenticate(db, "cv.syt", PASSWORD, "10.0.0.3")
    assert authenticate(db, "cv.syt", change.password, "10.0.0.3").name == "cv.syt"
    with pytest.raises(WeakPassword):
        reset_password(db, admins["hn.admin"], clock, "cv.syt", "ngan")
    assert authenticate(db, "cv.syt", change.password, "10.0.0.4").name == "cv.syt"  # unchanged by the refusal


CSV = "\n".join([
    "\ufeffTên đăng nhập;Đơn vị;Vai trò;Thư điện tử;Mật khẩu;Họ và tên",
    "cv.stp1;Sở Tư pháp;Chuyên viên;stp1@quangtri.gov.vn;;Nguyễn Văn A",   # line 2: a unit by its name
    "cv.stp2;QT-STP;officer|reviewer;;mat-khau-cua-stp2;",                 # line 3
    "cv.bad1;HN-STP;officer;;;",                                           # line 4: another registry's unit
    "cv.bad2;QT-STP;boss;;;",                                              # line 5: no such role
    "cv.stp1;QT-STP;officer;;;",                                           # line 6: the same name again
    "bad name;QT-STP;officer;;;",                                          # line 7
    "cv.bad3;QT-STP;;;;",                                                  # line 8: a new user without roles
    "cv.bad4;QT-STP;officer;not-an-email;;",                               # line 9
    "cv.bad5;QT-STP;officer;;ngan;",                                       # line 10: a weak password
    "hn.admin;QT-STP;officer;;;",                                          # line 11: a user of another registry
])


def test_csv_import_lists_every_rejected_row_and_writes_nothing(db: Database, clock: Clock,
                                                                admins: dict[str, User]) -> None:
    qt = admins["qt.admin"]
    plan = preview_import(db, qt, CSV.encode("utf-8"))
    assert [(r.line, r.name, r.action) for r in plan.rows] == [(2, "cv.stp1", "create"), (3, "cv.stp2", "create")]
    assert plan.rows[0].changes["unit"] == [None, "QT-STP"] and plan.ignored_columns == ["Họ và tên"]
    assert [(r.line, r.field) for r in plan.rejected] == [(4, "unit"), (5, "roles"), (6, "name"), (7, "name"),
                                                          (8, "roles"), (9, "email"), (10, "password"), (11, "name")]
    assert "dòng 2" in plan.rejected[2].reason_vi
    before_users, before_events = _users(db), _events(db)
    with pytest.raises(ImportRejected) as refused:
        import_users(db, qt, clock, CSV, source="nguoi-dung.csv")
    assert len(refused.value.extra["rejected"]) == 8
    assert _users(db) == before_users and _events(db) == before_events

    result = import_users(db, qt, clock, CSV, source="nguoi-dung.csv", skip_rejected=True, expect_digest=plan.digest)
    assert [c.user["name"] for c in result.applied] == ["cv.stp1", "cv.stp2"]
    passwords = result.to_json()["passwords"]
    assert list(passwords) == ["cv.stp1"]  # cv.stp2's password was in the file
    assert authenticate(db, "cv.stp1", passwords["cv.stp1"], "10.0.0.5").roles == ("officer",)
    assert authenticate(db, "cv.stp2", "mat-khau-cua-stp2", "10.0.0.5").roles == ("officer", "reviewer")
    _, rows = search_admin_events(db, admins["kiem.toan"], action="user.add", contains="nguoi-dung.csv")
    assert [(r["subject"], r["data"]["line"]) for r in rows] == [("cv.stp1", 2), ("cv.stp2", 3)]


def test_csv_import_updates_in_one_transaction_and_refuses_a_stale_preview(db: Database, clock: Clock,
                                                                           admins: dict[str, User]) -> None:
    hn = admins["hn.admin"]
    add_user(db, "cv.sct", "HN-SCT", ["officer"], clock, PASSWORD)
    data = "name,unit,roles,active\ncv.sct,,officer;head,\ncv.new,HN-SCT,officer,0\n"
    plan = preview_import(db, hn, data)
    assert [(r.name, r.action, r.changes) for r in plan.rows] == [
        ("cv.sct", "update", {"roles": [["officer"], ["head", "officer"]]}),
        ("cv.new", "create", {"unit": [None, "HN-SCT"], "roles": [None, ["officer"]]})]
    update_user(db, hn, clock, "cv.sct", email="sct@hanoi.gov.vn")  # unrelated field: the preview still holds
    create_user(db, hn, clock, "cv.new", "HN-SCT", ["officer"], password=PASSWORD)  # this one changes the plan
    before = _users(db)
    with pytest.raises(Refusal) as stale:
        import_users(db, hn, clock, data, expect_digest=plan.digest)
    assert stale.value.rule == "version" and _users(db) == before
    fresh = preview_import(db, hn, data)
    result = import_users(db, hn, clock, data, expect_digest=fresh.digest)
    assert [(c.user["name"], c.action) for c in result.applied] == [("cv.sct", "user.update"), ("cv.new", "user.deactivate")]
    assert get_user(db, "cv.new") is None  # imported as inactive
    assert preview_import(db, hn, data).counts() == {"create": 0, "update": 0, "unchanged": 2, "rejected": 0}


@pytest.mark.parametrize(("data", "line", "words"), [
    ("", 1, "trống"),
    ("unit,roles\nHN-SCT,officer\n", 1, "tên đăng nhập"),
    ("name,unit,roles\ncv.a,HN-SCT,officer\ncv.b,\x00,officer\n", 3, "NUL"),
    (b"name,unit,roles\ncv.a,HN-SCT,officer\n\xff\xfe,x,y\n", 3, "UTF-8"),
])
def test_an_unreadable_file_is_refused_naming_the_line(db: Database, clock: Clock, admins: dict[str, User],
                                                        data: str | bytes, line: int, words: str) -> None:
    with pytest.raises(Refusal) as refused:
        preview_import(db, admins["hn.admin"], data)
    assert refused.value.extra["line"] == line and words in refused.value.message_vi


def test_admin_events_are_append_only(db: Database, clock: Clock, admins: dict[str, User]) -> None:
    from sqlalchemy.exc import DBAPIError

    for statement in ("UPDATE admin_event SET actor = 'x'", "DELETE FROM admin_event"):
        with pytest.raises(DBAPIError), db.engine.begin() as conn:
            conn.execute(text(statement))
    assert len(_events(db)) == 3
    region, rows = search_admin_events(db, admins["qt.admin"])
    assert region == "QT" and [r["subject"] for r in rows] == ["qt.admin"]  # an admin reads their registry's


def test_neither_a_deactivated_user_nor_one_of_an_inactive_unit_can_act(seeded: Any, clock: Clock,
                                                                       admins: dict[str, User]) -> None:
    from phancap.engine.errors import TransitionNotAllowed
    from phancap.engine.units import deactivate_unit
    from tests.helpers import instance

    db = seeded.db
    tid = int(instance(db, "HN-2025", "1.1", "HN-SCT")["id"])
    set_password_ok = create_user(db, admins["hn.admin"], clock, "cv.sct2", "HN-SCT", ["officer"], password=PASSWORD)
    assert set_password_ok.action == "user.add"
    set_user_active(db, admins["hn.admin"], clock, "cv.sct2", False)
    with pytest.raises(TransitionNotAllowed) as gone:  # by the engine's own door (the CLI's `fire --as`)
        seeded.fire(tid, "submit_for_review", "cv.sct2")
    assert gone.value.rule == "user"
    set_user_active(db, admins["hn.admin"], clock, "cv.sct2", True)
    deactivate_unit(db, admins["hn.admin"], clock, "HN-SCT", comment="sáp nhập")
    with pytest.raises(LoginRefused):
        authenticate(db, "cv.sct2", PASSWORD, "10.0.0.9")
    with pytest.raises(TransitionNotAllowed) as inactive:
        seeded.fire(tid, "submit_for_review", "cv.sct")
    assert inactive.value.rule == "user" and get_user(db, "cv.sct") is None
    assert instance(db, "HN-2025", "1.1", "HN-SCT")["state"] == "assigned"  # nothing changed
