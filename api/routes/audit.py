"""The audit trail for auditors and monitors: search, CSV and JSON Lines export, chain verification."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from phancap.api.deps import CurrentUser, ServicesDep
from phancap.api.exports import audit_csv, audit_jsonl
from phancap.api.limits import moment
from phancap.api.schemas import AuditEventPublic, AuditVerify, ErrorBody
from phancap.api.views import event_fields
from phancap.engine.queries import verify_audit
from phancap.engine.users import User
from phancap.engine.policy import READ_AUDIT
from phancap.engine.visibility import AuditFilter, search_audit

router = APIRouter(prefix="/audit", tags=["audit"], responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody},
                                                              422: {"model": ErrorBody}})

def require_auditor(user: User) -> None:
    READ_AUDIT.require(user)


@router.get("", response_model=list[AuditEventPublic],
            responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}})
def audit(services: ServicesDep, user: CurrentUser,
          plan: str | None = None, unit: str | None = None, actor: str | None = None, trigger: str | None = None,
          since: Annotated[str | None, Query(description="ISO date or instant, inclusive")] = None,
          until: Annotated[str | None, Query(description="ISO date (whole day) or instant")] = None,
          task: int | None = None,
          format: Literal["json", "csv", "jsonl"] = "json",
          limit: Annotated[int | None, Query(ge=1, le=100_000)] = None,
          offset: Annotated[int, Query(ge=0)] = 0) -> object:
    """Audit events in the order they happened. format=csv or jsonl downloads them."""
    require_auditor(user)
    window = moment("query.since", since), moment("query.until", until)
    rows = search_audit(services.db, AuditFilter(plan, unit, actor, trigger, *window, task), limit, offset)
    if format == "csv":
        return StreamingResponse(audit_csv(rows), media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": 'attachment; filename="phancap-audit.csv"'})
    if format == "jsonl":
        return StreamingResponse(audit_jsonl(rows), media_type="application/x-ndjson",
                                 headers={"Content-Disposition": 'attachment; filename="phancap-audit.jsonl"'})
    return [AuditEventPublic(**event_fields(r)) for r in rows]


@router.get("/verify", response_model=AuditVerify)
def verify(services: ServicesDep, user: CurrentUser) -> AuditVerify:
    """Recompute every task's hash chain; `ok` is true when nothing was edited, inserted or removed."""
    require_auditor(user)
    return AuditVerify(**verify_audit(services.db).to_json())
