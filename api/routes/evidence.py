"""Evidence uploads: a file for a task, kept under its SHA-256 (engine/evidence.py); its hash is what a
transition's `evidence.sha256` carries, on that same task only. Download for whoever may see a task the
file was uploaded for (never a task that merely cites it)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Path, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from phancap.api.deps import CurrentUser, ServicesDep
from phancap.api.errors import ApiError
from phancap.api.schemas import ErrorBody
from phancap.engine.clock import stamp
from phancap.api.services import Services
from phancap.engine.evidence import ACCEPTED, EvidenceStore, may_download, require_upload_allowed, store_upload
from phancap.engine.users import User

router = APIRouter(tags=["evidence"], responses={401: {"model": ErrorBody}})

MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around the file, beyond the file's own limit
UPLOAD_BODY = {
    "required": True,
    "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary",
                                "description": "PDF, DOCX, XLSX, PNG or JPEG"}},
    }}},
}


class EvidencePublic(BaseModel):
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="put this in a transition's evidence.sha256")
    size: int = Field(ge=1)
    media_type: str
    name: str = Field(description="the uploaded file's name, for display only (never a storage path)")


def evidence_store(request: Request) -> EvidenceStore:
    """One store per application, from PHANCAP_EVIDENCE_DIR and PHANCAP_EVIDENCE_MAX_BYTES (tests may set
    `app.state.evidence_store` beforehand)."""
    store = getattr(request.app.state, "evidence_store", None)
    if store is None:
        store = request.app.state.evidence_store = EvidenceStore.from_env()
    assert isinstance(store, EvidenceStore)
    return store


def evidence_not_found(sha256: str) -> ApiError:
    return ApiError("not_found", "Không có tệp minh chứng này (hoặc bạn không được xem)",
                    "no such evidence file (or not visible to you)", extra={"sha256": sha256})


def missing_file() -> ApiError:
    return ApiError("request", "Thiếu tệp minh chứng (trường 'file', multipart/form-data)",
                    "the evidence file is missing (field 'file', multipart/form-data)", extra={"field": "file"})


@router.post("/tasks/{task_id}/evidence", response_model=EvidencePublic, status_code=201,
             openapi_extra={"requestBody": UPLOAD_BODY},
             responses={403: {"model": ErrorBody}, 404: {"model": ErrorBody}, 413: {"model": ErrorBody},
                        415: {"model": ErrorBody}, 422: {"model": ErrorBody}})
async def upload_evidence(request: Request, services: ServicesDep, user: CurrentUser,
                          task_id: Annotated[int, Path(ge=1, le=2**63 - 1)]) -> EvidencePublic:
    """Upload a file for a task the caller may see and act on now; limited in size (PHANCAP_EVIDENCE_MAX_BYTES,
    10 MB by default) and in type (checked by content). Stored under its SHA-256, whatever its name, and
    recorded for this task: only this task may cite it. Permission is checked before the body is read."""
    await run_in_threadpool(require_upload_allowed, services.db, user, task_id,
                            lambda: services.engine.triggers(task_id, user.name))
    store = evidence_store(request)
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > store.max_bytes + MULTIPART_OVERHEAD:
        raise ApiError("too_large", f"Tệp minh chứng quá lớn (tối đa {store.max_bytes} byte)",
                       f"evidence file too large (at most {store.max_bytes} bytes)")
    try:
        form = await request.form(max_files=1, max_fields=16)
    except HTTPException:  # not multipart, or malformed
        raise missing_file() from None
    try:
        file = form.get("file")
        if not isinstance(file, UploadFile):
            raise missing_file()
        stored = await run_in_threadpool(store_upload, services.db, store, task_id, file.file, file.filename,
                                         user, stamp(services.engine.clock.now()))
    finally:
        await form.close()
    return EvidencePublic(**stored.to_json())


@router.get("/evidence/{sha256}", response_class=FileResponse,
            responses={200: {"content": {media: {} for media in ACCEPTED},
                             "description": "the file, as an attachment"},
                       404: {"model": ErrorBody}})
def download_evidence(request: Request, services: ServicesDep, user: CurrentUser,
                      sha256: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")]) -> FileResponse:
    """The file, for a caller who may see a task it was uploaded for."""
    return evidence_file(services, user, evidence_store(request), sha256)


def evidence_file(services: Services, user: User, store: EvidenceStore, sha256: str) -> FileResponse:
    """The file as an attachment, for the API and the pages alike (404 unless the engine allows it)."""
    found = store.get(sha256)
    if found is None or not may_download(services.db, user, sha256):
        raise evidence_not_found(sha256)
    stored, path = found
    disposition = f"attachment; filename*=UTF-8''{quote(stored.name, safe='')}"
    return FileResponse(path, media_type=stored.media_type, headers={"Content-Disposition": disposition})
