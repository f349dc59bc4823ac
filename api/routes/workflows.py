"""Workflow definitions as loaded, and their diagrams."""

from __future__ import annotations

from fastapi import APIRouter, Response

from phancap.api.deps import CurrentUser, ServicesDep
from phancap.api.diagram import render_svg
from phancap.api.errors import ApiError
from phancap.api.schemas import (
    ErrorBody,
    StatePublic,
    TransitionDefPublic,
    WorkflowDetail,
    WorkflowSummary,
)
from phancap.api.services import Services
from phancap.engine.workflow import Workflow

router = APIRouter(prefix="/workflows", tags=["workflows"], responses={401: {"model": ErrorBody}})


def get_workflow(services: Services, name: str) -> Workflow:
    machine = services.workflows.get(name)
    if machine is None:
        raise ApiError("not_found", f"Không có quy trình '{name}'", f"no workflow '{name}'")
    return machine.workflow


@router.get("", response_model=list[WorkflowSummary])
def workflows(services: ServicesDep, user: CurrentUser) -> list[WorkflowSummary]:
    return [WorkflowSummary(name=w.name, title=w.title, initial=w.initial, states=len(w.states),
                            transitions=len(w.transitions))
            for w in (m.workflow for m in services.workflows.values())]


@router.get("/{name}", response_model=WorkflowDetail, responses={404: {"model": ErrorBody}})
def workflow(services: ServicesDep, user: CurrentUser, name: str) -> WorkflowDetail:
    """States and every transition (including those the engine derives from the overdue policy)."""
    w = get_workflow(services, name)
    return WorkflowDetail(
        name=w.name, title=w.title, initial=w.initial, overdue_state=w.overdue.state if w.overdue else None,
        states=[StatePublic(name=s.name, label=s.label, description=s.description, final=s.final)
                for s in w.states.values()],
        transitions=[TransitionDefPublic(trigger=t.trigger, label=t.label, source=t.source, dest=t.dest,
                                         grants=[str(g) for g in t.grants], requires=list(t.requires),
                                         guards=list(t.guards)) for t in w.transitions],
    )


@router.get("/{name}/diagram.svg", response_class=Response,
            responses={200: {"content": {"image/svg+xml": {}}}, 404: {"model": ErrorBody}})
def diagram(services: ServicesDep, user: CurrentUser, name: str, current: str | None = None) -> Response:
    """The diagram drawn from the definition; `current` marks a state."""
    w = get_workflow(services, name)
    return Response(render_svg(w, current if current in w.states else None), media_type="image/svg+xml")
