"""Evidence files (minh chứng): stored once under their SHA-256, never under a name a user chose.

An upload is streamed to a temporary file inside the store while it is hashed and counted; past the
size limit it is refused; its type is read from its first bytes (PDF, DOCX, XLSX, PNG, JPEG), not
from its name; then it is renamed to `<dir>/<sha[:2]>/<sha>`. A sidecar `<sha>.json` keeps the
detected type, the size, the first name given (shown only, sanitised) and the tasks it was uploaded
for. The hash is what a transition's `evidence.sha256` carries. Knows nothing of HTTP."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import text

from phancap.engine.db import Database
from phancap.engine.errors import Refusal
from phancap.engine.settings import DEFAULT_EVIDENCE_DIR as DEFAULT_DIR
from phancap.engine.settings import DEFAULT_EVIDENCE_MAX_BYTES as DEFAULT_MAX_BYTES
from phancap.engine.settings import Settings
CHUNK = 1 << 16
SHA256 = re.compile(r"^[0-9a-f]{64}$")

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ACCEPTED = {PDF: ".pdf", PNG: ".png", JPEG: ".jpg", DOCX: ".docx", XLSX: ".xlsx"}


class EvidenceRefused(Refusal):
    """An upload the store will not keep; `rule` is 'too_large' or 'type'."""


@dataclass(frozen=True)
class StoredEvidence:
    sha256: str
    size: int
    media_type: str
    name: str

    def to_json(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "size": self.size, "media_type": self.media_type, "name": self.name}


def detect_type(path: Path) -> str | None:
    """The media type from the content: magic bytes, and for ZIP containers the OOXML part names."""
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        if "[Content_Types].xml" not in names:
            return None
        if "word/document.xml" in names:
            return DOCX
        if "xl/workbook.xml" in names:
            return XLSX
    return None


def safe_name(name: str | None, media_type: str) -> str:
    """A display name only: the last path component, no control characters, bounded length."""
    raw = unicodedata.normalize("NFC", name or "")
    raw = re.split(r"[\\/]", raw)[-1]
    raw = "".join(c for c in raw if unicodedata.category(c)[0] != "C").strip().strip(".")
    if not raw:
        raw = "minh-chung" + ACCEPTED[media_type]
    return raw[:200]


class EvidenceStore:
    def __init__(self, directory: Path | str = DEFAULT_DIR, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if max_bytes < 1:
            raise ValueError("PHANCAP_EVIDENCE_MAX_BYTES must be at least 1")
        self.directory = Path(directory).resolve()
        self.max_bytes = max_bytes

    @classmethod
    def from_env(cls) -> EvidenceStore:
        return cls.from_settings(Settings.from_env())

    @classmethod
    def from_settings(cls, settings: Settings) -> EvidenceStore:
        return cls(settings.evidence_dir, settings.evidence_max_bytes)

    def path_of(self, sha256: str) -> Path:
        if not SHA256.match(sha256):
            raise ValueError("not a SHA-256 in lower-case hex")
        return self.directory / sha256[:2] / sha256

    def _meta_path(self, sha256: str) -> Path:
        return self.path_of(sha256).with_suffix(".json")

    def save(self, stream: BinaryIO, name: str | None, task_id: int | None = None,
             uploader: str | None = None) -> StoredEvidence:
        """Hash, count and check the upload; keep it under its hash (once: the same content is stored once)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".upload-", dir=self.directory)
        tmp = Path(tmp_name)
        try:
            digest, size = hashlib.sha256(), 0
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise EvidenceRefused(
                            "too_large", f"Tệp minh chứng quá lớn (tối đa {self.max_bytes} byte)",
                            f"evidence file too large (at most {self.max_bytes} bytes)")
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if size == 0:
                raise EvidenceRefused("type", "Tệp minh chứng rỗng", "the evidence file is empty")
            media_type = detect_type(tmp)
            if media_type is None:
                raise EvidenceRefused("type", "Chỉ nhận tệp PDF, DOCX, XLSX, PNG hoặc JPEG (theo nội dung tệp)",
                                      "only PDF, DOCX, XLSX, PNG or JPEG files are accepted (by their content)")
            sha = digest.hexdigest()
            final = self.path_of(sha)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, final)  # same content, same name: a second upload replaces identical bytes
            _fsync_dir(final.parent)
        finally:
            tmp.unlink(missing_ok=True)
        meta = self._update_meta(sha, size, media_type, safe_name(name, media_type), task_id, uploader)
        return StoredEvidence(sha, size, meta["media_type"], meta["name"])

    def _update_meta(self, sha: str, size: int, media_type: str, name: str, task_id: int | None,
                     uploader: str | None) -> dict[str, Any]:
        meta_path = self._meta_path(sha)
        with (self.directory / ".lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # several workers may store the same file at once
            meta = self._read_meta(meta_path) or {"sha256": sha, "size": size, "media_type": media_type,
                                                  "name": name, "tasks": [], "uploaders": []}
            if task_id is not None and task_id not in meta["tasks"]:
                meta["tasks"].append(task_id)
            if uploader and uploader not in meta["uploaders"]:
                meta["uploaders"].append(uploader)
            tmp = meta_path.with_suffix(".json.tmp")
            tmp.write_text(json.dumps(meta, ensure_ascii=False, sort_keys=True), encoding="utf-8")
            os.replace(tmp, meta_path)
        return meta

    @staticmethod
    def _read_meta(path: Path) -> dict[str, Any] | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def get(self, sha256: str) -> tuple[StoredEvidence, Path, list[int]] | None:
        """The stored file, its description and the tasks it was uploaded for; None when absent."""
        if not SHA256.match(sha256):
            return None
        path = self.path_of(sha256)
        meta = self._read_meta(self._meta_path(sha256))
        if meta is None or not path.is_file():
            return None
        stored = StoredEvidence(sha256, int(meta["size"]), str(meta["media_type"]), str(meta["name"]))
        return stored, path, [int(t) for t in meta.get("tasks", [])]


def referencing_tasks(db: Database, sha256: str) -> list[int]:
    """Tasks whose audit trail cites this file in a transition's evidence."""
    if not SHA256.match(sha256):
        return []
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT DISTINCT task_id FROM audit_event WHERE evidence LIKE :p"),
                            {"p": f'%"sha256":"{sha256}"%'}).all()
    return [int(r[0]) for r in rows]


def candidate_tasks(db: Database, sha256: str, uploaded_for: Iterable[int]) -> list[int]:
    return sorted(set(uploaded_for) | set(referencing_tasks(db, sha256)))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
