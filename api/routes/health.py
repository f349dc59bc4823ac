"""Liveness and database reachability; public."""

from __future__ import annotations

from fastapi import APIRouter

from phancap.api.deps import DatabaseDep
from phancap.api.schemas import Health
from phancap.engine.queries import ping

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz(db: DatabaseDep) -> Health:
    ping(db)
    return Health(status="ok", database="ok")
