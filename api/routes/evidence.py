"""Evidence uploads: a file for a task, kept under its SHA-256 (engine/evidence.py); its hash is what a
transition's `evidence.sha256` carries. Download for whoever may see a task that cites the file."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Path, Request, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from phancap.api.deps import CurrentUser, ServicesDep
from phancap.api.errors import ApiError, task_not_found
from phancap.api.schemas import ErrorBody
from phancap.engine.evidence import ACCEPTED, EvidenceStore, candidate_tasks
from phancap.engine.policy import sees_all
from phancap.engine.visibility import visible_task

router = APIRouter(tags=["evidence"], responses={401: {"model": ErrorBody}})


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


@router.post("/tasks/{task_id}/evidence", response_model=EvidencePublic, status_code=201,
             responses={403: {"model": ErrorBody}, 404: {"model": ErrorBody}, 413: {"model": ErrorBody},
                        415: {"model": ErrorBody}, 422: {"model": ErrorBody}})
def upload_evidence(request: Request, services: ServicesDep, user: CurrentUser,
                    task_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
                    file: Annotated[UploadFile, File(description="PDF, DOCX, XLSX, PNG or JPEG")]) -> EvidencePublic:
    """Upload a file for a task the caller may act on now; limited in size (PHANCAP_EVIDENCE_MAX_BYTES,
    10 MB by default) and in type (checked by content). Stored under its SHA-256, whatever its name."""
    if visible_task(services.db, user, task_id) is None:
        raise task_not_found(task_id)
    if not services.engine.triggers(task_id, user.name):
        raise ApiError("role", "Bạn không có thao tác nào trên nhiệm vụ này nên không thể nộp minh chứng",
                       "you may not act on this task now, so you may not upload evidence for it",
                       extra={"task": task_id})
    stored = evidence_store(request).save(file.file, file.filename, task_id=task_id, uploader=user.name)
    return EvidencePublic(**stored.to_json())


@router.get("/evidence/{sha256}", response_class=FileResponse,
            responses={200: {"content": {media: {} for media in ACCEPTED},
                             "description": "the file, as an attachment"},
                       404: {"model": ErrorBody}})
def download_evidence(request: Request, services: ServicesDep, user: CurrentUser,
                      sha256: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")]) -> FileResponse:
    """The file, for a caller who may see a task it was uploaded for or whose history cites it."""
    found = evidence_store(request).get(sha256)
    if found is None:
        raise evidence_not_found(sha256)
    stored, path, uploaded_for = found
    tasks = candidate_tasks(services.db, sha256, uploaded_for)
    if not (tasks and (sees_all(user) or any(visible_task(services.db, user, t) for t in tasks))):
        raise evidence_not_found(sha256)
    disposition = f"attachment; filename*=UTF-8''{quote(stored.name, safe='')}"
    return FileResponse(path, media_type=stored.media_type, headers={"Content-Disposition": disposition})
