"""Liveness and database reachability; public. 503 with the reason when the database does not answer."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from phancap.api.deps import DatabaseDep
from phancap.api.schemas import Health, HealthDown
from phancap.engine.queries import ping

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)


@router.get("/healthz", response_model=Health, responses={503: {"model": HealthDown}})
def healthz(db: DatabaseDep) -> Health | JSONResponse:
    try:
        ping(db)
    except Exception as exc:  # noqa: BLE001 - whatever stops the database answering, the answer is 503
        log.warning("health check: database unreachable", extra={"error": f"{type(exc).__name__}: {exc}"[:500]})
        down = HealthDown(status="unavailable", database="unreachable",
                          reason=f"the database does not answer ({type(exc).__name__})")
        return JSONResponse(down.model_dump(), status_code=503, headers={"Retry-After": "30"})
    return Health(status="ok", database="ok")
