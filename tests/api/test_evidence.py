"""Evidence uploads: limited in size and type (by content), stored under their SHA-256 and never under a
user-given path, downloadable by whoever may see a task that cites them."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from docx import Document
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import Workbook

from phancap.engine.evidence import DOCX, JPEG, PDF, PNG, XLSX, EvidenceStore, safe_name
from phancap.engine.runtime import TaskEngine
from tests.api.conftest import bearer
from tests.api.helpers import assert_refusal, sct_task

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
