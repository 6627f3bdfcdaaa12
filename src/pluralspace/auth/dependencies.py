"""Scope enforcement as one-line declarations on endpoints.

    principal: Annotated[Principal, Requires("members:write")]   # a token is required
    viewer: Annotated[Principal | None, Viewer("members:read")]  # no token = public view

A token that is present is always checked: malformed, expired or revoked is 401, and a token without the scope
is 403 INSUFFICIENT_SCOPE even when the endpoint would serve the public, so a token never does more than it was
granted. Ownership (owner versus public view) is decided by the service from the principal's system.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.security import OAuth2AuthorizationCodeBearer, SecurityScopes

from ..kit.crypto import token_hash, token_prefix
from ..kit.errors import InsufficientScope, Unauthenticated
from ..kit.middleware import charge_unknown_token
from ..state import app_state
from .principal import Principal, find_principal
from .scopes import ACCOUNT_SCOPE, SCOPE_DESCRIPTIONS

# Declared for the OpenAPI document (flows and scopes); tokens are parsed by `bearer_token` below.
oauth2_scheme = OAuth2AuthorizationCodeBearer(
    authorizationUrl="/oauth/authorize", tokenUrl="/oauth/token", refreshUrl="/oauth/token",
    scopes=SCOPE_DESCRIPTIONS, auto_error=False, scheme_name="bearer",
    description="A personal access token, an OAuth access token or a session token from login, as "
                "`Authorization: Bearer <token>`.",
)


def bearer_token(request: Request, *, allow_raw: bool = False) -> str | None:
    """The token of the Authorization header; None when there is no header. Raises on a malformed header."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if allow_raw and not value:
        return scheme
    raise Unauthenticated("The Authorization header must be `Bearer <token>`.")


async def principal_for_token(request: Request, token: str) -> Principal:
    if token_prefix(token) is None:
        raise Unauthenticated("The token is malformed.")
    state = app_state(request)
    access_hash = token_hash(state.settings.secret_key, token)
    principal = await find_principal(state.database, access_hash, state.clock.now())
    if principal is None:
        await charge_unknown_token(request.scope, state.settings, state.limiter)
        raise Unauthenticated("The token is expired, revoked or unknown.")
    state.usage.note(principal.credential_id, principal.last_used_at)
    request.state.principal = principal
    return principal


def check_scopes(principal: Principal, required: list[str] | tuple[str, ...]) -> None:
    """403 INSUFFICIENT_SCOPE naming the scopes the principal lacks, if any."""
    missing = [scope for scope in required if not principal.holds(scope)]
    if missing:
        raise InsufficientScope(required=missing, granted=list(principal.granted))


async def _required(request: Request, security_scopes: SecurityScopes,
                    _documented: str | None = Depends(oauth2_scheme)) -> Principal:
    token = bearer_token(request)
    if token is None:
        raise Unauthenticated("This needs a token: `Authorization: Bearer <token>`.")
    principal = await principal_for_token(request, token)
    check_scopes(principal, security_scopes.scopes)
    return principal


async def _optional(request: Request, security_scopes: SecurityScopes,
                    _documented: str | None = Depends(oauth2_scheme)) -> Principal | None:
    token = bearer_token(request)
    if token is None:
        return None
    principal = await principal_for_token(request, token)
    check_scopes(principal, security_scopes.scopes)
    return principal


def Requires(*scopes: str) -> Any:
    return Security(_required, scopes=list(scopes))


def Viewer(*scopes: str) -> Any:
    return Security(_optional, scopes=list(scopes))


# The account's own pages and API (`/me`, tokens, OAuth apps): a login session's token only.
SessionOnly = Annotated[Principal, Requires(ACCOUNT_SCOPE)]
