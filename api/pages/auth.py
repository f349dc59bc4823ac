"""Signing in and out of the pages: a login form, a signed session cookie, CSRF on every form."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from phancap.api.deps import FormUser, ServicesDep
from phancap.api.pages.render import render
from phancap.api.routes.auth import client_ip
from phancap.api.security import CSRF_COOKIE, SESSION_COOKIE, same
from phancap.api.services import Services
from phancap.engine.accounts import LoginRefused, authenticate

router = APIRouter()
CSRF_AGE = 3600


def safe_next(target: str | None) -> str:
    """Only a path on this site: never an absolute or protocol-relative address."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _cookie(response: Response, services: Services, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax",
                        secure=services.settings.cookie_secure, path="/")


def _login_page(request: Request, services: Services, error: str | None = None, status: int = 200,
                name: str = "", next_url: str = "/") -> Response:
    signer = services.signer
    token = signer.read_anonymous_csrf(request.cookies.get(CSRF_COOKIE), CSRF_AGE)
    cookie = None
    if token is None:
        cookie, token = signer.anonymous_csrf()
    request.state.csrf = token
    response = render(request, "login.html", {"error": error, "name": name, "next": safe_next(next_url)}, status)
    if cookie:
        _cookie(response, services, CSRF_COOKIE, cookie, CSRF_AGE)
    return response


@router.get("/login")
def login_form(request: Request, services: ServicesDep, next: str = "/") -> Response:
    return _login_page(request, services, next_url=next)


@router.post("/login")
def login(request: Request, services: ServicesDep, username: Annotated[str, Form(max_length=64)],
          password: Annotated[str, Form(max_length=1024)], csrf_token: Annotated[str, Form()] = "",
          next: Annotated[str, Form()] = "/") -> Response:
    expected = services.signer.read_anonymous_csrf(request.cookies.get(CSRF_COOKIE), CSRF_AGE)
    if not same(csrf_token, expected):
        return _login_page(request, services, "Biểu mẫu đã cũ; hãy đăng nhập lại.", 403, username, next)
    try:
        user = authenticate(services.db, username, password, client_ip(request, services), services.login_policy)
    except LoginRefused as exc:
        page = _login_page(request, services, exc.message_vi, 429 if exc.rule == "throttled" else 401,
                           username, next)
        if exc.retry_after is not None:
            page.headers["Retry-After"] = str(exc.retry_after)
        return page
    cookie, _session = services.signer.session(user.name)
    response = RedirectResponse(safe_next(next), status_code=303)
    _cookie(response, services, SESSION_COOKIE, cookie, int(services.settings.session_ttl.total_seconds()))
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, services: ServicesDep, user: FormUser) -> Response:
    """Ends the session on the server too: the cookie, even if kept, is refused from now on."""
    services.signer.end_session(request.state.session)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
