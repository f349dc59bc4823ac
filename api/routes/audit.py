"""The audit trail for auditors and monitors: search, CSV and JSON Lines export, chain verification."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from phancap.api.deps import CurrentUser, ServicesDep
from phancap.api.exports import audit_csv, audit_jsonl
from phancap.api.limits import moment
from phancap.api.schemas import AuditCheckpointPublic, AuditEventPage, AuditEventPublic, AuditVerify, ErrorBody
from phancap.api.views import event_fields
from phancap.engine.audit_checkpoint import verify_full, verify_incremental
from phancap.engine.clock import stamp
from phancap.engine.users import User
from phancap.engine.policy import READ_AUDIT
from phancap.engine.visibility import AuditFilter, audit_page, iter_audit, search_audit

router = APIRouter(prefix="/audit", tags=["audit"], responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody},
                                                              422: {"model": ErrorBody}})

def require_auditor(user: User) -> None:
    READ_AUDIT.require(user)


@router.get("", response_model=list[AuditEventPublic],
            responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}})
def audit(request: Request, response: Response, services: ServicesDep, user: CurrentUser,
          plan: str | None = None, unit: str | None = None, actor: str | None = None, trigger: str | None = None,
          since: Annotated[str | None, Query(description="ISO date or instant, inclusive")] = None,
          until: Annotated[str | None, Query(description="ISO date (whole day) or instant")] = None,
          task: int | None = None,
          format: Literal["json", "csv", "jsonl"] = "json",
          limit: Annotated[int | None, Query(ge=1, le=100_000)] = None,
          offset: Annotated[int, Query(ge=0, description="deprecated: page with `after`")] = 0,
          after: Annotated[int | None, Query(ge=0, le=2**62, description="keyset paging: the events with an id above this, in "
                                                               "id order (the `Link: rel=next` header gives the next)")] = None,
          ) -> object:
    """Audit events in the order they happened. format=csv or jsonl downloads them (all of them, read page by page,
    in id order, unless `limit`, `offset` or `after` is given). GET /audit/events pages with the cursor in the JSON."""
    require_auditor(user)
    window = moment("query.since", since), moment("query.until", until)
    filters = AuditFilter(plan, unit, actor, trigger, *window, task)
    rows: Iterable[dict[str, object]]
    headers: dict[str, str] = {}
    if after is not None:
        page, cursor = audit_page(services.db, filters, after, limit or 1000)
        rows, headers = page, ({} if cursor is None else {"Link": f'<{_next_url(request, cursor)}>; rel="next"'})
    elif format != "json" and limit is None and offset == 0:
        rows = iter_audit(services.db, filters)
    else:
        rows = search_audit(services.db, filters, limit, offset)
    if format == "csv":
        return StreamingResponse(audit_csv(rows), media_type="text/csv; charset=utf-8",
                                 headers={**headers, "Content-Disposition": 'attachment; filename="phancap-audit.csv"'})
    if format == "jsonl":
        return StreamingResponse(audit_jsonl(rows), media_type="application/x-ndjson",
                                 headers={**headers, "Content-Disposition": 'attachment; filename="phancap-audit.jsonl"'})
    response.headers.update(headers)
    return [AuditEventPublic(**event_fields(r)) for r in rows]


def _next_url(request: Request, cursor: int) -> str:
    return str(request.url.include_query_params(after=cursor))


@router.get("/events", response_model=AuditEventPage)
def events(services: ServicesDep, user: CurrentUser,
           plan: str | None = None, unit: str | None = None, actor: str | None = None, trigger: str | None = None,
           since: Annotated[str | None, Query(description="ISO date or instant, inclusive")] = None,
           until: Annotated[str | None, Query(description="ISO date (whole day) or instant")] = None,
           task: int | None = None,
           after: Annotated[int, Query(ge=0, le=2**62, description="the `next` of the page before (0: from the start)")] = 0,
           limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> AuditEventPage:
    """One page of the search by keyset, in id order, and `next`, the `after` of the following page (null when
    this page is the last so far: events recorded later come after it)."""
    require_auditor(user)
    window = moment("query.since", since), moment("query.until", until)
    rows, cursor = audit_page(services.db, AuditFilter(plan, unit, actor, trigger, *window, task), after, limit)
    return AuditEventPage(events=[AuditEventPublic(**event_fields(r)) for r in rows], next=cursor)


@router.get("/verify", response_model=AuditVerify)
def verify(services: ServicesDep, user: CurrentUser,
           incremental: Annotated[bool, Query(description="only the events after the newest good checkpoint "
                                                          "(engine/audit_checkpoint.py says what that can promise)")] = False
           ) -> AuditVerify:
    """Recompute every task's hash chain; `ok` is true when nothing was edited, inserted or removed. Each run is
    recorded as a checkpoint."""
    require_auditor(user)
    run = verify_incremental if incremental else verify_full
    report, point = run(services.db, user.name, stamp(services.clock.now()))
    checkpoint = {k: v for k, v in point.to_json().items() if k in AuditCheckpointPublic.model_fields}
    return AuditVerify(**report.to_json(), checkpoint=AuditCheckpointPublic(**checkpoint))
