"""Liveness and database reachability; public."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from phancap.api.deps import DatabaseDep
from phancap.api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz(db: DatabaseDep) -> Health:
    with db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return Health(status="ok", database="ok")
