"""Administration pages over HTTP: only administrators reach them, each inside their own registry; the
auditor reads the administrative log of every registry; a refused change says why and changes nothing."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from phancap.engine.runtime import TaskEngine
from phancap.engine.users import add_user
from tests.api.conftest import set_password
from tests.api.test_security import csrf_of, login

ADMIN_PAGES = ("/admin", "/admin/units", "/admin/units/HN-STP", "/admin/groups", "/admin/users", "/admin/users/new",
               "/admin/users/cv.sct", "/admin/users-import")


@pytest.fixture
def people(seeded: TaskEngine) -> None:
    add_user(seeded.db, "qt.admin", "QT-VPUB", ["admin"], seeded.clock)
    for name in ("admin", "qt.admin", "cv.sct", "kiemtoan"):
        set_password(seeded.db, name, f"pw-{name}")


def test_only_administrators_reach_the_admin_pages(client: TestClient, people: None) -> None:
    login(client, "cv.sct")
    for path in (*ADMIN_PAGES, "/admin/events"):
        assert client.get(path).status_code == 403, path
    assert "/admin" not in client.get("/").text  # no menu entry that would answer 403
    login(client, "admin")
    for path in ADMIN_PAGES:
        answer = client.get(path)
        assert answer.status_code == 200 and "Quản trị danh mục Thành phố Hà Nội (HN)" in answer.text, path
    client.cookies.clear()
    assert client.get("/admin/users", follow_redirects=False).status_code in (302, 303)  # to the login page


def test_a_province_admin_sees_only_its_registry(client: TestClient, people: None) -> None:
    login(client, "qt.admin")
    units = client.get("/admin/units?kind=commune").text
    assert 'data-total="' in units and "QT-X-CAMLO" in units and "HN-" not in units
    assert client.get("/admin/units/HN-STP").status_code == 404
    assert client.get("/admin/users/cv.sct").status_code == 404
    users = client.get("/admin/users").text
    assert "qt.admin" in users and "cv.sct" not in users
    wards = client.get("/admin/units?q=phuong+dong+ha").text  # typed without diacritics
    assert re.search(r'data-unit="QT-P-DONGHA"', wards)


def test_a_refused_creation_says_why_and_writes_nothing(client: TestClient, seeded: TaskEngine, people: None) -> None:
    token = login(client, "qt.admin")
    answer = client.post("/admin/users", data={"csrf_token": token, "name": "cv.hn", "unit": "HN-STP",
                                               "roles": "officer"})
    assert answer.status_code == 403 and "không quản lý danh mục HN" in answer.text
    assert 'value="cv.hn"' in answer.text  # the form keeps what was typed
    weak = client.post("/admin/users", data={"csrf_token": token, "name": "cv.qt", "unit": "QT-STP", "roles": "officer",
                                             "password": "ngan"})
    assert weak.status_code == 422 and "Mật khẩu quá ngắn" in weak.text
    login(client, "admin")
    assert "cv.hn" not in client.get("/admin/users").text and "cv.qt" not in client.get("/admin/users").text


def test_the_auditor_reads_every_registrys_administrative_log(client: TestClient, people: None) -> None:
    token = login(client, "qt.admin")
    created = client.post("/admin/users", data={"csrf_token": token, "name": "cv.stp.qt", "unit": "QT-STP",
                                                "roles": ["officer", "reviewer"]})
    assert created.status_code == 200 and "data-password" in created.text
    token = login(client, "admin")
    client.post("/admin/units/HN-SCT/rename", data={"csrf_token": token, "name": "Sở Công Thương mới"})
    own = client.get("/admin/events").text
    assert "HN-SCT" in own and "cv.stp.qt" not in own  # an administrator reads their registry's log
    login(client, "kiemtoan")
    page = client.get("/admin/events")
    assert page.status_code == 200 and "Nhật ký quản trị" in client.get("/").text
    assert "HN-SCT" in page.text and "cv.stp.qt" in page.text
    granted = client.get("/admin/events", params={"q": "Đầu mối theo dõi"}).text
    assert granted.count('class="admin-event"') == 1 and "cv.stp.qt" in granted and "Đầu mối theo dõi" in granted
    assert client.get("/admin/users").status_code == 403
    assert csrf_of(page.text)


def test_the_registry_and_the_administrative_log_as_json(client: TestClient, app: object, people: None) -> None:
    from tests.api.conftest import bearer

    assert client.get("/api/v1/units").status_code == 401
    officer = bearer(app, "cv.sct")  # type: ignore[arg-type]
    found = client.get("/api/v1/units", params={"registry": "QT", "search": "so tu phap"}, headers=officer).json()
    assert [u["code"] for u in found] == ["QT-STP"]
    assert {"code": "QT", "units": 92}.items() <= next(
        r for r in client.get("/api/v1/registries", headers=officer).json() if r["code"] == "QT").items()
    assert client.get("/api/v1/admin/events", headers=officer).status_code == 403
    token = login(client, "admin")
    client.post("/admin/units/HN-SCT/rename", data={"csrf_token": token, "name": "Sở Công Thương mới"})
    events = client.get("/api/v1/admin/events", params={"action": "unit."},
                        headers=bearer(app, "kiemtoan")).json()  # type: ignore[arg-type]
    assert [(e["actor"], e["action"], e["subject"], e["data"]) for e in events] == [
        ("admin", "unit.rename", "HN-SCT", {"old": "Sở Công Thương", "new": "Sở Công Thương mới"})]


def test_a_scheduled_succession_is_listed_for_the_registry_and_as_json(client: TestClient, app: object,
                                                                       seeded: TaskEngine, people: None) -> None:
    from datetime import date

    from phancap.engine.succession import succeed_units
    from phancap.engine.users import get_user
    from tests.api.conftest import bearer

    admin = get_user(seeded.db, "admin")
    assert admin is not None
    scheduled = succeed_units(seeded.db, seeded.workflows, seeded.clock, admin, ["HN-SDL"], "HN-SVHTT",
                              date(2025, 7, 1), "Quyết định số 9/QĐ-UBND")
    assert client.get("/api/v1/unit-changes").status_code == 401
    rows = client.get("/api/v1/unit-changes", params={"registry": "HN"},
                      headers=bearer(app, "cv.sct")).json()  # type: ignore[arg-type]
    assert [(r["id"], r["units"], r["successor"], r["effective"], r["status"]) for r in rows] == [
        (scheduled["scheduled"], ["HN-SDL"], "HN-SVHTT", "2025-07-01", "scheduled")]
    assert client.get("/api/v1/unit-changes", params={"registry": "QT"},
                      headers=bearer(app, "cv.sct")).json() == []  # type: ignore[arg-type]
    login(client, "admin")
    page = client.get("/admin").text
    assert f'data-change="{scheduled["scheduled"]}" data-status="scheduled"' in page and "01/07/2025" in page
    login(client, "qt.admin")
    assert "data-change=" not in client.get("/admin").text  # another registry's decisions are not listed
