"""OAuth2 password flow and the caller's identity."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm

from phancap.api.deps import CurrentUser, ServicesDep
from phancap.api.errors import ApiError
from phancap.api.schemas import ErrorBody, Token, UserPublic
from phancap.engine.accounts import LoginRefused, authenticate, unit_name
from phancap.engine.users import User
from phancap.engine.policy import may_audit, sees_all

router = APIRouter(tags=["auth"])


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "?"


@router.post("/auth/token", response_model=Token,
             responses={401: {"model": ErrorBody}, 429: {"model": ErrorBody}})
def login_for_token(services: ServicesDep, request: Request,
                    form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token:
    """Exchange a user name and password for a signed bearer token that expires."""
    try:
        user = authenticate(services.db, form.username, form.password, client_ip(request), services.clock,
                            services.login_policy)
    except LoginRefused as exc:
        raise ApiError("throttled" if exc.rule == "throttled" else "user", exc.message_vi, exc.message_en) from None
    return Token(access_token=services.signer.token(user.name),
                 expires_in=int(services.settings.token_ttl.total_seconds()))


def user_public(services: ServicesDep, user: User) -> UserPublic:
    return UserPublic(name=user.name, unit=user.unit, unit_name=unit_name(services.db, user.unit), roles=list(user.roles),
                      sees_all=sees_all(user), may_audit=may_audit(user))


@router.get("/me", response_model=UserPublic, responses={401: {"model": ErrorBody}})
def me(services: ServicesDep, user: CurrentUser) -> UserPublic:
    """Who the token belongs to: name, unit, roles, and what they may see."""
    return user_public(services, user)
