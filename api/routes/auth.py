"""OAuth2 password flow and the caller's identity."""

from __future__ import annotations

import ipaddress
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from phancap.api.deps import CurrentUser, ServicesDep, oauth2_scheme
from phancap.api.errors import ApiError
from phancap.api.schemas import ErrorBody, Token, UserPublic
from phancap.api.services import Services
from phancap.engine.accounts import LoginRefused, authenticate, unit_name
from phancap.engine.users import User
from phancap.engine.policy import may_audit, sees_all

router = APIRouter(tags=["auth"])


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def client_ip(request: Request, services: Services) -> str:
    """The address login throttling counts: the socket peer, unless the peer is a trusted proxy
    (PHANCAP_TRUSTED_PROXIES); then the nearest X-Forwarded-For hop that is not a trusted proxy."""
    peer = request.client.host if request.client else "?"
    trusted = services.settings.trusted_proxies
    if not trusted:
        return peer

    def is_trusted(value: str) -> bool:
        address = _address(value)
        return address is not None and any(address in network for network in trusted)

    if not is_trusted(peer):
        return peer
    hops = [h.strip() for value in request.headers.getlist("x-forwarded-for") for h in value.split(",") if h.strip()]
    for hop in reversed(hops):  # the right-most hops were appended by our own proxies
        if not is_trusted(hop):
            address = _address(hop)
            return str(address) if address is not None else peer  # garbage: count the proxy itself
    return hops[0] if hops else peer


def login_refusal(exc: LoginRefused) -> ApiError:
    """A refused login as the API answers it: 401, or 429 with Retry-After."""
    headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
    return ApiError("throttled" if exc.rule == "throttled" else "user", exc.message_vi, exc.message_en,
                    extra=dict(exc.extra), headers=headers)


@router.post("/auth/token", response_model=Token,
             responses={401: {"model": ErrorBody}, 429: {"model": ErrorBody}})
def login_for_token(services: ServicesDep, request: Request,
                    form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token:
    """Exchange a user name and password for a signed bearer token that expires (and ends at logout,
    a password change or the user's deactivation). Failed attempts are throttled per account and
    per source address: 429 with Retry-After."""
    try:
        user = authenticate(services.db, form.username, form.password, client_ip(request, services),
                            services.login_policy)
    except LoginRefused as exc:
        raise login_refusal(exc) from None
    return Token(access_token=services.signer.token(user.name),
                 expires_in=int(services.settings.token_ttl.total_seconds()))


@router.post("/auth/logout", status_code=204, responses={401: {"model": ErrorBody}})
def logout_token(services: ServicesDep, user: CurrentUser,
                 token: Annotated[str | None, Depends(oauth2_scheme)]) -> Response:
    """End this bearer token's session: the token is refused from now on."""
    if token:
        services.signer.end_token(token, services.settings.token_ttl.total_seconds())
    return Response(status_code=204)


def user_public(services: ServicesDep, user: User) -> UserPublic:
    return UserPublic(name=user.name, unit=user.unit, unit_name=unit_name(services.db, user.unit), roles=list(user.roles),
                      sees_all=sees_all(user), may_audit=may_audit(user))


@router.get("/me", response_model=UserPublic, responses={401: {"model": ErrorBody}})
def me(services: ServicesDep, user: CurrentUser) -> UserPublic:
    """Who the token belongs to: name, unit, roles, and what they may see."""
    return user_public(services, user)
