"""Liveness, database reachability, the worker's heartbeat and the outbox lag; public, so only counts and ages.
503 with the reason when the database does not answer."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from phancap.api.deps import ServicesDep
from phancap.api.schemas import Health, HealthDown, OutboxHealth, WorkerHealth
from phancap.engine.outbox import health
from phancap.engine.queries import ping

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)


@router.get("/healthz", response_model=Health, responses={503: {"model": HealthDown}})
def healthz(services: ServicesDep) -> Health | JSONResponse:
    db = services.db
    try:
        ping(db)
        found = health(db, services.clock.now())
    except Exception as exc:  # noqa: BLE001 - whatever stops the database answering, the answer is 503
        log.warning("health check: database unreachable", extra={"error": f"{type(exc).__name__}: {exc}"[:500]})
        down = HealthDown(status="unavailable", database="unreachable",
                          reason=f"the database does not answer ({type(exc).__name__})")
        return JSONResponse(down.model_dump(), status_code=503, headers={"Retry-After": "30"})
    return Health(status="ok", database="ok", worker=WorkerHealth(**found["worker"]),
                  outbox=OutboxHealth(**found["outbox"]))
