"""Units as stored (the `unit` table): what `phancap units list` shows and `user add --unit` expects."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from phancap.engine.db import Database


def list_units(db: Database, region: str | None = None) -> list[dict[str, Any]]:
    """code, name, kind, region of every stored unit (of one registry if `region`), by region and code."""
    query = "SELECT code, name, kind, region FROM unit"
    params: dict[str, Any] = {}
    if region is not None:
        query += " WHERE region = :region"
        params["region"] = region
    with db.engine.connect() as conn:
        rows = conn.execute(text(query + " ORDER BY region, code"), params).mappings().all()
    return [dict(r) for r in rows]
