"""Evidence files (minh chứng): stored once under their SHA-256, never under a name a user chose.

An upload is streamed to a temporary file inside the store while it is hashed and counted; past the
size limit it is refused; its type is read from its first bytes (PDF, DOCX, XLSX, PNG, JPEG), not
from its name; then it is renamed to `<dir>/<sha[:2]>/<sha>`. A sidecar `<sha>.json` keeps the
detected type, the size and the first name given (shown only, sanitised). A failed or aborted upload
leaves no temporary file: it is removed on failure, and what a killed process left (older than an
hour) is swept when the store is opened at start and on every upload.

Evidence belongs to the task it was uploaded for: each upload is a row of `evidence_upload` (task,
hash, uploader, unit, time, name, type, size). A transition may cite only a file uploaded for that
same task (checked in the transition's own transaction, rule `evidence`), and a download is
authorised by the tasks the file was uploaded for, never by a task that merely cites its hash.
Knows nothing of HTTP."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import tempfile
import time
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select

from phancap.engine.db import Database
from phancap.engine.errors import Refusal, TransitionNotAllowed
from phancap.engine.models import EvidenceUpload
from phancap.engine.policy import may_upload_evidence
from phancap.engine.users import User
from phancap.engine.visibility import visible_task
from phancap.engine.settings import DEFAULT_EVIDENCE_DIR as DEFAULT_DIR
from phancap.engine.settings import DEFAULT_EVIDENCE_MAX_BYTES as DEFAULT_MAX_BYTES
from phancap.engine.settings import Settings

CHUNK = 1 << 16
TEMP_PREFIX = ".upload-"
STALE_AFTER = 3600.0  # seconds: a temporary file this old belongs to no live upload (its writes touch it)
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
        """The server's store; opening it (at start) sweeps what a killed upload left behind."""
        store = cls(settings.evidence_dir, settings.evidence_max_bytes)
        store.sweep_stale()
        return store

    def sweep_stale(self, max_age: float = STALE_AFTER, now: float | None = None) -> int:
        """Remove temporary files (partial uploads, unfinished sidecars) older than `max_age` seconds, left by a
        process killed mid-upload; returns how many. A live upload keeps touching its file, so it is spared."""
        limit = (time.time() if now is None else now) - max_age
        removed = 0
        try:
            candidates = [p for p in self.directory.iterdir() if p.name.startswith(TEMP_PREFIX)]
        except OSError:
            return 0
        for sub in self.directory.glob("??/*.json.tmp"):
            candidates.append(sub)
        for path in candidates:
            try:
                if path.is_file() and path.stat().st_mtime < limit:
                    path.unlink()
                    removed += 1
            except OSError:
                continue  # gone already (another worker swept it) or not ours to remove
        return removed

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
        self.sweep_stale()
        fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=self.directory)
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

    def get(self, sha256: str) -> tuple[StoredEvidence, Path] | None:
        """The stored file and its description; None when absent. Who may have it is `uploaded_for`'s to say."""
        if not SHA256.match(sha256):
            return None
        path = self.path_of(sha256)
        meta = self._read_meta(self._meta_path(sha256))
        if meta is None or not path.is_file():
            return None
        stored = StoredEvidence(sha256, int(meta["size"]), str(meta["media_type"]), str(meta["name"]))
        return stored, path


def require_upload_allowed(db: Database, user: User, task_id: int, allowed: Callable[[], Sequence[Any]]) -> None:
    """Before any byte of the upload is read: the caller sees the task (else the same answer as a missing task) and
    may act on it now (`allowed` lists what the caller may fire; the rule is engine/policy.py's)."""
    sees = visible_task(db, user, task_id) is not None
    if not sees:
        raise TransitionNotAllowed("task", f"Không có nhiệm vụ số {task_id} (hoặc bạn không được xem)",
                                   f"no task {task_id} (or not visible to you)", task_id=task_id)
    if not may_upload_evidence(sees, bool(allowed())):
        raise Refusal("role", "Bạn không có thao tác nào trên nhiệm vụ này nên không thể nộp minh chứng",
                      "you may not act on this task now, so you may not upload evidence for it",
                      extra={"task": task_id})


def store_upload(db: Database, store: EvidenceStore, task_id: int, stream: BinaryIO, name: str | None,
                 user: User, at: str) -> StoredEvidence:
    """Keep the file (checked, under its hash) and record that it was uploaded for this task. Call only after
    `require_upload_allowed`."""
    stored = store.save(stream, name, task_id=task_id, uploader=user.name)
    record_upload(db, task_id, stored, user.name, user.unit, at)
    return stored


def record_upload(db: Database, task_id: int, stored: StoredEvidence, uploader: str, unit: str | None,
                  at: str) -> None:
    """The upload belongs to this task: from now on the task may cite it and its viewers may download it."""
    with db.write() as cur:
        cur.execute(db.sql("INSERT INTO evidence_upload (task_id, sha256, uploader, unit, at, name, media_type, size, "
                           "source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'upload')"),
                    (task_id, stored.sha256, uploader, unit, at, stored.name[:255], stored.media_type, stored.size))


def uploaded_for(db: Database, sha256: str) -> list[int]:
    """The tasks this file was uploaded for (the only tasks that authorise its download)."""
    if not SHA256.match(sha256):
        return []
    e = EvidenceUpload.__table__.c  # type: ignore[attr-defined]
    with db.engine.connect() as conn:
        rows = conn.execute(select(e.task_id).where(e.sha256 == sha256).distinct().order_by(e.task_id)).all()
    return [int(r[0]) for r in rows]


def check_cited(cur: Any, db: Database, task_id: int, evidence: dict[str, Any] | None, *,
                state: str | None = None, trigger: str | None = None) -> None:
    """Inside the transition's transaction: a cited file must have been uploaded for this very task, so a hash
    from another task (or one never uploaded) neither grants its download nor satisfies "evidence required"."""
    sha = (evidence or {}).get("sha256")
    if not sha:
        return
    cur.execute(db.sql("SELECT 1 FROM evidence_upload WHERE task_id = ? AND sha256 = ? LIMIT 1"), (task_id, str(sha)))
    if cur.fetchone() is None:
        raise TransitionNotAllowed(
            "evidence",
            f"Tệp minh chứng {sha} chưa được nộp cho nhiệm vụ này; hãy tải tệp lên cho nhiệm vụ trước khi trích dẫn",
            f"evidence file {sha} was not uploaded for this task; upload it for this task before citing it",
            task_id=task_id, state=state, trigger=trigger)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def task_files(db: Database, task_id: int) -> list[dict[str, Any]]:
    """The files uploaded for a task, oldest first, one row per file: sha256, name, media_type, size,
    uploader, unit, at (the first upload's)."""
    e = EvidenceUpload.__table__.c  # type: ignore[attr-defined]
    with db.engine.connect() as conn:
        rows = conn.execute(select(e.sha256, e.name, e.media_type, e.size, e.uploader, e.unit, e.at)
                            .where(e.task_id == task_id).order_by(e.id)).mappings().all()
    seen: dict[str, dict[str, Any]] = {}
    for r in rows:
        seen.setdefault(r["sha256"], dict(r))
    return list(seen.values())


def may_download(db: Database, user: User, sha256: str) -> bool:
    """A file may be downloaded by whoever may see a task it was uploaded for (never by citing its hash)."""
    from phancap.engine.policy import sees_all
    from phancap.engine.visibility import visible_task

    tasks = uploaded_for(db, sha256)
    return bool(tasks) and (sees_all(user) or any(visible_task(db, user, t) is not None for t in tasks))
