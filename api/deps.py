"""Dependencies, as `Annotated` aliases: the database, a SQLModel session, the engine, the caller.

Those that only hand over an object are `async` (no thread-pool hop); those that touch the
database stay plain functions, which FastAPI runs in its thread pool."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session

from phancap.api.errors import ApiError, LoginRequired, not_authenticated
from phancap.api.security import SESSION_COOKIE, same
from phancap.api.services import Services
from phancap.engine.db import Database
from phancap.engine.runtime import TaskEngine
from phancap.engine.users import User

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def get_services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


ServicesDep = Annotated[Services, Depends(get_services)]


async def get_db(services: ServicesDep) -> Database:
    return services.db


DatabaseDep = Annotated[Database, Depends(get_db)]


def get_session(db: DatabaseDep) -> Iterator[Session]:
    with db.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


async def get_engine(services: ServicesDep) -> TaskEngine:
    return services.engine


EngineDep = Annotated[TaskEngine, Depends(get_engine)]


def current_user(services: ServicesDep, token: Annotated[str | None, Depends(oauth2_scheme)]) -> User:
    """The bearer token's user; 401 when the token is missing, forged, expired, ended (logout, password
    change, deactivation) or the user is gone."""
    if not token:
        raise not_authenticated()
    user = services.signer.token_user(token, services.settings.token_ttl.total_seconds())
    if user is None:
        raise not_authenticated()
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def page_user(request: Request, services: ServicesDep) -> User:
    """The session cookie's user (pages); redirects to /login when there is none or it was ended."""
    session = services.signer.read_session(request.cookies.get(SESSION_COOKIE),
                                           services.settings.session_ttl.total_seconds())
    user = services.signer.session_user(session) if session else None
    if session is None or user is None:
        raise LoginRequired()
    request.state.session = session
    request.state.csrf = session.csrf
    request.state.user = user
    return user


PageUser = Annotated[User, Depends(page_user)]


def form_page_user(request: Request, user: PageUser, csrf_token: Annotated[str, Form()] = "") -> User:
    """A page form's sender: signed in, and the form carries the session's CSRF token."""
    if not same(csrf_token, getattr(request.state, "csrf", None)):
        raise ApiError("csrf", "Phiên làm việc không hợp lệ hoặc biểu mẫu đã cũ; hãy tải lại trang",
                       "missing or wrong CSRF token; reload the page")
    return user


FormUser = Annotated[User, Depends(form_page_user)]
