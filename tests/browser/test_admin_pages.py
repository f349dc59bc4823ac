"""Administration in Chromium against a real server (the demo database): an administrator creates a user
in the page and that user signs in; deactivation stops the sign-in; a CSV import is previewed (rejected
rows with their lines) and applied; a unit is renamed; the auditor finds who gave which role to whom."""

from __future__ import annotations

from typing import Any

from phancap.engine.db import Database
from phancap.engine.units import search_units
from tests.browser.conftest import LiveServer
from tests.browser.test_life_cycle import login, logout


def sign_in(page: Any, server: LiveServer, name: str, password: str) -> None:
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_an_admin_creates_a_user_who_then_signs_in(page: Any, live_server: LiveServer) -> None:
    server = live_server
    login(page, server, "admin")
    page.click("header >> text=Quản trị")
    page.wait_for_url(f"{server.url}/admin")
    page.click(".subnav >> text=Người dùng")
    page.click("text=Tạo người dùng")
    page.wait_for_url(f"{server.url}/admin/users/new")
    form = page.locator("#user-create")
    form.locator("input[name=name]").fill("cv.moi.stp")
    form.locator("select[name=unit]").select_option("HN-STP")
    form.locator("input[name=roles][value=officer]").check()
    form.locator("input[name=email]").fill("cv.moi@stp.hanoi.gov.vn")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".temporary-password")
    password = page.locator("code[data-password]").inner_text().strip()
    assert len(password) >= 10
    assert page.locator("dd[data-field=unit]").inner_text() == "Sở Tư pháp (HN-STP)"
    assert page.locator("dd[data-field=roles]").inner_text() == "Chuyên viên"
    assert "Tạo người dùng" in page.locator("table.admin-events").inner_text()
    page.reload()  # the temporary password is shown once, never again
    assert page.locator("code[data-password]").count() == 0
    logout(page, server)

    sign_in(page, server, "cv.moi.stp", password)
    page.wait_for_url(f"{server.url}/")
    assert page.locator(".user").inner_text().startswith("cv.moi.stp")
    assert page.locator("header >> text=Quản trị").count() == 0  # an officer sees no admin menu
    page.goto(f"{server.url}/admin/users")
    assert page.locator("h1").inner_text() != "Người dùng"  # refused, not shown
    logout(page, server)

    # deactivated: the user can no longer sign in; the history stays
    login(page, server, "admin")
    page.goto(f"{server.url}/admin/users/cv.moi.stp")
    page.locator("#user-deactivate input[name=comment]").fill("Chuyển công tác")
    page.locator("#user-deactivate button").click()
    page.wait_for_url("**done=user_deactivated")
    assert page.locator("dd[data-field=active]").inner_text().startswith("Đã ngừng")
    assert "Ngừng tài khoản" in page.locator("table.admin-events").inner_text()
    logout(page, server)
    sign_in(page, server, "cv.moi.stp", password)
    assert page.locator(".alert.error").is_visible()
    assert page.url.startswith(f"{server.url}/login")


CSV = ("Tên đăng nhập;Đơn vị;Vai trò;Thư điện tử\n"
       "cv.nhap1;Sở Tài chính;Chuyên viên;\n"
       "cv.nhap2;HN-SNV;officer|reviewer;nhap2@snv.hanoi.gov.vn\n"
       "cv.nhap3;Sở Không Có;officer;\n")


def test_csv_import_is_previewed_then_applied(page: Any, live_server: LiveServer, tmp_path: Any) -> None:
    server = live_server
    file = tmp_path / "nguoi-dung.csv"
    file.write_bytes(b"\xef\xbb\xbf" + CSV.encode())  # as Excel saves "CSV UTF-8"
    login(page, server, "admin")
    page.goto(f"{server.url}/admin/users-import")
    page.set_input_files("#import-preview input[name=file]", str(file))
    page.locator("#import-preview button").click()
    page.wait_for_selector(".import-preview")
    assert page.locator("[data-counts]").get_attribute("data-counts") == "2,0,0,1"
    rejected = page.locator("tr.rejected-row")
    assert rejected.count() == 1 and rejected.get_attribute("data-line") == "4"
    assert "Sở Không Có" in rejected.inner_text()
    assert page.locator("tr.planned-row[data-user='cv.nhap1']").inner_text().count("Sở Tài chính") == 0  # shown as code
    assert "HN-STC" in page.locator("tr.planned-row[data-user='cv.nhap1']").inner_text()
    other = page.context.new_page()  # the same administrator, in another tab
    other.goto(f"{server.url}/admin/users?q=nhap")
    assert other.locator("tr.user-row").count() == 0  # the preview wrote nothing
    other.close()

    page.locator("#import-apply input[name=skip_rejected]").check()
    page.locator("#import-apply button").click()
    page.wait_for_selector(".import-result")
    passwords = page.locator("table.passwords tr[data-user]")
    assert passwords.count() == 2
    pw1 = page.locator("table.passwords tr[data-user='cv.nhap1'] code").inner_text()
    page.goto(f"{server.url}/admin/users?q=nhap")
    assert page.locator("tr.user-row").count() == 2
    logout(page, server)
    sign_in(page, server, "cv.nhap1", pw1)
    page.wait_for_url(f"{server.url}/")
    logout(page, server)

    # the auditor finds who gave the reviewer role to whom, from which file and line
    login(page, server, "kiemtoan")
    page.click("header >> text=Nhật ký quản trị")
    page.fill("input[name=q]", "Đầu mối theo dõi")  # the role as the pages name it
    page.click("form[role=search] button")
    rows = page.locator("tr.admin-event")
    assert rows.count() == 1
    text = rows.inner_text()
    assert "cv.nhap2" in text and "admin" in text and "nguoi-dung.csv" in text and "Đầu mối theo dõi" in text


def test_an_admin_renames_a_unit_and_finds_it_by_either_name(page: Any, live_server: LiveServer) -> None:
    server = live_server
    login(page, server, "admin")
    page.goto(f"{server.url}/admin/units?q=so+cong+thuong")  # typed without diacritics
    assert page.locator("tr.unit-row").count() == 1
    page.click("tr.unit-row a")
    page.wait_for_url(f"{server.url}/admin/units/HN-SCT")
    page.locator("#unit-rename input[name=name]").fill("Sở Công Thương Hà Nội")
    page.locator("#unit-rename input[name=comment]").fill("Quyết định 01/QĐ-UBND")
    page.locator("#unit-rename button").click()
    page.wait_for_url("**done=renamed")
    assert page.locator("h1").inner_text() == "Sở Công Thương Hà Nội"
    assert "Sở Công Thương" in page.locator("dd[data-field=aliases]").inner_text()
    assert "Quyết định 01/QĐ-UBND" in page.locator("table.admin-events").inner_text()
    page.goto(f"{server.url}/admin/groups")
    assert page.locator("details.group").count() >= 2
    db = Database(server.db_url)
    try:
        assert [u["name"] for u in search_units(db, search="cong thuong ha noi")] == ["Sở Công Thương Hà Nội"]
    finally:
        db.dispose()
