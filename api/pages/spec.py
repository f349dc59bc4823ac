"""Đặc tả (/dac-ta): the Vietnamese feature files, readable by non-programmers, with the last run's result."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from phancap.api.deps import PageUser, ServicesDep
from phancap.api.pages.render import render
from phancap.api.routes.spec import load_spec

router = APIRouter()
STATUS_VI = {"passed": "đạt", "failed": "không đạt", "skipped": "bỏ qua", None: "chưa chạy"}


@router.get("/dac-ta")
def spec_page(request: Request, services: ServicesDep, user: PageUser) -> Response:
    return render(request, "spec.html", {"spec": load_spec(services.settings), "status_vi": STATUS_VI})
