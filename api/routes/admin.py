"""The registry and the administrative log as JSON: units, groups and registries for every signed-in
user (what plans and forms name), the administrative events for administrators (their registry) and
auditors (every registry), newest first, paged by keyset (`before` = the last id seen)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from phancap.api.deps import CurrentUser, ServicesDep
from phancap.api.schemas import ErrorBody
from phancap.engine.unit_changes import list_changes
from phancap.engine.units import list_groups, list_registries, search_units
from phancap.engine.user_admin import search_admin_events

router = APIRouter(tags=["registry"], responses={401: {"model": ErrorBody}, 403: {"model": ErrorBody}})


@router.get("/registries")
def registries(services: ServicesDep, user: CurrentUser) -> list[dict[str, Any]]:
    """code, name, official_code, kind, units (active) of every registry."""
    return list_registries(services.db)


@router.get("/units")
def units(services: ServicesDep, user: CurrentUser, registry: str | None = None, kind: str | None = None,
          search: str | None = None, all: bool = False) -> list[dict[str, Any]]:
    """code, name, kind, registry, parent, aliases, active, official_code, official_name; `search` ignores
    case and diacritics; deactivated units only with all=true."""
    return search_units(services.db, region=registry, kind=kind, search=search, include_inactive=all)


@router.get("/groups")
def groups(services: ServicesDep, user: CurrentUser, registry: str | None = None) -> list[dict[str, Any]]:
    """name, registry, aliases, members, kinds of every group."""
    return list_groups(services.db, registry)


@router.get("/unit-changes")
def unit_changes(services: ServicesDep, user: CurrentUser, registry: str | None = None,
                 status: Annotated[str | None, Query(description="scheduled, applied, failed or cancelled")] = None
                 ) -> list[dict[str, Any]]:
    """Successions and renames decided by the registry's decisions: id, kind, units, successor, name, effective,
    decision, actor, scheduled_at, status, closed_at, result (what applying did, or why it failed)."""
    return list_changes(services.db, status=status, region=registry)


@router.get("/admin/events")
def admin_events(services: ServicesDep, user: CurrentUser, actor: str | None = None,
                 action: Annotated[str | None, Query(description="user.add … or a prefix: user.")] = None,
                 subject: str | None = None, contains: str | None = None,
                 since: str | None = None, until: str | None = None, before: int | None = None,
                 limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> list[dict[str, Any]]:
    """id, at, actor, action, registry, subject, data (old and new values), comment; newest first."""
    _, rows = search_admin_events(services.db, user, actor=actor, action=action, subject=subject, contains=contains,
                                  since=since, until=until, newest_first=True, before_id=before, limit=limit)
    return rows
