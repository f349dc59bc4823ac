"""Evidence uploads: limited in size and type (by content), stored under their SHA-256 and never under a
user-given path, downloadable by whoever may see a task that cites them."""

from __future__ import annotations

import hashlib
import io
import json
import os
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from alembic import command
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import text

from phancap.engine.db import Database
from phancap.engine.errors import TransitionNotAllowed
from phancap.engine.evidence import DOCX, JPEG, PDF, PNG, XLSX, EvidenceStore, safe_name, uploaded_for
from phancap.engine.runtime import TaskEngine
from phancap.engine.settings import Settings
from phancap.engine.users import add_user
from tests.api.conftest import bearer, set_password
from tests.api.helpers import assert_refusal, sct_task, snapshot
from tests.api.test_pages import csrf
from tests.api.test_pages import login as page_login
from tests.helpers import allow_tampering

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def docx_bytes() -> bytes:
    out = io.BytesIO()
    document = Document()
    document.add_paragraph("Báo cáo kết quả thực hiện")
    document.save(out)
    return out.getvalue()


def xlsx_bytes() -> bytes:
    out = io.BytesIO()
    book = Workbook()
    book.active["A1"] = "Tiến độ"
    book.save(out)
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<x/>")  # looks like Word inside, but no [Content_Types].xml
    return out.getvalue()


@pytest.fixture
def store(app: FastAPI, tmp_path: Path) -> EvidenceStore:
    app.state.evidence_store = EvidenceStore(tmp_path / "evidence", max_bytes=64 * 1024)
    return app.state.evidence_store  # type: ignore[no-any-return]


def upload(client: TestClient, app: FastAPI, user: str, task_id: int, name: str, content: bytes,
           media: str = "application/octet-stream") -> object:
    return client.post(f"/api/v1/tasks/{task_id}/evidence", headers=bearer(app, user),
                       files={"file": (name, content, media)})


def stored_files(store: EvidenceStore) -> list[Path]:
    return sorted(p for p in store.directory.rglob("*") if p.is_file() and p.name != ".lock")


@pytest.mark.parametrize(("name", "content", "media"), [
    ("bao-cao.pdf", PDF_BYTES, PDF), ("anh.png", PNG_BYTES, PNG), ("anh.jpg", JPEG_BYTES, JPEG),
    ("du-thao.docx", docx_bytes(), DOCX), ("tien-do.xlsx", xlsx_bytes(), XLSX),
    ("khong-duoi", PDF_BYTES, PDF),  # the name does not decide the type
])
def test_accepted_types_land_under_their_hash(client: TestClient, app: FastAPI, seeded: TaskEngine,
                                              store: EvidenceStore, name: str, content: bytes, media: str) -> None:
    tid = sct_task(seeded.db)
    response = upload(client, app, "cv.sct", tid, name, content)
    assert response.status_code == 201, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    sha = hashlib.sha256(content).hexdigest()
    assert body == {"sha256": sha, "size": len(content), "media_type": media, "name": name}
    path = store.directory / sha[:2] / sha
    assert path.read_bytes() == content
    assert [p.name for p in stored_files(store)] == [sha, f"{sha}.json"]


@pytest.mark.parametrize(("name", "content"), [
    ("ghi-chu.pdf", b"MZ\x90\x00 not really a pdf"),                 # an executable named .pdf
    ("trang.png", b"<html><script>alert(1)</script></html>"),      # HTML named .png
    ("nen.docx", plain_zip()),                                      # a ZIP that is no Office document
    ("rong.pdf", b""),                                              # nothing at all
])
def test_other_content_is_refused_whatever_its_name(client: TestClient, app: FastAPI, seeded: TaskEngine,
                                                    store: EvidenceStore, name: str, content: bytes) -> None:
    assert_refusal(upload(client, app, "cv.sct", sct_task(seeded.db), name, content, PDF), 415, "type")
    assert stored_files(store) == []  # no temporary file left behind either


def test_size_is_limited(client: TestClient, app: FastAPI, seeded: TaskEngine, store: EvidenceStore) -> None:
    tid = sct_task(seeded.db)
    big = PDF_BYTES + b"0" * store.max_bytes
    assert_refusal(upload(client, app, "cv.sct", tid, "lon.pdf", big), 413, "too_large")
    assert stored_files(store) == []
    exact = PDF_BYTES + b"0" * (store.max_bytes - len(PDF_BYTES))
    assert upload(client, app, "cv.sct", tid, "vua.pdf", exact).status_code == 201  # type: ignore[attr-defined]


def test_default_limit_is_ten_megabytes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PHANCAP_EVIDENCE_MAX_BYTES", raising=False)
    monkeypatch.setenv("PHANCAP_EVIDENCE_DIR", str(tmp_path / "ev"))
    store = EvidenceStore.from_env()
    assert store.max_bytes == 10 * 1024 * 1024 and store.directory == (tmp_path / "ev").resolve()
    monkeypatch.setenv("PHANCAP_EVIDENCE_MAX_BYTES", "abc")
    with pytest.raises(ValueError, match="PHANCAP_EVIDENCE_MAX_BYTES"):
        EvidenceStore.from_env()


@pytest.mark.parametrize("name", ["../../../../etc/passwd.pdf", "..\\..\\windows\\win.ini.pdf", "/etc/shadow.pdf",
                                  "a/../../b.pdf", "\x00evil\n.pdf", "....", "%2e%2e%2fx.pdf"])
def test_path_traversal_names_never_become_paths(client: TestClient, app: FastAPI, seeded: TaskEngine,
                                                 store: EvidenceStore, tmp_path: Path, name: str) -> None:
    content = PDF_BYTES + name.encode("utf-8", "replace")
    response = upload(client, app, "cv.sct", sct_task(seeded.db), name, content)
    assert response.status_code == 201, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    sha = hashlib.sha256(content).hexdigest()
    assert body["sha256"] == sha
    assert "/" not in body["name"] and "\\" not in body["name"] and "\x00" not in body["name"]
    assert all(p.resolve().is_relative_to(store.directory) for p in stored_files(store))
    assert {p.name for p in stored_files(store)} == {sha, f"{sha}.json"}
    assert not (tmp_path / "etc").exists() and not Path("/etc/passwd.pdf").exists()


def test_safe_name() -> None:
    assert safe_name("../../a/b/Báo cáo.pdf", PDF) == "Báo cáo.pdf"
    assert safe_name("..", PDF) == "minh-chung.pdf"
    assert safe_name(None, XLSX) == "minh-chung.xlsx"
    assert len(safe_name("x" * 1000 + ".pdf", PDF)) == 200


def test_same_content_is_stored_once(client: TestClient, app: FastAPI, seeded: TaskEngine, store: EvidenceStore) -> None:
    tid = sct_task(seeded.db)
    first = upload(client, app, "cv.sct", tid, "a.pdf", PDF_BYTES).json()  # type: ignore[attr-defined]
    second = upload(client, app, "cv.sct", tid, "b.pdf", PDF_BYTES).json()  # type: ignore[attr-defined]
    assert first["sha256"] == second["sha256"] and first["name"] == second["name"] == "a.pdf"
    assert len(stored_files(store)) == 2


def test_only_users_who_may_act_upload(client: TestClient, app: FastAPI, seeded: TaskEngine,
                                       store: EvidenceStore) -> None:
    tid = sct_task(seeded.db)
    assert_refusal(upload(client, app, "cv.xa1", tid, "a.pdf", PDF_BYTES), 404, "task")       # cannot even see it
    assert_refusal(upload(client, app, "kiemtoan", tid, "a.pdf", PDF_BYTES), 403, "role")     # sees all, acts on none
    assert_refusal(upload(client, app, "cv.sct", 999_999, "a.pdf", PDF_BYTES), 404, "task")
    no_token = client.post(f"/api/v1/tasks/{tid}/evidence", files={"file": ("a.pdf", PDF_BYTES)})
    assert no_token.status_code == 401
    assert stored_files(store) == []


def test_hash_goes_into_a_transition_and_visibility_decides_downloads(client: TestClient, app: FastAPI,
                                                                      seeded: TaskEngine,
                                                                      store: EvidenceStore) -> None:
    tid = sct_task(seeded.db)
    sha = upload(client, app, "cv.sct", tid, "Báo cáo.pdf", PDF_BYTES).json()["sha256"]  # type: ignore[attr-defined]
    fired = client.post(f"/api/v1/tasks/{tid}/transitions", headers=bearer(app, "cv.sct"),
                        json={"trigger": "submit_for_review", "evidence": {"sha256": sha, "title": "Báo cáo"}})
    assert fired.status_code == 200, fired.text
    history = client.get(f"/api/v1/tasks/{tid}/history", headers=bearer(app, "cv.sct")).json()
    assert history[-1]["evidence"]["sha256"] == sha
    for user in ("cv.sct", "dm.stp", "pd.ubnd", "kiemtoan"):  # lead, focal, authority, auditor
        got = client.get(f"/api/v1/evidence/{sha}", headers=bearer(app, user))
        assert got.status_code == 200, (user, got.text)
        assert got.content == PDF_BYTES and got.headers["content-type"] == PDF
        assert got.headers["content-disposition"] == "attachment; filename*=UTF-8''B%C3%A1o%20c%C3%A1o.pdf"
        assert got.headers["x-content-type-options"] == "nosniff"
    assert_refusal(client.get(f"/api/v1/evidence/{sha}", headers=bearer(app, "cv.xa1")), 404, "not_found")
    assert_refusal(client.get(f"/api/v1/evidence/{'0' * 64}", headers=bearer(app, "cv.sct")), 404, "not_found")
    assert client.get("/api/v1/evidence/..%2F..%2Fetc%2Fpasswd", headers=bearer(app, "cv.sct")).status_code in (404, 422)
    assert client.get(f"/api/v1/evidence/{sha}").status_code == 401


# --- issue 11: evidence belongs to the task it was uploaded for -------------------------------------------------

def fire_api(client: TestClient, app: FastAPI, user: str, task_id: int, trigger: str, **body: object) -> Any:
    return client.post(f"/api/v1/tasks/{task_id}/transitions", headers=bearer(app, user), json={"trigger": trigger, **body})


def own_task(db: Database, unit: str, workflow: str, not_id: int = 0) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT min(id) FROM task_instance WHERE unit = :u AND workflow = :w AND state = 'assigned' AND id <> :n"),
            {"u": unit, "w": workflow, "n": not_id}).scalar_one())


def xa1_task(db: Database) -> int:
    """A Kon Tum commune's own plan task (cv.xa1 leads it; nobody of Hà Nội sees it)."""
    return own_task(db, "KT-X-01", "plan_task")


def shortened_task(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT id FROM task_instance WHERE workflow = 'shortened_procedure' AND unit = 'HN-SNV' "
            "AND plan = 'HN-2025' ORDER BY id")).scalar_one_or_none() or 0)


def directory_state(store: EvidenceStore) -> list[tuple[str, int]]:
    if not store.directory.exists():
        return []
    return sorted((str(p.relative_to(store.directory)), p.stat().st_size) for p in store.directory.rglob("*"))


def test_a_hash_borrowed_from_another_task_is_refused_and_grants_no_download(
        client: TestClient, app: FastAPI, seeded: TaskEngine, store: EvidenceStore) -> None:
    ours, theirs = sct_task(seeded.db), xa1_task(seeded.db)
    sha = upload(client, app, "cv.sct", ours, "Báo cáo mật.pdf", PDF_BYTES).json()["sha256"]  # type: ignore[attr-defined]
    before = snapshot(seeded.db, theirs)
    refused = fire_api(client, app, "cv.xa1", theirs, "submit_for_review", evidence={"sha256": sha, "title": "mượn"})
    body = assert_refusal(refused, 422, "evidence")
    assert sha in body["message_vi"] and sha in body["message_en"]
    assert snapshot(seeded.db, theirs) == before  # refused inside the transaction: nothing written
    # the same user's other task may not cite it either: a file belongs to the task it was uploaded for
    other = own_task(seeded.db, "HN-SCT", "plan_task", not_id=ours)
    assert_refusal(fire_api(client, app, "cv.sct", other, "submit_for_review", evidence={"sha256": sha}), 422, "evidence")
    # Even an event that cites the hash on their task (written behind the engine's back) grants nothing:
    # downloads follow the task the file was uploaded for.
    allow_tampering(seeded.db)
    with seeded.db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET evidence = :e WHERE task_id = :t AND seq = 1"),
                     {"e": f'{{"sha256":"{sha}"}}', "t": theirs})
    for user in ("cv.xa1", "pd.huyen"):  # the borrower, and the authority that sees the citing task
        assert_refusal(client.get(f"/api/v1/evidence/{sha}", headers=bearer(app, user)), 404, "not_found")
    for user in ("cv.sct", "dm.stp", "pd.ubnd", "kiemtoan"):  # who sees the task it was uploaded for
        assert client.get(f"/api/v1/evidence/{sha}", headers=bearer(app, user)).status_code == 200, user
    # cited on its own task, it works
    assert fire_api(client, app, "cv.sct", ours, "submit_for_review", evidence={"sha256": sha}).status_code == 200


def test_a_never_uploaded_hash_is_refused_and_does_not_satisfy_evidence_required(
        client: TestClient, app: FastAPI, seeded: TaskEngine, store: EvidenceStore) -> None:
    tid = shortened_task(seeded.db)
    add_user(seeded.db, "cv.snv2", "HN-SNV", ["officer"], seeded.clock)
    before = snapshot(seeded.db, tid)
    refused = fire_api(client, app, "cv.snv2", tid, "submit_for_appraisal", evidence={"sha256": "f" * 64})
    assert "f" * 64 in assert_refusal(refused, 422, "evidence")["message_en"]
    assert snapshot(seeded.db, tid) == before
    with pytest.raises(TransitionNotAllowed) as caught:  # the engine refuses it too, whatever the caller
        seeded.fire(tid, "submit_for_appraisal", "cv.snv2", evidence={"sha256": "f" * 64})
    assert caught.value.rule == "evidence" and snapshot(seeded.db, tid) == before
    sha = upload(client, app, "cv.snv2", tid, "ho-so.pdf", PDF_BYTES).json()["sha256"]  # type: ignore[attr-defined]
    ok = fire_api(client, app, "cv.snv2", tid, "submit_for_appraisal", evidence={"sha256": sha})
    assert ok.status_code == 200, ok.text


def test_an_upload_without_permission_stores_nothing_and_reads_no_body(
        client: TestClient, app: FastAPI, seeded: TaskEngine, store: EvidenceStore,
        monkeypatch: pytest.MonkeyPatch) -> None:
    tid = sct_task(seeded.db)
    before = directory_state(store)

    async def no_body(*_args: object, **_kwargs: object) -> object:
        raise AssertionError("the body was read before the permission check")

    with monkeypatch.context() as patched:
        patched.setattr(Request, "form", no_body)
        assert_refusal(upload(client, app, "cv.xa1", tid, "a.pdf", PDF_BYTES), 404, "task")     # cannot see it
        assert_refusal(upload(client, app, "kiemtoan", tid, "a.pdf", PDF_BYTES), 403, "role")   # sees, acts on none
        assert_refusal(upload(client, app, "cv.xa1", 999_999, "a.pdf", PDF_BYTES), 404, "task")
    assert directory_state(store) == before
    assert uploads(seeded.db) == []
    # the task page's form: dm.stp sees the task but holds no grant on submit_for_review: the file is not kept
    set_password(seeded.db, "dm.stp", "pw-dm.stp")
    page_login(client, "dm.stp")
    page = client.get(f"/tasks/{tid}")
    posted = client.post(f"/tasks/{tid}/fire", data={"csrf_token": csrf(page.text), "trigger": "submit_for_review"},
                         files={"evidence_file": ("a.pdf", PDF_BYTES, PDF)}, follow_redirects=False)
    assert posted.status_code == 403, posted.text
    assert directory_state(store) == before and uploads(seeded.db) == []


def test_a_failed_or_aborted_upload_leaves_no_temporary_file(
        client: TestClient, app: FastAPI, seeded: TaskEngine, store: EvidenceStore) -> None:
    class Broken(io.RawIOBase):
        """A client that goes away half-way through."""

        def __init__(self) -> None:
            self.sent = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            if self.sent >= 3:
                raise ConnectionResetError("client went away")
            self.sent += 1
            data = PDF_BYTES if self.sent == 1 else b"0" * len(buffer)
            buffer[:len(data)] = data
            return len(data)

    with pytest.raises(ConnectionResetError):
        store.save(io.BufferedReader(Broken()), "x.pdf")
    assert stored_files(store) == []
    tid = sct_task(seeded.db)
    assert_refusal(upload(client, app, "cv.sct", tid, "lon.pdf", PDF_BYTES + b"0" * store.max_bytes), 413, "too_large")
    assert_refusal(upload(client, app, "cv.sct", tid, "x.pdf", b"MZ not a pdf"), 415, "type")
    assert stored_files(store) == [] and uploads(seeded.db) == []


def test_stale_temporary_files_are_swept_at_start_and_on_the_next_upload(
        client: TestClient, app: FastAPI, seeded: TaskEngine, store: EvidenceStore,
        monkeypatch: pytest.MonkeyPatch) -> None:
    store.directory.mkdir(parents=True)
    old = time.time() - 2 * 3600
    stale, fresh = store.directory / ".upload-killed", store.directory / ".upload-live"
    stale.write_bytes(b"x" * 1000)
    fresh.write_bytes(b"y")
    os.utime(stale, (old, old))
    sha = upload(client, app, "cv.sct", sct_task(seeded.db), "a.pdf", PDF_BYTES).json()["sha256"]  # type: ignore[attr-defined]
    assert not stale.exists() and fresh.exists()  # a live upload's file (recently written) is spared
    sidecar_tmp = store.directory / sha[:2] / f"{sha}.json.tmp"
    sidecar_tmp.write_text("{")
    os.utime(sidecar_tmp, (old, old))
    os.utime(fresh, (old, old))
    # the server opens its store from the settings at start
    monkeypatch.setenv("PHANCAP_EVIDENCE_DIR", str(store.directory))
    restarted = EvidenceStore.from_settings(Settings.from_env())
    assert restarted.directory == store.directory
    assert not fresh.exists() and not sidecar_tmp.exists()
    assert (store.directory / sha[:2] / sha).is_file()  # stored files are never swept


def test_uploads_are_recorded_for_their_task(client: TestClient, app: FastAPI, seeded: TaskEngine,
                                            store: EvidenceStore) -> None:
    tid = sct_task(seeded.db)
    sha = upload(client, app, "cv.sct", tid, "Báo cáo.pdf", PDF_BYTES).json()["sha256"]  # type: ignore[attr-defined]
    assert uploads(seeded.db) == [(tid, sha, "cv.sct", "HN-SCT", "Báo cáo.pdf", PDF, len(PDF_BYTES), "upload")]
    assert uploaded_for(seeded.db, sha) == [tid]
    missing = client.post(f"/api/v1/tasks/{tid}/evidence", headers=bearer(app, "cv.sct"), data={"x": "1"})
    assert assert_refusal(missing, 422, "request")["field"] == "file"


def uploads(db: Database) -> list[tuple[Any, ...]]:
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT task_id, sha256, uploader, unit, name, media_type, size, source FROM evidence_upload ORDER BY id"))]


def test_evidence_cited_before_the_migration_stays_downloadable(seeded: TaskEngine, app: FastAPI, client: TestClient,
                                                                store: EvidenceStore) -> None:
    """Migration 0010 backfills (task, hash) from the events that cited files before uploads were recorded."""
    tid = sct_task(seeded.db)
    sha = store.save(io.BytesIO(PDF_BYTES), "cu.pdf").sha256  # a file stored the old way: no upload row
    db = seeded.db
    allow_tampering(db)
    with db.engine.begin() as conn:  # an event written the old way cites it (set in place: its hash is not the point)
        conn.execute(text("UPDATE audit_event SET evidence = :e WHERE task_id = :t AND seq = 1"),
                     {"e": json.dumps({"sha256": sha, "title": "cũ"}, separators=(",", ":")), "t": tid})
        conn.execute(text("UPDATE audit_event SET evidence = :e WHERE task_id = :t AND seq = 1"),
                     {"e": '{"sha256": broken', "t": xa1_task(db)})  # a malformed one is skipped, not fatal
    assert_refusal(client.get(f"/api/v1/evidence/{sha}", headers=bearer(app, "cv.sct")), 404, "not_found")
    config = db.alembic_config()
    with db.engine.begin() as conn:  # back to the schema before 0010, then forward: the backfill runs
        config.attributes["connection"] = conn
        command.downgrade(config, "0009")
        command.upgrade(config, "head")
    assert [(r[0], r[1], r[4], r[5], r[6], r[7]) for r in uploads(db)] == [(tid, sha, None, None, None, "audit")]
    for user in ("cv.sct", "dm.stp", "pd.ubnd"):
        got = client.get(f"/api/v1/evidence/{sha}", headers=bearer(app, user))
        assert got.status_code == 200 and got.content == PDF_BYTES, user
    assert_refusal(client.get(f"/api/v1/evidence/{sha}", headers=bearer(app, "cv.xa1")), 404, "not_found")
    # and it may be cited again on that task
    assert fire_api(client, app, "cv.sct", tid, "submit_for_review", evidence={"sha256": sha}).status_code == 200


def test_a_page_form_attaches_a_file_listed_with_name_size_type_and_download(client: TestClient, seeded: TaskEngine,
                                                                            store: EvidenceStore) -> None:
    for name in ("cv.sct", "dm.stp", "cv.xa1"):
        set_password(seeded.db, name, f"pw-{name}")
    tid = sct_task(seeded.db)
    page_login(client, "cv.sct")
    page = client.get(f"/tasks/{tid}").text
    form = page[page.index('data-trigger="submit_for_review"'):]
    assert 'name="evidence_file"' in form[:form.index("</form>")]  # an optional attachment on a forward step
    sent = client.post(f"/tasks/{tid}/fire", data={"csrf_token": csrf(page), "trigger": "submit_for_review"},
                       files={"evidence_file": ("Báo cáo rà soát.pdf", PDF_BYTES, "application/pdf")},
                       follow_redirects=False)
    assert sent.status_code == 303, sent.text[:300]
    sha = hashlib.sha256(PDF_BYTES).hexdigest()
    page_login(client, "dm.stp")  # the focal agency sees the task, so the file
    html = client.get(f"/tasks/{tid}").text
    row = html[html.index('class="file-row"'):]
    row = row[:row.index("</tr>")]
    assert "Báo cáo rà soát.pdf" in row and "PDF" in row and "1 KB" in row and "cv.sct" in row
    import re

    assert sha not in re.sub(r"<[^>]*>", " ", html)  # the hash is in links and attributes, never in the text
    got = client.get(f"/tasks/{tid}/files/{sha}")
    assert got.status_code == 200 and got.content == PDF_BYTES
    assert "attachment" in got.headers["content-disposition"]
    page_login(client, "cv.xa1")  # a Kon Tum commune sees nothing of it
    assert client.get(f"/tasks/{tid}/files/{sha}").status_code == 404
